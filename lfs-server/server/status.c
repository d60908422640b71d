/* status: the operators' HTML page (see status.h). */
#include "server/status.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server/access.h"
#include "server/endpoint.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/server.h"
#include "version.h"

#define PAGE_MAX_BYTES (8 << 20)

/* --- recent errors ------------------------------------------------------- */

static struct {
	pthread_mutex_t mu;
	char lines[STATUS_ERRORS][STATUS_ERROR_MAX];
	size_t next, n;
} ring = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* Never logs: it runs inside log_msg. */
static void keep_line(enum log_level level, const char *line, size_t len)
{
	if (level < LOG_WARN)
		return;
	if (len >= STATUS_ERROR_MAX)
		len = STATUS_ERROR_MAX - 1;
	pthread_mutex_lock(&ring.mu);
	memcpy(ring.lines[ring.next], line, len);
	ring.lines[ring.next][len] = '\0';
	ring.next = (ring.next + 1) % STATUS_ERRORS;
	if (ring.n < STATUS_ERRORS)
		ring.n++;
	pthread_mutex_unlock(&ring.mu);
}

void status_init(void)
{
	log_set_hook(keep_line);
}

size_t status_recent_errors(char out[][STATUS_ERROR_MAX])
{
	size_t n;

	pthread_mutex_lock(&ring.mu);
	n = ring.n;
	for (size_t i = 0; i < n; i++)
		memcpy(out[i], ring.lines[(ring.next + STATUS_ERRORS - n + i) % STATUS_ERRORS], STATUS_ERROR_MAX);
	pthread_mutex_unlock(&ring.mu);
	return n;
}

/* --- pure rendering -------------------------------------------------------- */


static int lit(struct buf *out, const char *s, struct err *err)
{
	return buf_append(out, s, strlen(s), err);
}

int status_escape(struct buf *out, const char *s, struct err *err)
{
	const char *run = s;

	for (const char *p = s;; p++) {
		const char *ref = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
				: *p == '"' ? "&quot;" : *p == '\'' ? "&#39;" : NULL;
		if (!ref && *p)
			continue;
		if (p > run && buf_append(out, run, (size_t)(p - run), err) < 0)
			return -1;
		if (!*p)
			return 0;
		if (lit(out, ref, err) < 0)
			return -1;
		run = p + 1;
	}
}

int status_bar_height(long long count, long long max, int height)
{
	long long h;

	if (count <= 0 || max <= 0 || height <= 0)
		return 0;
	if (count >= max)
		return height;
	h = (count * height + max / 2) / max;
	return h < 1 ? 1 : (int)h;
}

void status_days(char days[][11], time_t now)
{
	for (int i = 0; i < STATUS_DAYS; i++) {
		time_t t = now - (time_t)(STATUS_DAYS - 1 - i) * 86400;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(days[i], 11, "%Y-%m-%d", &tm);
	}
}

int status_chart(struct buf *out, const char days[][11], const long long *counts, size_t n,
		 struct err *err)
{
	const int left = 40, bottom = 20, top = 10, plot_h = STATUS_CHART_H - bottom - top;
	long long max = 0, total = 0;
	double slot;

	for (size_t i = 0; i < n; i++) {
		if (counts[i] > max)
			max = counts[i];
		total += counts[i];
	}
	slot = n ? (double)(STATUS_CHART_W - left) / (double)n : 0;
	if (buf_appendf(out, err, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		 "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"uploads per day: %lld in %zu days, at most %lld a day\">\n",
		 STATUS_CHART_W, STATUS_CHART_H, STATUS_CHART_W, STATUS_CHART_H, total, n, max) < 0 ||
	    buf_appendf(out, err, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n",
		 left, top + plot_h, STATUS_CHART_W, top + plot_h) < 0 ||
	    buf_appendf(out, err, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%lld</text>\n"
		 "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">0</text>\n",
		 left - 4, top + 10, max, left - 4, top + plot_h) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int h = status_bar_height(counts[i], max, plot_h);
		if (buf_appendf(out, err, "<rect class=\"bar\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#2a6fb0\">"
			 "<title>%s: %lld</title></rect>\n", left + slot * (double)i + 1, top + plot_h - h,
			 slot > 3 ? slot - 2 : slot, h, days[i], counts[i]) < 0)
			return -1;
	}
	if (n && buf_appendf(out, err, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n"
		      "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
		      left, STATUS_CHART_H - 4, days[0], STATUS_CHART_W, STATUS_CHART_H - 4, days[n - 1]) < 0)
		return -1;
	return lit(out, "</svg>\n", err);
}

static void human_bytes(char *out, size_t outsz, long long n)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, outsz, "%lld B", n);
	else
		snprintf(out, outsz, "%.1f %s", v, units[u]);
}

