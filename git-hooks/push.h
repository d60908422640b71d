/* push: upload the Git LFS objects of the commits a push sends: the
 * pre-push hook (refs on stdin, as git gives them) and `lfs-hooks push`.
 * Commits the remote already has are hidden from the walk (the remote
 * side of each ref update, and the remote's tracking refs), the server
 * is asked which of the rest's objects it lacks, and those are uploaded
 * in parallel.  Any failure refuses the push, naming the server. */
#ifndef LFS_HOOKS_PUSH_H
#define LFS_HOOKS_PUSH_H

#include <git2.h>
#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "lfsrepo.h"

/* One line of pre-push input:
 * "<local ref> SP <local sha> SP <remote ref> SP <remote sha>". */
struct push_update {
	char local_ref[1024];
	git_oid local;
	char remote_ref[1024];
	git_oid remote;
	bool is_delete;     /* local sha all zeros */
	bool remote_is_new; /* remote sha all zeros */
};

/* Parses one input line (trailing LF optional).  ERR_INVALID for
 * anything else. */
int push_parse_line(struct push_update *u, const char *line, struct err *err) __attribute__((warn_unused_result));

/* The pre-push hook: remote is git's first argument (a remote name, or a
 * URL when pushing to a bare URL), in carries the ref updates.
 * GIT_LFS_SKIP_PUSH=1 skips everything, as with git-lfs. */
int push_pre_push(struct lfsrepo *r, const char *remote, FILE *in, struct err *err) __attribute__((warn_unused_result));

/* `lfs-hooks push REMOTE [REF...]`: the objects of REFs (HEAD when none)
 * that remote's tracking refs do not reach; with all, every object
 * reachable from any local branch or tag. */
int push_refs(struct lfsrepo *r, const char *remote, char *const *refs, int n, bool all, struct err *err)
	__attribute__((warn_unused_result));

#endif
