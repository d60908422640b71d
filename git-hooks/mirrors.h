/* mirrors: the client mirror list.  A repository may commit .lfsmirrors
 * at its root (git-config syntax, multi-valued mirror.url: base URLs of
 * static mirror trees, tried in order; see the contract).  An object on a
 * mirror is BASE/objects/ab/cd/<oid>, computable from the pointer alone,
 * so when the LFS server is unreachable or lacks an object lfs-hooks
 * fetches it from the mirrors instead.  Mirror bytes are hash-checked
 * like any download: a stale or broken mirror costs a request, never a
 * corrupt file. */
#ifndef LFS_HOOKS_MIRRORS_H
#define LFS_HOOKS_MIRRORS_H

#include "err.h"
#include "lfsrepo.h"
#include "objlist.h"
#include "oid.h"

/* BASE/objects/ab/cd/<oid> (one '/' between them); caller frees. */
char *mirrors_object_url(const char *base, const char *oid) __attribute__((warn_unused_result));

/* The mirror.url values of the work tree's .lfsmirrors, in order (none
 * when the file is missing).  Caller frees each string and the array. */
int mirrors_list(char ***urls, int *n, struct lfsrepo *r, struct err *err) __attribute__((warn_unused_result));

/* Fetches every object of objs that the cache lacks from the mirrors, in
 * order, in parallel.  Returns the number of objects still missing, or a
 * negative code when the list cannot be read. */
int mirrors_fetch(struct lfsrepo *r, const struct objlist *objs, struct err *err) __attribute__((warn_unused_result));

#endif
