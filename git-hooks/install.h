/* install: set a repository up for lfs-hooks the way `git lfs install`
 * sets it up for git-lfs (the same filter.lfs keys, pointing at our
 * binary), install the pre-push, post-checkout and post-merge hooks, and
 * undo exactly that.  A hook that is already there is kept and chained
 * (renamed to HOOK.lfs-hooks-chained and run by ours); git-lfs's own
 * hooks or filter settings stop the install with the command to run. */
#ifndef LFS_HOOKS_INSTALL_H
#define LFS_HOOKS_INSTALL_H

#include "err.h"
#include "lfsrepo.h"

/* The marker line that tells our hooks from anyone else's. */
#define INSTALL_MARKER "# installed by lfs-hooks"
#define INSTALL_CHAINED_SUFFIX ".lfs-hooks-chained"

/* Installs filters and hooks; binary is the absolute path of lfs-hooks.
 * ERR_CONFLICT when git-lfs (or another lfs filter) is set up: err says
 * what was found and which command removes it. */
int install_run(struct lfsrepo *r, const char *binary, struct err *err) __attribute__((warn_unused_result));

/* Removes our hooks (restoring chained ones) and our filter settings. */
int install_uninstall(struct lfsrepo *r, struct err *err) __attribute__((warn_unused_result));

/* The text of one of our hooks calling binary (an absolute path), or
 * lfs-hooks from PATH when binary is NULL (the shipped templates in
 * git-hooks/templates/); caller frees. */
char *install_hook_script(const char *hook, const char *binary) __attribute__((warn_unused_result));

/* word for /bin/sh: as is when it needs no quoting, else in single
 * quotes; caller frees. */
char *install_shell_quote(const char *word) __attribute__((warn_unused_result));

/* True when text (a hook or a filter command) belongs to git-lfs. */
int install_is_git_lfs(const char *text);

#endif
