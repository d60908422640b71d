/* Unit tests for lfs-server/throttle.c: N failures within the window lock
 * a peer out for the lockout time; an expired window starts counting
 * afresh; a success clears the count; peers are independent; and a flood
 * of addresses keeps the table (and memory) bounded. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "throttle.h"

#ifdef __SANITIZE_ADDRESS__
/* From libasan (gcc ships no header for it): bytes currently allocated. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define T0 1000000

int main(void)
{
	struct throttle *t;
	struct err err = ERR_INIT;
	char peer[64];
	bool locked;
	int i;

	/* 3 failures within 60 s lock out for 300 s. */
	if (!ok(throttle_new(&t, 3, 60, 300, &err) == 0, "new"))
		return tap_done();
	is_int(throttle_check(t, "10.0.0.1", T0), 0, "an unknown peer may try");
	ok(!throttle_fail(t, "10.0.0.1", T0), "failure 1: not locked");
	is_int(throttle_check(t, "10.0.0.1", T0), 0, "after 1 failure: may try");
	ok(!throttle_fail(t, "10.0.0.1", T0 + 10), "failure 2: not locked");
	is_int(throttle_check(t, "10.0.0.1", T0 + 10), 0, "after 2 failures: may try");
	ok(throttle_fail(t, "10.0.0.1", T0 + 20), "failure 3 within the window: locked");
	is_int(throttle_check(t, "10.0.0.1", T0 + 20), 300, "locked for the lockout time");
	is_int(throttle_check(t, "10.0.0.1", T0 + 21), 299, "the wait counts down");
	is_int(throttle_check(t, "10.0.0.1", T0 + 319), 1, "one second before the end: still locked");
	is_int(throttle_check(t, "10.0.0.1", T0 + 320), 0, "lockout over");
	is_int(throttle_check(t, "10.0.0.2", T0 + 20), 0, "another peer is not locked");
	is_int(throttle_check(t, "10.0.0.10", T0 + 20), 0, "nor one whose address extends it");

	/* After the lockout the count starts from zero. */
	ok(!throttle_fail(t, "10.0.0.1", T0 + 400), "after the lockout: failure 1 not locked");
	ok(!throttle_fail(t, "10.0.0.1", T0 + 401), "after the lockout: failure 2 not locked");
	ok(throttle_fail(t, "10.0.0.1", T0 + 402), "after the lockout: failure 3 locks again");
	ok(throttle_check(t, "10.0.0.1", T0 + 402) > 0, "locked again");

	/* The window: failures further apart than the window never add up
	 * to a lockout. */
	for (i = 0, locked = false; i < 10; i++)
		locked |= throttle_fail(t, "10.0.0.3", T0 + (time_t)i * 61);
	ok(!locked, "one failure every 61 s never locks out");
	is_int(throttle_check(t, "10.0.0.3", T0 + 610), 0, "and the peer may try");
	ok(!throttle_fail(t, "10.0.0.4", T0), "window: failure 1");
	ok(!throttle_fail(t, "10.0.0.4", T0 + 59), "window: failure 2 at +59");
	ok(!throttle_fail(t, "10.0.0.4", T0 + 60), "window expired at +60: counting restarts");
	ok(!throttle_fail(t, "10.0.0.4", T0 + 61), "window: failure 2 of the new window");
	ok(throttle_fail(t, "10.0.0.4", T0 + 62), "window: failure 3 of the new window locks");

	/* A success clears the failures. */
	ok(!throttle_fail(t, "10.0.0.5", T0), "success: failure 1");
	ok(!throttle_fail(t, "10.0.0.5", T0 + 1), "success: failure 2");
	throttle_ok(t, "10.0.0.5");
	ok(!throttle_fail(t, "10.0.0.5", T0 + 2), "after a success: failure 1 again");
	ok(!throttle_fail(t, "10.0.0.5", T0 + 3), "after a success: failure 2 again");
	ok(throttle_fail(t, "10.0.0.5", T0 + 4), "after a success: failure 3 locks");
	throttle_ok(t, "10.0.0.6"); /* unknown peer: nothing to clear, no crash */
	is_int(throttle_check(t, "10.0.0.6", T0), 0, "a success of an unknown peer changes nothing");

	/* IPv6 peers, at full textual length. */
	snprintf(peer, sizeof(peer), "%s", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	throttle_fail(t, peer, T0);
	throttle_fail(t, peer, T0);
	ok(throttle_fail(t, peer, T0), "a long IPv6 peer is counted as one peer");
	ok(throttle_check(t, peer, T0) > 0, "and locked out");
	throttle_free(t);

	/* A flood of addresses: the table stays bounded, and the throttle
	 * still works for the newest peers. */
	if (!ok(throttle_new(&t, 3, 60, 300, &err) == 0, "new (flood)"))
		return tap_done();
	{
#ifdef __SANITIZE_ADDRESS__
		size_t before = __sanitizer_get_current_allocated_bytes(), after;
#endif
		for (i = 0; i < 20000; i++) {
			snprintf(peer, sizeof(peer), "2001:db8::%x", i);
			throttle_fail(t, peer, T0 + i / 100);
		}
#ifdef __SANITIZE_ADDRESS__
		after = __sanitizer_get_current_allocated_bytes();
		ok(after <= before + 4096, "20000 peers: memory did not grow (%zu -> %zu bytes)", before, after);
#else
		ok(1, "# skip memory check without ASan");
#endif
	}
	throttle_fail(t, "192.0.2.1", T0 + 200);
	throttle_fail(t, "192.0.2.1", T0 + 200);
	ok(throttle_fail(t, "192.0.2.1", T0 + 200), "after the flood: a peer still locks out");
	ok(throttle_check(t, "192.0.2.1", T0 + 200) == 300, "and waits the lockout time");
	is_int(throttle_check(t, "192.0.2.2", T0 + 200), 0, "and others may try");
	throttle_free(t);

	/* failures = 1: the first failure locks. */
	if (ok(throttle_new(&t, 1, 60, 5, &err) == 0, "new (1 failure)")) {
		ok(throttle_fail(t, "10.1.0.1", T0), "failures=1: the first failure locks");
		is_int(throttle_check(t, "10.1.0.1", T0 + 4), 1, "for the lockout time");
		is_int(throttle_check(t, "10.1.0.1", T0 + 5), 0, "then no more");
		throttle_free(t);
	}
	return tap_done();
}
