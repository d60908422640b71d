/* reqjson: JSON request bodies (batch, verify, locks) parsed at a bounded
 * memory cost, and the server-wide budget those costs are drawn from.
 *
 * jansson builds the whole tree, and a tree costs far more than its text:
 * a 1 MiB body of 349,000 "{}" is ~80 MB of objects and hash tables.  So
 * before json_loadb sees a body, reqjson_scan counts what the tree would
 * hold (containers, values, string bytes, nesting) without allocating, and
 * a request whose counts exceed what its endpoint can need (its shape) is
 * refused: 413 for too many values, 422 for too deep.  What is left has a
 * known worst-case cost (reqjson_cost, checked against jansson's real
 * allocations in tests/unit/reqjson.c), taken from the budget before the
 * tree is built: over the budget the request gets 503 + Retry-After.
 *
 * Pure apart from the budget's atomic counter; unit-tested and fuzzed. */
#ifndef LFS_REQJSON_H
#define LFS_REQJSON_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Server-wide bytes that JSON bodies and their trees may hold at once.
 * Would be the config key server.max-json-inflight. */
#define REQJSON_INFLIGHT_DEFAULT (64LL << 20)
/* Seconds a client is told to wait after a 503. */
#define REQJSON_RETRY_AFTER "2"

/* What an endpoint's body may hold at most. */
struct reqjson_shape {
	int max_depth;            /* 1 = a flat object, 2 = one nested level, ... */
	long long max_containers; /* objects and arrays, the root included */
	long long max_values;     /* members of objects plus elements of arrays */
};

/* The counts of a body, found without building anything. */
struct reqjson_scan {
	int depth;
	long long containers, values;
	long long string_bytes; /* inside strings and keys, escapes included */
	long long longest;      /* the longest string or number token */
};

void reqjson_scan(const char *body, size_t len, struct reqjson_scan *out);
/* The most bytes json_loadb may hold at once for a scanned body. */
long long reqjson_cost(const struct reqjson_scan *s);
/* 0 if s fits shape; else ERR_TOOBIG (too many) or ERR_INVALID (too deep). */
int reqjson_fits(const struct reqjson_scan *s, const struct reqjson_shape *shape, struct err *err) __attribute__((warn_unused_result));

/* The in-flight budget: max bytes (0 = REQJSON_INFLIGHT_DEFAULT), used
 * changed atomically by every request thread. */
struct reqjson_budget {
	long long max;
	long long used;
};

/* What one request holds of a budget (budget NULL: nothing is counted). */
struct reqjson_hold {
	struct reqjson_budget *budget;
	long long held;
};

/* Takes n more bytes for h: ERR_BUSY when the budget cannot give them now,
 * ERR_TOOBIG when n alone is more than the whole budget. */
int reqjson_take(struct reqjson_hold *h, long long n, struct err *err) __attribute__((warn_unused_result));
/* Gives back everything h holds. */
void reqjson_release(struct reqjson_hold *h);

/* The first half of reqjson_parse: scan, shape check, cost taken from h
 * (the scan in scan_out).  A caller that reads the admitted body without
 * a tree (core/batch.c) stops here; reqjson_load builds the tree. */
int reqjson_admit(const char *body, size_t len, const struct reqjson_shape *shape,
		  struct reqjson_hold *h, struct reqjson_scan *scan_out, struct err *err)
	__attribute__((warn_unused_result));
/* json_loadb of an admitted body, as reqjson_parse does it. */
int reqjson_load(json_t **out, const char *body, size_t len, struct err *err) __attribute__((warn_unused_result));

/* Scan, shape check, cost taken from h, then json_loadb (JSON_ALLOW_NUL:
 * "\u0000" is valid JSON; callers' checks refuse it where it matters).
 * ERR_SYNTAX for malformed JSON; the cost stays held until released. */
int reqjson_parse(json_t **out, const char *body, size_t len, const struct reqjson_shape *shape,
		  struct reqjson_hold *h, struct err *err) __attribute__((warn_unused_result));

#endif
