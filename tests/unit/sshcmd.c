/* Unit tests for lfs-server/authenticate/sshcmd.c: the SSH_ORIGINAL_COMMAND forms
 * git-lfs-authenticate serves (leading '/', ".git", single quotes), and
 * everything it refuses (git's own commands, git-lfs-transfer, extra
 * words, bad operations, bad repository paths). */
#include <stdio.h>
#include <string.h>

#include "authenticate/sshcmd.h"
#include "tap.h"

/* cmd with control bytes escaped, for test names (TAP is line-based). */
static const char *shown(const char *cmd)
{
	static char out[900];
	size_t n = 0;

	if (!cmd)
		return "(null)";
	for (const unsigned char *p = (const unsigned char *)cmd; *p && n + 5 < sizeof(out); p++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, *p < 0x20 || *p >= 0x7f ? "\\x%02x" : "%c", *p);
	out[n] = '\0';
	return out;
}

static void accepts(const char *cmd, const char *repo, const char *op)
{
	struct sshcmd c;
	struct err err = ERR_INIT;

	if (!ok(sshcmd_parse(&c, cmd, &err) == 0, "accepted: [%s] (%s)", shown(cmd), err.msg))
		return;
	is_str(c.repo, repo, "  repo");
	is_str(c.op, op, "  operation");
}

/* Refused with ERR_INVALID and a one-line message containing want. */
static void refuses(const char *cmd, const char *want)
{
	struct sshcmd c;
	struct err err = ERR_INIT;
	int rc = sshcmd_parse(&c, cmd, &err);

	ok(rc == ERR_INVALID, "refused: [%s] (rc %d)", shown(cmd), rc);
	ok(err.msg[0] && !strchr(err.msg, '\n'), "  one-line message: %s", shown(err.msg));
	if (want)
		ok(strstr(err.msg, want) != NULL, "  message says '%s'", want);
}

