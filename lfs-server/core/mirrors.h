/* mirrors: which public mirrors are healthy, and which one a client gets.
 *
 * `[mirror "NAME"] url = BASE, weight = N` sections name the mirrors.  A
 * background thread fetches each BASE/mirror-state.json every
 * mirror.check-interval seconds (connect timeout 2 s, whole request 5 s)
 * and records whether it answered with a valid state and its last_seq.
 * The batch path only reads that record: it never does network I/O.
 *
 * The same thread verifies mirror copies (core/mcheck.h): a mirror's href
 * is given for an object only once the server has fetched that mirror's
 * copy and found the right size and SHA-256.  Unchecked copies are checked
 * newest first at mirror.verify-rate bytes per second; good ones again
 * every mirror.recheck-interval seconds, failed ones every
 * mirror.check-interval (so a repair shows soon). */
#ifndef LFS_MIRROR_H
#define LFS_MIRROR_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct git_config;
struct meta;
struct mirrors;

/* Reads the mirror sections (none is fine).  Caller frees with mirrors_free. */
int mirrors_new(struct mirrors **out, struct git_config *cfg, long long interval, struct err *err) __attribute__((warn_unused_result));
/* Where verdicts live (without it no mirror href is ever given), the
 * checking rate in bytes/s (0 = no limit) and the seconds between checks
 * of a good copy.  Call before mirrors_start. */
void mirrors_set_verify(struct mirrors *m, struct meta *meta, long long rate, long long recheck);
/* Starts the polling thread; a first round of checks runs at once. */
int mirrors_start(struct mirrors *m, struct err *err) __attribute__((warn_unused_result));
/* Stops the thread and frees everything; NULL is fine. */
void mirrors_free(struct mirrors *m);
size_t mirrors_count(const struct mirrors *m);

/* Picks a healthy mirror whose last_seq >= seq, spread by weight, and
 * writes BASE/objects/ab/cd/<oid> into out.  ERR_NOTFOUND when none. */
int mirrors_href(struct mirrors *m, long long seq, const char *oid, char *out, size_t outsz);

/* `lfs-admin verify-mirrors`: polls each mirror (or only the one named)
 * now and checks every copy it should hold that has no verdict, every
 * failed one and every good one checked before this second, at full
 * speed, recording the verdicts where the server reads them.  Prints
 * "checked\tNAME\tN\tgood G\tbad B\tlast_seq S", one
 * "bad\tNAME\tSEQ\tOID\tWHY" line per copy known to be bad, and
 * "unreachable\tNAME\tWHY" for a mirror that does not answer.
 * *problems counts bad copies and unreachable mirrors.  Without a thread:
 * call instead of mirrors_start. */
int mirrors_verify_now(struct mirrors *m, struct meta *meta, const char *only, FILE *out,
		       long long *problems, struct err *err)
	__attribute__((warn_unused_result));

/* `lfs-admin mirrors-check` (cron, for lfs-cgi): one round of what the
 * thread does, without the thread: polls each mirror once, then checks
 * the copies that are due (unchecked ones, failed ones older than
 * mirror.check-interval, good ones older than mirror.recheck-interval) at
 * the rate mirrors_set_verify gave, recording the verdicts.  Prints the
 * same lines as mirrors_verify_now; *problems counts bad copies found
 * and unreachable mirrors.  mirrors_status() then has the state to save
 * (core/mirror_health.h). */
int mirrors_check_once(struct mirrors *m, FILE *out, long long *problems, struct err *err)
	__attribute__((warn_unused_result));

/* Each mirror's state, for /healthz.  New reference. */
json_t *mirrors_status(struct mirrors *m);

#endif
