/* handlers: the endpoint table, and the JSON endpoints: /healthz, the
 * batch API and verify.  Object transfers live in transfer.c. */
#include "server.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "log.h"
#include "version.h"

/* --- /healthz --------------------------------------------------------- */

static enum MHD_Result healthz_end(struct req *r)
{
	json_t *body = json_pack("{s:s, s:s, s:o}", "status", "ok", "version", LFS_VERSION, "mirrors",
				 mirrors_status(r->srv->mirrors));

	return body ? http_reply_json(r, 200, body) : MHD_NO;
}

/* --- JSON bodies -------------------------------------------------------- */

/* Shared first step of endpoints that take a JSON body; every one of
 * them needs at least read access, checked before the body is read. */
enum MHD_Result handler_json_begin(struct req *r)
{
	long long len = http_content_length(r);
	enum MHD_Result rc;

	if (!access_require_or_reply(r, RIGHT_READ, &rc))
		return rc;
	if (!http_is_json(r))
		return http_reply_error(r, 415, "Content-Type must be application/vnd.git-lfs+json");
	if (len > r->srv->cfg->max_json_bytes)
		return http_reply_error(r, 413, "body of %lld bytes is over the limit of %lld", len,
					r->srv->cfg->max_json_bytes);
	return MHD_YES;
}

void handler_json_data(struct req *r, const char *data, size_t len)
{
	struct err err = ERR_INIT;

	if (buf_append(&r->body, data, len, &err) < 0)
		http_fail(r, err_http_status(err.code), "%s", err.msg);
}

/* --- batch -------------------------------------------------------------- */

static int mirror_href(void *arg, long long seq, const char *oid, char *out, size_t outsz)
{
	return mirrors_href(arg, seq, oid, out, outsz);
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
	json_t *answer = NULL;
	enum MHD_Result rc;

	if (batch_parse(&req, r->body.data ? r->body.data : "", r->body.len,
			srv->cfg->max_batch_objects, srv->cfg->max_object_size, &err) < 0)
		return http_reply_err(r, &err);
	if (req.op == BATCH_UPLOAD && !access_require_or_reply(r, RIGHT_WRITE, &rc)) {
		batch_req_release(&req);
		return rc;
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
	http_base_url(r, base, sizeof(base));
	ctx = (struct batch_ctx){ .base_url = base, .repo = r->route.repo, .user = r->user,
				  .key = &srv->key, .now = time(NULL), .ttl = srv->cfg->token_ttl,
				  .seqs = seqs, .mirror_href = mirror_href, .mirror_arg = srv->mirrors,
				  .public_read = (auth_rights(srv->auth, NULL, r->route.repo) & RIGHT_READ) != 0 };
	answer = batch_response(&req, stored, &ctx, &err);
	rc = answer ? http_reply_json(r, 200, answer) : http_reply_err(r, &err);
out:
	free(oids);
	free(stored);
	free(seqs);
	batch_req_release(&req);
	return rc;
}

/* --- verify ------------------------------------------------------------- */

static enum MHD_Result verify_end(struct req *r)
{
	json_error_t jerr;
	json_t *root = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &jerr);
	json_t *oid, *size;
	long long stored = -1;
	const char *oids[1];
	struct err err = ERR_INIT;
	enum MHD_Result rc;

	if (!root)
		return http_reply_error(r, 400, "malformed JSON: %s", jerr.text);
	if (!access_require_or_reply(r, RIGHT_WRITE, &rc)) {
		json_decref(root);
		return rc;
	}
	oid = json_object_get(root, "oid");
	size = json_object_get(root, "size");
	if (!json_is_string(oid) || !oid_valid(json_string_value(oid))) {
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

static const struct handler healthz = { NULL, NULL, healthz_end };
static const struct handler batch = { handler_json_begin, handler_json_data, batch_end };
static const struct handler verify = { handler_json_begin, handler_json_data, verify_end };

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
	default: return NULL;
	}
}
