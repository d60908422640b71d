/* progress: transfer meter (see progress.h). */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "say.h"

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void progress_format_bytes(char *out, size_t outsz, double bytes)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
	int u = 0;

	while (bytes >= 1000 && u < 4) {
		bytes /= 1000;
		u++;
	}
	if (u == 0 || bytes >= 100)
		snprintf(out, outsz, "%.0f %s", bytes, units[u]);
	else
		snprintf(out, outsz, "%.1f %s", bytes, units[u]);
}

static void draw(struct progress *p, const char *tail)
{
	char done[32], rate[32];
	int pct = p->bytes > 0 ? (int)(p->bytes_done * 100 / p->bytes) : (p->files ? p->files_done * 100 / p->files : 100);
	double secs = since(&p->start, &p->last);

	progress_format_bytes(done, sizeof(done), (double)p->bytes_done);
	progress_format_bytes(rate, sizeof(rate), secs > 0.05 ? (double)p->bytes_done / secs : 0);
	char line[256];
	int n = snprintf(line, sizeof(line), "%s: %3d%% (%d/%d), %s | %s/s", p->label, pct, p->files_done, p->files,
			 done, rate);

	say_progress(line, p->width, tail);
	p->width = n;
	p->drawn = true;
}

static void maybe_draw(struct progress *p)
{
	struct timespec now;

	if (!p || !p->show)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p->drawn && since(&p->last, &now) < 0.2)
		return;
	p->last = now;
	draw(p, "");
}

void progress_start(struct progress *p, const char *label, int files, long long bytes)
{
	p->label = label;
	p->show = isatty(2) != 0;
	p->files = files;
	p->files_done = 0;
	p->bytes = bytes;
	p->bytes_done = 0;
	p->drawn = false;
	p->width = 0;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

void progress_bytes(struct progress *p, long long n)
{
	if (!p)
		return;
	p->bytes_done += n;
	maybe_draw(p);
}

void progress_file_done(struct progress *p)
{
	if (!p)
		return;
	p->files_done++;
	maybe_draw(p);
}

void progress_finish(struct progress *p, bool ok)
{
	if (!p || !p->show || p->files == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	draw(p, ok ? ", done.\n" : "\n");
}
