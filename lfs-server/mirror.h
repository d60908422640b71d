/* mirror: which public mirrors are healthy, and which one a client gets.
 *
 * `[mirror "NAME"] url = BASE, weight = N` sections name the mirrors.  A
 * background thread fetches each BASE/mirror-state.json every
 * mirror.check-interval seconds (connect timeout 2 s, whole request 5 s)
 * and records whether it answered with a valid state and its last_seq.
 * The batch path only reads that record: it never does network I/O. */
#ifndef LFS_MIRROR_H
#define LFS_MIRROR_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

struct git_config;
struct mirrors;

/* Reads the mirror sections (none is fine).  Caller frees with mirrors_free. */
int mirrors_new(struct mirrors **out, struct git_config *cfg, long long interval, struct err *err);
/* Starts the polling thread; a first round of checks runs at once. */
int mirrors_start(struct mirrors *m, struct err *err);
/* Stops the thread and frees everything; NULL is fine. */
void mirrors_free(struct mirrors *m);
size_t mirrors_count(const struct mirrors *m);

/* Picks a healthy mirror whose last_seq >= seq, spread by weight, and
 * writes BASE/objects/ab/cd/<oid> into out.  ERR_NOTFOUND when none. */
int mirrors_href(struct mirrors *m, long long seq, const char *oid, char *out, size_t outsz);

/* Each mirror's state, for /healthz.  New reference. */
json_t *mirrors_status(struct mirrors *m);

#endif
