/* handlers: the endpoint table, and the JSON endpoints: /healthz, the
 * batch API and verify.  Object transfers live in transfer.c. */
#include "server/endpoint.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/batch.h"
#include "log.h"
#include "server/access.h"
#include "server/http.h"
#include "server/server.h"
#include "version.h"

/* --- /healthz --------------------------------------------------------- */

static enum MHD_Result healthz_end(struct req *r)
{
	json_t *body = json_pack("{s:s, s:s, s:o}", "status", "ok", "version", LFS_VERSION, "mirrors",
				 mirrors_status(r->srv->mirrors));

	return body ? http_reply_json(r, 200, body) : MHD_NO;
}

/* --- JSON bodies -------------------------------------------------------- */

enum MHD_Result handler_reply_err(struct req *r, const struct err *err)
{
	if (err->code == ERR_BUSY)
		return http_reply_error_hdr(r, 503, MHD_HTTP_HEADER_RETRY_AFTER, REQJSON_RETRY_AFTER,
					    "%s", err->msg);
	return http_reply_err(r, err);
}

/* The budget ran out while the body arrived (handler_json_data). */
static enum MHD_Result reply_busy(struct req *r)
{
	struct err err = ERR_INIT;

	err_set(&err, ERR_BUSY, "server busy: too many JSON requests in flight; retry later");
	return handler_reply_err(r, &err);
}

/* The body buffer's share of the JSON budget: buf doubles its capacity,
 * and realloc may hold old and new at once. */
static long long body_cost(long long len)
{
	return 2 * len + 4096;
}

/* Takes from the budget what a body of len bytes needs beyond what the
 * request holds for its body already. */
static int take_body(struct req *r, long long len, struct err *err)
{
	long long need = body_cost(len) - r->json_body_held;
	int rc;

	if (need <= 0)
		return 0;
	if ((rc = reqjson_take(&r->json, need, err)) == 0)
		r->json_body_held += need;
	return rc;
}

/* Shared first step of endpoints that take a JSON body; every one of
 * them needs at least read access, checked before the body is read.
 * A declared body takes its budget now, so a busy server refuses it
 * before the client sends it. */
enum MHD_Result handler_json_begin(struct req *r)
{
	long long len = http_content_length(r);
	struct err err = ERR_INIT;
	enum MHD_Result rc;

	if (!access_require_or_reply(r, RIGHT_READ, &rc))
		return rc;
	if (!http_is_json(r))
		return http_reply_error(r, 415, "Content-Type must be application/vnd.git-lfs+json");
	if (len > r->srv->cfg->max_json_bytes || (len < 0 && http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH)))
		return http_reply_error(r, 413, "body of %s bytes is over the limit of %lld",
					http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH), r->srv->cfg->max_json_bytes);
	r->json.budget = &r->srv->json_budget;
	if (len > 0 && take_body(r, len, &err) < 0)
		return handler_reply_err(r, &err);
	return MHD_YES;
}

void handler_json_data(struct req *r, const char *data, size_t len)
{
	struct err err = ERR_INIT;

	if (r->json_busy)
		return;
	/* Chunked bodies (and any past their Content-Length) take it here. */
	if (take_body(r, (long long)(r->body.len + len), &err) < 0) {
		if (err.code == ERR_BUSY)
			r->json_busy = true; /* answered by end, with Retry-After */
		else
			http_fail(r, err_http_status(err.code), "%s", err.msg);
		buf_release(&r->body);
		return;
	}
	if (buf_append(&r->body, data, len, &err) < 0)
		http_fail(r, err_http_status(err.code), "%s", err.msg);
}

bool handler_json_parse(struct req *r, const struct reqjson_shape *shape, json_t **root,
			enum MHD_Result *rc)
{
	struct err err = ERR_INIT;

	*root = NULL;
	if (r->json_busy) {
		*rc = reply_busy(r);
		return false;
	}
	if (reqjson_parse(root, r->body.data ? r->body.data : "", r->body.len, shape, &r->json, &err) < 0) {
		*rc = handler_reply_err(r, &err);
		return false;
	}
	return true;
}

/* --- batch -------------------------------------------------------------- */

static int mirror_href(void *arg, long long seq, const char *oid, char *out, size_t outsz)
{
	return mirrors_href(arg, seq, oid, out, outsz);
}

static int store_href_cb(void *arg, const char *oid, bool public_read, char *out, size_t outsz,
			 long long *expires_in, struct err *err)
{
	return store_href(arg, oid, public_read, out, outsz, expires_in, err);
}

static enum MHD_Result batch_end(struct req *r)
{
	struct server *srv = r->srv;
	struct batch_req req;
	struct err err = ERR_INIT;
	const char **oids = NULL;
	long long *stored = NULL, *seqs = NULL;
	bool use_mirrors;
	char base[512];
	struct batch_ctx ctx;
	struct buf answer;
	enum MHD_Result rc;

