/* batch: parse a batch request and write the answer (see batch.h).
 *
 * A batch of 100 objects is the request git-lfs sends most, so both ends
 * avoid jansson's tree where they can (measured in docs/architecture.md,
 * "Batch answers"): the request is read straight from its text when it
 * has the plain shape every client sends, and the answer is written as
 * text into one growing buffer.  Anything unusual in a request (escapes,
 * non-ASCII, fractions, a missing field, any error of the whole request)
 * goes through jansson's tree instead, so jansson alone decides what is
 * valid JSON and every refusal reads as it always did. */
#include "core/batch.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void parse_item(struct batch_item *it, json_t *o, long long max_object_size)
{
	json_t *oid = json_object_get(o, "oid"), *size = json_object_get(o, "size");

	if (json_is_string(oid)) {
		size_t n = json_string_length(oid);
		if (n > BATCH_ECHO_MAX)
			n = BATCH_ECHO_MAX;
		memcpy(it->oid, json_string_value(oid), n);
		it->oid[n] = '\0';
	}
	if (json_is_integer(size) && json_integer_value(size) >= 0)
		it->size = json_integer_value(size);
	if (!json_is_string(oid) || json_string_length(oid) != OID_HEX_LEN ||
	    !oid_valid(json_string_value(oid))) {
		it->code = 422;
		it->message = "invalid object id: want 64 lowercase hex digits";
	} else if (!json_is_integer(size) || json_integer_value(size) < 0) {
		it->code = 422;
		it->message = "invalid size: want a non-negative integer";
	} else if (max_object_size > 0 && json_integer_value(size) > max_object_size) {
		it->code = 422;
		it->message = "object is larger than this server accepts";
	}
}

/* 0 when the body's transfers (absent or null: basic) include basic. */
static int check_transfers(json_t *transfers, struct err *err)
{
	size_t i;
	json_t *t;

	if (!transfers || json_is_null(transfers))
		return 0;
	if (!json_is_array(transfers))
		return err_set(err, ERR_INVALID, "transfers must be an array of transfer adapter names; "
			       "this server supports: basic");
	json_array_foreach(transfers, i, t)
		if (json_is_string(t) && strcmp(json_string_value(t), "basic") == 0)
			return 0;
	return err_set(err, ERR_INVALID, "none of the offered transfer adapters is supported; "
		       "this server supports: basic");
}

void batch_shape(struct reqjson_shape *shape, long long max_objects)
{
	if (max_objects > BATCH_MAX_OBJECTS_CAP)
		max_objects = BATCH_MAX_OBJECTS_CAP;
	/* root > objects > {oid, size}: three levels, one spare for fields
	 * a later protocol version may nest in an object.  Per object: the
	 * element, two members, room for a few more. */
	shape->max_depth = 4;
	shape->max_containers = max_objects + 16;
	shape->max_values = 8 * max_objects + 64;
}

/* Orders item indices by oid, then by position: equal oids end up side by
 * side with the first occurrence first. */
static int by_oid(const void *a, const void *b, void *arg)
{
	const struct batch_item *items = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = memcmp(items[i].oid, items[j].oid, OID_HEX_LEN);

	return c ? c : (i > j) - (i < j);
}

/* Keeps the first of each valid oid, in request order.  Sorting indices
 * costs O(n log n) compares whatever oids a client chooses (no hash to
 * collide) and one allocation, where a hash set allocated per oid. */
static int drop_duplicates(struct batch_req *req, struct err *err)
{
	size_t *idx = malloc((req->n ? req->n : 1) * sizeof(*idx)), m = 0, kept = 0;

	if (!idx)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < req->n; i++)
		if (req->items[i].code == 0)
			idx[m++] = i;
	qsort_r(idx, m, sizeof(*idx), by_oid, req->items);
	/* Mark later duplicates (code 1 is never a real status), then compact. */
	for (size_t k = 1; k < m; k++)
		if (memcmp(req->items[idx[k]].oid, req->items[idx[k - 1]].oid, OID_HEX_LEN) == 0)
			req->items[idx[k]].code = 1;
	free(idx);
	for (size_t i = 0; i < req->n; i++)
		if (req->items[i].code != 1)
			req->items[kept++] = req->items[i];
	req->n = kept;
	return 0;
}


