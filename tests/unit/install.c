/* Unit tests for git-hooks/install.c: the pure parts (quoting, git-lfs
 * detection, hook text). */
#include <stdlib.h>
#include <string.h>

#include "install.h"
#include "tap.h"

static void check_quote(const char *in, const char *want)
{
	char *q = install_shell_quote(in);

	is_str(q, want, in);
	free(q);
}

int main(void)
{
	char *s;

	check_quote("/usr/local/bin/lfs-hooks", "/usr/local/bin/lfs-hooks");
	check_quote("/opt/my tools/lfs-hooks", "'/opt/my tools/lfs-hooks'");
	check_quote("/it's/lfs-hooks", "'/it'\\''s/lfs-hooks'");
	check_quote("/a/$HOME/x", "'/a/$HOME/x'");
	check_quote("", "''");

	ok(install_is_git_lfs("git-lfs filter-process"), "git-lfs filter is git-lfs's");
	ok(install_is_git_lfs("#!/bin/sh\ngit lfs pre-push \"$@\"\n"), "git-lfs hook is git-lfs's");
	ok(!install_is_git_lfs("/usr/bin/lfs-hooks filter-process"), "ours is not git-lfs's");
	ok(!install_is_git_lfs("#!/bin/sh\nexit 0\n"), "a plain hook is not git-lfs's");
	ok(!install_is_git_lfs(NULL), "no text");

	s = install_hook_script("pre-push", "/opt/x y/lfs-hooks");
	ok(s && strncmp(s, "#!/bin/sh\n", 10) == 0, "hook starts with a shebang");
	ok(s && strstr(s, INSTALL_MARKER), "hook carries the marker");
	ok(s && strstr(s, "\nlfs_hooks='/opt/x y/lfs-hooks'\n"), "hook names the quoted binary");
	ok(s && strstr(s, "exec \"$lfs_hooks\" pre-push \"$@\"\n"), "pre-push hook runs lfs-hooks pre-push");
	ok(s && strstr(s, "input=$(cat)"), "pre-push hook shares stdin with a chained hook");
	free(s);
	s = install_hook_script("post-merge", NULL);
	ok(s && strstr(s, "\nlfs_hooks=''\n"), "template finds lfs-hooks on PATH");
	ok(s && strstr(s, "\"$lfs_hooks\" post-merge \"$@\"\n"), "post-merge hook runs lfs-hooks post-merge");
	free(s);

	return tap_done();
}
