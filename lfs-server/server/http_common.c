/* http_common: what both implementations of http.h (server/http.c for
 * the daemon, cgi/http_cgi.c for lfs-cgi) derive the same way from the
 * request headers. */
#include "server/http.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

long long http_content_length(struct req *r)
{
	long long n;

	return util_parse_ll(http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH), 0, LLONG_MAX, &n) < 0 ? -1 : n;
}

bool http_is_json(struct req *r)
{
	const char *v = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n;

	if (!v)
		return false;
	while (*v == ' ')
		v++;
	n = strcspn(v, "; \t");
	return (n == strlen(LFS_MEDIA_TYPE) && strncasecmp(v, LFS_MEDIA_TYPE, n) == 0) ||
	       (n == 16 && strncasecmp(v, "application/json", n) == 0);
}

bool http_host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 255)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && !strchr(".-:[]", *h))
			return false;
	return true;
}

/* --- error replies: both implementations' http_vreply_error underneath --- */

/* Seconds a client is asked to wait after a 503. */
#define BUSY_RETRY_AFTER "2"

enum MHD_Result http_reply_error(struct req *r, int status, const char *fmt, ...)
{
	enum MHD_Result rc;
	va_list ap;

	va_start(ap, fmt);
	rc = http_vreply_error(r, status, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

enum MHD_Result http_reply_error_hdr(struct req *r, int status, const char *name,
				     const char *value, const char *fmt, ...)
{
	const char *const extra[] = { name, value, NULL };
	enum MHD_Result rc;
	va_list ap;

	va_start(ap, fmt);
	rc = http_vreply_error(r, status, extra, fmt, ap);
	va_end(ap);
	return rc;
}

enum MHD_Result http_reply_error_hdrs(struct req *r, int status, const char *const *extra,
				      const char *fmt, ...)
{
	enum MHD_Result rc;
	va_list ap;

	va_start(ap, fmt);
	rc = http_vreply_error(r, status, extra, fmt, ap);
	va_end(ap);
	return rc;
}

enum MHD_Result http_reply_err(struct req *r, const struct err *err)
{
	int status = err_http_status(err->code);

	if (status == 503)
		return http_reply_error_hdr(r, 503, MHD_HTTP_HEADER_RETRY_AFTER, BUSY_RETRY_AFTER,
					    "server busy, retry later: %s", err->msg);
	return http_reply_error(r, status, "%s", err->msg);
}

enum MHD_Result http_reply_failure(struct req *r)
{
	/* A store or database that went away mid-body is as busy as one
	 * found away before it: the client may retry soon. */
	if (r->fail_status == 503)
		return http_reply_error_hdr(r, 503, MHD_HTTP_HEADER_RETRY_AFTER, BUSY_RETRY_AFTER,
					    "%s", r->fail_msg);
	return http_reply_error(r, r->fail_status, "%s", r->fail_msg);
}

void http_fail(struct req *r, int status, const char *fmt, ...)
{
	va_list ap;

	if (r->fail_status)
		return;
	r->fail_status = status;
	va_start(ap, fmt);
	vsnprintf(r->fail_msg, sizeof(r->fail_msg), fmt, ap);
	va_end(ap);
}
