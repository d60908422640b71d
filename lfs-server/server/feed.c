/* feed: the mirror feed, for lfs-mirror sync.
 *
 *   GET /_lfs/journal?after=SEQ&limit=N
 *       {"entries":[{"seq","oid","size","time"}],"next":SEQ|null}
 *   GET /_lfs/objects/<oid>
 *
 * Only objects of mirrored repos are in the feed, and it carries no repo
 * or user names.  Readable by journal.readers (`*` = everyone, anonymous
 * included, also with auth off). */
#include "server/endpoint.h"
#include "util.h"

#include <limits.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/access.h"
#include "server/http.h"
#include "server/server.h"

#define FEED_PAGE_DEFAULT 1000
#define FEED_PAGE_MAX 10000

static bool reader_or_reply(struct req *r, enum MHD_Result *rc)
{
	const char *user = r->authenticated ? r->user : NULL;

	if (r->srv->cfg->journal_readers && acl_list_has(r->srv->cfg->journal_readers, user))
		return true;
	if (auth_enabled(r->srv->auth) && !r->authenticated)
		*rc = access_need_credentials(r, "credentials needed");
	else
		*rc = http_reply_error(r, 403, "not a journal reader (journal.readers)");
	return false;
}

/* An absent or empty query value keeps the default. */
static bool parse_num(const char *s, long long *out)
{
	return !s || !*s || util_parse_ll(s, 0, LLONG_MAX, out) == 0;
}

static enum MHD_Result journal_end(struct req *r)
{
	const char *after_s = http_query_arg(r, "after");
	const char *limit_s = http_query_arg(r, "limit");
	long long after = 0, limit = FEED_PAGE_DEFAULT;
	struct feed_entry *page;
	struct err err = ERR_INIT;
	json_t *entries, *body;
	enum MHD_Result rc;
	int n = 0, more = 0;

	if (!reader_or_reply(r, &rc))
		return rc;
	if (!parse_num(after_s, &after) || !parse_num(limit_s, &limit))
		return http_reply_error(r, 422, "after and limit must be non-negative integers");
	if (limit < 1 || limit > FEED_PAGE_MAX)
		limit = limit < 1 ? 1 : FEED_PAGE_MAX;
	page = calloc((size_t)limit, sizeof(*page));
	if (!page)
		return http_reply_error(r, 500, "out of memory");
	if (meta_feed_list(r->srv->meta, after, (int)limit, page, &n, &more, &err) < 0) {
		free(page);
		return http_reply_err(r, &err);
	}
	entries = json_array();
	for (int i = 0; entries && i < n; i++)
		json_array_append_new(entries, json_pack("{s:I, s:s, s:I, s:s}", "seq", (json_int_t)page[i].seq,
							 "oid", page[i].oid, "size", (json_int_t)page[i].size,
							 "time", page[i].time));
	body = json_pack("{s:o, s:o}", "entries", entries,
			 "next", more ? json_integer(page[n - 1].seq) : json_null());
	free(page);
	return body ? http_reply_json(r, 200, body) : MHD_NO;
}

static enum MHD_Result object_end(struct req *r)
{
	struct err err = ERR_INIT;
	long long seq, size;
	enum MHD_Result rc;
	int code;

	if (!reader_or_reply(r, &rc))
		return rc;
	code = meta_feed_get(r->srv->meta, r->route.oid, &seq, &size, &err);
	if (code < 0)
		return http_reply_err(r, &err);
	return transfer_send_object(r, r->route.oid);
}

const struct handler feed_journal_handler = { NULL, NULL, journal_end, NULL };
const struct handler feed_object_handler = { NULL, NULL, object_end, NULL };
