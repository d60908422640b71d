/* batch: parse a batch request and decide the answer (see batch.h). */
#include "core/batch.h"

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

int batch_parse(struct batch_req *out, const char *body, size_t len,
		long long max_objects, long long max_object_size, struct reqjson_hold *hold,
		struct err *err)
{
	struct reqjson_shape shape;
	json_t *root, *op, *objects, *algo;
	size_t n;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (max_objects > BATCH_MAX_OBJECTS_CAP)
		max_objects = BATCH_MAX_OBJECTS_CAP;
	batch_shape(&shape, max_objects);
	/* \u0000 is valid JSON; an oid holding one fails the length check. */
	if ((rc = reqjson_parse(&root, body, len, &shape, hold, err)) < 0)
		return rc;
	if (!json_is_object(root)) {
		rc = err_set(err, ERR_INVALID, "request body is not a JSON object");
		goto out;
	}
	op = json_object_get(root, "operation");
	if (json_is_string(op) && strcmp(json_string_value(op), "download") == 0)
		out->op = BATCH_DOWNLOAD;
	else if (json_is_string(op) && strcmp(json_string_value(op), "upload") == 0)
		out->op = BATCH_UPLOAD;
	else {
		rc = err_set(err, ERR_INVALID, "operation must be \"download\" or \"upload\"");
		goto out;
	}
	if ((rc = check_transfers(json_object_get(root, "transfers"), err)) < 0)
		goto out;
	objects = json_object_get(root, "objects");
	if (!json_is_array(objects)) {
		rc = err_set(err, ERR_INVALID, "objects must be an array");
		goto out;
	}
	n = json_array_size(objects);
	if ((long long)n > max_objects) {
		rc = err_set(err, ERR_TOOBIG, "%zu objects in one batch; the limit is %lld", n, max_objects);
		goto out;
	}
	out->items = calloc(n ? n : 1, sizeof(*out->items));
	if (!out->items) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	algo = json_object_get(root, "hash_algo");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(objects, i);
		struct batch_item *it = &out->items[i];
		if (!json_is_object(o)) {
			rc = err_set(err, ERR_INVALID, "objects[%zu] is not an object", i);
			goto out;
		}
		memset(it, 0, sizeof(*it));
		parse_item(it, o, max_object_size);
		if (it->code == 0 && algo && !json_is_null(algo) &&
		    !(json_is_string(algo) && strcmp(json_string_value(algo), "sha256") == 0)) {
			it->code = 409;
			it->message = "unsupported hash algorithm: this server uses sha256";
		}
	}
	out->n = n;
	rc = drop_duplicates(out, err);
out:
	json_decref(root);
	if (rc < 0)
		batch_req_release(out);
	return rc;
}

void batch_req_release(struct batch_req *req)
{
	free(req->items);
	req->items = NULL;
	req->n = 0;
}

long long batch_answer_cost(size_t n, const char *base_url, const char *repo)
{
	/* ~3.9 KB per object measured with a token in every action; an href
	 * is in the tree, the token and the text: room for four copies. */
	return 16384 + (long long)n * (4096 + 4 * (long long)(strlen(base_url) + strlen(repo)));
}

