/* Unit tests for lfs-server/core/throttle.c, one table row per TAP line: the
 * address key (IPv6 by /64), per-address lockout and its window, that no
 * success clears an address, the per-user delay and its reset by that
 * user's success only, and that a flood of addresses neither frees a
 * locked address nor grows memory. */
#include <stdio.h>
#include <string.h>

#include "core/throttle.h"
#include "tap.h"

/* gcc says __SANITIZE_ADDRESS__, clang __has_feature(address_sanitizer). */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

#ifdef HAVE_ASAN
/* From libasan (gcc ships no header for it): bytes currently allocated. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define T0 1000000

enum op {
	NEW,       /* fresh throttle: n failures, t window, want lockout */
	KEY,       /* throttle_addr_key(s) == str */
	CHECK,     /* throttle_check(s, T0+t) == want */
	FAIL,      /* throttle_fail(s, T0+t) == want (1 = locked now) */
	UFAIL,     /* throttle_user_fail(s, T0+t) == want ms */
	UOK,       /* throttle_user_ok(s) */
	FLOOD,     /* n addresses under prefix s fail once each at T0+t */
	FLOODLOCK, /* n addresses under prefix s fail until locked, at T0+t */
	UFLOOD,    /* n user names under prefix s fail once each at T0+t */
	MEMORY,    /* bytes allocated since the last NEW grew by at most want */
};

struct row {
	enum op op;
	const char *s;
	long long t, want;
	const char *str;
	int n;
	const char *name;
};

