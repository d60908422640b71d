/* lfsapi: the client side of the Git LFS batch API (protocol doc 3):
 * building requests, reading answers, and the credential dance on 401
 * (protocol doc 6: anonymous first, then `git credential fill`, approve
 * on success, reject and fill again on a second 401). */
#ifndef LFS_HOOKS_LFSAPI_H
#define LFS_HOOKS_LFSAPI_H

#include <curl/curl.h>
#include <stdbool.h>

#include "cred.h"
#include "err.h"
#include "httpc.h"
#include "lfsrepo.h"
#include "objlist.h"

#define LFSAPI_MEDIA_TYPE "application/vnd.git-lfs+json"
/* Objects per batch request, as git-lfs 3.3 sends. */
#define LFSAPI_BATCH_SIZE 100

struct lfsapi_action {
	char *href;
	struct curl_slist *headers; /* the action's header map, "Name: value" */
	bool has_authorization;     /* one of them is Authorization */
};

struct lfsapi_obj {
	char oid[OID_HEX_LEN + 1];
	long long size;
	bool authenticated;
	struct lfsapi_action *download, *upload, *verify; /* NULL when absent */
	int error_code;                                   /* 0: no per-object error */
	char *error_message;
};

struct lfsapi_batch {
	struct lfsapi_obj *objs;
	size_t n;
};

struct lfsapi {
	struct lfsrepo *repo;
	char *url;     /* the LFS endpoint */
	char *display; /* url without credentials, for messages */
	char *git_url; /* the git remote's URL, may be NULL */
	struct httpc_opts opts;
	CURL *curl;
	struct cred cred; /* in use once have_cred */
	bool have_cred;
};

/* The JSON body of a batch request for objs[0..n); caller frees. */
char *lfsapi_request_json(const char *operation, const struct lfsobj *objs, size_t n, const char *ref)
	__attribute__((warn_unused_result));

/* Parses a batch answer.  ERR_SYNTAX for JSON that is not one, ERR_INVALID
 * for a shape or value the client cannot use (missing objects, a transfer
 * other than basic, a hash_algo other than sha256).  Release with
 * lfsapi_batch_release(). */
int lfsapi_parse_response(struct lfsapi_batch *out, const char *json, size_t len, struct err *err)
	__attribute__((warn_unused_result));
void lfsapi_batch_release(struct lfsapi_batch *b);

/* The answer for oid, or NULL (borrowed from b). */
const struct lfsapi_obj *lfsapi_batch_find(const struct lfsapi_batch *b, const char *oid);

/* Finds the endpoint of remote (see endpoint_resolve) and prepares a
 * client for it, with lfs.* and http.* settings read.  Caller frees with
 * lfsapi_close(). */
int lfsapi_open(struct lfsapi **out, struct lfsrepo *r, const char *remote, bool upload, struct err *err)
	__attribute__((warn_unused_result));
void lfsapi_close(struct lfsapi *api);

/* One batch request for objs[0..n) (n <= LFSAPI_BATCH_SIZE).  ERR_AUTH
 * when credentials are needed and none work, ERR_IO for everything else;
 * err names the server and the status. */
int lfsapi_batch(struct lfsapi *api, const char *operation, const struct lfsobj *objs, size_t n,
		 const char *ref, struct lfsapi_batch *out, struct err *err) __attribute__((warn_unused_result));

/* Whether URLs a and b share scheme, host and port (default ports
 * filled in): the only place the user's credentials may go.  False when
 * either does not parse. */
bool lfsapi_same_origin(const char *a, const char *b);

/* "scheme://host:port" of url (the port always given), for naming the
 * host that sent something; NULL when url does not parse.  Caller
 * frees. */
char *lfsapi_origin(const char *url) __attribute__((warn_unused_result));

/* The Authorization header value a transfer without `authenticated`
 * should carry (the batch's Basic credentials, when a's href has the
 * endpoint's scheme, host and port), or NULL.  Ask once per action: an
 * upload and its verify may point at different hosts.  Caller frees. */
char *lfsapi_transfer_auth(struct lfsapi *api, const struct lfsapi_obj *o, const struct lfsapi_action *a)
	__attribute__((warn_unused_result));

#endif
