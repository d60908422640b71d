/* endpoint: which Git LFS server a remote talks to, found the way git-lfs
 * finds it (protocol doc 2.1): lfs.pushurl (uploads only), lfs.url,
 * remote.<name>.lfspushurl (uploads), remote.<name>.lfsurl, from git
 * config or the committed .lfsconfig; else derived from the remote's
 * (push)url after url.<base>.insteadOf rewriting. */
#ifndef LFS_HOOKS_ENDPOINT_H
#define LFS_HOOKS_ENDPOINT_H

#include <stdbool.h>

#include "err.h"
#include "lfsrepo.h"

/* The LFS endpoint git-lfs derives from a git remote URL (the table of
 * protocol doc 2.1): "<url>.git/info/lfs" for http(s), https://host/path
 * for ssh and scp-like URLs (port and user dropped), gitprotocol://host/
 * path for git:// (gitprotocol NULL means https).  ERR_NOTFOUND for local
 * paths and file:// URLs, which have no LFS server.  Caller frees *out. */
int endpoint_from_git_url(char **out, const char *url, const char *gitprotocol, struct err *err)
	__attribute__((warn_unused_result));

/* Rewrites url by the longest matching url.<base>.insteadOf (for a push,
 * pushInsteadOf first).  entries are "base\tprefix" pairs; returns a new
 * string (caller frees), url unchanged when nothing matches. */
char *endpoint_rewrite(const char *url, char *const *insteadof, int n_insteadof, char *const *pushinsteadof,
		       int n_pushinsteadof, bool push) __attribute__((warn_unused_result));

/* The remote git-lfs would use for downloads: the current branch's
 * branch.<name>.remote, else "origin".  Caller frees. */
char *endpoint_default_remote(struct lfsrepo *r) __attribute__((warn_unused_result));

/* The LFS endpoint for remote (a remote name, or a URL as pre-push gets
 * when pushing to a bare URL; NULL: endpoint_default_remote()), for an
 * upload or a download.  Also hands back the git remote URL (*git_url,
 * may be NULL), which credentials are asked for when it shares the
 * endpoint's host.  A remote on this machine (a path or file:// URL,
 * with no lfs.url) gives "file://<absolute path>": objects are copied,
 * see standalone.h.  Caller frees both. */
int endpoint_resolve(char **out, char **git_url, struct lfsrepo *r, const char *remote, bool upload,
		     struct err *err) __attribute__((warn_unused_result));

#endif
