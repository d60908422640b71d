/* accesslog: one line per finished request (see accesslog.h).  Nothing
 * secret is in it: no query string (it is never kept), no Authorization
 * header, no Referer (it could carry a token in its query; git-lfs sends
 * none), and a user name only once credentials or a token proved it. */
#include "server/accesslog.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *const ended[] = { "-", "aborted:error", "aborted:timeout", "aborted:shutdown",
				     "aborted:read-error", "aborted:client" };

static double elapsed_ms(const struct req *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - r->start_us) / 1000.0;
}

void accesslog_escape(char *out, size_t outsz, const char *in)
{
	size_t n = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
			if (n + 4 >= outsz)
				break;
			snprintf(out + n, 5, "\\x%02X", c);
			n += 4;
		} else {
			if (n + 1 >= outsz)
				break;
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
}

/* The combined log format (Apache's and nginx's default "combined"):
 *   HOST - USER [TIME] "METHOD PATH PROTOCOL" STATUS BYTES "REFERER" "AGENT"
 * then three fields of ours: request id, milliseconds, how it ended. */
static void combined(const struct req *r, const char *end, double ms)
{
	char line[2048], path[800], user[200], agent[600], when[64], status[8], bytes[24];
	const char *ua = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	struct timespec now;
	struct tm tm;
	time_t start;
	int n;

	/* The time the request arrived, as the format wants. */
	clock_gettime(CLOCK_REALTIME, &now);
	start = (time_t)((double)now.tv_sec + (double)now.tv_nsec / 1e9 - ms / 1000.0);
	gmtime_r(&start, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	accesslog_escape(path, sizeof(path), r->path[0] ? r->path : "-");
	accesslog_escape(user, sizeof(user), r->user[0] ? r->user : "-");
	accesslog_escape(agent, sizeof(agent), ua ? ua : "-");
	snprintf(status, sizeof(status), r->status > 0 ? "%d" : "-", r->status);
	snprintf(bytes, sizeof(bytes), r->bytes_out > 0 ? "%lld" : "-", r->bytes_out);
	n = snprintf(line, sizeof(line), "%s - %s [%s] \"%s %s %s\" %s %s \"-\" \"%s\" %s %.1f %s\n",
		     r->peer, user, when, r->method[0] ? r->method : "-", path,
		     r->version[0] ? r->version : "-", status, bytes, agent, r->id, ms, end);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) { /* cannot happen with the buffers above */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	log_access_write(line, (size_t)n);
}

void accesslog_request(const struct req *r, enum MHD_RequestTerminationCode toe)
{
	const char *end = (unsigned)toe < sizeof(ended) / sizeof(*ended) ? ended[toe] : "aborted";
	double ms = elapsed_ms(r);

	if (log_access_is_file()) {
		combined(r, end, ms);
		return;
	}
	log_info("%s %s \"%s %s\" %d %lld %.1fms%s%s", r->id, r->peer, r->method[0] ? r->method : "-",
		 r->path, r->status, r->bytes_out, ms, toe ? " " : "", toe ? end : "");
}