static const struct row rows[] = {
	{ KEY, "192.0.2.1", 0, 0, "192.0.2.1", 0, "IPv4 is its own key" },
	{ KEY, "2001:db8:1:2:3:4:5:6", 0, 0, "2001:db8:1:2::/64", 0, "IPv6 counts by its /64" },
	{ KEY, "2001:db8:1:2:ffff::1", 0, 0, "2001:db8:1:2::/64", 0, "another host of that /64: same key" },
	{ KEY, "2001:db8:1:3::1", 0, 0, "2001:db8:1:3::/64", 0, "the next /64: another key" },
	{ KEY, "::ffff:192.0.2.1", 0, 0, "192.0.2.1", 0, "IPv4-mapped IPv6 counts as the IPv4 address" },
	{ KEY, "-", 0, 0, "-", 0, "an unparsable address counts as itself" },

	{ NEW, NULL, 60, 300, NULL, 3, "new: 3 failures in 60 s lock for 300 s" },
	{ CHECK, "10.0.0.1", 0, 0, NULL, 0, "an unknown address may try" },
	{ FAIL, "10.0.0.1", 0, 0, NULL, 0, "failure 1: not locked" },
	{ CHECK, "10.0.0.1", 0, 0, NULL, 0, "after 1 failure: may try" },
	{ FAIL, "10.0.0.1", 10, 0, NULL, 0, "failure 2: not locked" },
	{ FAIL, "10.0.0.1", 20, 1, NULL, 0, "failure 3 within the window: locked" },
	{ CHECK, "10.0.0.1", 20, 300, NULL, 0, "locked for the lockout time" },
	{ CHECK, "10.0.0.1", 21, 299, NULL, 0, "the wait counts down" },
	{ CHECK, "10.0.0.1", 319, 1, NULL, 0, "one second before the end: still locked" },
	{ CHECK, "10.0.0.1", 320, 0, NULL, 0, "lockout over" },
	{ CHECK, "10.0.0.2", 20, 0, NULL, 0, "another address is not locked" },
	{ CHECK, "10.0.0.10", 20, 0, NULL, 0, "nor one whose address extends it" },
	{ FAIL, "10.0.0.1", 400, 0, NULL, 0, "after the lockout: failure 1 not locked" },
	{ FAIL, "10.0.0.1", 401, 0, NULL, 0, "after the lockout: failure 2 not locked" },
	{ FAIL, "10.0.0.1", 402, 1, NULL, 0, "after the lockout: failure 3 locks again" },

	{ FAIL, "10.0.0.4", 0, 0, NULL, 0, "window: failure 1" },
	{ FAIL, "10.0.0.4", 59, 0, NULL, 0, "window: failure 2 at +59" },
	{ FAIL, "10.0.0.4", 60, 0, NULL, 0, "window expired at +60: counting restarts" },
	{ FAIL, "10.0.0.4", 61, 0, NULL, 0, "window: failure 2 of the new window" },
	{ FAIL, "10.0.0.4", 62, 1, NULL, 0, "window: failure 3 of the new window locks" },

	/* No success clears an address: user successes touch users only. */
	{ FAIL, "10.0.0.5", 0, 0, NULL, 0, "success: failure 1 (alice)" },
	{ FAIL, "10.0.0.5", 1, 0, NULL, 0, "success: failure 2 (alice)" },
	{ UOK, "mallory", 0, 0, NULL, 0, "mallory logs in from the same address" },
	{ UOK, "alice", 0, 0, NULL, 0, "and so does alice" },
	{ FAIL, "10.0.0.5", 2, 1, NULL, 0, "failure 3 still locks: no success reset the address" },

	{ FAIL, "2001:db8:5::1", 0, 0, NULL, 0, "IPv6: failure 1 from ::1" },
	{ FAIL, "2001:db8:5::2", 1, 0, NULL, 0, "IPv6: failure 2 from ::2 of the same /64" },
	{ FAIL, "2001:db8:5:0:ffff:ffff:ffff:ffff", 2, 1, NULL, 0, "IPv6: failure 3 from the same /64 locks" },
	{ CHECK, "2001:db8:5::abcd", 2, 300, NULL, 0, "the whole /64 is locked" },
	{ CHECK, "2001:db8:5:1::1", 2, 0, NULL, 0, "the next /64 is not" },
	{ FAIL, "::ffff:10.0.0.6", 0, 0, NULL, 0, "IPv4-mapped: failure 1" },
	{ FAIL, "10.0.0.6", 0, 0, NULL, 0, "plain IPv4: failure 2 of the same address" },
	{ FAIL, "::ffff:10.0.0.6", 0, 1, NULL, 0, "IPv4-mapped: failure 3 locks" },
	{ FAIL, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, 0, NULL, 0, "a long IPv6 address: failure 1" },
	{ FAIL, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, 0, NULL, 0, "a long IPv6 address: failure 2" },
	{ FAIL, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, 1, NULL, 0, "a long IPv6 address: failure 3 locks" },

	/* The per-user delay (the address table above is not involved). */
	{ UFAIL, "alice", 0, 0, NULL, 0, "alice: failure 1, no delay" },
	{ UFAIL, "alice", 1, 0, NULL, 0, "alice: failure 2, no delay" },
	{ UFAIL, "alice", 1, 0, NULL, 0, "alice: failure 3, no delay" },
	{ UFAIL, "alice", 1, 250, NULL, 0, "alice: failure 4, 250 ms" },
	{ UFAIL, "alice", 2, 500, NULL, 0, "alice: failure 5, 500 ms" },
	{ UFAIL, "alice", 3, 1000, NULL, 0, "alice: failure 6, 1 s" },
	{ UFAIL, "alice", 4, 2000, NULL, 0, "alice: failure 7, 2 s" },
	{ UFAIL, "alice", 5, 4000, NULL, 0, "alice: failure 8, 4 s" },
	{ UFAIL, "alice", 6, 4000, NULL, 0, "alice: failure 9, capped at 4 s" },
	{ UFAIL, "bob", 6, 0, NULL, 0, "bob: his own count" },
	{ UOK, "mallory", 0, 0, NULL, 0, "mallory logs in" },
	{ UFAIL, "alice", 7, 4000, NULL, 0, "mallory's success does not reset alice" },
	{ UOK, "alice", 0, 0, NULL, 0, "alice logs in" },
	{ UFAIL, "alice", 8, 0, NULL, 0, "alice's success resets alice (1)" },
	{ UFAIL, "alice", 8, 0, NULL, 0, "alice's success resets alice (2)" },
	{ UFAIL, "alice", 8, 0, NULL, 0, "alice's success resets alice (3)" },
	{ UFAIL, "alice", 9, 250, NULL, 0, "counting again: failure 4 waits" },
	{ UFAIL, "alice", 69, 0, NULL, 0, "a window without failures resets her count" },
	{ UFAIL, "", 0, 0, NULL, 0, "no user name: no delay" },

	/* A flood of addresses does not free a locked one. */
	{ NEW, NULL, 60, 300, NULL, 3, "new (flood)" },
	{ FAIL, "192.0.2.1", 0, 0, NULL, 0, "flood: failure 1" },
	{ FAIL, "192.0.2.1", 0, 0, NULL, 0, "flood: failure 2" },
	{ FAIL, "192.0.2.1", 0, 1, NULL, 0, "flood: failure 3 locks 192.0.2.1" },
	{ FLOOD, "10.1", 1, 0, NULL, 1030, "1030 other addresses fail once each" },
	{ CHECK, "192.0.2.1", 2, 298, NULL, 0, "192.0.2.1 is still locked" },
	{ FLOOD, "10.2", 3, 0, NULL, 20000, "20000 more addresses fail once each" },
	{ CHECK, "192.0.2.1", 4, 296, NULL, 0, "192.0.2.1 is still locked" },
	{ FAIL, "192.0.2.2", 5, 0, NULL, 0, "after the flood: a new address is counted (1)" },
	{ FAIL, "192.0.2.2", 5, 0, NULL, 0, "after the flood: a new address is counted (2)" },
	{ FAIL, "192.0.2.2", 5, 1, NULL, 0, "after the flood: a new address still locks" },
	{ MEMORY, NULL, 0, 4096, NULL, 0, "the floods did not grow memory" },

	/* Every slot locked: the rest share the overflow entry. */
	{ FLOODLOCK, "10.3", 10, 0, NULL, 1022, "1022 more addresses lock: the table is all locked" },
	{ CHECK, "192.0.2.1", 10, 290, NULL, 0, "192.0.2.1 is still locked" },
	{ CHECK, "198.51.100.1", 10, 0, NULL, 0, "an untracked address may try" },
	{ FAIL, "198.51.100.1", 10, 0, NULL, 0, "overflow: failure 1 (address A)" },
	{ FAIL, "198.51.100.2", 10, 0, NULL, 0, "overflow: failure 2 (address B)" },
	{ FAIL, "198.51.100.3", 10, 1, NULL, 0, "overflow: failure 3 (address C) locks the overflow entry" },
	{ CHECK, "198.51.100.99", 11, 299, NULL, 0, "every untracked address waits" },
	{ CHECK, "10.3.0.1", 11, 299, NULL, 0, "tracked addresses keep their own lockout" },
	{ CHECK, "192.0.2.1", 301, 0, NULL, 0, "the first lockout ends on time" },
	{ FAIL, "198.51.100.99", 301, 0, NULL, 0, "a slot is free again: an address gets its own count" },
	{ CHECK, "198.51.100.99", 301, 0, NULL, 0, "and may try" },

	/* The user table is bounded too. */
	{ NEW, NULL, 60, 300, NULL, 3, "new (users)" },
	{ UFLOOD, "user", 0, 0, NULL, 5000, "5000 user names fail once each" },
	{ MEMORY, NULL, 0, 4096, NULL, 0, "the user flood did not grow memory" },
	{ UFAIL, "user4999", 1, 0, NULL, 0, "the newest user is still counted (2)" },
	{ UFAIL, "user4999", 1, 0, NULL, 0, "the newest user is still counted (3)" },
	{ UFAIL, "user4999", 1, 250, NULL, 0, "the newest user is still counted (4)" },

	/* failures = 1: the first failure locks. */
	{ NEW, NULL, 60, 5, NULL, 1, "new (1 failure, 5 s)" },
	{ FAIL, "10.1.0.1", 0, 1, NULL, 0, "failures=1: the first failure locks" },
	{ CHECK, "10.1.0.1", 4, 1, NULL, 0, "for the lockout time" },
	{ CHECK, "10.1.0.1", 5, 0, NULL, 0, "then no more" },
};

