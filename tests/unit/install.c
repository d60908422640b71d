/* Unit tests for git-hooks/install.c: the pure parts (quoting, git-lfs
 * detection, hook text), and keeping a hook it cannot read. */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install.h"
#include "lfsrepo.h"
#include "tap.h"

/* A hook that is a dangling symlink is the user's hook all the same:
 * install keeps it as the chained hook, never writes over it. */
static void check_dangling_hook(void)
{
	char dir[] = "/tmp/install-unit-XXXXXX", path[128], chained[160], cmd[160];
	git_repository *g = NULL;
	struct lfsrepo *r = NULL;
	struct err err = ERR_INIT;
	struct stat st;

	if (!ok(mkdtemp(dir) != NULL, "temp dir"))
		return;
	/* No user or system config with git-lfs in it. */
	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	lfsrepo_global_init();
	snprintf(path, sizeof(path), "%s/.git/hooks/pre-push", dir);
	snprintf(chained, sizeof(chained), "%s%s", path, INSTALL_CHAINED_SUFFIX);
	if (!ok(git_repository_init(&g, dir, 0) == 0, "git init") ||
	    !ok(symlink("/nonexistent/user-hook", path) == 0, "pre-push is a dangling symlink") ||
	    !ok(lfsrepo_open_path(&r, dir, &err) == 0, "open the repository"))
		goto out;
	ok(install_run(r, "/usr/local/bin/lfs-hooks", &err) == 0, "install runs: %s", err.msg);
	ok(lstat(chained, &st) == 0 && S_ISLNK(st.st_mode), "the symlink is kept as the chained hook");
	ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode), "our pre-push is in place");
out:
	lfsrepo_free(r);
	git_repository_free(g);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "clean up");
	lfsrepo_global_shutdown();
}

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

	check_dangling_hook();
	return tap_done();
}
