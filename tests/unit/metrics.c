/* Unit tests for lfs-server/server/metrics.c: the exposition text (the
 * integration test t8000 parses it with Prometheus' own parser). */
#include <stdio.h>
#include <string.h>

#include "server/metrics.h"
#include "tap.h"

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

int main(void)
{
	struct buf out, small;
	struct err err = ERR_INIT;
	struct metrics_mirror mirrors[] = {
		{ "uni-a", true, 40, 38, 1 },
		{ "we\"ird\\name\n", false, 50, 0, 0 },
		{ "never", false, -1, 0, 0 },
	};
	struct metrics_view v = { .version = "1.2.3", .started_at = 1700000000, .objects = 7,
				  .bytes = 123456, .failed_logins = 3, .lockouts = 1, .feed_seq = 45,
				  .mirrors = mirrors, .n_mirrors = 3 };

	buf_init(&out, 1 << 20);
	ok(metrics_label(&out, "a\"b\\c\nd", &err) == 0, "label escapes");
	is_str(out.data, "a\\\"b\\\\c\\nd", "quote, backslash and newline escaped");
	buf_release(&out);

	metrics_request_done(ROUTE_BATCH, 200, 3000, 100, 200);
	metrics_request_done(ROUTE_BATCH, 200, 70000, 10, 20);
	metrics_request_done(ROUTE_BATCH, 404, 70000000, 0, 50);
	metrics_request_done(ROUTE_OBJECT, 0, 1000, 5, 0);
	metrics_request_done((enum route_kind)99, 999, -5, -1, -1);
	metrics_transfer(true, 1);
	metrics_transfer(true, 1);
	metrics_transfer(true, -1);
	metrics_transfer(false, 1);

	ok(metrics_render(&out, &v, &err) == 0, "renders (%s)", err.msg);
	ok(has_line(out.data, "lfs_build_info{version=\"1.2.3\"} 1"), "build info");
	ok(has_line(out.data, "lfs_http_requests_total{endpoint=\"batch\",code=\"200\"} 2"), "requests by code");
	ok(has_line(out.data, "lfs_http_requests_total{endpoint=\"batch\",code=\"404\"} 1"), "404 apart");
	ok(has_line(out.data, "lfs_http_requests_total{endpoint=\"object\",code=\"0\"} 1"), "no answer: code 0");
	ok(has_line(out.data, "lfs_http_requests_total{endpoint=\"none\",code=\"0\"} 1"),
	   "out-of-range kind and status fold into none/0");
	ok(!strstr(out.data, "code=\"999\""), "no code 999");
	ok(has_line(out.data, "lfs_http_request_duration_seconds_bucket{endpoint=\"batch\",le=\"0.005\"} 1"),
	   "3 ms in the 5 ms bucket");
	ok(has_line(out.data, "lfs_http_request_duration_seconds_bucket{endpoint=\"batch\",le=\"0.1\"} 2"),
	   "buckets are cumulative");
	ok(has_line(out.data, "lfs_http_request_duration_seconds_bucket{endpoint=\"batch\",le=\"60\"} 2"),
	   "70 s is over the last bound");
	ok(has_line(out.data, "lfs_http_request_duration_seconds_bucket{endpoint=\"batch\",le=\"+Inf\"} 3"),
	   "+Inf holds every request");
	ok(has_line(out.data, "lfs_http_request_duration_seconds_count{endpoint=\"batch\"} 3"), "count");
	ok(has_line(out.data, "lfs_http_request_duration_seconds_sum{endpoint=\"batch\"} 70.073000"), "sum in seconds");
	ok(has_line(out.data, "lfs_http_received_bytes_total{endpoint=\"batch\"} 110"), "bytes in");
	ok(has_line(out.data, "lfs_http_sent_bytes_total{endpoint=\"batch\"} 270"), "bytes out");
	ok(has_line(out.data, "lfs_http_sent_bytes_total{endpoint=\"none\"} 0"), "negative bytes not added");
	ok(has_line(out.data, "lfs_uploads_in_flight 1"), "uploads in flight");
	ok(has_line(out.data, "lfs_downloads_in_flight 1"), "downloads in flight");
	ok(has_line(out.data, "lfs_objects_stored 7") && has_line(out.data, "lfs_stored_bytes 123456"), "stored");
	ok(has_line(out.data, "lfs_failed_logins_total 3") && has_line(out.data, "lfs_lockouts_total 1"),
	   "failed logins and lockouts");
	ok(has_line(out.data, "lfs_mirror_up{mirror=\"uni-a\"} 1"), "mirror up");
	ok(has_line(out.data, "lfs_mirror_lag{mirror=\"uni-a\"} 5"), "lag = feed seq - mirror seq");
	ok(has_line(out.data, "lfs_mirror_lag{mirror=\"we\\\"ird\\\\name\\n\"} 0"),
	   "a mirror ahead of the feed lags 0; its name escaped");
	ok(has_line(out.data, "lfs_mirror_lag{mirror=\"never\"} 45") &&
	   has_line(out.data, "lfs_mirror_last_seq{mirror=\"never\"} -1"), "a mirror never seen lags the whole feed");
	ok(has_line(out.data, "lfs_mirror_verified_objects{mirror=\"uni-a\"} 38") &&
	   has_line(out.data, "lfs_mirror_failed_objects{mirror=\"uni-a\"} 1"), "verification state");
	ok(has_line(out.data, "# TYPE lfs_http_request_duration_seconds histogram"), "histogram type line");
	ok(out.data[out.len - 1] == '\n', "ends with a newline");

	buf_init(&small, 100);
	ok(metrics_render(&small, &v, &err) == ERR_TOOBIG, "a capped buffer fails cleanly");
	buf_release(&small);
	buf_release(&out);
	return tap_done();
}