static size_t allocated(void)
{
#ifdef HAVE_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	return 0;
#endif
}

int main(void)
{
	struct throttle *t = NULL;
	struct err err = ERR_INIT;
	char buf[128];
	size_t before = 0;
	bool all;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		time_t now = T0 + (time_t)r->t;

		if (r->op != NEW && r->op != KEY && !t) {
			ok(0, "%s (no throttle)", r->name);
			continue;
		}
		switch (r->op) {
		case NEW:
			throttle_free(t);
			t = NULL;
			ok(throttle_new(&t, r->n, r->t, r->want, &err) == 0, "%s", r->name);
			before = allocated();
			break;
		case KEY:
			throttle_addr_key(buf, sizeof(buf), r->s);
			is_str(buf, r->str, r->name);
			break;
		case CHECK:
			is_int(throttle_check(t, r->s, now), r->want, r->name);
			break;
		case FAIL:
			is_int(throttle_fail(t, r->s, now), r->want, r->name);
			break;
		case UFAIL:
			is_int(throttle_user_fail(t, r->s, now), r->want, r->name);
			break;
		case UOK:
			throttle_user_ok(t, r->s);
			ok(1, "%s", r->name);
			break;
		case FLOOD:
		case FLOODLOCK:
			all = true;
			for (int k = 0; k < r->n; k++) {
				snprintf(buf, sizeof(buf), "%s.%d.%d", r->s, k / 250, k % 250 + 1);
				if (r->op == FLOOD) {
					all &= !throttle_fail(t, buf, now);
				} else {
					bool locked = false;
					for (int f = 0; f < 100 && !locked; f++)
						locked = throttle_fail(t, buf, now);
					all &= locked;
				}
			}
			ok(all, "%s", r->name);
			break;
		case UFLOOD:
			for (int k = 0; k < r->n; k++) {
				snprintf(buf, sizeof(buf), "%s%d", r->s, k);
				throttle_user_fail(t, buf, now);
			}
			ok(1, "%s", r->name);
			break;
		case MEMORY:
#ifdef HAVE_ASAN
			ok(allocated() <= before + (size_t)r->want, "%s (%zu -> %zu bytes)", r->name,
			   before, allocated());
#else
			ok(1, "# skip %s: needs ASan", r->name);
#endif
			break;
		}
	}
	throttle_free(t);
	return tap_done();
}
