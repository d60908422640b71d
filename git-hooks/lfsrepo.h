/* lfsrepo: the repository lfs-hooks works in, opened the way git's own
 * tools find it (GIT_DIR, GIT_WORK_TREE, or a search upward from the
 * current directory), with the paths of its Git LFS storage. */
#ifndef LFS_HOOKS_LFSREPO_H
#define LFS_HOOKS_LFSREPO_H

#include <git2.h>
#include <stdbool.h>

#include "err.h"

struct lfsrepo {
	git_repository *git;
	char *gitdir;  /* common git dir (shared by linked worktrees), no trailing '/' */
	char *workdir; /* work tree root with a trailing '/', or NULL when bare */
	char *lfsdir;  /* gitdir + "/lfs" */
};

/* Initialises libgit2 the way git reads its environment:
 * GIT_CONFIG_NOSYSTEM hides the system config and GIT_CONFIG_SYSTEM
 * names another file for it, as for git.
 * Call once before anything else; lfsrepo_global_shutdown() at exit. */
void lfsrepo_global_init(void);
void lfsrepo_global_shutdown(void);

/* Opens the repository around the current directory.  Caller frees with
 * lfsrepo_free().  ERR_NOTFOUND outside a repository. */
int lfsrepo_open(struct lfsrepo **out, struct err *err) __attribute__((warn_unused_result));

/* Opens the repository at path exactly (no search upward, no
 * environment): a remote on this machine.  Caller frees with
 * lfsrepo_free(). */
int lfsrepo_open_path(struct lfsrepo **out, const char *path, struct err *err) __attribute__((warn_unused_result));

/* Frees r and closes its repository; NULL is fine. */
void lfsrepo_free(struct lfsrepo *r);

/* A snapshot of the repository's configuration (local, global, system);
 * caller frees with git_config_free(). */
int lfsrepo_config(git_config **out, struct lfsrepo *r, struct err *err) __attribute__((warn_unused_result));

/* The value `git -c key=value` gave for key, from params (the
 * GIT_CONFIG_PARAMETERS git hands to hooks and filters: 'key'='value' or
 * 'key=value' words, shell-quoted), the last one winning; caller frees.
 * NULL when key is not there, or (setting *oom) when memory ran out. */
char *lfsrepo_config_param(const char *params, const char *key, bool *oom) __attribute__((warn_unused_result));

/* Reads a config value: `git -c` overrides (GIT_CONFIG_PARAMETERS and
 * GIT_CONFIG_COUNT/KEY_n/VALUE_n) first, then git config, then, for the keys git-lfs
 * accepts there, the committed .lfsconfig at the work tree root (whose
 * URLs must pass lfsrepo_committed_url_ok() or be set, the same, in the
 * user's git config; refused ones are warned about once and unset).
 * Sets *out to a string the caller frees, or to NULL when unset anywhere;
 * returns 0, or ERR_NOMEM (unset and out of memory are never confused). */
int lfsrepo_config_get(char **out, struct lfsrepo *r, const char *key, struct err *err)
	__attribute__((warn_unused_result));

/* Whether v is a URL a committed file may name (http, https, ssh, or
 * an scp-like user@host:path); file:// URLs and local paths are not. */
bool lfsrepo_committed_url_ok(const char *v);

/* Integer and boolean config values with a default. */
long long lfsrepo_config_int(struct lfsrepo *r, const char *key, long long dflt);
bool lfsrepo_config_bool(struct lfsrepo *r, const char *key, bool dflt);

/* Sets the message of libgit2's last error on err and returns code. */
int lfsrepo_git_error(struct err *err, int code, const char *what);

#endif
