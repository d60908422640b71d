/* Unit tests for git-hooks/inspect.c: ls-files prints committed paths
 * through say, so a path cannot drive the terminal. */
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect.h"
#include "lfsrepo.h"
#include "pointer.h"
#include "tap.h"

static const char oid[] = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";

/* A repository whose HEAD holds one pointer file at path. */
static int make_repo(const char *dir, const char *path)
{
	git_repository *g = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_oid blob, tree, commit;
	git_tree *t = NULL;
	struct pointer p;
	char text[POINTER_MAX_SIZE];
	int n, rc = -1;

	pointer_init(&p, oid, 12345);
	n = pointer_format(text, sizeof(text), &p);
	if (n > 0 && git_repository_init(&g, dir, 0) == 0 && git_blob_create_from_buffer(&blob, g, text, (size_t)n) == 0 &&
	    git_treebuilder_new(&tb, g, NULL) == 0 &&
	    git_treebuilder_insert(NULL, tb, path, &blob, GIT_FILEMODE_BLOB) == 0 && git_treebuilder_write(&tree, tb) == 0 &&
	    git_tree_lookup(&t, g, &tree) == 0 && git_signature_new(&sig, "t", "t@example.com", 1, 0) == 0 &&
	    git_commit_create(&commit, g, "HEAD", sig, sig, NULL, "c", t, 0, NULL) == 0)
		rc = 0;
	git_signature_free(sig);
	git_tree_free(t);
	git_treebuilder_free(tb);
	git_repository_free(g);
	return rc;
}

/* What inspect_ls_files printed on stdout, into out. */
static int ls_files(struct lfsrepo *r, char *out, size_t outsz)
{
	struct err err = ERR_INIT;
	char tmpl[] = "/tmp/inspect-out-XXXXXX";
	int fd = mkstemp(tmpl), saved = dup(1), rc;
	ssize_t n;

	if (fd < 0 || saved < 0)
		return -1;
	unlink(tmpl);
	fflush(stdout);
	if (dup2(fd, 1) < 0)
		return -1;
	rc = inspect_ls_files(r, NULL, 0, &err);
	fflush(stdout);
	if (dup2(saved, 1) < 0)
		return -1;
	close(saved);
	n = pread(fd, out, outsz - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return rc;
}

int main(void)
{
	char dir[] = "/tmp/inspect-unit-XXXXXX", out[512], cmd[128];
	struct lfsrepo *r = NULL;
	struct err err = ERR_INIT;

	lfsrepo_global_init();
	if (!ok(mkdtemp(dir) != NULL, "temp dir") ||
	    !ok(make_repo(dir, "a\x1b]0;pwned\x07" "b.bin") == 0, "a commit with an escape in a path") ||
	    !ok(lfsrepo_open_path(&r, dir, &err) == 0, "open the repository"))
		goto out;
	ok(ls_files(r, out, sizeof(out)) == 0, "ls-files runs");
	ok(strchr(out, '\x1b') == NULL && strchr(out, '\x07') == NULL, "no control character reaches stdout");
	is_str(out, "4d7a214614 - a?]0;pwned?b.bin\n", "the line, defanged");
out:
	lfsrepo_free(r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "clean up");
	lfsrepo_global_shutdown();
	return tap_done();
}
