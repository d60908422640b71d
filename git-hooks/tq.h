/* tq: the transfer queue.  Objects go to the server in batch requests of
 * LFSAPI_BATCH_SIZE; what the server wants moved is moved by xfer, up to
 * lfs.concurrenttransfers (default 8) at a time; a transfer that fails
 * in a way worth retrying is batched again after a backoff (250 ms,
 * doubling, capped by lfs.transfer.maxretrydelay), up to
 * lfs.transfer.maxretries (default 8) times, as git-lfs 3.3 does. */
#ifndef LFS_HOOKS_TQ_H
#define LFS_HOOKS_TQ_H

#include <stdbool.h>

#include "err.h"
#include "lfsapi.h"
#include "objlist.h"

/* Moves objs to (upload) or from (download) api's server.  ref names the
 * ref for the batch requests (may be NULL).  For uploads, objects the
 * server already holds are skipped; an object the server wants and the
 * cache lacks fails.  Every failed object is reported on stderr with its
 * path.  Returns 0 when all went well, else ERR_IO (or ERR_AUTH) with err
 * naming the server and the first failure. */
int tq_run(struct lfsapi *api, bool upload, const struct objlist *objs, const char *ref, struct err *err)
	__attribute__((warn_unused_result));

#endif
