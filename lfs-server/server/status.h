/* status: GET /_lfs/status, one server-rendered HTML page for operators:
 * version and uptime, storage, repos with their object counts, uploads
 * per day for 30 days as an inline SVG chart, each mirror's health, lag
 * and verification, and the last warn/error log lines.  No script, no
 * external asset: it works in any browser with JavaScript off.  Every
 * text that comes from outside (repo names, mirror names and URLs, log
 * lines) is HTML-escaped.
 *
 * The pure part (status_render and its helpers) is unit-tested; the
 * handler gathers the view from meta, mirrors and the log ring. */
#ifndef LFS_STATUS_H
#define LFS_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define STATUS_DAYS 30
#define STATUS_ERRORS 20      /* warn/error lines kept */
#define STATUS_ERROR_MAX 400  /* bytes kept of each */
#define STATUS_REPOS_MAX 500  /* repos listed; the rest are counted */
#define STATUS_CHART_W 600
#define STATUS_CHART_H 160

/* Starts keeping the last STATUS_ERRORS warn and error log lines (a log.h
 * hook).  Call once at start. */
void status_init(void);
/* Copies the kept lines, oldest first, into out (STATUS_ERRORS entries);
 * returns how many. */
size_t status_recent_errors(char out[][STATUS_ERROR_MAX]);

struct status_repo {
	char *name;
	long long objects, bytes;
};

struct status_mirror {
	const char *name, *url, *checked_at, *error; /* checked_at, error: NULL if none */
	bool healthy;
	long long last_seq, lag, verified, failed;
};

struct status_view {
	const char *version;
	time_t now, started_at;
	long long objects, bytes;
	const struct status_repo *repos;
	size_t n_repos;
	long long repos_total;          /* may exceed n_repos */
	char days[STATUS_DAYS][11];     /* YYYY-MM-DD, oldest first */
	long long uploads[STATUS_DAYS];
	long long feed_seq;
	const struct status_mirror *mirrors;
	size_t n_mirrors;
	char (*errors)[STATUS_ERROR_MAX];
	size_t n_errors;
};

/* Appends s with & < > " ' as character references. */
int status_escape(struct buf *out, const char *s, struct err *err) __attribute__((warn_unused_result));
/* A bar's height in pixels for count out of max in a chart height pixels
 * tall: proportional, and at least 1 for any count above 0. */
int status_bar_height(long long count, long long max, int height);
/* The uploads chart as an inline <svg>. */
int status_chart(struct buf *out, const char days[][11], const long long *counts, size_t n,
		 struct err *err) __attribute__((warn_unused_result));
/* Fills days with the STATUS_DAYS UTC dates ending with now's. */
void status_days(char days[][11], time_t now);
/* The whole page. */
int status_render(struct buf *out, const struct status_view *v, struct err *err) __attribute__((warn_unused_result));

#endif