	if (r->json_busy)
		return reply_busy(r);
	if (batch_parse(&req, r->body.data ? r->body.data : "", r->body.len,
			srv->cfg->max_batch_objects, srv->cfg->max_object_size, &r->json, &err) < 0)
		return handler_reply_err(r, &err);
	if (req.op == BATCH_UPLOAD && !access_require_or_reply(r, RIGHT_WRITE, &rc)) {
		batch_req_release(&req);
		return rc;
	}
	/* The answer is JSON too: its text counts against the budget. */
	http_base_url(r, base, sizeof(base));
	if (reqjson_take(&r->json, batch_answer_cost(req.n, base, r->route.repo), &err) < 0) {
		batch_req_release(&req);
		return handler_reply_err(r, &err);
	}
	use_mirrors = req.op == BATCH_DOWNLOAD && mirrors_count(srv->mirrors) > 0 &&
		      acl_mirrored(auth_acl(srv->auth), r->route.repo);
	oids = calloc(req.n + 1, sizeof(*oids));
	stored = calloc(req.n + 1, sizeof(*stored));
	seqs = use_mirrors ? calloc(req.n + 1, sizeof(*seqs)) : NULL;
	if (!oids || !stored || (use_mirrors && !seqs)) {
		rc = http_reply_error(r, 500, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < req.n; i++)
		oids[i] = req.items[i].code ? "" : req.items[i].oid;
	if (meta_repo_sizes(srv->meta, r->route.repo, oids, req.n, stored, seqs, &err) < 0) {
		rc = http_reply_err(r, &err);
		goto out;
	}
	for (size_t i = 0; i < req.n; i++)
		if (req.items[i].code)
			stored[i] = -1;
	ctx = (struct batch_ctx){ .base_url = base, .repo = r->route.repo, .user = r->user,
				  .key = &srv->key, .now = time(NULL), .ttl = srv->cfg->token_ttl,
				  .seqs = seqs, .mirror_href = mirror_href, .mirror_arg = srv->mirrors,
				  .store_href = srv->store->ops->href ? store_href_cb : NULL, .store_arg = srv->store,
				  .public_read = (auth_rights(srv->auth, NULL, r->route.repo) & RIGHT_READ) != 0 };
	if (batch_response(&answer, &req, stored, &ctx, &err) < 0)
		rc = http_reply_err(r, &err);
	else
		rc = http_reply_buf(r, &answer, LFS_MEDIA_TYPE, NULL);
out:
	free(oids);
	free(stored);
	free(seqs);
	batch_req_release(&req);
	return rc;
}

/* --- verify ------------------------------------------------------------- */

/* {"oid", "size"}: one level, a few members. */
static const struct reqjson_shape verify_shape = { 2, 4, 16 };

static enum MHD_Result verify_end(struct req *r)
{
	json_t *root;
	json_t *oid, *size;
	long long stored = -1;
	const char *oids[1];
	struct err err = ERR_INIT;
	enum MHD_Result rc;

	if (!handler_json_parse(r, &verify_shape, &root, &rc))
		return rc;
	if (!access_require_or_reply(r, RIGHT_WRITE, &rc)) {
		json_decref(root);
		return rc;
	}
	oid = json_object_get(root, "oid");
	size = json_object_get(root, "size");
	if (!json_is_string(oid) || json_string_length(oid) != OID_HEX_LEN ||
	    !oid_valid(json_string_value(oid))) {
		rc = http_reply_error(r, 422, "invalid object id");
	} else if (!json_is_integer(size) || json_integer_value(size) < 0) {
		rc = http_reply_error(r, 422, "invalid size");
	} else {
		oids[0] = json_string_value(oid);
		if (meta_repo_sizes(r->srv->meta, r->route.repo, oids, 1, &stored, NULL, &err) < 0)
			rc = http_reply_err(r, &err);
		else if (stored < 0)
			rc = http_reply_error(r, 404, "object not found");
		else if (stored != json_integer_value(size))
			rc = http_reply_error(r, 422, "size differs from the stored object (%lld)", stored);
		else
			rc = http_reply_json(r, 200, json_pack("{s:s, s:I}", "oid", oids[0], "size",
							       (json_int_t)stored));
	}
	json_decref(root);
	return rc;
}

static const struct handler healthz = { NULL, NULL, healthz_end, NULL };
static const struct handler batch = { handler_json_begin, handler_json_data, batch_end, NULL };
static const struct handler verify = { handler_json_begin, handler_json_data, verify_end, NULL };

const struct handler *handlers_for(enum route_kind kind)
{
	switch (kind) {
	case ROUTE_HEALTHZ: return &healthz;
	case ROUTE_BATCH: return &batch;
	case ROUTE_VERIFY: return &verify;
	case ROUTE_OBJECT: return &transfer_object_handler;
	case ROUTE_LOCKS:
	case ROUTE_LOCKS_VERIFY:
	case ROUTE_LOCK_UNLOCK: return &locks_handler;
	case ROUTE_JOURNAL: return &feed_journal_handler;
	case ROUTE_FEED_OBJECT: return &feed_object_handler;
	case ROUTE_METRICS: return &metrics_handler;
	case ROUTE_STATUS: return &status_handler;
	default: return NULL;
	}
}
