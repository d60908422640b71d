/* http: libmicrohttpd glue: connection and request life cycle, the access
 * handler that dispatches to endpoint handlers, response helpers, start
 * and stop.
 *
 * Threading model: one thread per connection (MHD_USE_THREAD_PER_CONNECTION).
 * Handlers may block (fsync, SQLite waits) without stalling anyone else,
 * and downloads still go out through sendfile(2). */
#include "server/http.h"
#include "server/nocork.h"
#include "util.h"

#include <limits.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/listen.h"
#include "log.h"
#include "server/access.h"
#include "server/accesslog.h"
#include "server/endpoint.h"
#include "server/metrics.h"
#include "server/server.h"

/* Bigger pieces per upload callback than the library's 32 KiB default
 * (16 KiB pieces: pitfalls.md measured uploads ~2x slower).  Not 1 MiB:
 * the library clears the pool between keep-alive requests, and at 1 MiB
 * that cost a batch request 14% more instructions with no upload gain
 * measured here (see docs/architecture.md). */
#define CONN_MEMORY_LIMIT (256 * 1024)
#define CONN_LIMIT 512
/* Connections one client address may hold (refused at accept beyond
 * that, so trickling clients from one address cannot take every
 * thread).  Off behind a proxy, where every client has its address. */
#define CLIENT_CONN_LIMIT 64
#define THREAD_STACK (512 * 1024)
/* Seconds a client should wait after a 503 (out of file descriptors). */

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *http_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

void http_base_url(struct req *r, char *out, size_t outsz)
{
	const char *host = http_header(r, MHD_HTTP_HEADER_HOST);

	if (r->srv->cfg->public_url)
		snprintf(out, outsz, "%s", r->srv->cfg->public_url);
	else if (host && http_host_ok(host))
		snprintf(out, outsz, "%s://%s", r->srv->tls_cert_pem ? "https" : "http", host);
	else
		snprintf(out, outsz, "%s", r->srv->listen_url);
}

static enum MHD_Result http_reply(struct req *r, int status, struct MHD_Response *resp)
{
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	r->status = status;
	r->responded = true;
	conns_clear_deadline(r->srv->conns, r->slot);
	rc = MHD_queue_response(r->c, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

enum MHD_Result http_reply_json(struct req *r, int status, json_t *body)
{
	struct MHD_Response *resp;
	char *text = json_dumps(body, JSON_COMPACT);
	size_t len;

	json_decref(body);
	if (!text)
		return MHD_NO;
	len = strlen(text);
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, LFS_MEDIA_TYPE);
	r->bytes_out = (long long)len;
	return http_reply(r, status, resp);
}

enum MHD_Result http_vreply_error(struct req *r, int status, const char *const *extra,
				  const char *fmt, va_list ap)
{
	char msg[512];
	json_t *body;
	struct MHD_Response *resp;
	char *text;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	body = json_pack("{s:s, s:s}", "message", msg, "request_id", r->id);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, LFS_MEDIA_TYPE);
	for (; extra && extra[0] && extra[1]; extra += 2)
		MHD_add_response_header(resp, extra[0], extra[1]);
	r->bytes_out = (long long)strlen(text);
	if (status >= 500)
		log_warn("%s %s %s: %d %s", r->id, r->method, r->path, status, msg);
	return http_reply(r, status, resp);
}

enum MHD_Result http_reply_buf(struct req *r, struct buf *body, const char *content_type,
			       const char *const *extra)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_FREE);

	if (!resp)
		return MHD_NO;
	r->bytes_out = (long long)body->len;
	body->data = NULL; /* the response owns it now */
	buf_release(body);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	for (; extra && extra[0] && extra[1]; extra += 2)
		MHD_add_response_header(resp, extra[0], extra[1]);
	return http_reply(r, 200, resp);
}

enum MHD_Result http_reply_empty(struct req *r, int status, const char *const *extra)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

	if (!resp)
		return MHD_NO;
	for (; extra && extra[0] && extra[1]; extra += 2)
		if (MHD_add_response_header(resp, extra[0], extra[1]) != MHD_YES) {
			MHD_destroy_response(resp);
			return MHD_NO;
		}
	return http_reply(r, status, resp);
}

enum MHD_Result http_reply_fd(struct req *r, int status, int fd, long long offset, long long len,
			      const char *const *extra)
{
	/* The library owns fd from here and closes it. */
	struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64((uint64_t)len, fd, (uint64_t)offset);

	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	for (; extra && extra[0] && extra[1]; extra += 2)
		MHD_add_response_header(resp, extra[0], extra[1]);
	r->bytes_out = len;
	return http_reply(r, status, resp);
}

