/* http: the bottom layer of a request: its context (struct req) and the
 * replies.  Knows no endpoint: http.c dispatches through the endpoint
 * table (server/endpoint.h).  Two implementations: server/http.c for the
 * daemon (libmicrohttpd) and cgi/http_cgi.c for lfs-cgi (environment,
 * stdin, stdout); endpoints use only what is declared here, so the same
 * endpoint code serves both.  <microhttpd.h> is included for enum
 * MHD_Result and the header name macros only: lfs-cgi never links the
 * library. */
#ifndef LFS_HTTP_H
#define LFS_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "core/reqjson.h"
#include "core/route.h"
#include "core/token.h"
#include "err.h"

/* The Git LFS API's media type: every JSON answer's Content-Type. */
#define LFS_MEDIA_TYPE "application/vnd.git-lfs+json"

struct conn_slot;
struct handler;
struct server;
struct store_put;

/* One HTTP request.  Created when the request line arrives, freed when the
 * library reports the request complete; owns everything it points to. */
struct req {
	struct server *srv;
	struct MHD_Connection *c;
	struct conn_slot *slot;
	char id[17];             /* request id, in logs and error bodies */
	char method[12];
	char version[12];        /* HTTP/1.1, for the access log */
	char path[256];          /* for the log; never holds the query string */
	int64_t start_us;
	int status;              /* what we answered, for the log */
	long long bytes_out;
	bool begun, responded, counted_transfer;
	bool nul_in_path;        /* the raw path held %00 */
	struct route route;
	const struct handler *handler; /* the endpoint's, once routed */
	struct buf body;         /* JSON bodies, capped at server.max-json-bytes */
	struct reqjson_hold json; /* what body and tree hold of json_budget */
	long long json_body_held; /* the body's part of json.held */
	bool json_busy;          /* the budget ran out while the body arrived */
	long long received;      /* upload bytes so far */
	struct store_put *put;   /* an upload in progress */
	struct store_later *later; /* a committed upload's leftovers, let go of when done */
	long long expected;      /* upload size from the token, or -1 */
	int fail_status;         /* an error found while reading the body */
	char fail_msg[256];
	char user[TOKEN_USER_MAX + 1]; /* "" = anonymous */
	char peer[64];           /* client address */
	bool authenticated;      /* user came from credentials or a token */
	char api_op[16];         /* an api token's operation: caps the rights */
};

/* Responses.  Each queues exactly one response for r and returns what the
 * access handler must return. */
enum MHD_Result http_reply_json(struct req *r, int status, json_t *body);
enum MHD_Result http_reply_error(struct req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The one error reply each implementation (http.c, cgi/http_cgi.c)
 * writes: a JSON {"message"} body with the LFS media type, and extra
 * headers (NULL, or name, value, ..., NULL).  The variadic forms around
 * it are shared (http_common.c). */
enum MHD_Result http_vreply_error(struct req *r, int status, const char *const *extra,
				  const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
/* Uses err's code for the status and its message for the body. */
enum MHD_Result http_reply_err(struct req *r, const struct err *err);

/* A request header, or NULL (borrowed from the library, valid during the request). */
const char *http_header(struct req *r, const char *name);
/* The base URL for hrefs: server.public-url, else scheme + Host header. */
void http_base_url(struct req *r, char *out, size_t outsz);
/* A Host header value fit to build hrefs from (no spaces, slashes, ...). */
bool http_host_ok(const char *host);
/* True when Content-Type's media type is one of the JSON types we accept. */
bool http_is_json(struct req *r);
/* Content-Length, or -1 when absent or not a number. */
long long http_content_length(struct req *r);

/* An error response with one extra header (Allow, Retry-After, ...). */
enum MHD_Result http_reply_error_hdr(struct req *r, int status, const char *name,
				     const char *value, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* 200 with body's bytes (the response takes them: body is empty after)
 * as content_type, and extra headers: name, value, ..., NULL. */
enum MHD_Result http_reply_buf(struct req *r, struct buf *body, const char *content_type,
			       const char *const *extra);
/* The same with several: extra is name, value, ..., NULL. */
enum MHD_Result http_reply_error_hdrs(struct req *r, int status, const char *const *extra,
				      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* status with no body; extra: NULL, or name, value, ..., NULL. */
enum MHD_Result http_reply_empty(struct req *r, int status, const char *const *extra);
/* status with len bytes of fd from offset as application/octet-stream
 * (sendfile where it can); the reply owns fd from the call on, and
 * closes it on failure too.  extra as for http_reply_empty. */
enum MHD_Result http_reply_fd(struct req *r, int status, int fd, long long offset, long long len,
			      const char *const *extra);

/* A query-string argument (decoded), or NULL; valid during the request. */
const char *http_query_arg(struct req *r, const char *name);
/* Calls fn for every request header, in the order they came. */
void http_each_header(struct req *r, void (*fn)(const char *name, const char *value, void *arg),
		      void *arg);
/* An upload was accepted: from now on only the idle timeout bounds it,
 * not the whole-request deadline (a no-op where there is none). */
void http_upload_started(struct req *r);

/* Records a failure found mid-body; end() reports it. */
/* Answers the failure http_fail recorded (a 503 with Retry-After, as
 * http_reply_err does). */
enum MHD_Result http_reply_failure(struct req *r);
void http_fail(struct req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
