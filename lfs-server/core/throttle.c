/* throttle: failed-login counting per client address and per user (see
 * throttle.h). */
#include "core/throttle.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64
#define USER_MAX 129

struct addr_slot {
	char key[KEY_MAX];  /* "" = free */
	int failures;
	time_t window_start, locked_until, last;
};

struct user_slot {
	char name[USER_MAX]; /* "" = free */
	int failures;
	time_t last;
};

struct throttle {
	pthread_mutex_t mu;
	long long max_failures, window, lockout;
	struct addr_slot addrs[THROTTLE_ADDR_SLOTS];
	struct addr_slot overflow; /* shared by addresses that found no slot */
	struct user_slot users[THROTTLE_USER_SLOTS];
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

long long throttle_check(struct throttle *t, const char *addr, time_t now)
{
	char key[KEY_MAX];
	struct addr_slot *s;
	bool overflows = false;
	long long wait = 0;

	throttle_addr_key(key, sizeof(key), addr);
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
	pthread_mutex_lock(&t->mu);
	s = find_addr(t, key, now, true, NULL);
	s->last = now;
	if (now - s->window_start >= t->window) {
		s->window_start = now;
		s->failures = 0;
	}
	if (++s->failures >= t->max_failures) {
		s->locked_until = now + t->lockout;
		s->failures = 0;
		s->window_start = now;
		locked = true;
	}
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
	int n;

	if (!user[0])
		return 0;
	pthread_mutex_lock(&t->mu);
	s = find_user(t, user, true);
	if (now - s->last >= t->window)
		s->failures = 0;
	s->last = now;
	if (s->failures < 1000)
		s->failures++;
	n = s->failures;
	pthread_mutex_unlock(&t->mu);
	if (n <= THROTTLE_USER_FREE)
		return 0;
	if (n - THROTTLE_USER_FREE - 1 >= 8)
		return THROTTLE_USER_DELAY_MAX_MS;
	n = THROTTLE_USER_DELAY_BASE_MS << (n - THROTTLE_USER_FREE - 1);
	return n < THROTTLE_USER_DELAY_MAX_MS ? n : THROTTLE_USER_DELAY_MAX_MS;
}

void throttle_user_ok(struct throttle *t, const char *user)
{
	struct user_slot *s;

	pthread_mutex_lock(&t->mu);
	s = find_user(t, user, false);
	if (s)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&t->mu);
}
