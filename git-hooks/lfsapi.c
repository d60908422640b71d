/* lfsapi: batch requests and answers (see lfsapi.h). */
#include "lfsapi.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "endpoint.h"
#include "version.h"

/* Batch answers for 100 objects are a few tens of KiB. */
#define MAX_BATCH_BODY (16u << 20)

char *lfsapi_request_json(const char *operation, const struct lfsobj *objs, size_t n, const char *ref)
{
	json_t *root = json_object(), *arr = json_array(), *r = json_object();
	char *s = NULL;

	if (!root || !arr || !r)
		goto out;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:I}", "oid", objs[i].oid, "size", (json_int_t)objs[i].size);
		if (!o || json_array_append_new(arr, o) < 0)
			goto out;
	}
	if (ref && *ref && json_object_set_new(r, "name", json_string(ref)) < 0)
		goto out;
	if (json_object_set_new(root, "operation", json_string(operation)) < 0 ||
	    json_object_set_new(root, "transfers", json_pack("[s]", "basic")) < 0 ||
	    json_object_set(root, "objects", arr) < 0 || json_object_set(root, "ref", r) < 0 ||
	    json_object_set_new(root, "hash_algo", json_string("sha256")) < 0)
		goto out;
	s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(root);
	json_decref(arr);
	json_decref(r);
	return s;
}

static void action_free(struct lfsapi_action *a)
{
	if (!a)
		return;
	free(a->href);
	curl_slist_free_all(a->headers);
	free(a);
}

void lfsapi_batch_release(struct lfsapi_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		action_free(b->objs[i].download);
		action_free(b->objs[i].upload);
		action_free(b->objs[i].verify);
		free(b->objs[i].error_message);
	}
	free(b->objs);
	b->objs = NULL;
	b->n = 0;
}

const struct lfsapi_obj *lfsapi_batch_find(const struct lfsapi_batch *b, const char *oid)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->objs[i].oid, oid) == 0)
			return &b->objs[i];
	return NULL;
}

static int parse_action(struct lfsapi_action **out, json_t *j, const char *oid, const char *name,
			struct err *err)
{
	struct lfsapi_action *a;
	json_t *href = json_object_get(j, "href"), *hdr = json_object_get(j, "header");
	const char *k;
	json_t *v;