/* --- the request, read from its text ----------------------------------- */

/* A cursor over the body.  Every reader returns false for anything outside
 * the plain subset it knows; the caller then parses with jansson. */
struct lex {
	const char *p, *end;
};

static void skip_ws(struct lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
		l->p++;
}

static bool take(struct lex *l, char c)
{
	skip_ws(l);
	if (l->p < l->end && *l->p == c) {
		l->p++;
		return true;
	}
	return false;
}

static bool peek(struct lex *l, char c)
{
	skip_ws(l);
	return l->p < l->end && *l->p == c;
}

/* A string of printable ASCII without escapes: what jansson would decode
 * to the same bytes.  [*s, *s + *n) is its content. */
static bool lex_string(struct lex *l, const char **s, size_t *n)
{
	const char *q;

	if (!take(l, '"') || !(q = memchr(l->p, '"', (size_t)(l->end - l->p))) ||
	    !util_json_plain(l->p, (size_t)(q - l->p)))
		return false;
	*s = l->p;
	*n = (size_t)(q - l->p);
	l->p = q + 1;
	return true;
}

/* An integer of at most 18 digits (no fraction, no exponent, no leading
 * zero): exactly what jansson reads as the same json_int_t. */
static bool lex_int(struct lex *l, long long *out)
{
	bool neg;
	long long v = 0;
	int digits = 0;

	skip_ws(l);
	neg = l->p < l->end && *l->p == '-';
	if (neg)
		l->p++;
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
		if (digits == 18)
			return false;
		v = v * 10 + (*l->p - '0');
		l->p++;
		digits++;
	}
	if (digits == 0 || (digits > 1 && l->p[-digits] == '0'))
		return false;
	if (l->p < l->end && (*l->p == '.' || *l->p == 'e' || *l->p == 'E'))
		return false;
	*out = neg ? -v : v;
	return true;
}

static bool lex_word(struct lex *l, const char *w)
{
	size_t n = strlen(w);

	skip_ws(l);
	if ((size_t)(l->end - l->p) < n || memcmp(l->p, w, n) != 0)
		return false;
	l->p += n;
	return true;
}

/* Any value of the subset, thrown away (nested at most depth levels). */
static bool lex_skip(struct lex *l, int depth)
{
	const char *s;
	size_t n;
	long long v;

	skip_ws(l);
	if (l->p == l->end)
		return false;
	switch (*l->p) {
	case '"':
		return lex_string(l, &s, &n);
	case 't':
		return lex_word(l, "true");
	case 'f':
		return lex_word(l, "false");
	case 'n':
		return lex_word(l, "null");
	case '[':
		if (depth <= 0)
			return false;
		l->p++;
		if (take(l, ']'))
			return true;
		do {
			if (!lex_skip(l, depth - 1))
				return false;
		} while (take(l, ','));
		return take(l, ']');
	case '{':
		if (depth <= 0)
			return false;
		l->p++;
		if (take(l, '}'))
			return true;
		do {
			if (!lex_string(l, &s, &n) || !take(l, ':') || !lex_skip(l, depth - 1))
				return false;
		} while (take(l, ','));
		return take(l, '}');
	default:
		return lex_int(l, &v);
	}
}

static bool key_is(const char *s, size_t n, const char *key)
{
	return n == strlen(key) && memcmp(s, key, n) == 0;
}

/* {"oid": "...", "size": N, ...}: both present, an oid string, an integer
 * size; other members are skipped, and a repeated one counts last, as
 * in jansson's tree.  Fills it as parse_item does. */
