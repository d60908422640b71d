/* fetch: download Git LFS objects into the local cache, in batches of at
 * most 100 objects per batch request and up to lfs.concurrenttransfers
 * transfers at once. */
#ifndef LFS_HOOKS_FETCH_H
#define LFS_HOOKS_FETCH_H

#include <stdbool.h>

#include "err.h"
#include "lfsrepo.h"
#include "objlist.h"

/* Downloads every object of objs that the cache lacks.  remote names the
 * git remote whose LFS endpoint to use (NULL: the current branch's
 * remote, else origin).  Each failed object is reported on stderr with
 * its path; the others are in the cache whatever the result.  Returns 0
 * when every object is in the cache, else ERR_IO (err names the server
 * and the first failure). */
int fetch_objects(struct lfsrepo *r, const char *remote, const struct objlist *objs, struct err *err)
	__attribute__((warn_unused_result));

/* `lfs-hooks fetch`: the objects of HEAD's tree, or with all, of every
 * commit reachable from any ref. */
int fetch_refs(struct lfsrepo *r, const char *remote, bool all, struct err *err) __attribute__((warn_unused_result));

#endif
