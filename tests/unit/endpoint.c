/* Unit tests for git-hooks/endpoint.c: the endpoint table of protocol
 * doc 2.1 and insteadOf rewriting. */
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "tap.h"

static void derives(const char *remote, const char *proto, const char *want)
{
	struct err err = ERR_INIT;
	char *got = NULL;
	int rc = endpoint_from_git_url(&got, remote, proto, &err);

	if (rc < 0)
		ok(0, "%s: %s", remote, err.msg);
	else
		is_str(got, want, remote);
	free(got);
}

static void no_server(const char *remote)
{
	struct err err = ERR_INIT;
	char *got = NULL;

	ok(endpoint_from_git_url(&got, remote, NULL, &err) == ERR_NOTFOUND && got == NULL, "%s: no server", remote);
	free(got);
}

int main(void)
{
	char *ins[] = { "https://github.com/\tgh:", "git@internal:\thttps://internal/", "ssh://x/\tx:" };
	char *push[] = { "ssh://push.example/\tgh:" };
	char *s;

	derives("https://host/foo/bar", NULL, "https://host/foo/bar.git/info/lfs");
	derives("https://host/foo/bar.git", NULL, "https://host/foo/bar.git/info/lfs");
	derives("http://host:8080/foo/bar.git", NULL, "http://host:8080/foo/bar.git/info/lfs");
	derives("https://host/foo/bar/", NULL, "https://host/foo/bar.git/info/lfs");
	derives("https://host/foo/bar.git/", NULL, "https://host/foo/bar.git/info/lfs");
	derives("git@host:foo/bar.git", NULL, "https://host/foo/bar.git/info/lfs");
	derives("host:foo/bar", NULL, "https://host/foo/bar.git/info/lfs");
	derives("ssh://git@host:2222/foo/bar.git", NULL, "https://host/foo/bar.git/info/lfs");
	derives("ssh://host/foo/bar", NULL, "https://host/foo/bar.git/info/lfs");
	derives("git+ssh://git@host/foo/bar.git", NULL, "https://host/foo/bar.git/info/lfs");
	derives("ssh://git@[::1]:2222/foo.git", NULL, "https://[::1]/foo.git/info/lfs");
	derives("git://host/foo/bar", NULL, "https://host/foo/bar.git/info/lfs");
	derives("git://host/foo/bar", "http", "http://host/foo/bar.git/info/lfs");
	derives("https://127.0.0.1:9/tock/libtock-c", NULL, "https://127.0.0.1:9/tock/libtock-c.git/info/lfs");
	no_server("file:///srv/git/foo.git");
	no_server("/srv/git/foo.git");
	no_server("../foo.git");
	no_server("./a:b");

	s = endpoint_rewrite("gh:tock/libtock-c", ins, 3, push, 1, false);
	is_str(s, "https://github.com/tock/libtock-c", "insteadOf rewrites");
	free(s);
	s = endpoint_rewrite("gh:tock/libtock-c", ins, 3, push, 1, true);
	is_str(s, "ssh://push.example/tock/libtock-c", "pushInsteadOf wins for a push");
	free(s);
	s = endpoint_rewrite("x:y", ins, 3, push, 1, true);
	is_str(s, "ssh://x/y", "insteadOf still applies to a push without pushInsteadOf");
	free(s);
	s = endpoint_rewrite("https://internal/repo", ins, 3, NULL, 0, false);
	is_str(s, "git@internal:repo", "rewrite to scp form");
	free(s);
	s = endpoint_rewrite("https://other/repo", ins, 3, NULL, 0, false);
	is_str(s, "https://other/repo", "no match: unchanged");
	free(s);
	{
		char *longest[] = { "A\th", "B\thttps://", "C\thttps://host/" };
		s = endpoint_rewrite("https://host/x", longest, 3, NULL, 0, false);
		is_str(s, "Cx", "longest prefix wins");
		free(s);
	}
	return tap_done();
}