	if (!json_is_object(j) || !json_is_string(href))
		return err_set(err, ERR_INVALID, "object %.12s: '%s' action without an href", oid, name);
	if (strncmp(json_string_value(href), "http://", 7) != 0 && strncmp(json_string_value(href), "https://", 8) != 0)
		return err_set(err, ERR_INVALID, "object %.12s: '%s' href is not http(s)", oid, name);
	if (hdr && !json_is_object(hdr))
		return err_set(err, ERR_INVALID, "object %.12s: '%s' header is not an object", oid, name);
	if (!(a = calloc(1, sizeof(*a))) || !(a->href = strdup(json_string_value(href)))) {
		free(a);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	json_object_foreach(hdr, k, v) {
		if (!json_is_string(v) || strpbrk(k, "\r\n:") || strpbrk(json_string_value(v), "\r\n")) {
			action_free(a);
			return err_set(err, ERR_INVALID, "object %.12s: bad '%s' header", oid, name);
		}
		if (strcasecmp(k, "Authorization") == 0)
			a->has_authorization = true;
		if (!(a->headers = httpc_header(a->headers, k, json_string_value(v)))) {
			free(a->href);
			free(a);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
	}
	*out = a;
	return 0;
}

static int parse_object(struct lfsapi_obj *o, json_t *j, struct err *err)
{
	json_t *oid = json_object_get(j, "oid"), *size = json_object_get(j, "size");
	json_t *actions = json_object_get(j, "actions"), *e = json_object_get(j, "error");
	static const char *const names[] = { "download", "upload", "verify" };
	struct lfsapi_action **slots[] = { &o->download, &o->upload, &o->verify };

	if (!json_is_object(j) || !json_is_string(oid) || !oid_valid(json_string_value(oid)))
		return err_set(err, ERR_INVALID, "an object in the answer has no valid oid");
	memcpy(o->oid, json_string_value(oid), OID_HEX_LEN + 1);
	o->size = json_is_integer(size) ? json_integer_value(size) : -1;
	o->authenticated = json_is_true(json_object_get(j, "authenticated"));
	if (!actions)
		actions = json_object_get(j, "_links");
	if (e) {
		json_t *code = json_object_get(e, "code"), *msg = json_object_get(e, "message");
		o->error_code = json_is_integer(code) ? (int)json_integer_value(code) : 500;
		if (o->error_code == 0)
			o->error_code = 500;
		o->error_message = strdup(json_is_string(msg) ? json_string_value(msg) : "error");
		return o->error_message ? 0 : err_set(err, ERR_NOMEM, "out of memory");
	}
	if (actions && !json_is_object(actions))
		return err_set(err, ERR_INVALID, "object %.12s: actions is not an object", o->oid);
	for (int i = 0; i < 3; i++) {
		json_t *a = json_object_get(actions, names[i]);
		if (a && parse_action(slots[i], a, o->oid, names[i], err) < 0)
			return ERR_INVALID;
	}
	return 0;
}

int lfsapi_parse_response(struct lfsapi_batch *out, const char *json, size_t len, struct err *err)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je), *objs, *t, *h;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!root)
		return err_set(err, ERR_SYNTAX, "batch answer is not JSON: %s", je.text);
	objs = json_object_get(root, "objects");
	t = json_object_get(root, "transfer");
	h = json_object_get(root, "hash_algo");
	if (!json_is_array(objs)) {
		rc = err_set(err, ERR_INVALID, "batch answer has no objects array");
		goto out;
	}
	if (json_is_string(t) && *json_string_value(t) && strcmp(json_string_value(t), "basic") != 0) {
		rc = err_set(err, ERR_INVALID, "server chose the '%s' transfer adapter; lfs-hooks speaks basic only",
			     json_string_value(t));
		goto out;
	}
	if (json_is_string(h) && strcmp(json_string_value(h), "sha256") != 0) {
		rc = err_set(err, ERR_INVALID, "unsupported hash algorithm '%s'", json_string_value(h));
		goto out;
	}
	out->objs = calloc(json_array_size(objs) + 1, sizeof(*out->objs));
	if (!out->objs) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(objs, i, t) {
		out->n = i + 1;
		if ((rc = parse_object(&out->objs[i], t, err)) < 0)
			break;
	}
out:
	if (rc < 0)
		lfsapi_batch_release(out);
	json_decref(root);
	return rc;
}

void lfsapi_close(struct lfsapi *api)
{
	if (!api)
		return;
	if (api->curl)
		curl_easy_cleanup(api->curl);
	cred_release(&api->cred);
	free(api->url);
	free(api->display);
	free(api->git_url);
	free((char *)api->opts.cainfo);
	free(api);
}

/* lfs.<url>.access, matched as git-lfs matches URL keys: the longest
 * configured URL that prefixes ours.  NULL when unset, or when memory ran
 * out: the mode is a hint (credentials are asked for on a 401 anyway). */
static char *access_mode(struct lfsapi *api)
{
	char *key = NULL, *v = NULL;

	if (asprintf(&key, "lfs.%s.access", api->url) < 0)
		return NULL;
	if (lfsrepo_config_get(&v, api->repo, key, NULL) < 0)
		v = NULL;
	free(key);
	return v;
}