static bool lex_item(struct lex *l, struct batch_item *it, long long max_object_size)
{
	const char *s, *oid = NULL;
	size_t n, oid_len = 0;
	long long size = 0;
	bool have_size = false;

	if (!take(l, '{'))
		return false;
	if (!peek(l, '}')) {
		do {
			if (!lex_string(l, &s, &n) || !take(l, ':'))
				return false;
			if (key_is(s, n, "oid")) {
				if (!lex_string(l, &oid, &oid_len))
					return false;
			} else if (key_is(s, n, "size")) {
				if (!lex_int(l, &size))
					return false;
				have_size = true;
			} else if (!lex_skip(l, 2)) {
				return false;
			}
		} while (take(l, ','));
	}
	if (!take(l, '}') || !oid || !have_size)
		return false;
	memset(it, 0, sizeof(*it));
	n = oid_len > BATCH_ECHO_MAX ? BATCH_ECHO_MAX : oid_len;
	memcpy(it->oid, oid, n);
	it->oid[n] = '\0';
	it->size = size >= 0 ? size : 0;
	if (!oid_valid_n(oid, oid_len)) {
		it->code = 422;
		it->message = "invalid object id: want 64 lowercase hex digits";
	} else if (size < 0) {
		it->code = 422;
		it->message = "invalid size: want a non-negative integer";
	} else if (max_object_size > 0 && size > max_object_size) {
		it->code = 422;
		it->message = "object is larger than this server accepts";
	}
	return true;
}

/* The whole request in the plain subset, with no error of the request as
 * a whole; out->items has room for cap objects.  hash_ok is false when a
 * hash_algo other than sha256 was named. */
static bool lex_request(struct batch_req *out, const char *body, size_t len, size_t cap,
			long long max_objects, long long max_object_size, bool *hash_ok)
{
	struct lex l = { body, body + len };
	const char *s;
	size_t n;
	bool have_op = false, have_objects = false, transfers_ok = true;

	*hash_ok = true;
	if (!take(&l, '{'))
		return false;
	if (!peek(&l, '}')) {
		do {
			if (!lex_string(&l, &s, &n) || !take(&l, ':'))
				return false;
			if (key_is(s, n, "operation")) {
				if (!lex_string(&l, &s, &n))
					return false;
				if (key_is(s, n, "download"))
					out->op = BATCH_DOWNLOAD;
				else if (key_is(s, n, "upload"))
					out->op = BATCH_UPLOAD;
				else
					return false;
				have_op = true;
			} else if (key_is(s, n, "transfers")) {
				if (lex_word(&l, "null")) {
					transfers_ok = true;
				} else {
					if (!take(&l, '['))
						return false;
					transfers_ok = false;
					if (!peek(&l, ']')) {
						do {
							if (!lex_string(&l, &s, &n))
								return false;
							transfers_ok = transfers_ok || key_is(s, n, "basic");
						} while (take(&l, ','));
					}
					if (!take(&l, ']'))
						return false;
				}
			} else if (key_is(s, n, "hash_algo")) {
				if (lex_word(&l, "null"))
					*hash_ok = true;
				else if (lex_string(&l, &s, &n))
					*hash_ok = key_is(s, n, "sha256");
				else
					return false;
			} else if (key_is(s, n, "objects")) {
				if (have_objects || !take(&l, '['))
					return false;
				have_objects = true;
				if (!peek(&l, ']')) {
					do {
						if (out->n >= cap || (long long)out->n >= max_objects ||
						    !lex_item(&l, &out->items[out->n], max_object_size))
							return false;
						out->n++;
					} while (take(&l, ','));
				}
				if (!take(&l, ']'))
					return false;
			} else if (!lex_skip(&l, 3)) {
				return false;
			}
		} while (take(&l, ','));
	}
	if (!take(&l, '}'))
		return false;
	skip_ws(&l);
	return l.p == l.end && have_op && have_objects && transfers_ok;
}

/* --- the request, through jansson's tree ------------------------------- */

