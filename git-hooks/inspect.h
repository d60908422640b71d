/* inspect: read-only views of a ref's Git LFS files: `ls-files` (which
 * files are pointers, and whether the work tree holds their content) and
 * `fsck` (are the local objects whole, are the pointers canonical, is
 * every file under filter=lfs a pointer). */
#ifndef LFS_HOOKS_INSPECT_H
#define LFS_HOOKS_INSPECT_H

#include <stdbool.h>

#include "err.h"
#include "lfsrepo.h"

enum {
	INSPECT_LONG = 1 << 0,      /* full oids */
	INSPECT_SIZE = 1 << 1,      /* sizes */
	INSPECT_NAME_ONLY = 1 << 2, /* paths only */
};

/* Prints "<oid> <*|-> <path>" for each pointer in ref's tree (HEAD when
 * ref is NULL), as git lfs ls-files does: '*' when the work tree file
 * holds the content, '-' when it is still the pointer. */
int inspect_ls_files(struct lfsrepo *r, const char *ref, int flags, struct err *err)
	__attribute__((warn_unused_result));

/* Checks ref's (HEAD's) pointers: each object present in the cache must
 * hash to its oid (a corrupt one is moved to .git/lfs/bad/); with
 * pointers, every pointer must be canonical and every file under
 * filter=lfs must be a pointer.  Prints each problem; *problems gets
 * their count.  Prints "Git LFS fsck OK" when there are none. */
int inspect_fsck(struct lfsrepo *r, const char *ref, bool pointers, int *problems, struct err *err)
	__attribute__((warn_unused_result));

#endif
