/* Unit tests for git-hooks/push.c: the pre-push input lines git sends,
 * and input that cannot be read. */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"
#include "tap.h"

/* A read error on git's list is an error, not its end: the refs after
 * it would be pushed without their objects. */
static void test_unreadable_input(void)
{
	char dir[] = "/tmp/push-unit-XXXXXX", cmd[128];
	git_repository *g = NULL;
	struct lfsrepo *r = NULL;
	struct err err = ERR_INIT;
	FILE *in = NULL;

	lfsrepo_global_init();
	if (!ok(mkdtemp(dir) != NULL, "temp dir") || !ok(git_repository_init(&g, dir, 0) == 0, "git init") ||
	    !ok(lfsrepo_open_path(&r, dir, &err) == 0, "open the repository") ||
	    !ok((in = fopen(dir, "r")) != NULL, "a stream whose reads fail (a directory)"))
		goto out;
	ok(push_pre_push(r, "origin", in, &err) < 0, "pre-push fails");
	ok(strstr(err.msg, "cannot read") != NULL, "and says why: %s", err.msg);
out:
	if (in)
		fclose(in);
	lfsrepo_free(r);
	git_repository_free(g);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "clean up");
	lfsrepo_global_shutdown();
}

static void test_pre_push_lines(void)
{
	struct push_update u;
	struct err err = ERR_INIT;

	is_int(push_parse_line(&u,
			       "refs/heads/main 67890abcdef0123456789abcdef0123456789abc refs/heads/main "
			       "0000000000000000000000000000000000000000\n",
			       &err),
	       0, "pre-push line parses");
	is_str(u.local_ref, "refs/heads/main", "local ref");
	ok(u.remote_is_new && !u.is_delete, "new remote ref");
	is_int(push_parse_line(&u,
			       "(delete) 0000000000000000000000000000000000000000 refs/heads/old "
			       "67890abcdef0123456789abcdef0123456789abc",
			       &err),
	       0, "delete line parses");
	ok(u.is_delete && !u.remote_is_new, "delete recognised");
	is_int(push_parse_line(&u, "refs/heads/main 123 refs/heads/main 456\n", &err), ERR_INVALID, "short shas");
	is_int(push_parse_line(&u, "garbage\n", &err), ERR_INVALID, "garbage");
	is_int(push_parse_line(&u,
			       "a 67890abcdef0123456789abcdef0123456789abc b 67890abcdef0123456789abcdef0123456789abc extra",
			       &err),
	       ERR_INVALID, "extra field");
}

int main(void)
{
	test_pre_push_lines();
	test_unreadable_input();
	return tap_done();
}
