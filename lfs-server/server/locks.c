/* locks: the Git LFS file locking API (docs/api.md, protocol doc 5):
 * create, list, verify (ours/theirs) and unlock, stored by meta/sqlite.c.
 *
 * The owner is the authenticated user, or locks.anonymous-owner while
 * authentication is off.  Creating, verifying and unlocking need write;
 * listing needs read; unlocking someone else's lock needs force and the
 * admin right.  Force on one's own lock needs no more than write: git-lfs
 * asks for force whenever the locked file has local changes. */
#include "server/endpoint.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/access.h"
#include "server/http.h"
#include "server/server.h"

#define PAGE_MAX 100

/* {"path"|"force"|"cursor"|"limit", "ref": {"name"}}: two levels, one
 * spare; a handful of members. */
static const struct reqjson_shape lock_shape = { 3, 8, 32 };

static json_t *lock_json(const struct lock *l)
{
	return json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", l->id, "path", l->path,
			 "locked_at", l->locked_at, "owner", "name", l->owner);
}

static const char *owner_of(struct req *r)
{
	return auth_enabled(r->srv->auth) ? r->user : r->srv->cfg->anonymous_owner;
}

/* Paths as git-lfs sends them: relative to the repo root, '/'-separated. */
static bool path_ok(const char *p, size_t len)
{
	const char *seg = p;

	if (len == 0 || len > LOCK_PATH_MAX || strlen(p) != len || p[0] == '/')
		return false;
	for (const char *q = p; ; q++) {
		if (*q == '/' || *q == '\0') {
			if ((q - seg == 2 && seg[0] == '.' && seg[1] == '.') || q == seg)
				return false;
			if (*q == '\0')
				return true;
			seg = q + 1;
		}
	}
}

/* Parses limit (1..100, default 100) and cursor (a lock id) query values. */
static bool page_args(const char *limit_s, const char *cursor, int *limit)
{
	long long v;

	*limit = PAGE_MAX;
	if (limit_s && *limit_s) {
		/* Any run of digits is a limit; past LLONG_MAX it is clamped
		 * like any other large one. */
		if (strspn(limit_s, "0123456789") != strlen(limit_s))
			return false;
		if (util_parse_ll(limit_s, 0, LLONG_MAX, &v) < 0)
			v = PAGE_MAX;
		if (v > 0 && v < PAGE_MAX)
			*limit = (int)v;
	}
	if (cursor && (strlen(cursor) > 32 || strspn(cursor, "0123456789abcdef") != strlen(cursor)))
		return false;
	return true;
}

static enum MHD_Result list_locks(struct req *r)
{
	const char *path = http_query_arg(r, "path");
	const char *id = http_query_arg(r, "id");
	const char *cursor = http_query_arg(r, "cursor");
	const char *limit_s = http_query_arg(r, "limit");
	struct lock *page;
	struct err err = ERR_INIT;
	json_t *arr, *body;
	int limit, n = 0, more = 0;
	enum MHD_Result rc;

	if (!page_args(limit_s, cursor, &limit))
		return http_reply_error(r, 422, "invalid limit or cursor");
	page = calloc((size_t)limit, sizeof(*page));
	if (!page)
		return http_reply_error(r, 500, "out of memory");
	if (meta_lock_list(r->srv->meta, r->route.repo, path && *path ? path : NULL,
			   id && *id ? id : NULL, cursor, limit, page, &n, &more, &err) < 0) {
		free(page);
		return http_reply_err(r, &err);
	}
	arr = json_array();
	for (int i = 0; arr && i < n; i++)
		json_array_append_new(arr, lock_json(&page[i]));
	body = json_pack("{s:o}", "locks", arr);
	if (body && more)
		json_object_set_new(body, "next_cursor", json_string(page[n - 1].id));
	free(page);
	rc = body ? http_reply_json(r, 200, body) : MHD_NO;
	return rc;
}

static enum MHD_Result create_lock(struct req *r, json_t *root)
{
	json_t *path = json_object_get(root, "path");
	struct lock l;
	struct err err = ERR_INIT;
	int rc;

	if (!json_is_string(path) || !path_ok(json_string_value(path), json_string_length(path)))
		return http_reply_error(r, 422, "path must be a relative path inside the repository, "
					"without '..', at most %d bytes", LOCK_PATH_MAX);
	rc = meta_lock_create(r->srv->meta, r->route.repo, json_string_value(path), owner_of(r), &l, &err);
	if (rc == ERR_CONFLICT)
		return http_reply_json(r, 409, json_pack("{s:o, s:s, s:s}", "lock", lock_json(&l),
							 "message", "already created lock", "request_id", r->id));
	if (rc < 0)
		return http_reply_err(r, &err);
	return http_reply_json(r, 201, json_pack("{s:o}", "lock", lock_json(&l)));
}