int lfsapi_open(struct lfsapi **out, struct lfsrepo *r, const char *remote, bool upload, struct err *err)
{
	struct lfsapi *api = calloc(1, sizeof(*api));
	char *v, *cainfo;
	int rc;

	if (!api)
		return err_set(err, ERR_NOMEM, "out of memory");
	api->repo = r;
	if ((rc = endpoint_resolve(&api->url, &api->git_url, r, remote, upload, err)) < 0) {
		lfsapi_close(api);
		return rc;
	}
	if (!(api->display = httpc_redact(api->url))) {
		lfsapi_close(api);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	api->opts.user_agent = "lfs-hooks/" LFS_VERSION;
	api->opts.connect_timeout = 30;
	api->opts.stall_timeout = lfsrepo_config_int(r, "lfs.activitytimeout", 30);
	v = getenv("GIT_SSL_NO_VERIFY");
	api->opts.insecure = (v && *v) || !lfsrepo_config_bool(r, "http.sslverify", true);
	if (lfsrepo_config_get(&cainfo, r, "http.sslcainfo", err) < 0) {
		lfsapi_close(api);
		return ERR_NOMEM;
	}
	api->opts.cainfo = cainfo;
	if (!(api->curl = httpc_easy(&api->opts))) {
		lfsapi_close(api);
		return err_set(err, ERR_NOMEM, "cannot create a libcurl handle");
	}
	*out = api;
	return 0;
}

/* The URL credentials are asked for: the git remote's when it shares the
 * endpoint's scheme and host (so git's stored credentials serve), else
 * the endpoint's (protocol doc 6.2). */
static const char *cred_url(struct lfsapi *api)
{
	struct cred a = { 0 }, b = { 0 };
	const char *u = api->url;

	if (api->git_url && cred_from_url(&a, api->url, false, NULL) == 0 &&
	    cred_from_url(&b, api->git_url, false, NULL) == 0 && strcmp(a.protocol, b.protocol) == 0 &&
	    strcasecmp(a.host, b.host) == 0)
		u = api->git_url;
	cred_release(&a);
	cred_release(&b);
	return u;
}

static int get_cred(struct lfsapi *api, struct err *err)
{
	git_config *cfg = NULL;
	int use_path = 0, rc;

	if (lfsrepo_config(&cfg, api->repo, NULL) == 0) {
		git_config_get_bool(&use_path, cfg, "credential.usehttppath");
		git_config_free(cfg);
	}
	git_error_clear();
	cred_release(&api->cred);
	if ((rc = cred_from_url(&api->cred, cred_url(api), use_path != 0, err)) < 0)
		return rc;
	if ((rc = cred_fill(&api->cred, err)) < 0)
		return rc;
	api->have_cred = true;
	return 0;
}

/* Remembers, as git-lfs does, that this endpoint wants Basic auth, so the
 * next run sends credentials at once. */
static void remember_basic(struct lfsapi *api)
{
	git_config *cfg = NULL, *local = NULL;
	char *key = NULL, *cur = access_mode(api);

	if (cur && strcasecmp(cur, "basic") == 0) {
		free(cur);
		return;
	}
	free(cur);
	if (asprintf(&key, "lfs.%s.access", api->url) < 0)
		return;
	if (git_repository_config(&cfg, api->repo->git) == 0 &&
	    git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) == 0)
		git_config_set_string(local, key, "basic");
	git_error_clear();
	git_config_free(local);
	git_config_free(cfg);
	free(key);
}

static const char *json_message(const struct httpc_response *resp)
{
	static char msg[200];
	json_t *root = resp->body.len ? json_loadb(resp->body.data, resp->body.len, 0, NULL) : NULL;
	json_t *m = json_object_get(root, "message");

	msg[0] = '\0';
	if (json_is_string(m))
		snprintf(msg, sizeof(msg), ": %s", json_string_value(m));
	json_decref(root);
	return msg;
}

/* Whether the last answer came from another origin than the endpoint
 * (a redirect took the request there). */
