/* throttle: the failed-login throttle (auth.lockout-*), per client
 * address.  After `failures` failed logins within `window` seconds, the
 * address is refused for `lockout` seconds (429 with Retry-After).  The
 * table is bounded: when full, the entry idle longest is reused, so a
 * flood of addresses cannot grow memory.  Time is passed in (testable). */
#ifndef LFS_THROTTLE_H
#define LFS_THROTTLE_H

#include <stdbool.h>
#include <time.h>

#include "err.h"

struct throttle;

int throttle_new(struct throttle **out, long long failures, long long window,
		 long long lockout, struct err *err);
void throttle_free(struct throttle *t);

/* Seconds the peer must still wait, or 0 when it may try. */
long long throttle_check(struct throttle *t, const char *peer, time_t now);
/* Records a failed login; returns true when this failure locked the peer out. */
bool throttle_fail(struct throttle *t, const char *peer, time_t now);
/* A successful login clears the peer's failures. */
void throttle_ok(struct throttle *t, const char *peer);

#endif
