/* transfer: the basic transfer adapter's object endpoints.
 *
 * GET/HEAD streams the stored file with sendfile (an fd response) and
 * honours a single Range.  PUT streams the body into the store while it
 * hashes it; the object joins the repository only after the store has
 * made it durable. */
#include "server/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/range.h"
#include "log.h"
#include "server/access.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/server.h"

/* The action token a transfer carries, if any: *has says whether there
 * was one; a token that does not verify, or is for another repo, object
 * or operation, is ERR_DENIED (403, never 401: git-lfs loops on 401
 * here).  Without a token the caller's rights decide. */
static int check_token(struct req *r, const char *op, struct token *out, bool *has,
		       struct err *err)
{
	const char *auth = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	struct err why = ERR_INIT;

	*has = false;
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	if (token_verify(out, auth + 7, &r->srv->key, time(NULL), &why) < 0)
		return err_set(err, ERR_DENIED, "%s", why.msg);
	if (strcmp(out->kind, "transfer") != 0 || strcmp(out->repo, r->route.repo) != 0 ||
	    strcmp(out->oid, r->route.oid) != 0 || strcmp(out->op, op) != 0)
		return err_set(err, ERR_DENIED, "token is not valid for this object or operation");
	*has = true;
	return 0;
}

static void count_transfer(struct req *r)
{
	long now = __atomic_add_fetch(&r->srv->transfers, 1, __ATOMIC_SEQ_CST);

	r->counted_transfer = true;
	metrics_transfer(strcmp(r->method, "PUT") == 0, 1);
	log_debug("%s transfer start, %ld in flight", r->id, now);
	if (now > 1)
		log_info("%s %s %s: %ld transfers in flight", r->id, r->method, r->route.oid, now);
}

/* The done hook: an upload not committed by now never will be; a
 * committed one's leftovers go now that the answer is out; the transfer
 * no longer counts. */
static void object_done(struct req *r, bool completed)
{
	(void)completed;
	if (r->put) {
		store_put_abort(r->put);
		r->put = NULL;
	}
	store_later_release(r->later);
	r->later = NULL;
	if (!r->counted_transfer)
		return;
	__atomic_sub_fetch(&r->srv->transfers, 1, __ATOMIC_SEQ_CST);
	r->counted_transfer = false;
	metrics_transfer(strcmp(r->method, "PUT") == 0, -1);
}

static enum MHD_Result get_object(struct req *r)
{
	struct server *srv = r->srv;
	struct token tok;
	struct err err = ERR_INIT;
	const char *oids[1] = { r->route.oid };
	long long stored = -1;
	bool has;
	enum MHD_Result rc;

	if (check_token(r, "download", &tok, &has, &err) < 0)
		return http_reply_err(r, &err);
	if (!has && !access_require_or_reply(r, RIGHT_READ, &rc))
		return rc;
	if (meta_repo_sizes(srv->meta, r->route.repo, oids, 1, &stored, NULL, &err) < 0)
		return http_reply_err(r, &err);
	if (stored < 0)
		return http_reply_error(r, 404, "object not found");
	return transfer_send_object(r, r->route.oid);
}

/* 302 to url (which this frees): a backend without local files serves
 * the bytes itself, Range and all. */
static enum MHD_Result transfer_redirect(struct req *r, char *url)
{
	const char *const extra[] = { MHD_HTTP_HEADER_LOCATION, url, NULL };
	enum MHD_Result rc = http_reply_empty(r, 302, extra);

	free(url);
	return rc;
}

enum MHD_Result transfer_send_object(struct req *r, const char *oid)
{
	struct err err = ERR_INIT;
	long long size, start = 0, len;
	char cr[96];
	const char *extra[] = { MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes", NULL, NULL, NULL };
	struct store_object obj;
	int fd, status = 200;

	if (store_get(r->srv->store, oid, &obj, &err) < 0) {
		if (err.code == ERR_BUSY) /* out of descriptors: load, not damage */
			return http_reply_err(r, &err);
		/* Recorded but missing is store damage, not a client error. */
		log_error("%s object %s is recorded but unreadable: %s", r->id, oid, err.msg);
		return http_reply_error(r, 500, "object unreadable");
	}
	if (obj.url) /* the object lives elsewhere: the client fetches it there */
		return transfer_redirect(r, obj.url);
	fd = obj.fd;
	size = obj.size;
	len = size;
	switch (range_parse(http_header(r, MHD_HTTP_HEADER_RANGE), size, &start, &len)) {
	case RANGE_FULL:
		start = 0;
		len = size;
		break;
	case RANGE_PARTIAL:
		status = 206;
		snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld", start, start + len - 1, size);
		break;
	case RANGE_UNSATISFIABLE:
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%lld", size);
		extra[0] = MHD_HTTP_HEADER_CONTENT_RANGE;
		extra[1] = cr;
		return http_reply_empty(r, 416, extra);
	}
	if (status == 206) {
		extra[2] = MHD_HTTP_HEADER_CONTENT_RANGE;
		extra[3] = cr;
	}
	count_transfer(r);
	/* The reply owns fd from here and closes it. */
	return http_reply_fd(r, status, fd, start, len, extra);
}

static enum MHD_Result put_begin(struct req *r)
{
	struct server *srv = r->srv;
	struct token tok;
	struct err err = ERR_INIT;
	const char *oids[1] = { r->route.oid };
	long long stored = -1, clen = http_content_length(r);
	bool has;
	enum MHD_Result rc;

