/* http_cgi: server/http.h for lfs-cgi.  One request per process: the
 * request comes from the CGI environment (RFC 3875) and standard input,
 * the answer goes to standard output as a CGI response ("Status:" line,
 * headers, blank line, body).  The same endpoint table as the daemon's
 * runs in the same order (route, method, identify, begin, body pieces,
 * end, done), so statuses and error bodies are the daemon's.
 *
 * A reply is queued, not written, until the endpoint has finished: an
 * upload's object enters the static tree (cgi/static.c) before the client
 * hears 200, and nothing is half-said when a handler fails after queueing.
 * The queue is file-static: there is exactly one request. */
#include "cgi/cgi.h"
#include "server/http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "cgi/static.h"
#include "log.h"
#include "server/access.h"
#include "server/endpoint.h"
#include "server/server.h"
#include "util.h"

/* Body pieces handed to the endpoint (the daemon's are up to ~128 KiB). */
#define PIECE (256 * 1024)
#define HEAD_MAX (16 * 1024)
#define QUERY_ARGS_MAX 32

extern char **environ;

static struct {
	int status;
	struct buf head;   /* "Name: value\r\n" lines, Status and Content-Length aside */
	char *body;        /* owned */
	size_t body_len;
	int fd;            /* -1, or the file to send len bytes of from off */
	long long off, len;
	char *query;       /* the decoded QUERY_STRING, NUL-separated */
	const char *args[QUERY_ARGS_MAX][2];
	int nargs;
} out = { .fd = -1 };

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* --- request headers ------------------------------------------------------ */

const char *http_header(struct req *r, const char *name)
{
	char var[128];
	size_t i;

	(void)r;
	if (strcasecmp(name, "Content-Length") == 0)
		return env("CONTENT_LENGTH");
	if (strcasecmp(name, "Content-Type") == 0)
		return env("CONTENT_TYPE");
	/* Apache passes Authorization only with CGIPassAuth On; the
	 * rewrite fallback sets it as an environment variable, which an
	 * internal redirect renames REDIRECT_... */
	if (strcasecmp(name, "Authorization") == 0)
		return env("HTTP_AUTHORIZATION") ? env("HTTP_AUTHORIZATION")
						 : env("REDIRECT_HTTP_AUTHORIZATION");
	if (strlen(name) + 6 > sizeof(var))
		return NULL;
	memcpy(var, "HTTP_", 5);
	for (i = 0; name[i]; i++)
		var[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
	var[5 + i] = '\0';
	return env(var);
}

void http_each_header(struct req *r, void (*fn)(const char *name, const char *value, void *arg),
		      void *arg)
{
	char name[128];

	(void)r;
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t n;

		if (strncmp(*e, "HTTP_", 5) != 0 || !eq || (n = (size_t)(eq - *e) - 5) >= sizeof(name))
			continue;
		for (size_t i = 0; i < n; i++)
			name[i] = (*e)[5 + i] == '_' ? '-' : (*e)[5 + i];
		name[n] = '\0';
		fn(name, eq + 1, arg);
	}
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : isxdigit((unsigned char)c) ? (tolower((unsigned char)c) - 'a' + 10) : -1;
}

/* application/x-www-form-urlencoded, in place: what libmicrohttpd does
 * with the daemon's query strings, without linking it. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (*s == '+') {
			*w++ = ' ';
		} else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*w++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

static void parse_query(void)
{
	const char *q = env("QUERY_STRING");
	char *p, *next;

	if (!q || !(out.query = strdup(q)))
		return;
	for (p = out.query; p && *p && out.nargs < QUERY_ARGS_MAX; p = next) {
		char *eq;

		next = strchr(p, '&');
		if (next)
			*next++ = '\0';
		eq = strchr(p, '=');
		if (eq)
			*eq++ = '\0';
		unescape(p);
		if (eq)
			unescape(eq);
		out.args[out.nargs][0] = p;
		out.args[out.nargs][1] = eq;
		out.nargs++;
	}
}

const char *http_query_arg(struct req *r, const char *name)
{
	(void)r;
	for (int i = 0; i < out.nargs; i++)
		if (strcmp(out.args[i][0], name) == 0)
			return out.args[i][1];
	return NULL;
}

/* server.public-url, else the URL the client used for this program:
 * scheme, Host (or SERVER_NAME and a non-default SERVER_PORT), SCRIPT_NAME.
 * Hrefs are then BASE/<repo>/info/lfs/..., which reach us as PATH_INFO. */