static int parse_tree(struct batch_req *out, json_t *root, long long max_objects,
		      long long max_object_size, bool *hash_ok, struct err *err)
{
	json_t *op, *objects, *algo;
	size_t n;
	int rc;

	if (!json_is_object(root))
		return err_set(err, ERR_INVALID, "request body is not a JSON object");
	op = json_object_get(root, "operation");
	if (json_is_string(op) && strcmp(json_string_value(op), "download") == 0)
		out->op = BATCH_DOWNLOAD;
	else if (json_is_string(op) && strcmp(json_string_value(op), "upload") == 0)
		out->op = BATCH_UPLOAD;
	else
		return err_set(err, ERR_INVALID, "operation must be \"download\" or \"upload\"");
	if ((rc = check_transfers(json_object_get(root, "transfers"), err)) < 0)
		return rc;
	objects = json_object_get(root, "objects");
	if (!json_is_array(objects))
		return err_set(err, ERR_INVALID, "objects must be an array");
	n = json_array_size(objects);
	if ((long long)n > max_objects)
		return err_set(err, ERR_TOOBIG, "%zu objects in one batch; the limit is %lld", n, max_objects);
	free(out->items);
	out->items = calloc(n ? n : 1, sizeof(*out->items));
	if (!out->items)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(objects, i);
		if (!json_is_object(o))
			return err_set(err, ERR_INVALID, "objects[%zu] is not an object", i);
		parse_item(&out->items[i], o, max_object_size);
	}
	out->n = n;
	algo = json_object_get(root, "hash_algo");
	*hash_ok = !algo || json_is_null(algo) ||
		   (json_is_string(algo) && strcmp(json_string_value(algo), "sha256") == 0);
	return 0;
}

static int parse(struct batch_req *out, const char *body, size_t len, long long max_objects,
		 long long max_object_size, struct reqjson_hold *hold, bool tree, struct err *err)
{
	struct reqjson_shape shape;
	struct reqjson_scan scan;
	json_t *root = NULL;
	bool hash_ok = true;
	size_t cap;
	int rc;

	memset(out, 0, sizeof(*out));
	if (max_objects > BATCH_MAX_OBJECTS_CAP)
		max_objects = BATCH_MAX_OBJECTS_CAP;
	batch_shape(&shape, max_objects);
	if ((rc = reqjson_admit(body, len, &shape, hold, &scan, err)) < 0)
		return rc;
	/* Every object of the list is a container of the body: the scan
	 * bounds how many the text can hold (and the shape bounds the scan). */
	cap = (size_t)(scan.containers > 0 ? scan.containers : 1);
	if (!tree) {
		if (!(out->items = calloc(cap, sizeof(*out->items))))
			return err_set(err, ERR_NOMEM, "out of memory");
		tree = !lex_request(out, body, len, cap, max_objects, max_object_size, &hash_ok);
		if (tree)
			out->n = 0;
	}
	/* \u0000 is valid JSON; an oid holding one fails the length check. */
	if (tree && ((rc = reqjson_load(&root, body, len, err)) < 0 ||
		     (rc = parse_tree(out, root, max_objects, max_object_size, &hash_ok, err)) < 0))
		goto out;
	for (size_t i = 0; i < out->n; i++) {
		struct batch_item *it = &out->items[i];
		if (it->code == 0 && !hash_ok) {
			it->code = 409;
			it->message = "unsupported hash algorithm: this server uses sha256";
		}
	}
	rc = drop_duplicates(out, err);
out:
	json_decref(root);
	if (rc < 0)
		batch_req_release(out);
	return rc;
}

int batch_parse(struct batch_req *out, const char *body, size_t len,
		long long max_objects, long long max_object_size, struct reqjson_hold *hold,
		struct err *err)
{
	return parse(out, body, len, max_objects, max_object_size, hold, false, err);
}

