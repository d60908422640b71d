/* standalone: Git LFS objects for a remote on this machine (a local path
 * or file:// URL, which has no LFS server), copied straight between the
 * two repositories' .git/lfs/objects as git-lfs's lfs-standalone-file
 * adapter does, so a local backup remote gets its objects too. */
#ifndef LFS_HOOKS_STANDALONE_H
#define LFS_HOOKS_STANDALONE_H

#include <stdbool.h>

#include "err.h"
#include "lfsrepo.h"
#include "objlist.h"

/* The local path a file:// endpoint names, or NULL for any other URL;
 * caller frees. */
char *standalone_path(const char *url) __attribute__((warn_unused_result));

/* Copies objs from r's cache to the repository at path (upload), or the
 * other way (download).  Every byte copied is hashed and only whole
 * objects land.  Returns 0, or ERR_IO naming the first failure. */
int standalone_transfer(struct lfsrepo *r, const char *path, bool upload, const struct objlist *objs,
			struct err *err) __attribute__((warn_unused_result));

#endif
