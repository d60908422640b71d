/* Unit tests for git-hooks/push.c: the pre-push input lines git sends. */
#include "push.h"
#include "tap.h"

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
	return tap_done();
}