static bool redirected_away(struct lfsapi *api)
{
	char *eff = NULL;

	return curl_easy_getinfo(api->curl, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff &&
	       !lfsapi_same_origin(api->url, eff);
}

int lfsapi_batch(struct lfsapi *api, const char *operation, const struct lfsobj *objs, size_t n,
		 const char *ref, struct lfsapi_batch *out, struct err *err)
{
	char *body = lfsapi_request_json(operation, objs, n, ref), *url = NULL, *mode = access_mode(api);
	struct httpc_response resp;
	int rc = 0, auth_tries = 0, waits = 0;

	memset(out, 0, sizeof(*out));
	memset(&resp, 0, sizeof(resp));
	if (!body || asprintf(&url, "%s/objects/batch", api->url) < 0) {
		url = NULL;
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (mode && (strcasecmp(mode, "basic") == 0 || strcasecmp(mode, "private") == 0) && !api->have_cred &&
	    get_cred(api, err) < 0) {
		rc = ERR_AUTH;
		goto out;
	}
	for (;;) {
		struct curl_slist *h = httpc_header(NULL, "Accept", LFSAPI_MEDIA_TYPE);
		char *basic = NULL;

		h = h ? httpc_header(h, "Content-Type", LFSAPI_MEDIA_TYPE "; charset=utf-8") : NULL;
		if (h && api->have_cred && (basic = httpc_basic_auth(api->cred.username, api->cred.password))) {
			char *line = NULL;
			if (asprintf(&line, "Basic %s", basic) >= 0)
				h = httpc_header(h, "Authorization", line);
			if (line) {
				explicit_bzero(line, strlen(line));
				free(line);
			}
			explicit_bzero(basic, strlen(basic));
			free(basic);
		}
		if (!h) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		httpc_response_release(&resp);
		rc = httpc_request(api->curl, "POST", url, h, body, strlen(body), MAX_BATCH_BODY, &resp, err);
		curl_slist_free_all(h);
		if (rc < 0) {
			if (rc == ERR_IO)
				err_set(err, ERR_IO, "cannot reach the Git LFS server at %s: %s", api->display, resp.error);
			goto out;
		}
		if (resp.status == 401 && redirected_away(api)) {
			/* Credentials never follow a redirect to another origin, so
			 * its 401 says nothing about them: neither reject them nor
			 * ask for more. */
			rc = err_set(err, ERR_AUTH, "batch request to %s was redirected to another host, which asks for "
						    "credentials (HTTP 401); they are only sent to %s", api->display,
				     api->display);
			goto out;
		}
		if (resp.status == 401 && auth_tries < 2) {
			if (api->have_cred)
				cred_reject(&api->cred);
			auth_tries++;
			if (get_cred(api, err) < 0) {
				rc = err_set(err, ERR_AUTH, "%s asks for credentials (HTTP 401) and none were given",
					     api->display);
				goto out;
			}
			continue;
		}
		if (resp.status == 429 && waits < 3 && resp.headers.retry_after) {
			long s = strtol(resp.headers.retry_after, NULL, 10);
			if (s >= 0 && s <= 60) {
				waits++;
				sleep((unsigned)s);
				continue;
			}
		}
		break;
	}
	if (resp.status == 401) {
		if (api->have_cred)
			cred_reject(&api->cred);
		rc = err_set(err, ERR_AUTH, "batch request to %s refused: HTTP 401%s", api->display, json_message(&resp));
		goto out;
	}
	if (resp.status != 200) {
		rc = err_set(err, ERR_IO, "batch request to %s failed: HTTP %ld%s", api->display, resp.status,
			     json_message(&resp));
		goto out;
	}
	if (api->have_cred) {
		cred_approve(&api->cred);
		remember_basic(api);
	}
	if ((rc = lfsapi_parse_response(out, resp.body.data, resp.body.len, err)) < 0) {
		struct err inner = *err;
		rc = err_set(err, ERR_IO, "bad batch answer from %s: %s", api->display, inner.msg);
	}
out:
	httpc_response_release(&resp);
	free(mode);
	free(body);
	free(url);
	return rc;
}

/* Scheme, host and port of url, by libcurl's own parser (default ports
 * filled in, so http://h and http://h:80 are one origin).  Caller frees
 * the three strings; -1 when url does not parse. */
static int origin_of(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u = curl_url();
	int rc = -1;

	*scheme = *host = *port = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		rc = 0;
	curl_url_cleanup(u);
	return rc;
}

char *lfsapi_origin(const char *url)
{
	char *scheme, *host, *port, *out = NULL;

	/* libcurl hands IPv6 hosts back in brackets. */
	if (origin_of(url, &scheme, &host, &port) == 0 && asprintf(&out, "%s://%s:%s", scheme, host, port) < 0)
		out = NULL;
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return out;
}

bool lfsapi_same_origin(const char *a, const char *b)
{
	char *sa, *ha, *pa, *sb = NULL, *hb = NULL, *pb = NULL;
	bool same = origin_of(a, &sa, &ha, &pa) == 0 && origin_of(b, &sb, &hb, &pb) == 0 &&
		    strcasecmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0;

	curl_free(sa);
	curl_free(ha);
	curl_free(pa);
	curl_free(sb);
	curl_free(hb);
	curl_free(pb);
	return same;
}

char *lfsapi_transfer_auth(struct lfsapi *api, const struct lfsapi_obj *o, const struct lfsapi_action *a)
{
	char *basic, *line = NULL;

	if (o->authenticated || a->has_authorization || !api->have_cred || !lfsapi_same_origin(api->url, a->href))
		return NULL;
	if (!(basic = httpc_basic_auth(api->cred.username, api->cred.password)))
		return NULL;
	if (asprintf(&line, "Basic %s", basic) < 0)
		line = NULL;
	explicit_bzero(basic, strlen(basic));
	free(basic);
	return line;
}
