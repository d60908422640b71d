/* throttle: failed-login counting per client address and per user (see
 * throttle.h). */
#include "core/throttle.h"

#include "log.h"
#include "meta/meta.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64
#define USER_MAX 129

struct addr_slot {
	char key[KEY_MAX];  /* "" = free */
	long long failures, window_start, locked_until, last; /* unix seconds */
};

struct user_slot {
	char name[USER_MAX]; /* "" = free */
	long long failures, last;
};

struct throttle {
	pthread_mutex_t mu;
	long long max_failures, window, lockout;
	struct addr_slot addrs[THROTTLE_ADDR_SLOTS];
	struct addr_slot overflow; /* shared by addresses that found no slot */
	struct user_slot users[THROTTLE_USER_SLOTS];
	struct meta *shared; /* set: the counts live there, not above */
};

int throttle_new(struct throttle **out, long long failures, long long window,
		 long long lockout, struct err *err)
{
	struct throttle *t = calloc(1, sizeof(*t));

	if (!t)
		return err_set(err, ERR_NOMEM, "out of memory");
	pthread_mutex_init(&t->mu, NULL);
	t->max_failures = failures;
	t->window = window;
	t->lockout = lockout;
	*out = t;
	return 0;
}

void throttle_free(struct throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void throttle_addr_key(char *out, size_t outsz, const char *addr)
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, addr, a) == 1) {
		inet_ntop(AF_INET, a, text, sizeof(text));
		snprintf(out, outsz, "%s", text);
	} else if (inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
			inet_ntop(AF_INET, a + 12, text, sizeof(text));
			snprintf(out, outsz, "%s", text);
			return;
		}
		/* One customer usually gets a whole /64: count it as one client. */
		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, text, sizeof(text));
		snprintf(out, outsz, "%s/64", text);
	} else {
		snprintf(out, outsz, "%s", addr);
	}
}

/* The address's slot; with create, a free or the stalest unlocked one, or
 * the shared overflow slot when every slot holds a locked address.
 * Without create, NULL when the address has no slot of its own
 * (*overflows tells whether it would get the overflow slot). */
static struct addr_slot *find_addr(struct throttle *t, const char *key, time_t now, bool create,
				   bool *overflows)
{
	struct addr_slot *victim = NULL;

	for (int i = 0; i < THROTTLE_ADDR_SLOTS; i++) {
		struct addr_slot *s = &t->addrs[i];
		if (!s->key[0]) {
			if (!victim || victim->key[0])
				victim = s;
			continue;
		}
		if (strcmp(s->key, key) == 0)
			return s;
		/* A locked address is never given up: that would end its lockout. */
		if (s->locked_until > now)
			continue;
		if (!victim || (victim->key[0] && s->last < victim->last))
			victim = s;
	}
	if (overflows)
		*overflows = !victim;
	if (!create)
		return NULL;
	if (!victim)
		return &t->overflow;
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	return victim;
}

/* --- the rules, on one entry's counters (memory or a metadata row) --- */

/* A failed login from the entry's address; true when it locks it now. */
static bool addr_fail_rule(const struct throttle *t, long long *failures, long long *window_start,
			   long long *locked_until, long long *last, time_t now)
{
	*last = now;
	if (now - *window_start >= t->window) {
		*window_start = now;
		*failures = 0;
	}
	if (++*failures >= t->max_failures) {
		*locked_until = now + t->lockout;
		*failures = 0;
		*window_start = now;
		return true;
	}
	return false;
}

/* A failed login against the entry's user: her count after it. */
static long long user_fail_rule(const struct throttle *t, long long *failures, long long *last,
				time_t now)
{
	if (now - *last >= t->window)
		*failures = 0;
	*last = now;
	if (*failures < 1000)
		++*failures;
	return *failures;
}

static long long user_delay_ms(long long n)
{
	if (n <= THROTTLE_USER_FREE)
		return 0;
	if (n - THROTTLE_USER_FREE - 1 >= 8)
		return THROTTLE_USER_DELAY_MAX_MS;
	n = (long long)THROTTLE_USER_DELAY_BASE_MS << (n - THROTTLE_USER_FREE - 1);
	return n < THROTTLE_USER_DELAY_MAX_MS ? n : THROTTLE_USER_DELAY_MAX_MS;
}

/* --- shared: the counts in the metadata store --- */

void throttle_share(struct throttle *t, struct meta *m)
{
	t->shared = m;
}

struct shared_op {
	const struct throttle *t;
	time_t now;
	enum { OP_ADDR_FAIL, OP_USER_FAIL, OP_USER_OK } op;
	long long result;
};