const char *http_query_arg(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

struct each_header {
	void (*fn)(const char *name, const char *value, void *arg);
	void *arg;
};

static enum MHD_Result each_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct each_header *e = cls;

	(void)kind;
	if (key)
		e->fn(key, value ? value : "", e->arg);
	return MHD_YES;
}

void http_each_header(struct req *r, void (*fn)(const char *name, const char *value, void *arg),
		      void *arg)
{
	struct each_header e = { fn, arg };

	MHD_get_connection_values(r->c, MHD_HEADER_KIND, each_header, &e);
}

void http_upload_started(struct req *r)
{
	conns_clear_deadline(r->srv->conns, r->slot);
}

/* --- request framing --------------------------------------------------- */

struct framing {
	int te;                 /* Transfer-Encoding lines */
	bool host;
	bool cl_bad;            /* a Content-Length that is not one number */
	bool cl_seen;
	unsigned long long cl;  /* the first Content-Length value */
	bool cl_differ;
};

/* Every comma-separated value of one Content-Length line. */
static void framing_cl(struct framing *f, const char *v)
{
	while (*v) {
		unsigned long long n = 0;
		size_t digits;

		v += strspn(v, " \t");
		digits = strspn(v, "0123456789");
		if (digits == 0 || digits > 19) {
			f->cl_bad = true;
			return;
		}
		for (size_t i = 0; i < digits; i++)
			n = n * 10 + (unsigned long long)(v[i] - '0');
		v += digits;
		v += strspn(v, " \t");
		if (*v && *v != ',') {
			f->cl_bad = true;
			return;
		}
		if (f->cl_seen && n != f->cl)
			f->cl_differ = true;
		f->cl_seen = true;
		f->cl = n;
		if (*v == ',')
			v++;
	}
}

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (!key)
		return MHD_YES;
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->te++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		f->host = true;
	else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		framing_cl(f, value ? value : "");
	return MHD_YES;
}

/* Request smuggling: a proxy and this server must never disagree on where
 * a request ends.  libmicrohttpd accepts both Content-Length and
 * Transfer-Encoding, two different lengths, and HTTP/1.1 without Host, so
 * those are refused here, before any handler runs.  The body's framing is
 * in doubt, so the connection is closed after the answer. */