static void human_duration(char *out, size_t outsz, long long s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, outsz, "%lld d %lld h %lld min", s / 86400, s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(out, outsz, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(out, outsz, "%lld min %lld s", s / 60, s % 60);
}

static const char style[] =
	"body{font-family:sans-serif;margin:1.5em;max-width:70em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em}"
	"th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".ok{color:#176b1f;font-weight:bold}.bad{color:#b00020;font-weight:bold}"
	"pre{background:#f6f6f6;padding:.5em;white-space:pre-wrap;word-break:break-all}";

static int render_summary(struct buf *out, const struct status_view *v, struct err *err)
{
	char up[64], bytes[32], started[32];
	struct tm tm;

	human_duration(up, sizeof(up), (long long)(v->now - v->started_at));
	human_bytes(bytes, sizeof(bytes), v->bytes);
	gmtime_r(&v->started_at, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (lit(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width\"><title>lfs-server status</title><style>", err) < 0 ||
	    lit(out, style, err) < 0 || lit(out, "</style></head><body>\n<h1>lfs-server status</h1>\n", err) < 0 ||
	    lit(out, "<table id=\"summary\">\n<tr><th>version</th><td>", err) < 0 ||
	    status_escape(out, v->version, err) < 0 ||
	    buf_appendf(out, err, "</td></tr>\n<tr><th>uptime</th><td>%s (since %s)</td></tr>\n"
		 "<tr><th>objects stored</th><td class=\"n\" id=\"objects\">%lld</td></tr>\n"
		 "<tr><th>storage used</th><td class=\"n\" id=\"bytes\">%s (%lld bytes)</td></tr>\n"
		 "<tr><th>mirror feed</th><td class=\"n\">last seq %lld</td></tr>\n</table>\n",
		 up, started, v->objects, bytes, v->bytes, v->feed_seq) < 0)
		return -1;
	return 0;
}

static int render_repos(struct buf *out, const struct status_view *v, struct err *err)
{
	if (buf_appendf(out, err, "<h2>Repositories (%lld)</h2>\n", v->repos_total) < 0)
		return -1;
	if (v->n_repos == 0)
		return lit(out, "<p>No objects yet.</p>\n", err);
	if (lit(out, "<table id=\"repos\">\n<tr><th>repository</th><th>objects</th><th>bytes</th></tr>\n", err) < 0)
		return -1;
	for (size_t i = 0; i < v->n_repos; i++) {
		char bytes[32];
		human_bytes(bytes, sizeof(bytes), v->repos[i].bytes);
		if (lit(out, "<tr><td>", err) < 0 || status_escape(out, v->repos[i].name, err) < 0 ||
		    buf_appendf(out, err, "</td><td class=\"n\">%lld</td><td class=\"n\">%s</td></tr>\n",
			 v->repos[i].objects, bytes) < 0)
			return -1;
	}
	if (lit(out, "</table>\n", err) < 0)
		return -1;
	if ((long long)v->n_repos < v->repos_total &&
	    buf_appendf(out, err, "<p>and %lld more (lfs-admin stats lists all).</p>\n",
		 v->repos_total - (long long)v->n_repos) < 0)
		return -1;
	return 0;
}

static int cell(struct buf *out, const char *s, struct err *err)
{
	if (lit(out, "<td>", err) < 0 || status_escape(out, s ? s : "", err) < 0)
		return -1;
	return lit(out, "</td>", err);
}

static int render_mirrors(struct buf *out, const struct status_view *v, struct err *err)
{
	if (buf_appendf(out, err, "<h2>Mirrors (%zu)</h2>\n", v->n_mirrors) < 0)
		return -1;
	if (v->n_mirrors == 0)
		return lit(out, "<p>No mirrors configured.</p>\n", err);
	if (lit(out, "<table id=\"mirrors\">\n<tr><th>mirror</th><th>url</th><th>health</th><th>last seq</th>"
		"<th>lag</th><th>verified</th><th>failed</th><th>checked at</th><th>error</th></tr>\n", err) < 0)
		return -1;
	for (size_t i = 0; i < v->n_mirrors; i++) {
		const struct status_mirror *m = &v->mirrors[i];
		if (lit(out, "<tr>", err) < 0 || cell(out, m->name, err) < 0 || cell(out, m->url, err) < 0 ||
		    buf_appendf(out, err, "<td class=\"%s\">%s</td>", m->healthy ? "ok" : "bad", m->healthy ? "healthy" : "down") < 0 ||
		    (m->last_seq < 0 ? lit(out, "<td class=\"n\">never answered</td>", err)
				     : buf_appendf(out, err, "<td class=\"n\">%lld</td>", m->last_seq)) < 0 ||
		    buf_appendf(out, err, "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n%s\">%lld</td>",
			 m->lag, m->verified, m->failed ? " bad" : "", m->failed) < 0 ||
		    cell(out, m->checked_at, err) < 0 || cell(out, m->error, err) < 0 || lit(out, "</tr>\n", err) < 0)
			return -1;
	}
	return lit(out, "</table>\n", err);
}

int status_render(struct buf *out, const struct status_view *v, struct err *err)
{
	if (render_summary(out, v, err) < 0 || render_repos(out, v, err) < 0 ||
	    buf_appendf(out, err, "<h2>Uploads per day (last %d days)</h2>\n", STATUS_DAYS) < 0 ||
	    status_chart(out, v->days, v->uploads, STATUS_DAYS, err) < 0 ||
	    render_mirrors(out, v, err) < 0 ||
	    buf_appendf(out, err, "<h2>Recent warnings and errors (%zu)</h2>\n", v->n_errors) < 0)
		return err->code ? err->code : ERR_IO;
	if (v->n_errors == 0) {
		if (lit(out, "<p>None since the start.</p>\n", err) < 0)
			return err->code;
	} else {
		if (lit(out, "<pre id=\"errors\">", err) < 0)
			return err->code;
		for (size_t i = v->n_errors; i-- > 0;)
			if (status_escape(out, v->errors[i], err) < 0 || lit(out, "\n", err) < 0)
				return err->code;
		if (lit(out, "</pre>\n", err) < 0)
			return err->code;
	}
	return lit(out, "</body></html>\n", err) < 0 ? err->code : 0;
}

/* --- GET /_lfs/status ----------------------------------------------------- */

struct repo_list {
	struct status_repo *v;
	size_t n;
	bool oom;
};

static int add_repo(const char *repo, long long objects, long long bytes, void *arg)
{
	struct repo_list *l = arg;
	struct status_repo *e = &l->v[l->n];

	if (!(e->name = strdup(repo ? repo : ""))) {
		l->oom = true;
		return 1;
	}
	e->objects = objects;
	e->bytes = bytes;
	l->n++;
	return 0;
}

static int add_day(const char *day, long long count, void *arg)
{
	struct status_view *v = arg;

	for (int i = 0; i < STATUS_DAYS; i++)
		if (day && strcmp(v->days[i], day) == 0)
			v->uploads[i] = count;
	return 0;
}

static const char *opt_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static enum MHD_Result status_end(struct req *r)
{
	struct server *srv = r->srv;
	struct status_view v = { .version = LFS_VERSION, .now = time(NULL), .started_at = metrics_started_at() };
	struct repo_list repos = { calloc(STATUS_REPOS_MAX, sizeof(struct status_repo)), 0, false };
	char (*errors)[STATUS_ERROR_MAX] = calloc(STATUS_ERRORS, STATUS_ERROR_MAX);
	struct status_mirror *mirrors = NULL;
	json_t *ms = mirrors_status(srv->mirrors), *o;
	struct buf out;
	struct err err = ERR_INIT;
	enum MHD_Result rc;
	size_t i;

	buf_init(&out, PAGE_MAX_BYTES);
	if (!access_operator_or_reply(r, &rc))
		goto out;
	if (!repos.v || !errors || !ms || !(mirrors = calloc(json_array_size(ms) + 1, sizeof(*mirrors)))) {
		rc = http_reply_error(r, 500, "out of memory");
		goto out;
	}
	status_days(v.days, v.now);
	if (metrics_stored(srv->meta, &v.objects, &v.bytes, &err) < 0 ||
	    meta_feed_last_seq(srv->meta, &v.feed_seq, &err) < 0 ||
	    meta_repo_counts(srv->meta, STATUS_REPOS_MAX, add_repo, &repos, &v.repos_total, &err) < 0 ||
	    meta_uploads_per_day(srv->meta, v.days[0], add_day, &v, &err) < 0) {
		rc = http_reply_err(r, &err);
		goto out;
	}
	if (repos.oom) {
		rc = http_reply_error(r, 500, "out of memory");
		goto out;
	}
	v.repos = repos.v;
	v.n_repos = repos.n;
	json_array_foreach(ms, i, o) {
		struct status_mirror *m = &mirrors[v.n_mirrors++];
		m->name = opt_str(o, "name");
		m->url = opt_str(o, "url");
		m->checked_at = opt_str(o, "checked_at");
		m->error = opt_str(o, "error");
		m->healthy = json_is_true(json_object_get(o, "healthy"));
		m->last_seq = json_integer_value(json_object_get(o, "last_seq"));
		m->lag = metrics_lag(v.feed_seq, m->last_seq);
		m->verified = json_integer_value(json_object_get(o, "verified"));
		m->failed = json_integer_value(json_object_get(o, "failed"));
	}
	v.mirrors = mirrors;
	v.errors = errors;
	v.n_errors = status_recent_errors(errors);
	if (status_render(&out, &v, &err) < 0) {
		rc = http_reply_err(r, &err);
		goto out;
	}
	{
		/* Nothing on the page may load or run anything. */
		static const char *const extra[] = {
			MHD_HTTP_HEADER_CACHE_CONTROL, "no-store",
			"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'",
			"X-Content-Type-Options", "nosniff", NULL,
		};
		rc = http_reply_buf(r, &out, "text/html; charset=utf-8", extra);
	}
out:
	buf_release(&out);
	for (size_t k = 0; k < repos.n; k++)
		free(repos.v[k].name);
	free(repos.v);
	free(errors);
	free(mirrors);
	json_decref(ms);
	return rc;
}

const struct handler status_handler = { NULL, NULL, status_end, NULL };
