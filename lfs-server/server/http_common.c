/* http_common: what both implementations of http.h (server/http.c for
 * the daemon, cgi/http_cgi.c for lfs-cgi) derive the same way from the
 * request headers. */
#include "server/http.h"
#include "util.h"

#include <ctype.h>
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
