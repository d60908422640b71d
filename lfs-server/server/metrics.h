/* metrics: the running server's counters and GET /metrics, in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * Counters are process-wide and lock-free (atomic adds): every request
 * adds to them once, when it completes (http.c).  Gauges that need the
 * metadata (objects and bytes stored) come from one indexed aggregate,
 * cached for METRICS_STORED_TTL seconds, so a scrape every 15 s costs
 * one query whatever the store holds. */
#ifndef LFS_METRICS_H
#define LFS_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "core/route.h"
#include "err.h"

#define METRICS_STORED_TTL 10
/* Upper bounds of the request duration histogram, seconds. */
#define METRICS_BUCKETS 13

struct meta;

/* Records when the server started (for uptime); call once at start. */
void metrics_init(void);
time_t metrics_started_at(void);

/* One completed request: its endpoint, the status answered (0: none, the
 * client went away first), how long it took and the body bytes each way. */
void metrics_request_done(enum route_kind kind, int status, int64_t duration_us,
			  long long bytes_in, long long bytes_out);
/* An object upload (or download) starts (+1) or ends (-1). */
void metrics_transfer(bool upload, int delta);

/* Objects and bytes stored (each object counted once, however many repos
 * hold it), at most METRICS_STORED_TTL seconds old. */
int metrics_stored(struct meta *m, long long *objects, long long *bytes, struct err *err) __attribute__((warn_unused_result));

struct metrics_mirror {
	const char *name;
	bool healthy;
	long long last_seq, verified, failed;
};

/* Feed entries a mirror at mirror_seq (-1: never answered) is behind. */
long long metrics_lag(long long feed_seq, long long mirror_seq);

/* The mirrors of mirrors_status()'s array (names borrowed from it):
 * *out (free it) gets *n entries.  0 or ERR_NOMEM. */
int metrics_mirrors(json_t *status, struct metrics_mirror **out, size_t *n);

/* What the exposition needs beyond the counters. */
struct metrics_view {
	const char *version;
	time_t started_at;
	long long objects, bytes;
	long long failed_logins, lockouts;
	long long feed_seq;     /* the newest seq of the mirror feed, 0 if empty */
	const struct metrics_mirror *mirrors;
	size_t n_mirrors;
};

/* Appends the whole exposition to out. */
int metrics_render(struct buf *out, const struct metrics_view *v, struct err *err) __attribute__((warn_unused_result));

/* Appends s as a label value: backslash, double quote and newline escaped. */
int metrics_label(struct buf *out, const char *s, struct err *err) __attribute__((warn_unused_result));

#endif
