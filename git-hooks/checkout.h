/* checkout: put content in place of pointer files in the work tree (what
 * the post-checkout and post-merge hooks, `install` and `pull` do), then
 * refresh the index's stat data for the files written, as
 * `git update-index --refresh` would, so `git status` stays clean.
 *
 * Only files that still hold exactly the committed pointer (same blob as
 * the index), and that .gitattributes puts under filter=lfs, are touched:
 * a file the user changed is never overwritten. */
#ifndef LFS_HOOKS_CHECKOUT_H
#define LFS_HOOKS_CHECKOUT_H

#include "err.h"
#include "lfsrepo.h"

/* Materializes every pointer file of the work tree, downloading missing
 * objects from remote (NULL: the default remote) in parallel batches.
 * Files whose object cannot be had stay pointers; the download failures
 * are summed up per source on stderr and err counts the pointers left.
 * Returns 0 when every file was materialized; ERR_IO (err says
 * what failed) otherwise, with everything that could be done done. */
int checkout_materialize(struct lfsrepo *r, const char *remote, struct err *err) __attribute__((warn_unused_result));

#endif
