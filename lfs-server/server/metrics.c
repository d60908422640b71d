/* metrics: counters and the Prometheus exposition (see metrics.h). */
#include "server/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta/meta.h"
#include "server/access.h"
#include "server/endpoint.h"
#include "server/http.h"
#include "server/server.h"
#include "version.h"

#define STATUS_SLOTS 600
#define METRICS_MAX_BYTES (4 << 20) /* index = HTTP status; 0 = no answer */

static const int64_t bucket_us[METRICS_BUCKETS] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000, 60000000,
};

/* Everything here is only ever added to atomically (relaxed: each
 * counter on its own; a scrape may see one request half-counted). */
static struct {
	unsigned long long requests[ROUTE_KINDS][STATUS_SLOTS];
	unsigned long long buckets[ROUTE_KINDS][METRICS_BUCKETS + 1]; /* last: over every bound */
	unsigned long long duration_us[ROUTE_KINDS];
	unsigned long long bytes_in[ROUTE_KINDS], bytes_out[ROUTE_KINDS];
	long uploads, downloads;
	time_t started_at;
} ctr;

static struct {
	pthread_mutex_t mu;
	time_t at;
	long long objects, bytes;
} stored = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 };

void metrics_init(void)
{
	ctr.started_at = time(NULL);
}

time_t metrics_started_at(void)
{
	return ctr.started_at;
}