void http_base_url(struct req *r, char *outp, size_t outsz)
{
	const char *host = env("HTTP_HOST"), *name = env("SERVER_NAME"), *port = env("SERVER_PORT");
	const char *script = env("SCRIPT_NAME");
	bool tls = env("HTTPS") && strcasecmp(env("HTTPS"), "off") != 0;
	char hostport[300];

	if (r->srv->cfg->public_url) {
		snprintf(outp, outsz, "%s", r->srv->cfg->public_url);
		return;
	}
	if (host && http_host_ok(host))
		snprintf(hostport, sizeof(hostport), "%s", host);
	else if (port && strcmp(port, tls ? "443" : "80") != 0)
		snprintf(hostport, sizeof(hostport), "%s:%s", name && http_host_ok(name) ? name : "localhost", port);
	else
		snprintf(hostport, sizeof(hostport), "%s", name && http_host_ok(name) ? name : "localhost");
	snprintf(outp, outsz, "%s://%s%s", tls ? "https" : "http", hostport, script ? script : "");
}

void http_upload_started(struct req *r)
{
	(void)r; /* the web server's own timeout bounds a CGI request */
}

/* --- replies ---------------------------------------------------------------- */

/* Queues status and the extra headers; false when a reply is queued already. */
static bool queue(struct req *r, int status, const char *content_type, const char *const *extra)
{
	struct err err = ERR_INIT;

	if (r->responded)
		return false;
	r->responded = true;
	r->status = out.status = status;
	if (content_type && buf_appendf(&out.head, &err, "Content-Type: %s\r\n", content_type) < 0)
		return false;
	for (; extra && extra[0] && extra[1]; extra += 2)
		if (buf_appendf(&out.head, &err, "%s: %s\r\n", extra[0], extra[1]) < 0)
			return false;
	return true;
}

static enum MHD_Result queue_text(struct req *r, int status, char *text, const char *const *extra)
{
	if (!queue(r, status, LFS_MEDIA_TYPE, extra)) {
		free(text);
		return MHD_NO;
	}
	out.body = text;
	out.body_len = strlen(text);
	r->bytes_out = (long long)out.body_len;
	return MHD_YES;
}

enum MHD_Result http_reply_json(struct req *r, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	return text ? queue_text(r, status, text, NULL) : MHD_NO;
}

enum MHD_Result http_vreply_error(struct req *r, int status, const char *const *extra,
				  const char *fmt, va_list ap)
{
	char msg[512];
	json_t *body;
	char *text;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	body = json_pack("{s:s, s:s}", "message", msg, "request_id", r->id);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return MHD_NO;
	if (status >= 500)
		log_warn("%s %s %s: %d %s", r->id, r->method, r->path, status, msg);
	return queue_text(r, status, text, extra);
}

enum MHD_Result http_reply_buf(struct req *r, struct buf *body, const char *content_type,
			       const char *const *extra)
{
	if (!queue(r, 200, content_type, extra))
		return MHD_NO;
	out.body = body->data;
	out.body_len = body->len;
	r->bytes_out = (long long)body->len;
	body->data = NULL; /* the reply owns it now */
	buf_release(body);
	return MHD_YES;
}

enum MHD_Result http_reply_empty(struct req *r, int status, const char *const *extra)
{
	return queue(r, status, NULL, extra) ? MHD_YES : MHD_NO;
}

enum MHD_Result http_reply_fd(struct req *r, int status, int fd, long long offset, long long len,
			      const char *const *extra)
{
	if (!queue(r, status, "application/octet-stream", extra)) {
		close(fd);
		return MHD_NO;
	}
	out.fd = fd;
	out.off = offset;
	out.len = len;
	r->bytes_out = len;
	return MHD_YES;
}

/* --- writing the answer ------------------------------------------------------ */

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 206: return "Partial Content";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return "Status";
	}
}

/* The file part of a download: sendfile (to a pipe or socket, whatever the
 * web server gave us), else a read/write loop. */