int batch_parse_tree(struct batch_req *out, const char *body, size_t len,
		     long long max_objects, long long max_object_size, struct reqjson_hold *hold,
		     struct err *err)
{
	return parse(out, body, len, max_objects, max_object_size, hold, true, err);
}

void batch_req_release(struct batch_req *req)
{
	free(req->items);
	req->items = NULL;
	req->n = 0;
}

long long batch_answer_cost(size_t n, const char *base_url, const char *repo)
{
	/* A bound, not an estimate: an object's text is at most a 1 KiB
	 * token plus a 1 KiB href, or a 2 KiB href alone, or an echoed oid
	 * of 128 bytes escaped (6 each), with about 250 bytes of JSON around
	 * them (checked against the text in tests/unit/reqjson.c). */
	return 16384 + (long long)n * (4096 + 4 * (long long)(strlen(base_url) + strlen(repo)));
}

int batch_object_href(char *out, size_t outsz, const char *base_url,
		      const char *repo, const char *oid)
{
	int n = snprintf(out, outsz, "%s/%s/info/lfs/objects/%s", base_url, repo, oid);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}


/* --- the answer, as text ------------------------------------------------ */

/* Appends s[0..n) escaped as json_dumps escapes a string's content
 * (quote, backslash and control characters; nothing else). */
static int put_esc(struct buf *b, const char *s, size_t n, struct err *err)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 0, '0', '0', 0, 0 };
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if ((rc = buf_append(b, s + run, i - run, err)) < 0)
			return rc;
		run = i + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if ((rc = buf_append(b, esc, elen, err)) < 0)
			return rc;
	}
	return buf_append(b, s + run, n - run, err);
}

/* s[0..n) as a JSON string. */
static int put_str(struct buf *b, const char *s, size_t n, struct err *err)
{
	int rc;

	if ((rc = buf_append(b, "\"", 1, err)) < 0 || (rc = put_esc(b, s, n, err)) < 0)
		return rc;
	return buf_append(b, "\"", 1, err);
}

static int put(struct buf *b, const char *lit, struct err *err)
{
	return buf_append(b, lit, strlen(lit), err);
}

static int put_ll(struct buf *b, long long v, struct err *err)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p), err);
}

/* What every object of one answer shares, worked out once. */
struct answer {
	const struct batch_ctx *ctx;
	const char *op;       /* "download" or "upload" */
	struct buf prefix;    /* our hrefs up to the oid, escaped, quote included */
	struct token tok;     /* the token's fields but oid and size */
	struct token_signer signer; /* opened at the first token */
};

/* Hrefs, ours or a mirror's, longer than this are refused: it keeps an
 * object's text within batch_answer_cost. */
#define HREF_MAX 2048

static int answer_init(struct answer *a, const struct batch_req *req, const struct batch_ctx *ctx,
		       struct err *err)
{
	const char *tail = "/info/lfs/objects/";
	int rc;

	memset(a, 0, sizeof(*a));
	a->ctx = ctx;
	a->op = req->op == BATCH_DOWNLOAD ? "download" : "upload";
	buf_init(&a->prefix, HREF_MAX);
	if ((rc = buf_append(&a->prefix, "\"", 1, err)) < 0)
		return rc;
	if ((rc = put_esc(&a->prefix, ctx->base_url, strlen(ctx->base_url), err)) < 0 ||
	    (rc = put(&a->prefix, "/", err)) < 0 ||
	    (rc = put_esc(&a->prefix, ctx->repo, strlen(ctx->repo), err)) < 0 ||
	    (rc = put(&a->prefix, tail, err)) < 0) {
		buf_release(&a->prefix);
		return err_set(err, ERR_INVALID, "href too long");
	}
	/* As long as an href may be where a token travels with it. */
	if (a->prefix.len + OID_HEX_LEN >= 1024) {
		buf_release(&a->prefix);
		return err_set(err, ERR_INVALID, "href too long");
	}
	snprintf(a->tok.kind, sizeof(a->tok.kind), "transfer");
	snprintf(a->tok.user, sizeof(a->tok.user), "%s", ctx->user);
	snprintf(a->tok.repo, sizeof(a->tok.repo), "%s", ctx->repo);
	snprintf(a->tok.op, sizeof(a->tok.op), "%s", a->op);
	a->tok.expires = (long long)ctx->now + ctx->ttl;
	return 0;
}

