/* filter: the "lfs" filter driver git calls on every add and checkout of
 * a tracked file: clean (content -> pointer, storing the content in the
 * local cache) and smudge (pointer -> content, downloading it when the
 * cache lacks it), both one-shot and as git's long-running filter process
 * (pkt-line protocol, protocol doc 8.2) with the delay capability, so a
 * checkout of many files downloads them in parallel batches.
 *
 * Content that is not a pointer passes through smudge untouched, and a
 * pointer passes through clean untouched, as with git-lfs. */
#ifndef LFS_HOOKS_FILTER_H
#define LFS_HOOKS_FILTER_H

#include "err.h"
#include "lfsrepo.h"

/* One-shot clean: content on in, pointer on out.  path is for messages. */
int filter_clean(struct lfsrepo *r, int in, int out, const char *path, struct err *err)
	__attribute__((warn_unused_result));

/* One-shot smudge: blob on in, content on out.  A pointer whose object
 * cannot be had is written out as the pointer, with a warning naming
 * path, so a checkout never fails for a missing server. */
int filter_smudge(struct lfsrepo *r, int in, int out, const char *path, struct err *err)
	__attribute__((warn_unused_result));

/* Serves git's long-running filter protocol on in/out until git closes
 * in.  Returns 0 at a clean end, an error when the protocol breaks. */
int filter_process(struct lfsrepo *r, int in, int out, struct err *err) __attribute__((warn_unused_result));

#endif