static bool shared_update(struct meta_throttle_row *row, void *arg)
{
	struct shared_op *o = arg;

	switch (o->op) {
	case OP_ADDR_FAIL:
		o->result = addr_fail_rule(o->t, &row->failures, &row->window_start,
					   &row->locked_until, &row->last, o->now);
		return true;
	case OP_USER_FAIL:
		o->result = user_fail_rule(o->t, &row->failures, &row->last, o->now);
		return true;
	case OP_USER_OK:
		if (!row->failures)
			return false;
		row->failures = 0;
		return true;
	}
	return false;
}

/* One shared read-modify-write; false (logged) when the store failed. */
static bool shared_run(struct throttle *t, char kind, const char *key, struct shared_op *o,
		       struct meta_throttle_row *row)
{
	struct err err = ERR_INIT;
	/* Rows older than a window and a lockout hold nothing that counts. */
	long long prune = o && o->op != OP_USER_OK ? (long long)o->now - t->window - t->lockout - 1 : 0;

	if (meta_throttle_update(t->shared, kind, key, prune, o ? shared_update : NULL, o, row,
				 &err) == 0)
		return true;
	log_warn("login throttle: %s", err.msg);
	return false;
}

long long throttle_check(struct throttle *t, const char *addr, time_t now)
{
	char key[KEY_MAX];
	struct addr_slot *s;
	bool overflows = false;
	long long wait = 0;

	throttle_addr_key(key, sizeof(key), addr);
	if (t->shared) {
		struct meta_throttle_row row;
		if (!shared_run(t, 'a', key, NULL, &row))
			return 0;
		return row.locked_until > now ? row.locked_until - (long long)now : 0;
	}
	pthread_mutex_lock(&t->mu);
	s = find_addr(t, key, now, false, &overflows);
	if (!s && overflows)
		s = &t->overflow;
	if (s && s->locked_until > now)
		wait = (long long)(s->locked_until - now);
	pthread_mutex_unlock(&t->mu);
	return wait;
}

bool throttle_fail(struct throttle *t, const char *addr, time_t now)
{
	char key[KEY_MAX];
	struct addr_slot *s;
	bool locked = false;

	throttle_addr_key(key, sizeof(key), addr);
	if (t->shared) {
		struct shared_op o = { .t = t, .now = now, .op = OP_ADDR_FAIL };
		return shared_run(t, 'a', key, &o, NULL) && o.result;
	}
	pthread_mutex_lock(&t->mu);
	s = find_addr(t, key, now, true, NULL);
	locked = addr_fail_rule(t, &s->failures, &s->window_start, &s->locked_until, &s->last, now);
	pthread_mutex_unlock(&t->mu);
	return locked;
}

static struct user_slot *find_user(struct throttle *t, const char *user, bool create)
{
	struct user_slot *victim = &t->users[0];

	for (int i = 0; i < THROTTLE_USER_SLOTS; i++) {
		struct user_slot *s = &t->users[i];
		if (s->name[0] && strncmp(s->name, user, USER_MAX - 1) == 0)
			return s;
		if (!s->name[0] ? victim->name[0] : (victim->name[0] && s->last < victim->last))
			victim = s;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->name, sizeof(victim->name), "%s", user);
	return victim;
}

long long throttle_user_fail(struct throttle *t, const char *user, time_t now)
{
	struct user_slot *s;
	long long n;

	if (!user[0])
		return 0;
	if (t->shared) {
		struct shared_op o = { .t = t, .now = now, .op = OP_USER_FAIL };
		return shared_run(t, 'u', user, &o, NULL) ? user_delay_ms(o.result) : 0;
	}
	pthread_mutex_lock(&t->mu);
	s = find_user(t, user, true);
	n = user_fail_rule(t, &s->failures, &s->last, now);
	pthread_mutex_unlock(&t->mu);
	return user_delay_ms(n);
}

void throttle_user_ok(struct throttle *t, const char *user)
{
	struct user_slot *s;

	if (t->shared) {
		/* Read first: most logins have nothing to clear, and a read
		 * takes no write lock. */
		struct shared_op o = { .t = t, .now = time(NULL), .op = OP_USER_OK };
		struct meta_throttle_row row;
		if (shared_run(t, 'u', user, NULL, &row) && row.failures)
			shared_run(t, 'u', user, &o, NULL);
		return;
	}
	pthread_mutex_lock(&t->mu);
	s = find_user(t, user, false);
	if (s)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&t->mu);
}