/* {"oid":…,"size":… without the closing brace.  A valid oid is 64 hex
 * digits, written as it is.  An invalid one is echoed escaped, or as ""
 * when it is not valid UTF-8 (it may have been cut inside a sequence):
 * jansson's json_string is the UTF-8 check, as it was the whole echo. */
static int put_head(struct buf *b, const struct batch_item *it, struct err *err)
{
	int rc;

	if ((rc = put(b, "{\"oid\":", err)) < 0)
		return rc;
	if (it->code == 0) {
		if ((rc = buf_append(b, "\"", 1, err)) < 0 ||
		    (rc = buf_append(b, it->oid, OID_HEX_LEN, err)) < 0 ||
		    (rc = buf_append(b, "\"", 1, err)) < 0)
			return rc;
	} else {
		json_t *check = json_string(it->oid);
		rc = check ? put_str(b, it->oid, strlen(it->oid), err) : put(b, "\"\"", err);
		json_decref(check);
		if (rc < 0)
			return rc;
	}
	if ((rc = put(b, ",\"size\":", err)) < 0)
		return rc;
	return put_ll(b, it->size, err);
}

static int put_error(struct buf *b, const struct batch_item *it, int code, const char *msg,
		     struct err *err)
{
	int rc;

	if ((rc = put_head(b, it, err)) < 0 || (rc = put(b, ",\"error\":{\"code\":", err)) < 0 ||
	    (rc = put_ll(b, code, err)) < 0 || (rc = put(b, ",\"message\":", err)) < 0 ||
	    (rc = put_str(b, msg, strlen(msg), err)) < 0)
		return rc;
	return put(b, "}}", err);
}

/* ,"authenticated":true,"actions":{"OP":{"href":  — the href follows. */
static int put_actions(struct buf *b, const char *op, struct err *err)
{
	int rc;

	if ((rc = put(b, ",\"authenticated\":true,\"actions\":{\"", err)) < 0 ||
	    (rc = put(b, op, err)) < 0)
		return rc;
	return put(b, "\":{\"href\":", err);
}

static int put_our_href(struct buf *b, const struct answer *a, const char *oid, struct err *err)
{
	int rc;

	if ((rc = buf_append(b, a->prefix.data, a->prefix.len, err)) < 0 ||
	    (rc = buf_append(b, oid, OID_HEX_LEN, err)) < 0)
		return rc;
	return buf_append(b, "\"", 1, err);
}

/* An action whose href needs no credentials.  The empty header object is
 * not decoration: JGit 4.11 dereferences action.header without a null
 * check, so an action without one fails every download of a public
 * object.  href NULL: our own href for oid; expires_in > 0: the href's
 * lifetime in seconds. */
static int put_href_action(struct buf *b, const struct answer *a, const struct batch_item *it,
			   const char *op, const char *href, long long expires_in, struct err *err)
{
	int rc;

	if ((rc = put_head(b, it, err)) < 0 || (rc = put_actions(b, op, err)) < 0)
		return rc;
	if (href)
		rc = put_str(b, href, strlen(href), err);
	else
		rc = put_our_href(b, a, it->oid, err);
	if (rc < 0 || (rc = put(b, ",\"header\":{}", err)) < 0)
		return rc;
	if (expires_in > 0 && ((rc = put(b, ",\"expires_in\":", err)) < 0 ||
			       (rc = put_ll(b, expires_in, err)) < 0))
		return rc;
	return put(b, "}}}", err);
}

/* An action signed for this user, object, size and operation. */
static int put_token_action(struct buf *b, struct answer *a, const struct batch_item *it,
			    struct err *err)
{
	char tok[TOKEN_MAX];
	int rc;

