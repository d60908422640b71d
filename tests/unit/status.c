/* Unit tests for lfs-server/server/status.c: escaping, chart scaling, the page. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "server/status.h"
#include "tap.h"

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

int main(void)
{
	struct buf out;
	struct err err = ERR_INIT;
	static const struct {
		const char *in, *want;
	} esc[] = {
		{ "plain/repo-1.x", "plain/repo-1.x" },
		{ "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "a&b", "a&amp;b" },
		{ "\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;" },
		{ "&amp;", "&amp;amp;" },
		{ "", "" },
	};
	static const struct {
		long long count, max;
		int height, want;
	} bars[] = {
		{ 0, 10, 100, 0 },      /* nothing: no bar */
		{ 10, 10, 100, 100 },   /* the busiest day fills the chart */
		{ 5, 10, 100, 50 },     /* proportional */
		{ 1, 100000, 130, 1 },  /* tiny but present: at least 1 px */
		{ 2, 3, 130, 87 },      /* rounded */
		{ 5, 0, 100, 0 },       /* no max: nothing */
		{ -1, 10, 100, 0 },     /* nonsense count */
		{ 20, 10, 100, 100 },   /* over max: clipped */
		{ 3000000000LL, 4000000000LL, 130, 98 }, /* large counts do not overflow */
	};
	char days[STATUS_DAYS][11];
	long long counts[STATUS_DAYS] = { 0 };
	char errors[STATUS_ERRORS][STATUS_ERROR_MAX];
	struct status_repo repos[] = { { "tock/<b>bold</b>", 3, 2048 }, { "plain", 1, 5 } };
	struct status_mirror mirrors[] = {
		{ "uni-a", "https://a.example/lfs?x=1&y=2", "2026-01-01T00:00:00Z", NULL, true, 40, 2, 38, 0 },
		{ "down<1>", "https://b.example", NULL, "connect: <refused>", false, -1, 42, 0, 3 },
	};
	struct status_view v = { .version = "1.0", .now = 1767225600 + 90061, .started_at = 1767225600,
				 .objects = 4, .bytes = 2053, .repos = repos, .n_repos = 2, .repos_total = 5,
				 .feed_seq = 42, .mirrors = mirrors, .n_mirrors = 2 };
	size_t n;
	int saved, quiet;

	for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
		buf_init(&out, 1024);
		ok(status_escape(&out, esc[i].in, &err) == 0 && strcmp(out.len ? out.data : "", esc[i].want) == 0,
		   "escape \"%s\" -> \"%s\"", esc[i].in, out.len ? out.data : "");
		buf_release(&out);
	}
	for (size_t i = 0; i < sizeof(bars) / sizeof(bars[0]); i++)
		ok(status_bar_height(bars[i].count, bars[i].max, bars[i].height) == bars[i].want,
		   "bar %lld of %lld in %d px = %d (got %d)", bars[i].count, bars[i].max, bars[i].height,
		   bars[i].want, status_bar_height(bars[i].count, bars[i].max, bars[i].height));

	status_days(days, 1767225600); /* 2026-01-01 */
	is_str(days[STATUS_DAYS - 1], "2026-01-01", "the last day is today");
	is_str(days[0], "2025-12-03", "the first is 29 days before");

	counts[0] = 4;
	counts[29] = 2;
	buf_init(&out, 1 << 20);
	ok(status_chart(&out, days, counts, STATUS_DAYS, &err) == 0, "chart renders");
	is_int(count(out.data, "<rect "), STATUS_DAYS, "one bar per day");
	ok(strstr(out.data, "<title>2026-01-01: 2</title>") != NULL, "a bar names its day and count");
	ok(strstr(out.data, "height=\"65\"") != NULL, "2 of 4 is half the 130 px plot");
	ok(strstr(out.data, "height=\"130\"") != NULL, "the busiest day is full height");
	ok(strncmp(out.data, "<svg", 4) == 0 && strstr(out.data, "</svg>") != NULL, "inline svg");
	buf_release(&out);

	/* The log ring keeps warn and error lines only, the last STATUS_ERRORS. */
	status_init();
	log_set_level(LOG_INFO);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	quiet = open("/dev/null", O_WRONLY);
	ok(saved >= 0 && quiet >= 0 && dup2(quiet, STDERR_FILENO) >= 0, "log lines go to /dev/null here");
	log_info("not kept");
	for (int i = 0; i < STATUS_ERRORS + 5; i++)
		log_warn("warning %d <x>", i);
	log_error("the last one");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(quiet);
	n = status_recent_errors(errors);
	is_int((long long)n, STATUS_ERRORS, "the ring holds the last 20");
	ok(strstr(errors[n - 1], "error the last one") != NULL, "newest last");
	ok(strstr(errors[0], "warning 6 <x>") != NULL, "oldest kept is the 7th warning (%s)", errors[0]);
	log_set_hook(NULL);

	memcpy(v.days, days, sizeof(days));
	memcpy(v.uploads, counts, sizeof(counts));
	v.errors = errors;
	v.n_errors = n;
	buf_init(&out, 1 << 20);
	ok(status_render(&out, &v, &err) == 0, "page renders (%s)", err.msg);
	ok(strstr(out.data, "tock/&lt;b&gt;bold&lt;/b&gt;") && !strstr(out.data, "<b>bold"), "repo names escaped");
	ok(strstr(out.data, "down&lt;1&gt;") && strstr(out.data, "connect: &lt;refused&gt;"),
	   "mirror name and error escaped");
	ok(strstr(out.data, "lfs?x=1&amp;y=2") != NULL, "mirror url escaped");
	ok(strstr(out.data, "warning 24 &lt;x&gt;") && !strstr(out.data, "<x>"), "log lines escaped");
	ok(strstr(out.data, "and 3 more") != NULL, "repos beyond the list are counted");
	ok(strstr(out.data, "1 d 1 h 1 min") != NULL, "uptime");
	ok(strstr(out.data, "2.0 KiB") != NULL && strstr(out.data, "2053 bytes") != NULL, "storage used");
	ok(strstr(out.data, "<td class=\"n\">never answered</td><td class=\"n\">42</td>") != NULL,
	   "a mirror that never answered lags the whole feed");
	ok(!strstr(out.data, "<script") && !strstr(out.data, "src="), "no script, no external asset");
	ok(strstr(out.data, "</html>") != NULL, "complete page");
	buf_release(&out);

	buf_init(&out, 64);
	ok(status_render(&out, &v, &err) == ERR_TOOBIG, "a capped buffer fails cleanly");
	buf_release(&out);
	return tap_done();
}
