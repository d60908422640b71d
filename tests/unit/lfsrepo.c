/* Unit tests for git-hooks/lfsrepo.c: reading `git -c` overrides from
 * GIT_CONFIG_PARAMETERS. */
#include <stdlib.h>

#include "lfsrepo.h"
#include "tap.h"

static void check(const char *params, const char *key, const char *want, const char *name)
{
	bool oom = false;
	char *v = lfsrepo_config_param(params, key, &oom);

	is_str(v, want, name);
	ok(!oom, "%s: no allocation failed", name);
	free(v);
}

int main(void)
{
	check("'lfs.url'='http://h/x'", "lfs.url", "http://h/x", "new form");
	check("'lfs.url=http://h/x'", "lfs.url", "http://h/x", "old form");
	check("'a.b'='1' 'lfs.url'='u1' 'lfs.url'='u2'", "lfs.url", "u2", "last one wins");
	check("'LFS.URL'='u'", "lfs.url", "u", "case-insensitive key");
	check("'x.y'='it'\\''s'", "x.y", "it's", "quote inside a value");
	check("'x.y'='a=b c'", "x.y", "a=b c", "= and space inside a value");
	check("'a.b'='1'", "lfs.url", NULL, "absent");
	check("", "lfs.url", NULL, "empty");
	check("'broken", "lfs.url", NULL, "unterminated quote");
	check("'lfs.url'", "lfs.url", NULL, "key without value");

	static const struct {
		const char *url;
		bool ok;
	} committed[] = {
		{ "https://lfs.example.org/tock/x.git/info/lfs", true },
		{ "http://127.0.0.1:8080/x", true },
		{ "HTTPS://h/x", true },
		{ "ssh://git@h/x.git", true },
		{ "git@h:tock/x.git", true },
		{ "file:///tmp/elsewhere", false },
		{ "/tmp/elsewhere", false },
		{ "../elsewhere", false },
		{ "./a:b", false },
		{ "ftp://h/x", false },
		{ "ext::sh -c evil", false },
		{ "", false },
	};
	for (size_t i = 0; i < sizeof(committed) / sizeof(committed[0]); i++)
		ok(lfsrepo_committed_url_ok(committed[i].url) == committed[i].ok, "committed URL '%s': %s",
		   committed[i].url, committed[i].ok ? "taken" : "refused");
	return tap_done();
}
