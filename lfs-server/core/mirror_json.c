/* mirror_json: feed pages and mirror-state.json (see mirror_json.h). */
#include "core/mirror_json.h"

#include <jansson.h>
#include <string.h>
#include <time.h>

static int parse_entry(json_t *e, size_t i, long long prev, struct mirror_entry *out,
		       struct err *err)
{
	json_t *seq = json_object_get(e, "seq");
	json_t *oid = json_object_get(e, "oid");
	json_t *size = json_object_get(e, "size");

	if (!json_is_object(e))
		return err_set(err, ERR_INVALID, "feed entry %zu is not an object", i);
	if (!json_is_integer(seq))
		return err_set(err, ERR_INVALID, "feed entry %zu: seq missing", i);
	/* prev is the page's `after` for the first entry: a feed whose pages
	 * do not advance stops here instead of looping. */
	if (json_integer_value(seq) <= prev && i == 0)
		return err_set(err, ERR_INVALID, "feed entry 0: seq %lld is not above %lld, where the page "
			       "was asked to start (the feed does not advance)",
			       (long long)json_integer_value(seq), prev);
	if (json_integer_value(seq) <= prev)
		return err_set(err, ERR_INVALID, "feed entry %zu: seq %lld is not above the previous "
			       "entry's %lld", i, (long long)json_integer_value(seq), prev);
	if (!json_is_string(oid) || !oid_valid(json_string_value(oid)))
		return err_set(err, ERR_INVALID, "feed entry %zu: invalid oid", i);
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return err_set(err, ERR_INVALID, "feed entry %zu: invalid size", i);
	out->seq = json_integer_value(seq);
	out->size = json_integer_value(size);
	memcpy(out->oid, json_string_value(oid), OID_HEX_LEN + 1);
	return 0;
}

int mirror_json_parse_page(const char *text, size_t len, long long after,
			   struct mirror_entry *out, size_t max, size_t *n_out,
			   long long *next_out, struct err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr), *entries, *next;
	long long prev = after;
	size_t n;
	int rc = 0;

	if (!root)
		return err_set(err, ERR_SYNTAX, "feed page is not JSON: %s", jerr.text);
	entries = json_object_get(root, "entries");
	next = json_object_get(root, "next");
	if (!json_is_array(entries)) {
		rc = err_set(err, ERR_INVALID, "feed page has no entries array");
		goto out;
	}
	n = json_array_size(entries);
	if (n > max) {
		rc = err_set(err, ERR_INVALID, "feed page has %zu entries, more than the %zu asked for", n, max);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = parse_entry(json_array_get(entries, i), i, prev, &out[i], err)) < 0)
			goto out;
		prev = out[i].seq;
	}
	if (json_is_null(next)) {
		*next_out = -1;
	} else if (json_is_integer(next) && n > 0 && json_integer_value(next) == prev) {
		/* Anything else could make the caller loop forever or skip entries. */
		*next_out = json_integer_value(next);
	} else {
		rc = err_set(err, ERR_INVALID, "feed page: next must be null or the last entry's seq%s",
			     n == 0 ? " (a page without entries must be the last)" : "");
		goto out;
	}
	*n_out = n;
out:
	json_decref(root);
	return rc;
}

int mirror_json_parse_state(const char *text, size_t len, long long *last_seq,
			    struct err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr), *v, *seq;
	int rc = 0;

	if (!root)
		return err_set(err, ERR_SYNTAX, "not JSON: %s", jerr.text);
	v = json_object_get(root, "version");
	seq = json_object_get(root, "last_seq");
	if (!json_is_integer(v) || json_integer_value(v) != MIRROR_STATE_VERSION)
		rc = err_set(err, ERR_INVALID, "version is not %d", MIRROR_STATE_VERSION);
	else if (!json_is_integer(seq) || json_integer_value(seq) < 0)
		rc = err_set(err, ERR_INVALID, "last_seq is not a non-negative integer");
	else
		*last_seq = json_integer_value(seq);
	json_decref(root);
	return rc;
}

int mirror_json_format_state(char *out, size_t outsz, long long last_seq, long long now,
			     struct err *err)
{
	time_t t = (time_t)now;
	struct tm tm;
	char stamp[32];
	json_t *doc;
	size_t n;

	if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return err_set(err, ERR_INVALID, "time %lld cannot be formatted", now);
	doc = json_pack("{s:i, s:I, s:s}", "version", MIRROR_STATE_VERSION,
			"last_seq", (json_int_t)last_seq, "updated_at", stamp);
	if (!doc)
		return err_set(err, ERR_NOMEM, "out of memory");
	/* jansson keeps insertion order, so the file reads as documented. */
	n = json_dumpb(doc, out, outsz, JSON_COMPACT);
	json_decref(doc);
	if (n == 0 || n + 2 > outsz)
		return err_set(err, ERR_TOOBIG, "state does not fit in %zu bytes", outsz);
	out[n] = '\n';
	out[n + 1] = '\0';
	return 0;
}
