/* sshcmd: parses the command an SSH client asked for (SSH_ORIGINAL_COMMAND)
 * when git-lfs-authenticate runs as a forced command.  Pure. */
#ifndef LFS_SSHCMD_H
#define LFS_SSHCMD_H

#include "core/route.h"
#include "err.h"

struct sshcmd {
	char repo[REPO_MAX + 1]; /* canonical */
	char op[16];             /* "download" or "upload" */
};

/* Accepts exactly `git-lfs-authenticate <repo> <download|upload>`; the
 * repo may carry a leading '/', a trailing ".git" and single quotes.
 * Anything else is ERR_INVALID with a message for the user. */
int sshcmd_parse(struct sshcmd *out, const char *cmd, struct err *err) __attribute__((warn_unused_result));

#endif