int batch_object_href(char *out, size_t outsz, const char *base_url,
		      const char *repo, const char *oid)
{
	int n = snprintf(out, outsz, "%s/%s/info/lfs/objects/%s", base_url, repo, oid);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static json_t *action(const struct batch_ctx *ctx, const char *oid, long long size,
		      const char *op, struct err *err)
{
	struct token t;
	char href[1024], tok[TOKEN_MAX], auth[TOKEN_MAX + 8];

	memset(&t, 0, sizeof(t));
	snprintf(t.kind, sizeof(t.kind), "transfer");
	snprintf(t.user, sizeof(t.user), "%s", ctx->user);
	snprintf(t.repo, sizeof(t.repo), "%s", ctx->repo);
	snprintf(t.oid, sizeof(t.oid), "%.64s", oid);
	snprintf(t.op, sizeof(t.op), "%s", op);
	t.size = size;
	t.expires = (long long)ctx->now + ctx->ttl;
	if (batch_object_href(href, sizeof(href), ctx->base_url, ctx->repo, oid) < 0) {
		err_set(err, ERR_INVALID, "href too long");
		return NULL;
	}
	if (token_sign(tok, sizeof(tok), &t, ctx->key, err) < 0)
		return NULL;
	snprintf(auth, sizeof(auth), "Bearer %s", tok);
	return json_pack("{s:s, s:{s:s}, s:I}", "href", href, "header", "Authorization", auth,
			 "expires_in", (json_int_t)ctx->ttl);
}

/* {"oid","size"}.  A valid oid is 64 hex digits: the _nocheck
 * constructors skip jansson's UTF-8 scan, which is most of the cost of
 * building a 100-object answer.  An invalid one is echoed checked (it may
 * have been cut inside a UTF-8 sequence), or as "" if it no longer is
 * valid UTF-8. */
static json_t *object_head(const struct batch_item *it)
{
	json_t *o = json_object(), *oid;

	if (!o)
		return NULL;
	if (it->code == 0)
		oid = json_stringn_nocheck(it->oid, OID_HEX_LEN);
	else if (!(oid = json_string(it->oid)))
		oid = json_string("");
	if (json_object_set_new_nocheck(o, "oid", oid) < 0 ||
	    json_object_set_new_nocheck(o, "size", json_integer(it->size)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Adds "authenticated": true and "actions": {op: act} to o.  Takes both
 * references (jansson's set_new steals its value even when it fails). */
static json_t *with_action(json_t *o, const char *op, json_t *act)
{
	json_t *actions = json_object();

	if (!o || !act || !actions) {
		json_decref(o);
		json_decref(act);
		json_decref(actions);
		return NULL;
	}
	if (json_object_set_new_nocheck(actions, op, act) < 0) {
		json_decref(o);
		json_decref(actions);
		return NULL;
	}
	if (json_object_set_new_nocheck(o, "authenticated", json_true()) < 0) {
		json_decref(o);
		json_decref(actions);
		return NULL;
	}
	if (json_object_set_new_nocheck(o, "actions", actions) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* {"href": …, "header": {}}.  The empty header object is not decoration:
 * JGit 4.11 dereferences action.header without a null check, so an action
 * without one fails every download of a public object. */
static json_t *href_action(const char *href, json_t *empty)
{
	json_t *a = json_object();

	/* One empty object shared by every action of the answer (a reference
	 * each): a fresh one per object was a hash table allocated and freed
	 * per object. */
	if (a && (json_object_set_new_nocheck(a, "href", json_stringn_nocheck(href, strlen(href))) < 0 ||
		  json_object_set_nocheck(a, "header", empty) < 0)) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *object_error(const struct batch_item *it, int code, const char *msg)
{
	json_t *o = object_head(it);

	if (o && json_object_set_new_nocheck(o, "error", json_pack("{s:i, s:s}", "code", code, "message", msg)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *answer_one(const struct batch_req *req, const struct batch_item *it,
			  long long stored, long long seq, const struct batch_ctx *ctx, json_t *empty,
			  struct err *err)
{
	const char *op = req->op == BATCH_DOWNLOAD ? "download" : "upload";
	char href[2048];
	json_t *act;

	if (it->code)
		return object_error(it, it->code, it->message);
	if (stored >= 0 && stored != it->size)
		return object_error(it, 422, "size differs from the stored object");
	if (req->op == BATCH_DOWNLOAD && stored < 0)
		return object_error(it, 404, "object not found");
	if (req->op == BATCH_UPLOAD && stored >= 0)
		/* Already there: no actions tells the client it is done. */
		return object_head(it);
	/* A mirror URL needs no credentials and never expires. */
	if (req->op == BATCH_DOWNLOAD && seq >= 0 && ctx->mirror_href &&
	    ctx->mirror_href(ctx->mirror_arg, seq, it->oid, href, sizeof(href)) == 0)
		return with_action(object_head(it), "download", href_action(href, empty));
	if (req->op == BATCH_DOWNLOAD && ctx->store_href) {
		long long expires_in = 0;
		int rc = ctx->store_href(ctx->store_arg, it->oid, ctx->public_read, href, sizeof(href),
					 &expires_in, err);
		if (rc == 0) {
			act = href_action(href, empty);
			if (act && expires_in > 0 &&
			    json_object_set_new_nocheck(act, "expires_in", json_integer(expires_in)) < 0) {
				json_decref(act);
				act = NULL;
			}
			return with_action(object_head(it), "download", act);
		}
		if (rc != ERR_NOTFOUND)
			return NULL;
		if (err)
			err_clear(err);
	}
	if (req->op == BATCH_DOWNLOAD && ctx->public_read) {
		if (batch_object_href(href, sizeof(href), ctx->base_url, ctx->repo, it->oid) < 0) {
			err_set(err, ERR_INVALID, "href too long");
			return NULL;
		}
		return with_action(object_head(it), "download", href_action(href, empty));
	}
	act = action(ctx, it->oid, it->size, op, err);
	if (!act)
		return NULL;
	return with_action(object_head(it), op, act);
}

json_t *batch_response(const struct batch_req *req, const long long *stored,
		       const struct batch_ctx *ctx, struct err *err)
{
	json_t *objects = json_array(), *empty = json_object(), *root;

	if (!objects || !empty) {
		json_decref(objects);
		json_decref(empty);
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < req->n; i++) {
		json_t *o = answer_one(req, &req->items[i], stored[i], ctx->seqs ? ctx->seqs[i] : -1, ctx,
				       empty, err);
		if (!o || json_array_append_new(objects, o) < 0) {
			if (o == NULL && err && err->code == 0)
				err_set(err, ERR_NOMEM, "out of memory");
			json_decref(objects);
			json_decref(empty);
			return NULL;
		}
	}
	json_decref(empty);
	root = json_pack("{s:s, s:s, s:o}", "transfer", "basic", "hash_algo", "sha256", "objects", objects);
	if (!root)
		err_set(err, ERR_NOMEM, "out of memory");
	return root;
}
