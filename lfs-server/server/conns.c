/* conns: connection registry, request deadlines, drain (see conns.h). */
#include "server/conns.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

struct conn_slot {
	int fd;
	bool busy;          /* a request is in progress */
	int64_t deadline;   /* monotonic ms; 0 = none */
	int64_t begun;      /* when the current request line arrived */
	struct conn_slot *prev, *next;
};

struct conns {
	pthread_mutex_t mu;
	pthread_cond_t tick;  /* wakes the watchdog early (stop) */
	pthread_cond_t idle;  /* a busy connection went idle (drain) */
	struct conn_slot *head;
	int busy;
	bool stop, draining;
	int64_t request_ms, idle_ms, header_ms;
	pthread_t watchdog;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void abs_time(struct timespec *ts, int64_t delta_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += delta_ms / 1000;
	ts->tv_nsec += (delta_ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void *watchdog(void *arg)
{
	struct conns *cs = arg;
	struct timespec ts;

	pthread_mutex_lock(&cs->mu);
	while (!cs->stop) {
		int64_t now = now_ms();
		for (struct conn_slot *s = cs->head; s; s = s->next) {
			if (s->deadline && s->deadline <= now) {
				log_info("closing connection: request deadline passed");
				shutdown(s->fd, SHUT_RDWR);
				s->deadline = 0;
			}
		}
		abs_time(&ts, 250);
		pthread_cond_timedwait(&cs->tick, &cs->mu, &ts);
	}
	pthread_mutex_unlock(&cs->mu);
	return NULL;
}

int conns_new(struct conns **out, long long request_timeout, long long idle_timeout, struct err *err)
{
	struct conns *cs = calloc(1, sizeof(*cs));
	pthread_condattr_t attr;
	int rc;

	if (!cs)
		return err_set(err, ERR_NOMEM, "out of memory");
	cs->request_ms = request_timeout * 1000;
	cs->idle_ms = idle_timeout * 1000;
	cs->header_ms = cs->request_ms < CONNS_HEADER_TIMEOUT * 1000 ? cs->request_ms
								      : CONNS_HEADER_TIMEOUT * 1000;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->tick, &attr);
	pthread_cond_init(&cs->idle, &attr);
	pthread_condattr_destroy(&attr);
	rc = pthread_create(&cs->watchdog, NULL, watchdog, cs);
	if (rc != 0) {
		errno = rc;
		rc = err_set_errno(err, ERR_IO, "cannot start watchdog thread");
		free(cs);
		return rc;
	}
	*out = cs;
	return 0;
}

void conns_free(struct conns *cs)
{
	if (!cs)
		return;
	pthread_mutex_lock(&cs->mu);
	cs->stop = true;
	pthread_cond_signal(&cs->tick);
	pthread_mutex_unlock(&cs->mu);
	pthread_join(cs->watchdog, NULL);
	while (cs->head) {
		struct conn_slot *s = cs->head;
		cs->head = s->next;
		free(s);
	}
	pthread_mutex_destroy(&cs->mu);
	pthread_cond_destroy(&cs->tick);
	pthread_cond_destroy(&cs->idle);
	free(cs);
}

struct conn_slot *conns_add(struct conns *cs, int fd)
{
	struct conn_slot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = fd;
	pthread_mutex_lock(&cs->mu);
	s->deadline = now_ms() + cs->header_ms;
	s->next = cs->head;
	if (cs->head)
		cs->head->prev = s;
	cs->head = s;
	pthread_mutex_unlock(&cs->mu);
	return s;
}

void conns_remove(struct conns *cs, struct conn_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&cs->mu);
	if (s->prev)
		s->prev->next = s->next;
	else
		cs->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (s->busy) {
		cs->busy--;
		pthread_cond_broadcast(&cs->idle);
	}
	pthread_mutex_unlock(&cs->mu);
	free(s);
}

void conns_request_begin(struct conns *cs, struct conn_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&cs->mu);
	if (!s->busy) {
		s->busy = true;
		cs->busy++;
	}
	s->begun = now_ms();
	/* Never later than the deadline it had: the headers of a connection's
	 * first request count from the connection's start. */
	if (!s->deadline || s->deadline > s->begun + cs->header_ms)
		s->deadline = s->begun + cs->header_ms;
	pthread_mutex_unlock(&cs->mu);
}

void conns_headers_done(struct conns *cs, struct conn_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&cs->mu);
	if (s->deadline)
		s->deadline = s->begun + cs->request_ms;
	pthread_mutex_unlock(&cs->mu);
}

void conns_clear_deadline(struct conns *cs, struct conn_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&cs->mu);
	s->deadline = 0;
	pthread_mutex_unlock(&cs->mu);
}

void conns_request_end(struct conns *cs, struct conn_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&cs->mu);
	if (s->busy) {
		s->busy = false;
		cs->busy--;
		pthread_cond_broadcast(&cs->idle);
	}
	if (cs->draining) {
		shutdown(s->fd, SHUT_RDWR);
		s->deadline = 0;
	} else {
		/* The next request's headers must arrive within idle + header time. */
		s->deadline = now_ms() + cs->idle_ms + cs->header_ms;
	}
	pthread_mutex_unlock(&cs->mu);
}

int conns_drain(struct conns *cs, long long grace_seconds)
{
	struct timespec ts;
	int busy;

	abs_time(&ts, grace_seconds * 1000);
	pthread_mutex_lock(&cs->mu);
	cs->draining = true;
	for (struct conn_slot *s = cs->head; s; s = s->next)
		if (!s->busy)
			shutdown(s->fd, SHUT_RDWR);
	while (cs->busy > 0)
		if (pthread_cond_timedwait(&cs->idle, &cs->mu, &ts) == ETIMEDOUT)
			break;
	busy = cs->busy;
	pthread_mutex_unlock(&cs->mu);
	return busy;
}
