/* scan: find Git LFS pointers in git's object database with libgit2:
 * in the commits a push sends (a revwalk that hides what the remote has,
 * each commit diffed against its first parent), or in one tree.  Only
 * blobs under POINTER_MAX_SIZE are read, each blob once. */
#ifndef LFS_HOOKS_SCAN_H
#define LFS_HOOKS_SCAN_H

#include <git2.h>

#include "err.h"
#include "lfsrepo.h"
#include "objlist.h"
#include "pointer.h"

/* Called for each pointer found (p set, bad NULL), and for each blob that
 * looks like a pointer but does not parse (p NULL, bad says why).  path
 * is relative to the repository root.  A negative return stops the scan
 * and is passed on. */
typedef int (*scan_cb)(const char *path, const git_oid *blob, unsigned int mode, const struct pointer *p,
		       const char *bad, void *payload);

/* A ready-made scan_cb that adds every pointer to objs and reports each
 * broken one on stderr (with note appended, when not NULL). */
struct scan_collect {
	struct objlist *objs;
	const char *note;
	struct err *err;
};
int scan_collect_cb(const char *path, const git_oid *blob, unsigned int mode, const struct pointer *p,
		    const char *bad, void *payload);

struct scan;

/* Caller frees with scan_free(). */
int scan_new(struct scan **out, struct lfsrepo *r, struct err *err) __attribute__((warn_unused_result));
void scan_free(struct scan *s);

/* Commits to walk from, and commits (with their history) to leave out. */
int scan_include(struct scan *s, const git_oid *commit, struct err *err) __attribute__((warn_unused_result));
int scan_exclude(struct scan *s, const git_oid *commit, struct err *err) __attribute__((warn_unused_result));
/* Includes the commit of every ref matching glob (NULL: every ref). */
int scan_include_refs(struct scan *s, const char *glob, struct err *err) __attribute__((warn_unused_result));
/* Leaves out everything reachable from refs matching glob
 * (such as "refs/remotes/origin/" followed by a star). */
int scan_exclude_glob(struct scan *s, const char *glob, struct err *err) __attribute__((warn_unused_result));

/* Walks the included commits and reports the pointers each one adds or
 * changes (against its first parent; a root commit against nothing).
 * Each blob is reported once, with the first path it was seen at. */
int scan_commits(struct scan *s, scan_cb cb, void *payload, struct err *err) __attribute__((warn_unused_result));

/* Reports every pointer in tree, each path (not each blob) once. */
int scan_tree(struct lfsrepo *r, git_tree *tree, scan_cb cb, void *payload, struct err *err)
	__attribute__((warn_unused_result));

/* Reads a blob as a pointer: 1 and *p filled when it is one, 0 when it
 * is not (*bad set when it looks like a broken one), negative on error. */
int scan_blob(struct lfsrepo *r, const git_oid *blob, struct pointer *p, char *bad, size_t badsz,
	      struct err *err) __attribute__((warn_unused_result));

#endif
