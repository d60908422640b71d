/* group: leader/follower group commit (see group.h). */
#include "group.h"

#include <string.h>

void group_init(struct group *g, void (*run)(struct group_member *batch, void *arg), void *arg)
{
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->head = NULL;
	g->tail = &g->head;
	g->running = false;
	g->run = run;
	g->arg = arg;
}

void group_destroy(struct group *g)
{
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
}

int group_join(struct group *g, struct group_member *m, struct err *err)
{
	m->next = NULL;
	m->rc = 0;
	m->done = false;
	err_clear(&m->err);
	pthread_mutex_lock(&g->mu);
	*g->tail = m;
	g->tail = &m->next;
	while (!m->done) {
		struct group_member *batch, *it;

		if (g->running) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		/* Lead: take everything queued (m among it) and run it with
		 * the lock released, so the next round can queue meanwhile. */
		batch = g->head;
		g->head = NULL;
		g->tail = &g->head;
		g->running = true;
		pthread_mutex_unlock(&g->mu);
		g->run(batch, g->arg);
		pthread_mutex_lock(&g->mu);
		for (it = batch; it; it = it->next)
			it->done = true;
		g->running = false;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	if (m->rc < 0 && err)
		*err = m->err;
	return m->rc;
}
