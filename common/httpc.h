/* httpc: the client side of HTTP, on libcurl.  One place sets what every
 * request of ours needs (user agent, timeouts, redirects, TLS checks) and
 * collects what callers branch on (status, a few response headers, a
 * capped in-memory body for JSON calls). */
#ifndef LFS_HTTPC_H
#define LFS_HTTPC_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

struct httpc_opts {
	const char *user_agent;
	long connect_timeout; /* seconds, 0 = libcurl's default */
	long stall_timeout;   /* seconds without a byte before giving up, 0 = never */
	bool insecure;        /* skip TLS certificate checks (http.sslVerify=false) */
	const char *cainfo;   /* CA bundle file, or NULL */
	const char *capath;   /* directory of hashed CA certificates, or NULL */
	long total_timeout;   /* seconds for the whole transfer, 0 = no deadline */
	long low_speed_limit; /* bytes/s under which stall_timeout counts, 0 = 1 */
};

/* The response headers callers branch on, from the last response of a
 * redirect chain.  Strings are owned, NULL when absent. */
struct httpc_headers {
	char *content_type;
	char *lfs_authenticate;
	char *www_authenticate;
	char *retry_after;
	char *content_range;
};

struct httpc_response {
	long status;     /* 0 when no response arrived */
	struct buf body; /* capped by the max given to httpc_request() */
	struct httpc_headers headers;
	char error[CURL_ERROR_SIZE]; /* libcurl's text when status is 0 */
};

/* curl_global_init, once per process, before any thread exists. */
int httpc_global_init(struct err *err) __attribute__((warn_unused_result));
void httpc_global_cleanup(void);

/* Fills *cainfo and *capath from the environment as curl's own tool does,
 * when both are NULL (nothing given on the command line): CURL_CA_BUNDLE,
 * else SSL_CERT_FILE and SSL_CERT_DIR.  Empty values count as unset.  The
 * strings are the environment's own. */
void httpc_ca_from_env(const char **cainfo, const char **capath);

/* A new easy handle set up from o; caller frees with curl_easy_cleanup().
 * Redirects are followed (at most 3 hops, http and https only, method and
 * body kept), and credentials in headers never follow a redirect to
 * another host. */
CURL *httpc_easy(const struct httpc_opts *o);

/* Has c collect response headers into h (which must outlive the transfer;
 * release with httpc_headers_release()). */
void httpc_collect_headers(CURL *c, struct httpc_headers *h);
void httpc_headers_release(struct httpc_headers *h);

/* Appends "name: value" to list; returns the new list, or NULL after
 * freeing list when memory runs out. */
struct curl_slist *httpc_header(struct curl_slist *list, const char *name, const char *value);

/* Runs one request whose response body fits in memory (at most max_body
 * bytes).  body may be NULL for a request without one.  Returns 0 once
 * any HTTP response arrived (resp->status says which), or ERR_IO when
 * none did (resp->error says why), ERR_TOOBIG for a body over the cap.
 * Release resp with httpc_response_release(). */
int httpc_request(CURL *c, const char *method, const char *url, struct curl_slist *headers, const void *body,
		  size_t body_len, size_t max_body, struct httpc_response *resp, struct err *err) __attribute__((warn_unused_result));
void httpc_response_release(struct httpc_response *resp);

/* Base64 of "user:password" for an Authorization: Basic header; caller
 * frees. */
char *httpc_basic_auth(const char *user, const char *password);

/* url without any "user:password@" part, for messages; caller frees. */
char *httpc_redact(const char *url);

#endif