int main(void)
{
	char long_repo[600], cmd[700];

	/* What git-lfs 3.3 sends: the ssh:// path keeps its leading '/',
	 * the scp-style path has none. */
	accepts("git-lfs-authenticate /tock/libtock-c download", "tock/libtock-c", "download");
	accepts("git-lfs-authenticate /tock/libtock-c.git upload", "tock/libtock-c", "upload");
	accepts("git-lfs-authenticate tock/libtock-c.git download", "tock/libtock-c", "download");
	accepts("git-lfs-authenticate tock/libtock-c upload", "tock/libtock-c", "upload");
	/* Quoted the way git quotes its own ssh commands. */
	accepts("git-lfs-authenticate 'tock/libtock-c.git' upload", "tock/libtock-c", "upload");
	accepts("git-lfs-authenticate '/tock/libtock-c' download", "tock/libtock-c", "download");
	/* Extra blanks between and around the words. */
	accepts("git-lfs-authenticate   tock/libtock-c \t download", "tock/libtock-c", "download");
	accepts("  git-lfs-authenticate tock/libtock-c download  ", "tock/libtock-c", "download");
	accepts("git-lfs-authenticate single download", "single", "download");
	accepts("git-lfs-authenticate a/b/c-d_e.f upload", "a/b/c-d_e.f", "upload");

	/* Nothing, or git's own commands: git is hosted elsewhere. */
	refuses(NULL, "git-lfs-authenticate");
	refuses("", "git-lfs-authenticate");
	refuses("   ", "git-lfs-authenticate");
	refuses("git-upload-pack 'tock/libtock-c.git'", "git-lfs-authenticate");
	refuses("git-receive-pack 'tock/libtock-c.git'", "git-lfs-authenticate");
	refuses("git-upload-archive 'tock/libtock-c.git'", "git-lfs-authenticate");
	refuses("git-upload-pack tock/libtock-c download", "git-lfs-authenticate");
	/* The pure-SSH protocol is not served: git-lfs then falls back. */
	refuses("git-lfs-transfer /tock/libtock-c download", "git-lfs-authenticate");
	refuses("git-lfs-transfer /tock/libtock-c upload", "git-lfs-authenticate");
	refuses("/usr/bin/git-lfs-authenticate tock/libtock-c download", NULL);
	refuses("GIT-LFS-AUTHENTICATE tock/libtock-c download", NULL);
	refuses("sh -c id", NULL);

	/* Wrong word counts. */
	refuses("git-lfs-authenticate", "git-lfs-authenticate");
	refuses("git-lfs-authenticate tock/libtock-c", "git-lfs-authenticate");
	refuses("git-lfs-authenticate tock/libtock-c download extra", "git-lfs-authenticate");
	refuses("git-lfs-authenticate tock/libtock-c download ; rm -rf /", NULL);
	refuses("git-lfs-authenticate tock/libtock-c download --verbose", NULL);

	/* Bad operations. */
	refuses("git-lfs-authenticate tock/libtock-c delete", "delete");
	refuses("git-lfs-authenticate tock/libtock-c Download", "download or upload");
	refuses("git-lfs-authenticate tock/libtock-c UPLOAD", "download or upload");
	refuses("git-lfs-authenticate tock/libtock-c verify", "download or upload");
	refuses("git-lfs-authenticate tock/libtock-c download;id", "download or upload");
	refuses("git-lfs-authenticate tock/libtock-c download\nid", NULL);
	refuses("git-lfs-authenticate tock/libtock-c ''", NULL);

	/* Bad repository paths (contract: segments of [A-Za-z0-9._-]+, none
	 * "." or "..", none starting with "_"). */
	refuses("git-lfs-authenticate ../etc/passwd download", "invalid repository");
	refuses("git-lfs-authenticate tock/../secret download", "invalid repository");
	refuses("git-lfs-authenticate /../../x upload", "invalid repository");
	refuses("git-lfs-authenticate tock/./x download", "invalid repository");
	refuses("git-lfs-authenticate tock//x download", "invalid repository");
	refuses("git-lfs-authenticate //tock/x download", "invalid repository");
	refuses("git-lfs-authenticate tock/x/ download", "invalid repository");
	refuses("git-lfs-authenticate _lfs/journal download", "invalid repository");
	refuses("git-lfs-authenticate tock/_x download", "invalid repository");
	refuses("git-lfs-authenticate / download", "invalid repository");
	refuses("git-lfs-authenticate '' download", "invalid repository");
	refuses("git-lfs-authenticate .git download", "invalid repository");
	refuses("git-lfs-authenticate tock/lib$x download", "invalid repository");
	refuses("git-lfs-authenticate tock/lib;x download", "invalid repository");
	refuses("git-lfs-authenticate tock/l\"ib download", "invalid repository");
	refuses("git-lfs-authenticate 'tock/libtock-c download", "invalid repository");
	refuses("git-lfs-authenticate tock/libtock-c' download", "invalid repository");
	refuses("git-lfs-authenticate ''tock/x'' download", "invalid repository");
	refuses("git-lfs-authenticate tock/\xc3\xa9 download", "invalid repository");
	refuses("git-lfs-authenticate tock/x\nid download", "invalid repository");
	refuses("git-lfs-authenticate tock/x\033[2J download", "invalid repository");

	/* Overlong words never overflow: a 500-byte repo is refused. */
	memset(long_repo, 'a', 500);
	long_repo[500] = '\0';
	snprintf(cmd, sizeof(cmd), "git-lfs-authenticate %s download", long_repo);
	refuses(cmd, NULL);
	/* At the limit (REPO_MAX) it is still a repo. */
	memset(long_repo, 'b', REPO_MAX);
	long_repo[REPO_MAX] = '\0';
	snprintf(cmd, sizeof(cmd), "git-lfs-authenticate %s download", long_repo);
	accepts(cmd, long_repo, "download");
	return tap_done();
}
