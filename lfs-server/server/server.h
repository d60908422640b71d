/* server: the running server's shared state, and the HTTP request context
 * every handler works on. */
#ifndef LFS_SERVER_H
#define LFS_SERVER_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "core/auth.h"
#include "core/config.h"
#include "core/mirrors.h"
#include "core/reqjson.h"
#include "core/route.h"
#include "core/token.h"
#include "meta/meta.h"
#include "server/conns.h"
#include "store/store.h"

struct server {
	struct config *cfg;
	struct store *store;
	struct meta *meta;
	struct conns *conns;
	struct auth *auth;
	struct mirrors *mirrors;
	struct token_key key;
	struct MHD_Daemon *daemon;
	char *tls_cert_pem, *tls_key_pem;
	char listen_url[128];  /* http://HOST:PORT, for logs and fallback hrefs */
	long transfers;        /* object GETs and PUTs in progress (atomic) */
	struct reqjson_budget json_budget; /* JSON bodies and trees in flight */
};

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
	long long expected;      /* upload size from the token, or -1 */
	int fail_status;         /* an error found while reading the body */
	char fail_msg[256];
	char user[TOKEN_USER_MAX + 1]; /* "" = anonymous */
	char peer[64];           /* client address */
	bool authenticated;      /* user came from credentials or a token */
	char api_op[16];         /* an api token's operation: caps the rights */
};

/* Starts serving on listen_fd (the daemon owns it from then on). */
int http_start(struct server *srv, int listen_fd, struct err *err);
/* Stops accepting, drains for server.shutdown-grace, then stops. */
void http_stop(struct server *srv);

/* Responses.  Each queues exactly one response for r and returns what the
 * access handler must return. */
enum MHD_Result http_reply(struct req *r, int status, struct MHD_Response *resp);
enum MHD_Result http_reply_json(struct req *r, int status, json_t *body);
enum MHD_Result http_reply_error(struct req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Uses err's code for the status and its message for the body. */
enum MHD_Result http_reply_err(struct req *r, const struct err *err);

/* A request header, or NULL (borrowed from the library, valid during the request). */
const char *http_header(struct req *r, const char *name);
/* The base URL for hrefs: server.public-url, else scheme + Host header. */
void http_base_url(struct req *r, char *out, size_t outsz);
/* True when Content-Type's media type is one of the JSON types we accept. */
bool http_is_json(struct req *r);
/* Content-Length, or -1 when absent or not a number. */
long long http_content_length(struct req *r);

/* Endpoint handlers (handlers.c, transfer.c, ...): the table http.c
 * dispatches through, knowing nothing of any endpoint.  begin runs on
 * the first call, data on each body piece, end once the body is
 * complete; done (may be NULL) once the request is over, answered or
 * aborted (completed says which), before the access log line: it
 * releases what the endpoint still holds (an unfinished upload, a
 * transfer slot). */
struct handler {
	enum MHD_Result (*begin)(struct req *r);
	void (*data)(struct req *r, const char *data, size_t len);
	enum MHD_Result (*end)(struct req *r);
	void (*done)(struct req *r, bool completed);
};
const struct handler *handlers_for(enum route_kind kind);
extern const struct handler transfer_object_handler; /* transfer.c */
extern const struct handler locks_handler;           /* locks.c */
/* The first step and body collection of endpoints taking JSON: read
 * access, Content-Type (415) and size (413) checks, capped buffer. */
enum MHD_Result handler_json_begin(struct req *r);
void handler_json_data(struct req *r, const char *data, size_t len);
/* Parses the collected body within shape, its cost taken from the JSON
 * budget; false after queueing the refusal (400, 413, 422, 503). */
bool handler_json_parse(struct req *r, const struct reqjson_shape *shape, json_t **root,
			enum MHD_Result *rc);
/* http_reply_err, plus Retry-After for ERR_BUSY (503). */
enum MHD_Result handler_reply_err(struct req *r, const struct err *err);
/* Answers with the stored object (200, or 206/416 per Range) via sendfile. */
enum MHD_Result transfer_send_object(struct req *r, const char *oid);
extern const struct handler feed_journal_handler;    /* feed.c */
extern const struct handler feed_object_handler;     /* feed.c */
extern const struct handler metrics_handler;         /* metrics.c */
extern const struct handler status_handler;          /* status.c */

/* An error response with one extra header (Allow, Retry-After, ...). */
enum MHD_Result http_reply_error_hdr(struct req *r, int status, const char *name,
				     const char *value, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* access.c: who is asking (run once, before the endpoint's begin), and
 * whether they may do what they ask.  Both return false after queueing
 * the refusal (401, 403, 404, 429) into *rc. */
bool access_identify_or_reply(struct req *r, enum MHD_Result *rc);
bool access_require_or_reply(struct req *r, unsigned need, enum MHD_Result *rc);
/* /metrics and /_lfs/status: users in metrics.readers, and loopback
 * clients unless server.behind-proxy.  Else 401 (anonymous, auth on;
 * the status page adds WWW-Authenticate so browsers ask for a login) or
 * 404, as for a repo one may not read. */
bool access_operator_or_reply(struct req *r, enum MHD_Result *rc);

/* Records a failure found mid-body; end() reports it. */
void http_fail(struct req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
