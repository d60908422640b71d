/* group: group commit.  Concurrent callers that each need the same slow
 * durable step (a directory fsync, a database commit) queue it; one of
 * them, the leader, runs the step once for everything queued while the
 * others wait, then wakes them all.  Whoever arrives while a leader works
 * queues for the next round, so a lone caller never waits for company and
 * a busy server pays one step per round instead of one per caller.
 *
 * The caller embeds a struct group_member in its own request (first
 * member, or found again with a container cast in run) and reads its own
 * rc and err after group_join: run fills them for each member of the
 * batch, so members of one round may get different results. */
#ifndef LFS_GROUP_H
#define LFS_GROUP_H

#include <pthread.h>
#include <stdbool.h>

#include "err.h"

struct group_member {
	struct group_member *next; /* the batch, for run */
	int rc;                    /* this member's result: 0 or ERR_* */
	struct err err;
	bool done;
};

struct group {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct group_member *head, **tail; /* queued for the next round */
	bool running;                      /* a leader is at work */
	/* Runs the step for batch (a list through next, in arrival order) and
	 * sets rc and err of every member. */
	void (*run)(struct group_member *batch, void *arg);
	void *arg;
};

void group_init(struct group *g, void (*run)(struct group_member *batch, void *arg), void *arg);
void group_destroy(struct group *g);
/* Queues m, returns once a round that holds m has run: m->rc, copied to
 * err (when not NULL) on failure. */
int group_join(struct group *g, struct group_member *m, struct err *err);

#endif