static int send_file(int fd, long long off, long long len)
{
	char *buf = NULL;
	int rc = 0;

	while (len > 0) {
		off_t o = (off_t)off;
		ssize_t n = sendfile(STDOUT_FILENO, fd, &o, (size_t)(len > (1 << 30) ? (1 << 30) : len));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EINVAL || errno == ENOSYS))
			break;
		if (n <= 0)
			return -1;
		off += n;
		len -= n;
	}
	if (len > 0 && !(buf = malloc(PIECE)))
		return -1;
	while (len > 0) {
		ssize_t n = pread(fd, buf, (size_t)(len > PIECE ? PIECE : len), (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || util_write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
			rc = -1;
			break;
		}
		off += n;
		len -= n;
	}
	free(buf);
	return rc;
}

static int flush_reply(struct req *r)
{
	struct buf head;
	struct err err = ERR_INIT;
	bool body = strcmp(r->method, "HEAD") != 0;
	long long len = out.fd >= 0 ? out.len : (long long)out.body_len;
	int rc = 0;

	buf_init(&head, HEAD_MAX);
	if (buf_appendf(&head, &err, "Status: %d %s\r\n%.*sContent-Length: %lld\r\n\r\n", out.status,
			reason(out.status), (int)out.head.len, out.head.data ? out.head.data : "", len) < 0 ||
	    util_write_all(STDOUT_FILENO, head.data, head.len) < 0)
		rc = -1;
	else if (body && out.fd >= 0)
		rc = send_file(out.fd, out.off, out.len);
	else if (body && out.body_len)
		rc = util_write_all(STDOUT_FILENO, out.body, out.body_len);
	buf_release(&head);
	return rc;
}

/* --- the request ----------------------------------------------------------- */

static void req_init(struct req *r, struct server *srv)
{
	unsigned char rnd[8];
	const char *path = env("PATH_INFO");

	r->srv = srv;
	r->expected = -1;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	for (int i = 0; i < 8; i++)
		snprintf(r->id + 2 * i, 3, "%02x", rnd[i]);
	snprintf(r->method, sizeof(r->method), "%s", env("REQUEST_METHOD") ? env("REQUEST_METHOD") : "GET");
	snprintf(r->version, sizeof(r->version), "%s", env("SERVER_PROTOCOL") ? env("SERVER_PROTOCOL") : "");
	snprintf(r->path, sizeof(r->path), "%s", path ? path : "/"); /* for logs: may be cut */
	snprintf(r->peer, sizeof(r->peer), "%s", env("REMOTE_ADDR") ? env("REMOTE_ADDR") : "-");
	buf_init(&r->body, (size_t)srv->cfg->max_json_bytes);
	buf_init(&out.head, HEAD_MAX);
	parse_query();
}

/* Routing and the endpoint's first step, as the daemon's first call of
 * its access handler. */
static void begin(struct req *r)
{
	struct err err = ERR_INIT;
	enum MHD_Result rc;
	const char *path = env("PATH_INFO") ? env("PATH_INFO") : "/";

	if (route_parse(&r->route, path, &err) < 0) {
		http_reply_error(r, 404, "%s", err.msg);
		return;
	}
	/* The operators' pages trust loopback clients, and on a shared web
	 * host every account is a loopback client; a process that lives for
	 * one request has no counters or recent log lines to show anyway. */
	if (r->route.kind == ROUTE_METRICS || r->route.kind == ROUTE_STATUS) {
		http_reply_error(r, 404, "not found: lfs-cgi has no %s", route_name(r->route.kind));
		return;
	}
	if (!route_method_ok(r->route.kind, r->method)) {
		http_reply_error_hdr(r, 405, "Allow", route_allow(r->route.kind), "method %s not allowed here",
				     r->method);
		return;
	}
	r->handler = handlers_for(r->route.kind);
	if (!r->handler) {
		http_reply_error(r, 404, "not found");
		return;
	}
	if (!access_identify_or_reply(r, &rc))
		return;
	if (r->handler->begin)
		r->handler->begin(r);
}

/* Streams standard input to the endpoint in pieces; false when it ended
 * before CONTENT_LENGTH bytes (the client went away). */
