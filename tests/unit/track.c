/* Unit tests for git-hooks/track.c: the .gitattributes lines, and a
 * .gitattributes that cannot be read. */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lfsrepo.h"
#include "tap.h"
#include "track.h"

/* A read error is an error, not an empty file that track would then
 * write back over the real one. */
static void check_unreadable(void)
{
	char dir[] = "/tmp/track-unit-XXXXXX", path[64], cmd[128];
	git_repository *g = NULL;
	struct lfsrepo *r = NULL;
	struct err err = ERR_INIT;

	lfsrepo_global_init();
	if (!ok(mkdtemp(dir) != NULL, "temp dir") ||
	    !ok(git_repository_init(&g, dir, 0) == 0, "git init") ||
	    !ok(snprintf(path, sizeof(path), "%s/.gitattributes", dir) > 0 && mkdir(path, 0700) == 0,
		".gitattributes is a directory") ||
	    !ok(lfsrepo_open_path(&r, dir, &err) == 0, "open the repository"))
		goto out;
	ok(track_list(r, &err) < 0, "listing fails");
	ok(strstr(err.msg, "cannot read") != NULL, "and says why: %s", err.msg);
	err_clear(&err);
	{
		char *pats[] = { "*.bin" };
		ok(track_add(r, pats, 1, &err) < 0, "tracking fails");
	}
out:
	lfsrepo_free(r);
	git_repository_free(g);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "clean up");
	lfsrepo_global_shutdown();
}

static void check_escape(const char *in, const char *want)
{
	char *e = track_escape(in);

	is_str(e, want, in);
	free(e);
}

int main(void)
{
	check_escape("*.a", "*.a");
	check_escape("lib dir/*.bin", "lib[[:space:]]dir/*.bin");
	check_escape("#odd", "\\#odd");
	ok(track_line_tracks("*.a filter=lfs diff=lfs merge=lfs -text", "*.a"), "a tracking line");
	ok(track_line_tracks("  *.a   -text filter=lfs", "*.a"), "any attribute order");
	ok(!track_line_tracks("*.a filter=lfsx", "*.a"), "another filter");
	ok(!track_line_tracks("*.ab filter=lfs", "*.a"), "another pattern");
	ok(!track_line_tracks("*.a -filter=lfs", "*.a"), "unset filter");
	ok(!track_line_tracks("*.a text", "*.a"), "no filter");
	check_unreadable();
	return tap_done();
}