	memcpy(a->tok.oid, it->oid, OID_HEX_LEN);
	a->tok.oid[OID_HEX_LEN] = '\0';
	a->tok.size = it->size;
	if (!a->signer.mac && (rc = token_signer_open(&a->signer, a->ctx->key, err)) < 0)
		return rc;
	if ((rc = token_signer_sign(&a->signer, tok, sizeof(tok), &a->tok, err)) < 0)
		return rc;
	if ((rc = put_head(b, it, err)) < 0 || (rc = put_actions(b, a->op, err)) < 0 ||
	    (rc = put_our_href(b, a, it->oid, err)) < 0 ||
	    (rc = put(b, ",\"header\":{\"Authorization\":\"Bearer ", err)) < 0 ||
	    (rc = buf_append(b, tok, strlen(tok), err)) < 0 ||
	    (rc = put(b, "\"},\"expires_in\":", err)) < 0 || (rc = put_ll(b, a->ctx->ttl, err)) < 0)
		return rc;
	return put(b, "}}}", err);
}

static int answer_one(struct buf *b, struct answer *a, const struct batch_req *req,
		      const struct batch_item *it, long long stored, long long seq, struct err *err)
{
	const struct batch_ctx *ctx = a->ctx;
	char href[HREF_MAX];

	if (it->code)
		return put_error(b, it, it->code, it->message, err);
	if (stored >= 0 && stored != it->size)
		return put_error(b, it, 422, "size differs from the stored object", err);
	if (req->op == BATCH_DOWNLOAD && stored < 0)
		return put_error(b, it, 404, "object not found", err);
	if (req->op == BATCH_UPLOAD && stored >= 0) {
		/* Already there: no actions tells the client it is done. */
		int rc = put_head(b, it, err);
		return rc < 0 ? rc : put(b, "}", err);
	}
	/* A mirror URL needs no credentials and never expires. */
	if (req->op == BATCH_DOWNLOAD && seq >= 0 && ctx->mirror_href &&
	    ctx->mirror_href(ctx->mirror_arg, seq, it->oid, href, sizeof(href)) == 0)
		return put_href_action(b, a, it, "download", href, 0, err);
	if (req->op == BATCH_DOWNLOAD && ctx->store_href) {
		/* The store's own URL (S3: presigned), so the bytes never pass
		 * through us. */
		long long expires_in = 0;
		int rc = ctx->store_href(ctx->store_arg, it->oid, ctx->public_read, href, sizeof(href),
					 &expires_in, err);
		if (rc == 0)
			return put_href_action(b, a, it, "download", href, expires_in, err);
		if (rc != ERR_NOTFOUND)
			return rc;
		err_clear(err);
	}
	if (req->op == BATCH_DOWNLOAD && ctx->public_read)
		return put_href_action(b, a, it, "download", NULL, 0, err);
	return put_token_action(b, a, it, err);
}

int batch_response(struct buf *out, const struct batch_req *req, const long long *stored,
		   const struct batch_ctx *ctx, struct err *err)
{
	struct answer a;
	int rc;

	buf_init(out, (size_t)batch_answer_cost(req->n, ctx->base_url, ctx->repo));
	if ((rc = answer_init(&a, req, ctx, err)) < 0)
		return rc;
	rc = put(out, "{\"transfer\":\"basic\",\"hash_algo\":\"sha256\",\"objects\":[", err);
	for (size_t i = 0; i < req->n && rc == 0; i++) {
		if (i > 0)
			rc = buf_append(out, ",", 1, err);
		if (rc == 0)
			rc = answer_one(out, &a, req, &req->items[i], stored[i],
					ctx->seqs ? ctx->seqs[i] : -1, err);
	}
	if (rc == 0)
		rc = put(out, "]}", err);
	buf_release(&a.prefix);
	token_signer_close(&a.signer);
	if (rc < 0)
		buf_release(out);
	return rc;
}
