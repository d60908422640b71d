/* throttle: the failed-login throttle (auth.lockout-*).  Pure: time is
 * passed in, so every rule is unit-tested.
 *
 * Per client address (IPv4 as is, IPv6 grouped by its /64, IPv4-mapped
 * IPv6 as the IPv4 address): after `failures` failed logins within
 * `window` seconds the address is refused for `lockout` seconds (429 with
 * Retry-After).  Nothing but time clears an address's count: a successful
 * login, whoever's it is, does not.
 *
 * Per user: each failed login against a user makes the next wrong answer
 * for that user wait longer (throttle_user_fail), doubling up to a few
 * seconds; a right password is never delayed, so nobody can lock a user
 * out by guessing at her.  A success for that user clears her count.
 *
 * Both tables have a fixed size.  A locked address is never evicted: a
 * new address takes a free entry, else the unlocked entry idle longest.
 * When every entry holds a locked address, addresses not in the table
 * share one overflow entry (their failures add up, and its lockout
 * applies to all of them) until entries free up.
 *
 * Shared (throttle_share): the same rules, with the counts kept in the
 * metadata store instead (meta_throttle_update), for when no one process
 * sees every login: lfs-cgi runs a process per request, and several
 * servers on one PostgreSQL would otherwise allow N times the guesses.
 * No table size applies there: rows are pruned by age.  When the store
 * cannot be reached the check lets the login through to the password
 * check (logged): the request needs the store anyway, and failing closed
 * would turn a database outage into a lockout of everyone. */
#ifndef LFS_THROTTLE_H
#define LFS_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

#define THROTTLE_ADDR_SLOTS 1024
#define THROTTLE_USER_SLOTS 1024
/* The per-user delay: none for the first 3 failures (typos, a credential
 * helper's stale password), then 250 ms, doubling per further failure up
 * to 4 s. */
#define THROTTLE_USER_FREE 3
#define THROTTLE_USER_DELAY_BASE_MS 250
#define THROTTLE_USER_DELAY_MAX_MS 4000

struct throttle;

int throttle_new(struct throttle **out, long long failures, long long window,
		 long long lockout, struct err *err) __attribute__((warn_unused_result));
void throttle_free(struct throttle *t);
/* From now on t keeps its counts in m (borrowed: it must outlive t). */
struct meta;
void throttle_share(struct throttle *t, struct meta *m);

/* The key an address is counted under, as text ("192.0.2.1",
 * "2001:db8:1:2::/64"); unparsable addresses count as themselves. */
void throttle_addr_key(char *out, size_t outsz, const char *addr);

/* Seconds the address must still wait, or 0 when it may try. */
long long throttle_check(struct throttle *t, const char *addr, time_t now);
/* Records a failed login from addr; true when this failure locked it out. */
bool throttle_fail(struct throttle *t, const char *addr, time_t now);

/* Records a failed login against user; returns the milliseconds to wait
 * before answering it. */
long long throttle_user_fail(struct throttle *t, const char *user, time_t now);
/* A successful login as user clears that user's count (only hers). */
void throttle_user_ok(struct throttle *t, const char *user);

#endif