	if (check_token(r, "upload", &tok, &has, &err) < 0)
		return http_reply_err(r, &err);
	if (!has && !access_require_or_reply(r, RIGHT_WRITE, &rc))
		return rc;
	/* A Content-Length past what a long long holds (2^63) is no size
	 * anyone can store, nor one to treat as "unknown". */
	if (clen < 0 && http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH))
		return http_reply_error(r, 413, "Content-Length %s is over any size this server stores",
					http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH));
	if (has) {
		r->expected = tok.size;
		snprintf(r->user, sizeof(r->user), "%s", tok.user);
	} else {
		r->expected = clen;
	}
	if (srv->cfg->max_object_size > 0 && r->expected > srv->cfg->max_object_size)
		return http_reply_error(r, 413, "object of %lld bytes is over the limit of %lld",
					r->expected, srv->cfg->max_object_size);
	/* The library cuts a longer body at Content-Length without a word:
	 * compare before reading anything. */
	if (clen >= 0 && r->expected >= 0 && clen != r->expected)
		return http_reply_error(r, 422, "Content-Length %lld differs from the object size %lld",
					clen, r->expected);
	if (meta_repo_sizes(srv->meta, r->route.repo, oids, 1, &stored, NULL, &err) < 0)
		return http_reply_err(r, &err);
	if (stored >= 0) {
		if (r->expected >= 0 && stored != r->expected)
			return http_reply_error(r, 422, "size differs from the stored object (%lld)", stored);
		return http_reply_empty(r, 200, NULL);
	}
	if (store_put_begin(&r->put, srv->store, r->route.oid, r->expected, &err) < 0)
		return http_reply_err(r, &err);
	/* Uploads may take long; the idle timeout still drops a stalled one. */
	http_upload_started(r);
	count_transfer(r);
	return MHD_YES;
}

static void put_data(struct req *r, const char *data, size_t len)
{
	struct err err = ERR_INIT;
	long long max = r->srv->cfg->max_object_size;

	/* Whatever the framing (chunked, no token, a Content-Length the
	 * library trusts), the limit holds for the bytes that arrive. */
	r->received += (long long)len;
	if (max > 0 && r->received > max) {
		http_fail(r, 413, "upload is over the limit of %lld bytes", max);
		store_put_abort(r->put);
		r->put = NULL;
		return;
	}
	if (store_put_write(r->put, data, len, &err) < 0) {
		http_fail(r, err_http_status(err.code), "%s", err.msg);
		store_put_abort(r->put);
		r->put = NULL;
	}
}

static enum MHD_Result put_end(struct req *r)
{
	struct server *srv = r->srv;
	struct store_put *p = r->put;
	struct err err = ERR_INIT;
	long long size = 0;

	r->put = NULL;
	if (!p)
		return http_reply_error(r, 500, "upload state lost");
	/* What the commit leaves (the temp file) is let go of in object_done,
	 * after the answer: store.h, store_put_commit_later. */
	if (store_put_commit_later(p, &size, &r->later, &err) < 0)
		return http_reply_err(r, &err);
	/* A publicly readable repo's object is also put where the public
	 * reads (s3.public-url) before the repo lists it. */
	if ((auth_rights(srv->auth, NULL, r->route.repo) & RIGHT_READ) &&
	    store_publish(srv->store, r->route.oid, &err) < 0)
		return http_reply_err(r, &err);
	if (meta_add_object(srv->meta, r->route.repo, r->route.oid, size, r->user,
			    acl_mirrored(auth_acl(srv->auth), r->route.repo), &err) < 0)
		return http_reply_err(r, &err);
	return http_reply_empty(r, 200, NULL);
}

static enum MHD_Result object_begin(struct req *r)
{
	if (strcmp(r->method, "PUT") == 0)
		return put_begin(r);
	return MHD_YES;
}

static void object_data(struct req *r, const char *data, size_t len)
{
	if (r->put)
		put_data(r, data, len);
}

static enum MHD_Result object_end(struct req *r)
{
	if (strcmp(r->method, "PUT") == 0)
		return put_end(r);
	return get_object(r);
}

const struct handler transfer_object_handler = { object_begin, object_data, object_end, object_done };