static bool read_body(struct req *r)
{
	const char *cl_s = env("CONTENT_LENGTH");
	long long cl = -1, got = 0;
	char *piece;
	bool ok = true;

	if (cl_s && util_parse_ll(cl_s, 0, LLONG_MAX, &cl) < 0)
		return true; /* begin refused it already (413) */
	/* Without CONTENT_LENGTH only a PUT or POST has a body (the web
	 * server de-chunks and ends it with EOF). */
	if (cl == 0 || (cl < 0 && strcmp(r->method, "PUT") != 0 && strcmp(r->method, "POST") != 0))
		return true;
	if (!(piece = malloc(PIECE))) {
		http_fail(r, 500, "out of memory");
		return true;
	}
	while (cl < 0 || got < cl) {
		size_t want = cl < 0 || cl - got > PIECE ? PIECE : (size_t)(cl - got);
		ssize_t n = read(STDIN_FILENO, piece, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ok = false;
			break;
		}
		if (n == 0) {
			ok = cl < 0;
			break;
		}
		got += n;
		if (r->responded)
			continue; /* refused mid-body: nothing more goes to the endpoint */
		if (!r->fail_status && r->handler->data)
			r->handler->data(r, piece, (size_t)n);
	}
	free(piece);
	return ok;
}

/* The web server has the whole answer at end of file on our standard
 * output: give it that now, so what is left (temp names removed, the
 * metadata closed) never delays the answer.  /dev/null takes the
 * descriptor's place, so no file opened later becomes "standard
 * output". */
static void answer_done(void)
{
	int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (nul < 0 || dup2(nul, STDOUT_FILENO) < 0)
		close(STDOUT_FILENO);
	if (nul >= 0 && nul != STDOUT_FILENO)
		close(nul);
}

int cgi_serve(struct server *srv, struct publish *pub)
{
	struct req *r = calloc(1, sizeof(*r));
	bool completed = false;
	int rc = 1;

	if (!r) {
		cgi_refuse("out of memory");
		return 1;
	}
	req_init(r, srv);
	begin(r);
	if (!r->responded) {
		if (!read_body(r)) {
			/* Nothing was committed: done() below drops the upload. */
			http_reply_error(r, 400, "request body ended before Content-Length bytes");
			goto flush;
		}
		if (r->fail_status)
			http_reply_failure(r);
		else
			r->handler->end(r);
	}
	if (r->responded && r->status == 200 && r->route.kind == ROUTE_OBJECT &&
	    strcmp(r->method, "PUT") == 0 && pub)
		cgi_static_upload(r, pub);
	/* Whichever reply function the batch endpoint used, its answer is
	 * the queued text. */
	if (r->responded && r->status == 200 && r->route.kind == ROUTE_BATCH && pub && out.body)
		cgi_static_batch(r, pub, &out.body, &out.body_len);
flush:
	if (!r->responded)
		http_reply_error(r, 500, "internal error");
	/* As the daemon's completion callback: completed means the whole
	 * answer went out. */
	completed = flush_reply(r) == 0;
	rc = completed ? 0 : 1;
	answer_done();
	if (r->handler && r->handler->done)
		r->handler->done(r, completed);
	if (out.fd >= 0)
		close(out.fd);
	free(out.body);
	free(out.query);
	buf_release(&out.head);
	buf_release(&r->body);
	reqjson_release(&r->json);
	free(r);
	return rc;
}

/* Before there is a server to answer with (a refused set-up): the reason
 * goes to the web server's error log, the client learns only that the
 * set-up is wrong. */
void cgi_refuse(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	static const char body[] =
		"{\"message\":\"lfs-cgi is not set up correctly; the web server's error log says why\"}";
	char head[256];
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("lfs-cgi: refusing to serve: %s", msg);
	n = snprintf(head, sizeof(head), "Status: 500 Internal Server Error\r\nContent-Type: %s\r\n"
			   "Content-Length: %zu\r\n\r\n", LFS_MEDIA_TYPE, sizeof(body) - 1);
	if (util_write_all(STDOUT_FILENO, head, (size_t)n) < 0 ||
	    util_write_all(STDOUT_FILENO, body, sizeof(body) - 1) < 0)
		log_error("lfs-cgi: cannot write the answer");
}
