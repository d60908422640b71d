/* throttle: failed-login counting per client address (see throttle.h). */
#include "throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1024

struct slot {
	char peer[64];
	int failures;
	time_t window_start, locked_until, last;
};

struct throttle {
	pthread_mutex_t mu;
	long long max_failures, window, lockout;
	struct slot slots[SLOTS];
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

/* The peer's slot, or NULL; with create, a fresh or the stalest slot. */
static struct slot *find(struct throttle *t, const char *peer, bool create)
{
	struct slot *stale = &t->slots[0];

	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &t->slots[i];
		if (s->peer[0] && strcmp(s->peer, peer) == 0)
			return s;
		if (!s->peer[0] || (stale->peer[0] && s->last < stale->last))
			stale = s;
	}
	if (!create)
		return NULL;
	memset(stale, 0, sizeof(*stale));
	snprintf(stale->peer, sizeof(stale->peer), "%s", peer);
	return stale;
}

long long throttle_check(struct throttle *t, const char *peer, time_t now)
{
	struct slot *s;
	long long wait = 0;

	pthread_mutex_lock(&t->mu);
	s = find(t, peer, false);
	if (s && s->locked_until > now)
		wait = (long long)(s->locked_until - now);
	pthread_mutex_unlock(&t->mu);
	return wait;
}

bool throttle_fail(struct throttle *t, const char *peer, time_t now)
{
	struct slot *s;
	bool locked = false;

	pthread_mutex_lock(&t->mu);
	s = find(t, peer, true);
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

void throttle_ok(struct throttle *t, const char *peer)
{
	struct slot *s;

	pthread_mutex_lock(&t->mu);
	s = find(t, peer, false);
	if (s)
		s->failures = 0;
	pthread_mutex_unlock(&t->mu);
}