static bool framing_ok_or_reply(struct req *r, const char *version, enum MHD_Result *rc)
{
	struct framing f = { 0 };
	const char *why = NULL;

	MHD_get_connection_values(r->c, MHD_HEADER_KIND, framing_header, &f);
	if (f.te && f.cl_seen)
		why = "both Content-Length and Transfer-Encoding";
	else if (f.cl_differ)
		why = "conflicting Content-Length values";
	else if (f.cl_bad)
		why = "malformed Content-Length";
	else if (!f.host && version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
		why = "HTTP/1.1 request without Host";
	if (!why)
		return true;
	*rc = http_reply_error_hdr(r, 400, MHD_HTTP_HEADER_CONNECTION, "close", "bad request framing: %s", why);
	return false;
}

/* --- library callbacks ------------------------------------------------ */

static void peer_name(struct MHD_Connection *c, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, outsz, "-");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)outsz);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)outsz);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct server *srv = cls;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct req *r = calloc(1, sizeof(*r));
	unsigned char rnd[8];

	if (!r)
		return NULL;
	if (!uri)
		uri = "";
	r->srv = srv;
	r->c = c;
	r->slot = ci ? ci->socket_context : NULL;
	peer_name(c, r->peer, sizeof(r->peer));
	r->start_us = now_us();
	r->expected = -1;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (int i = 0; i < 8; i++)
		snprintf(r->id + 2 * i, 3, "%02x", rnd[i]);
	/* Never log the query string: it is where a client might put secrets. */
	snprintf(r->path, sizeof(r->path), "%.*s", (int)strcspn(uri, "?"), uri);
	/* The library decodes the path before we see it, and %00 would end the
	 * string early: ".../objects/<oid>%00.txt" would name <oid>.  This raw
	 * URI is the only place to notice. */
	{
		size_t n = strcspn(uri, "?");
		for (size_t i = 0; i + 2 < n && !r->nul_in_path; i++)
			r->nul_in_path = uri[i] == '%' && uri[i + 1] == '0' && uri[i + 2] == '0';
	}
	buf_init(&r->body, (size_t)srv->cfg->max_json_bytes);
	conns_request_begin(srv->conns, r->slot);
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct req *r = *req_cls;

	if (!r)
		return;
	metrics_request_done(r->route.kind, r->status, now_us() - r->start_us,
			     r->received + (long long)r->body.len, r->bytes_out);
	if (r->handler && r->handler->done)
		r->handler->done(r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
	accesslog_request(r, toe);
	buf_release(&r->body);
	reqjson_release(&r->json);
	conns_request_end(srv->conns, r->slot);
	free(r);
	*req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct server *srv = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? conns_add(srv->conns, ci->connect_fd) : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		conns_remove(srv->conns, *socket_context);
		*socket_context = NULL;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **req_cls)
{
	struct req *r = *req_cls;
	const struct handler *h;
	struct err err = ERR_INIT;
	enum MHD_Result rc;

	(void)cls;
	if (!r)
		return MHD_NO; /* out of memory at the request line */
	if (!r->begun) {
		r->begun = true;
		snprintf(r->method, sizeof(r->method), "%s", method);
		snprintf(r->version, sizeof(r->version), "%s", version ? version : "");
		conns_headers_done(r->srv->conns, r->slot);
		if (!framing_ok_or_reply(r, version, &rc))
			return rc;
		if (r->nul_in_path)
			return http_reply_error(r, 404, "not found: NUL in the path");
		if (route_parse(&r->route, url, &err) < 0)
			return http_reply_error(r, 404, "%s", err.msg);
		if (!route_method_ok(r->route.kind, method))
			return http_reply_error_hdr(r, 405, MHD_HTTP_HEADER_ALLOW, route_allow(r->route.kind),
					       "method %s not allowed here", method);
		h = r->handler = handlers_for(r->route.kind);
		if (!h)
			return http_reply_error(r, 404, "not found");
		if (!access_identify_or_reply(r, &rc))
			return rc;
		return h->begin ? h->begin(r) : MHD_YES;
	}
	if (r->responded) {
		*data_size = 0;
		return MHD_YES;
	}
	h = r->handler;
	if (*data_size > 0) {
		if (!r->fail_status && h->data)
			h->data(r, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	if (r->fail_status)
		return http_reply_failure(r);
	return h->end(r);
}

/* The library logs every connection it refuses (over the connection or
 * per-address limit): a flood would write a line per connection.  Those
 * lines are written at most once a second, with the count left out. */
static bool refusal_logged_recently(const char *msg, unsigned long *skipped)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static time_t last;
	static unsigned long count;
	time_t now = time(NULL);
	bool quiet;

	if (strncmp(msg, "Server reached connection limit", 31) != 0)
		return false;
	pthread_mutex_lock(&mu);
	quiet = now == last;
	if (quiet) {
		count++;
	} else {
		*skipped = count;
		count = 0;
		last = now;
	}
	pthread_mutex_unlock(&mu);
	return quiet;
}

/* libmicrohttpd's own messages: the format is the library's. */
static void on_library_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void on_library_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	unsigned long skipped = 0;
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (refusal_logged_recently(msg, &skipped))
		return;
	if (skipped)
		log_warn("libmicrohttpd: %s (%lu more since the last such line)", msg, skipped);
	else
		log_warn("libmicrohttpd: %s", msg);
}

int http_start(struct server *srv, int listen_fd, struct err *err)
{
	/* The reference links nocork.c in: downloads are never corked (why
	 * there). */
	(void)nocork_active();
	/* poll, not select: with the descriptor limit raised, sockets past
	 * FD_SETSIZE (1024) are normal, and select cannot wait on them. */
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
					 { MHD_OPTION_END, 0, NULL } };
	long long fd_limit;
	unsigned limit = listen_conn_budget(CONN_LIMIT, &fd_limit), per_client;

	if (limit < CONN_LIMIT)
		log_warn("file descriptor limit %lld: serving at most %u connections at once", fd_limit, limit);
	/* Behind a proxy every client has the proxy's address: the per-client
	 * limit is the proxy's job there (docs/deploy.md). */
	per_client = srv->cfg->behind_proxy ? 0 : CLIENT_CONN_LIMIT;
	if (per_client > limit / 2)
		per_client = limit / 2 ? limit / 2 : 1;

	if (srv->tls_cert_pem) {
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert_pem };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key_pem };
	}
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, srv,
		MHD_OPTION_EXTERNAL_LOGGER, on_library_log, srv,
		MHD_OPTION_LISTEN_SOCKET, listen_fd,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
		MHD_OPTION_CONNECTION_LIMIT, limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)srv->cfg->idle_timeout,
		MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	if (!srv->daemon)
		return err_set(err, ERR_IO, "cannot start the HTTP server (see the libmicrohttpd message above)");
	return 0;
}

void http_stop(struct server *srv)
{
	MHD_socket lfd;
	int busy;

	if (!srv->daemon)
		return;
	lfd = MHD_quiesce_daemon(srv->daemon);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	busy = conns_drain(srv->conns, srv->cfg->shutdown_grace);
	if (busy > 0)
		log_warn("shutdown grace over: aborting %d request(s) in flight", busy);
	MHD_stop_daemon(srv->daemon);
	srv->daemon = NULL;
}
