/* Unit tests for lfs-server/core/throttle.c, one table row per TAP line: the
 * address key (IPv6 by /64), per-address lockout and its window, that no
 * success clears an address, the per-user delay and its reset by that
 * user's success only, and that a flood of addresses neither frees a
 * locked address nor grows memory.  The rows run twice: on the in-memory
 * tables, and shared through a real SQLite metadata store (the counts
 * lfs-cgi and servers on one database share), but for the rows about the
 * tables' own bounds. */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>
#include <unistd.h>

#include "core/throttle.h"
#include "meta/meta.h"
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
	int memory_only; /* the table's own bounds: not in the shared mode */
};

static const struct row rows[] = {
	{ KEY, "192.0.2.1", 0, 0, "192.0.2.1", 0, "IPv4 is its own key", 0 },
	{ KEY, "2001:db8:1:2:3:4:5:6", 0, 0, "2001:db8:1:2::/64", 0, "IPv6 counts by its /64", 0 },
	{ KEY, "2001:db8:1:2:ffff::1", 0, 0, "2001:db8:1:2::/64", 0, "another host of that /64: same key", 0 },
	{ KEY, "2001:db8:1:3::1", 0, 0, "2001:db8:1:3::/64", 0, "the next /64: another key", 0 },
	{ KEY, "::ffff:192.0.2.1", 0, 0, "192.0.2.1", 0, "IPv4-mapped IPv6 counts as the IPv4 address", 0 },
	{ KEY, "-", 0, 0, "-", 0, "an unparsable address counts as itself", 0 },

	{ NEW, NULL, 60, 300, NULL, 3, "new: 3 failures in 60 s lock for 300 s", 0 },
	{ CHECK, "10.0.0.1", 0, 0, NULL, 0, "an unknown address may try", 0 },
	{ FAIL, "10.0.0.1", 0, 0, NULL, 0, "failure 1: not locked", 0 },
	{ CHECK, "10.0.0.1", 0, 0, NULL, 0, "after 1 failure: may try", 0 },
	{ FAIL, "10.0.0.1", 10, 0, NULL, 0, "failure 2: not locked", 0 },
	{ FAIL, "10.0.0.1", 20, 1, NULL, 0, "failure 3 within the window: locked", 0 },
	{ CHECK, "10.0.0.1", 20, 300, NULL, 0, "locked for the lockout time", 0 },
	{ CHECK, "10.0.0.1", 21, 299, NULL, 0, "the wait counts down", 0 },
	{ CHECK, "10.0.0.1", 319, 1, NULL, 0, "one second before the end: still locked", 0 },
	{ CHECK, "10.0.0.1", 320, 0, NULL, 0, "lockout over", 0 },
	{ CHECK, "10.0.0.2", 20, 0, NULL, 0, "another address is not locked", 0 },
	{ CHECK, "10.0.0.10", 20, 0, NULL, 0, "nor one whose address extends it", 0 },
	{ FAIL, "10.0.0.1", 400, 0, NULL, 0, "after the lockout: failure 1 not locked", 0 },
	{ FAIL, "10.0.0.1", 401, 0, NULL, 0, "after the lockout: failure 2 not locked", 0 },
	{ FAIL, "10.0.0.1", 402, 1, NULL, 0, "after the lockout: failure 3 locks again", 0 },

	{ FAIL, "10.0.0.4", 0, 0, NULL, 0, "window: failure 1", 0 },
	{ FAIL, "10.0.0.4", 59, 0, NULL, 0, "window: failure 2 at +59", 0 },
	{ FAIL, "10.0.0.4", 60, 0, NULL, 0, "window expired at +60: counting restarts", 0 },
	{ FAIL, "10.0.0.4", 61, 0, NULL, 0, "window: failure 2 of the new window", 0 },
	{ FAIL, "10.0.0.4", 62, 1, NULL, 0, "window: failure 3 of the new window locks", 0 },

	/* No success clears an address: user successes touch users only. */
	{ FAIL, "10.0.0.5", 0, 0, NULL, 0, "success: failure 1 (alice)", 0 },
	{ FAIL, "10.0.0.5", 1, 0, NULL, 0, "success: failure 2 (alice)", 0 },
	{ UOK, "mallory", 0, 0, NULL, 0, "mallory logs in from the same address", 0 },
	{ UOK, "alice", 0, 0, NULL, 0, "and so does alice", 0 },
	{ FAIL, "10.0.0.5", 2, 1, NULL, 0, "failure 3 still locks: no success reset the address", 0 },

	{ FAIL, "2001:db8:5::1", 0, 0, NULL, 0, "IPv6: failure 1 from ::1", 0 },
	{ FAIL, "2001:db8:5::2", 1, 0, NULL, 0, "IPv6: failure 2 from ::2 of the same /64", 0 },
	{ FAIL, "2001:db8:5:0:ffff:ffff:ffff:ffff", 2, 1, NULL, 0, "IPv6: failure 3 from the same /64 locks", 0 },
	{ CHECK, "2001:db8:5::abcd", 2, 300, NULL, 0, "the whole /64 is locked", 0 },
	{ CHECK, "2001:db8:5:1::1", 2, 0, NULL, 0, "the next /64 is not", 0 },
	{ FAIL, "::ffff:10.0.0.6", 0, 0, NULL, 0, "IPv4-mapped: failure 1", 0 },
	{ FAIL, "10.0.0.6", 0, 0, NULL, 0, "plain IPv4: failure 2 of the same address", 0 },
	{ FAIL, "::ffff:10.0.0.6", 0, 1, NULL, 0, "IPv4-mapped: failure 3 locks", 0 },
	{ FAIL, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, 0, NULL, 0, "a long IPv6 address: failure 1", 0 },
	{ FAIL, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, 0, NULL, 0, "a long IPv6 address: failure 2", 0 },
	{ FAIL, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0, 1, NULL, 0, "a long IPv6 address: failure 3 locks", 0 },

	/* The per-user delay (the address table above is not involved). */
	{ UFAIL, "alice", 0, 0, NULL, 0, "alice: failure 1, no delay", 0 },
	{ UFAIL, "alice", 1, 0, NULL, 0, "alice: failure 2, no delay", 0 },
	{ UFAIL, "alice", 1, 0, NULL, 0, "alice: failure 3, no delay", 0 },
	{ UFAIL, "alice", 1, 250, NULL, 0, "alice: failure 4, 250 ms", 0 },
	{ UFAIL, "alice", 2, 500, NULL, 0, "alice: failure 5, 500 ms", 0 },
	{ UFAIL, "alice", 3, 1000, NULL, 0, "alice: failure 6, 1 s", 0 },
	{ UFAIL, "alice", 4, 2000, NULL, 0, "alice: failure 7, 2 s", 0 },
	{ UFAIL, "alice", 5, 4000, NULL, 0, "alice: failure 8, 4 s", 0 },
	{ UFAIL, "alice", 6, 4000, NULL, 0, "alice: failure 9, capped at 4 s", 0 },
	{ UFAIL, "bob", 6, 0, NULL, 0, "bob: his own count", 0 },
	{ UOK, "mallory", 0, 0, NULL, 0, "mallory logs in", 0 },
	{ UFAIL, "alice", 7, 4000, NULL, 0, "mallory's success does not reset alice", 0 },
	{ UOK, "alice", 0, 0, NULL, 0, "alice logs in", 0 },
	{ UFAIL, "alice", 8, 0, NULL, 0, "alice's success resets alice (1)", 0 },
	{ UFAIL, "alice", 8, 0, NULL, 0, "alice's success resets alice (2)", 0 },
	{ UFAIL, "alice", 8, 0, NULL, 0, "alice's success resets alice (3)", 0 },
	{ UFAIL, "alice", 9, 250, NULL, 0, "counting again: failure 4 waits", 0 },
	{ UFAIL, "alice", 69, 0, NULL, 0, "a window without failures resets her count", 0 },
	{ UFAIL, "", 0, 0, NULL, 0, "no user name: no delay", 0 },

	/* A flood of addresses does not free a locked one. */
	{ NEW, NULL, 60, 300, NULL, 3, "new (flood)", 0 },
	{ FAIL, "192.0.2.1", 0, 0, NULL, 0, "flood: failure 1", 0 },
	{ FAIL, "192.0.2.1", 0, 0, NULL, 0, "flood: failure 2", 0 },
	{ FAIL, "192.0.2.1", 0, 1, NULL, 0, "flood: failure 3 locks 192.0.2.1", 0 },
	{ FLOOD, "10.1", 1, 0, NULL, 1030, "1030 other addresses fail once each", 1 },
	{ CHECK, "192.0.2.1", 2, 298, NULL, 0, "192.0.2.1 is still locked", 0 },
	{ FLOOD, "10.2", 3, 0, NULL, 20000, "20000 more addresses fail once each", 1 },
	{ CHECK, "192.0.2.1", 4, 296, NULL, 0, "192.0.2.1 is still locked", 0 },
	{ FAIL, "192.0.2.2", 5, 0, NULL, 0, "after the flood: a new address is counted (1)", 0 },
	{ FAIL, "192.0.2.2", 5, 0, NULL, 0, "after the flood: a new address is counted (2)", 0 },
	{ FAIL, "192.0.2.2", 5, 1, NULL, 0, "after the flood: a new address still locks", 0 },
	{ MEMORY, NULL, 0, 4096, NULL, 0, "the floods did not grow memory", 1 },

	/* Every slot locked: the rest share the overflow entry. */
	{ FLOODLOCK, "10.3", 10, 0, NULL, 1022, "1022 more addresses lock: the table is all locked", 1 },
	{ CHECK, "192.0.2.1", 10, 290, NULL, 0, "192.0.2.1 is still locked", 0 },
	{ CHECK, "198.51.100.1", 10, 0, NULL, 0, "an untracked address may try", 0 },
	{ FAIL, "198.51.100.1", 10, 0, NULL, 0, "overflow: failure 1 (address A)", 0 },
	{ FAIL, "198.51.100.2", 10, 0, NULL, 0, "overflow: failure 2 (address B)", 0 },
	{ FAIL, "198.51.100.3", 10, 1, NULL, 0, "overflow: failure 3 (address C) locks the overflow entry", 1 },
	{ CHECK, "198.51.100.99", 11, 299, NULL, 0, "every untracked address waits", 1 },
	{ CHECK, "10.3.0.1", 11, 299, NULL, 0, "tracked addresses keep their own lockout", 1 },
	{ CHECK, "192.0.2.1", 301, 0, NULL, 0, "the first lockout ends on time", 0 },
	{ FAIL, "198.51.100.99", 301, 0, NULL, 0, "a slot is free again: an address gets its own count", 0 },
	{ CHECK, "198.51.100.99", 301, 0, NULL, 0, "and may try", 0 },

	/* The user table is bounded too. */
	{ NEW, NULL, 60, 300, NULL, 3, "new (users)", 0 },
	{ UFLOOD, "user", 0, 0, NULL, 5000, "5000 user names fail once each", 1 },
	{ MEMORY, NULL, 0, 4096, NULL, 0, "the user flood did not grow memory", 1 },
	{ UFAIL, "user4999", 1, 0, NULL, 0, "the newest user is still counted (2)", 1 },
	{ UFAIL, "user4999", 1, 0, NULL, 0, "the newest user is still counted (3)", 1 },
	{ UFAIL, "user4999", 1, 250, NULL, 0, "the newest user is still counted (4)", 1 },

	/* failures = 1: the first failure locks. */
	{ NEW, NULL, 60, 5, NULL, 1, "new (1 failure, 5 s)", 0 },
	{ FAIL, "10.1.0.1", 0, 1, NULL, 0, "failures=1: the first failure locks", 0 },
	{ CHECK, "10.1.0.1", 4, 1, NULL, 0, "for the lockout time", 0 },
	{ CHECK, "10.1.0.1", 5, 0, NULL, 0, "then no more", 0 },
};