static void add(unsigned long long *c, unsigned long long n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static unsigned long long get(const unsigned long long *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void metrics_request_done(enum route_kind kind, int status, int64_t duration_us,
			  long long bytes_in, long long bytes_out)
{
	int b = 0;

	if ((unsigned)kind >= ROUTE_KINDS)
		kind = ROUTE_NONE;
	if (status < 100 || status >= STATUS_SLOTS)
		status = 0;
	if (duration_us < 0)
		duration_us = 0;
	while (b < METRICS_BUCKETS && duration_us > bucket_us[b])
		b++;
	add(&ctr.requests[kind][status], 1);
	add(&ctr.buckets[kind][b], 1);
	add(&ctr.duration_us[kind], (unsigned long long)duration_us);
	if (bytes_in > 0)
		add(&ctr.bytes_in[kind], (unsigned long long)bytes_in);
	if (bytes_out > 0)
		add(&ctr.bytes_out[kind], (unsigned long long)bytes_out);
}

void metrics_transfer(bool upload, int delta)
{
	__atomic_add_fetch(upload ? &ctr.uploads : &ctr.downloads, delta, __ATOMIC_RELAXED);
}

int metrics_stored(struct meta *m, long long *objects, long long *bytes, struct err *err)
{
	time_t now = time(NULL);
	int rc = 0;

	/* The lock is held over the query on purpose: scrapes arriving
	 * together wait for one query instead of each running it. */
	pthread_mutex_lock(&stored.mu);
	if (stored.at == 0 || now - stored.at >= METRICS_STORED_TTL || now < stored.at) {
		rc = meta_stored_totals(m, &stored.objects, &stored.bytes, err);
		stored.at = rc == 0 ? now : 0;
	}
	*objects = stored.objects;
	*bytes = stored.bytes;
	pthread_mutex_unlock(&stored.mu);
	return rc;
}

long long metrics_lag(long long feed_seq, long long mirror_seq)
{
	if (mirror_seq < 0) /* never answered */
		mirror_seq = 0;
	return feed_seq > mirror_seq ? feed_seq - mirror_seq : 0;
}

/* --- exposition ----------------------------------------------------------- */


int metrics_label(struct buf *out, const char *s, struct err *err)
{
	for (const char *p = s; *p; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
		int rc = esc ? buf_append(out, esc, 2, err) : buf_append(out, p, 1, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int family(struct buf *out, const char *name, const char *type, const char *help,
		  struct err *err)
{
	return buf_appendf(out, err, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{mirror="NAME"} value */
static int mirror_sample(struct buf *out, const char *name, const char *mirror, long long v,
			 struct err *err)
{
	if (buf_appendf(out, err, "%s{mirror=\"", name) < 0 || metrics_label(out, mirror, err) < 0)
		return -1;
	return buf_appendf(out, err, "\"} %lld\n", v);
}

static int render_requests(struct buf *out, struct err *err)
{
	if (family(out, "lfs_http_requests_total", "counter",
		   "HTTP requests completed, by endpoint and status (code 0: the client left before an answer)", err) < 0)
		return -1;
	for (int k = 0; k < ROUTE_KINDS; k++)
		for (int s = 0; s < STATUS_SLOTS; s++) {
			unsigned long long n = get(&ctr.requests[k][s]);
			if (n && buf_appendf(out, err, "lfs_http_requests_total{endpoint=\"%s\",code=\"%d\"} %llu\n",
				      route_name((enum route_kind)k), s, n) < 0)
				return -1;
		}
	if (family(out, "lfs_http_request_duration_seconds", "histogram",
		   "Time from the request line to the end of the answer, by endpoint", err) < 0)
		return -1;
	for (int k = 0; k < ROUTE_KINDS; k++) {
		const char *name = route_name((enum route_kind)k);
		unsigned long long cum = 0;
		for (int b = 0; b <= METRICS_BUCKETS; b++) {
			char le[32];
			cum += get(&ctr.buckets[k][b]);
			if (b < METRICS_BUCKETS)
				snprintf(le, sizeof(le), "%g", (double)bucket_us[b] / 1e6);
			else
				snprintf(le, sizeof(le), "+Inf");
			if (buf_appendf(out, err, "lfs_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%s\"} %llu\n",
				 name, le, cum) < 0)
				return -1;
		}
		if (buf_appendf(out, err, "lfs_http_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n"
			 "lfs_http_request_duration_seconds_count{endpoint=\"%s\"} %llu\n",
			 name, (double)get(&ctr.duration_us[k]) / 1e6, name, cum) < 0)
			return -1;
	}
	if (family(out, "lfs_http_received_bytes_total", "counter",
		   "Request body bytes received, by endpoint", err) < 0)
		return -1;
	for (int k = 0; k < ROUTE_KINDS; k++)
		if (buf_appendf(out, err, "lfs_http_received_bytes_total{endpoint=\"%s\"} %llu\n",
			 route_name((enum route_kind)k), get(&ctr.bytes_in[k])) < 0)
			return -1;
	if (family(out, "lfs_http_sent_bytes_total", "counter",
		   "Response body bytes sent (a download counts its full length), by endpoint", err) < 0)
		return -1;
	for (int k = 0; k < ROUTE_KINDS; k++)
		if (buf_appendf(out, err, "lfs_http_sent_bytes_total{endpoint=\"%s\"} %llu\n",
			 route_name((enum route_kind)k), get(&ctr.bytes_out[k])) < 0)
			return -1;
	return 0;
}

static int render_mirrors(struct buf *out, const struct metrics_view *v, struct err *err)
{
	static const struct {
		const char *name, *help;
	} fams[] = {
		{ "lfs_mirror_up", "1 when the mirror's mirror-state.json answered at the last poll" },
		{ "lfs_mirror_last_seq", "The feed seq the mirror reports it holds (-1: it never answered)" },
		{ "lfs_mirror_lag", "Feed entries the mirror is behind (lfs_feed_last_seq - lfs_mirror_last_seq)" },
		{ "lfs_mirror_verified_objects", "The mirror's copies the server checked and found good" },
		{ "lfs_mirror_failed_objects", "The mirror's copies the server checked and found bad" },
	};

	if (buf_appendf(out, err, "# HELP lfs_feed_last_seq The newest seq of the mirror feed\n"
		 "# TYPE lfs_feed_last_seq gauge\nlfs_feed_last_seq %lld\n", v->feed_seq) < 0)
		return -1;
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		if (family(out, fams[f].name, "gauge", fams[f].help, err) < 0)
			return -1;
		for (size_t i = 0; i < v->n_mirrors; i++) {
			const struct metrics_mirror *m = &v->mirrors[i];
			long long lag = metrics_lag(v->feed_seq, m->last_seq);
			long long val = f == 0 ? m->healthy : f == 1 ? m->last_seq : f == 2 ? lag
					: f == 3 ? m->verified : m->failed;
			if (mirror_sample(out, fams[f].name, m->name, val, err) < 0)
				return -1;
		}
	}
	return 0;
}

int metrics_render(struct buf *out, const struct metrics_view *v, struct err *err)
{
	if (family(out, "lfs_build_info", "gauge", "The server's version, as a label", err) < 0 ||
	    buf_appendf(out, err, "lfs_build_info{version=\"") < 0 || metrics_label(out, v->version, err) < 0 ||
	    buf_appendf(out, err, "\"} 1\n") < 0 ||
	    family(out, "lfs_start_time_seconds", "gauge", "When the server started, unix seconds", err) < 0 ||
	    buf_appendf(out, err, "lfs_start_time_seconds %lld\n", (long long)v->started_at) < 0 ||
	    render_requests(out, err) < 0 ||
	    family(out, "lfs_uploads_in_flight", "gauge", "Object uploads (PUT) in progress", err) < 0 ||
	    buf_appendf(out, err, "lfs_uploads_in_flight %ld\n", __atomic_load_n(&ctr.uploads, __ATOMIC_RELAXED)) < 0 ||
	    family(out, "lfs_downloads_in_flight", "gauge", "Object downloads in progress", err) < 0 ||
	    buf_appendf(out, err, "lfs_downloads_in_flight %ld\n", __atomic_load_n(&ctr.downloads, __ATOMIC_RELAXED)) < 0 ||
	    family(out, "lfs_objects_stored", "gauge", "Objects stored, each counted once", err) < 0 ||
	    buf_appendf(out, err, "lfs_objects_stored %lld\n", v->objects) < 0 ||
	    family(out, "lfs_stored_bytes", "gauge", "Bytes of the objects stored", err) < 0 ||
	    buf_appendf(out, err, "lfs_stored_bytes %lld\n", v->bytes) < 0 ||
	    family(out, "lfs_failed_logins_total", "counter", "Wrong or malformed Basic credentials", err) < 0 ||
	    buf_appendf(out, err, "lfs_failed_logins_total %lld\n", v->failed_logins) < 0 ||
	    family(out, "lfs_lockouts_total", "counter", "Client addresses locked out after too many failed logins", err) < 0 ||
	    buf_appendf(out, err, "lfs_lockouts_total %lld\n", v->lockouts) < 0 ||
	    render_mirrors(out, v, err) < 0)
		return err->code ? err->code : ERR_IO;
	return 0;
}

/* --- GET /metrics ----------------------------------------------------------- */

int metrics_mirrors(json_t *status, struct metrics_mirror **out, size_t *n)
{
	size_t i;
	json_t *o;

	*n = 0;
	*out = calloc(json_array_size(status) + 1, sizeof(**out));
	if (!*out)
		return ERR_NOMEM;
	json_array_foreach(status, i, o) {
		struct metrics_mirror *m = &(*out)[(*n)++];
		m->name = json_string_value(json_object_get(o, "name"));
		if (!m->name)
			m->name = "";
		m->healthy = json_is_true(json_object_get(o, "healthy"));
		m->last_seq = json_integer_value(json_object_get(o, "last_seq"));
		m->verified = json_integer_value(json_object_get(o, "verified"));
		m->failed = json_integer_value(json_object_get(o, "failed"));
	}
	return 0;
}

static enum MHD_Result metrics_end(struct req *r)
{
	struct server *srv = r->srv;
	struct metrics_view v = { .version = LFS_VERSION, .started_at = metrics_started_at() };
	struct metrics_mirror *mirrors = NULL;
	json_t *status = NULL;
	struct buf out;
	struct err err = ERR_INIT;
	enum MHD_Result rc;

	if (!access_operator_or_reply(r, &rc))
		return rc;
	buf_init(&out, METRICS_MAX_BYTES);
	auth_counters(srv->auth, &v.failed_logins, &v.lockouts);
	status = mirrors_status(srv->mirrors);
	if (!status || metrics_mirrors(status, &mirrors, &v.n_mirrors) < 0) {
		rc = http_reply_error(r, 500, "out of memory");
		goto out;
	}
	v.mirrors = mirrors;
	if (metrics_stored(srv->meta, &v.objects, &v.bytes, &err) < 0 ||
	    meta_feed_last_seq(srv->meta, &v.feed_seq, &err) < 0 ||
	    metrics_render(&out, &v, &err) < 0) {
		rc = http_reply_err(r, &err);
		goto out;
	}
	{
		static const char *const extra[] = { MHD_HTTP_HEADER_CACHE_CONTROL, "no-store", NULL };
		rc = http_reply_buf(r, &out, "text/plain; version=0.0.4; charset=utf-8", extra);
	}
out:
	buf_release(&out);
	free(mirrors);
	json_decref(status);
	return rc;
}

const struct handler metrics_handler = { NULL, NULL, metrics_end, NULL };