static enum MHD_Result verify_locks(struct req *r, json_t *root)
{
	json_t *jl = json_object_get(root, "limit"), *jc = json_object_get(root, "cursor");
	const char *cursor = json_is_string(jc) ? json_string_value(jc) : NULL;
	char limit_s[32] = "";
	struct lock *page;
	struct err err = ERR_INIT;
	json_t *ours = json_array(), *theirs = json_array(), *body;
	int limit, n = 0, more = 0;

	if (json_is_integer(jl))
		snprintf(limit_s, sizeof(limit_s), "%lld", (long long)json_integer_value(jl));
	if ((jl && !json_is_integer(jl) && !json_is_null(jl)) || !page_args(limit_s, cursor, &limit)) {
		json_decref(ours);
		json_decref(theirs);
		return http_reply_error(r, 422, "invalid limit or cursor");
	}
	page = calloc((size_t)limit, sizeof(*page));
	if (!page || meta_lock_list(r->srv->meta, r->route.repo, NULL, NULL, cursor, limit, page, &n,
				    &more, &err) < 0) {
		free(page);
		json_decref(ours);
		json_decref(theirs);
		return page ? http_reply_err(r, &err) : http_reply_error(r, 500, "out of memory");
	}
	for (int i = 0; i < n; i++)
		json_array_append_new(strcmp(page[i].owner, owner_of(r)) == 0 ? ours : theirs,
				      lock_json(&page[i]));
	body = json_pack("{s:o, s:o}", "ours", ours, "theirs", theirs);
	if (body && more)
		json_object_set_new(body, "next_cursor", json_string(page[n - 1].id));
	free(page);
	return body ? http_reply_json(r, 200, body) : MHD_NO;
}

static enum MHD_Result unlock(struct req *r, json_t *root)
{
	json_t *force = json_object_get(root, "force");
	struct lock l;
	struct err err = ERR_INIT;
	enum MHD_Result rc;
	int drc;

	if (force && !json_is_boolean(force))
		return http_reply_error(r, 422, "force must be true or false");
	/* Anyone's own lock first; only someone else's needs admin for force. */
	drc = meta_lock_delete(r->srv->meta, r->route.repo, r->route.lock_id, owner_of(r), &l, &err);
	if (drc == ERR_DENIED && json_is_true(force)) {
		if (!access_require_or_reply(r, RIGHT_ADMIN, &rc))
			return rc;
		err_clear(&err);
		drc = meta_lock_delete(r->srv->meta, r->route.repo, r->route.lock_id, NULL, &l, &err);
	}
	if (drc < 0)
		return http_reply_err(r, &err);
	return http_reply_json(r, 200, json_pack("{s:o}", "lock", lock_json(&l)));
}

static enum MHD_Result locks_begin(struct req *r)
{
	enum MHD_Result rc;

	if (strcmp(r->method, "GET") == 0)
		return access_require_or_reply(r, RIGHT_READ, &rc) ? MHD_YES : rc;
	return handler_json_begin(r);
}

static enum MHD_Result locks_end(struct req *r)
{
	json_t *root;
	enum MHD_Result rc;

	if (strcmp(r->method, "GET") == 0)
		return list_locks(r);
	if (!access_require_or_reply(r, RIGHT_WRITE, &rc))
		return rc;
	/* A lock needs an owner: with auth on, that is a named user. */
	if (auth_enabled(r->srv->auth) && !r->authenticated)
		return access_need_credentials(r, "credentials needed to lock");
	/* An empty body is {}.  \u0000 is valid JSON: the path check
	 * refuses it (422). */
	if (r->body.len == 0 && !r->json_busy)
		root = json_object();
	else if (!handler_json_parse(r, &lock_shape, &root, &rc))
		return rc;
	if (!root)
		return http_reply_error(r, 500, "out of memory");
	if (!json_is_object(root)) {
		json_decref(root);
		return http_reply_error(r, 422, "request body is not a JSON object");
	}
	if (r->route.kind == ROUTE_LOCKS)
		rc = create_lock(r, root);
	else if (r->route.kind == ROUTE_LOCKS_VERIFY)
		rc = verify_locks(r, root);
	else
		rc = unlock(r, root);
	json_decref(root);
	return rc;
}

const struct handler locks_handler = { locks_begin, handler_json_data, locks_end, NULL };