static size_t allocated(void)
{
#ifdef HAVE_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	return 0;
#endif
}

/* A fresh metadata store for the shared mode, in its own directory. */
static struct meta *fresh_meta(const char *base, int n)
{
	struct meta *m = NULL;
	struct err err = ERR_INIT;
	char path[4096];

	snprintf(path, sizeof(path), "%s/meta-%d.db", base, n);
	if (meta_open(&m, path, 2, &err) < 0) {
		fprintf(stderr, "# meta_open %s: %s\n", path, err.msg);
		return NULL;
	}
	return m;
}

static void run(bool shared, const char *base)
{
	struct throttle *t = NULL;
	struct meta *m = NULL;
	struct err err = ERR_INIT;
	char buf[128];
	size_t before = 0;
	bool all;
	int news = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		time_t now = T0 + (time_t)r->t;
		char name[256];

		snprintf(name, sizeof(name), "%s%s", shared ? "shared: " : "", r->name);

		if (shared && (r->memory_only || r->op == KEY))
			continue;
		if (r->op != NEW && r->op != KEY && !t) {
			ok(0, "%s (no throttle)", name);
			continue;
		}
		switch (r->op) {
		case NEW:
			throttle_free(t);
			meta_close(m);
			t = NULL;
			m = NULL;
			ok(throttle_new(&t, r->n, r->t, r->want, &err) == 0 &&
			   (!shared || (m = fresh_meta(base, news++)) != NULL), "%s", name);
			if (shared && t && m)
				throttle_share(t, m);
			before = allocated();
			break;
		case KEY:
			throttle_addr_key(buf, sizeof(buf), r->s);
			is_str(buf, r->str, r->name);
			break;
		case CHECK:
			is_int(throttle_check(t, r->s, now), r->want, name);
			break;
		case FAIL:
			is_int(throttle_fail(t, r->s, now), r->want, name);
			break;
		case UFAIL:
			is_int(throttle_user_fail(t, r->s, now), r->want, name);
			break;
		case UOK:
			throttle_user_ok(t, r->s);
			ok(1, "%s", name);
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
	meta_close(m);
}

int main(void)
{
	char base[] = "/tmp/throttle-unit-XXXXXX";
	char cmd[256];

	if (!mkdtemp(base)) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	run(false, base);
	run(true, base);
	/* The shared mode's stores: a shell removes a directory of files. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ok(system(cmd) == 0, "temporary stores removed");
	return tap_done();
}
