/* Unit tests for the pure parts of a reload and of the access log:
 * config_changed_keys (what a reload cannot apply), acl_replace (the rules
 * a reader sees), accesslog_escape (a client cannot forge a log line). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/acl.h"
#include "core/config.h"
#include "server/accesslog.h"
#include "tap.h"

static struct config load(const char *text)
{
	char path[64];
	struct config cfg;
	struct err err = ERR_INIT;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/lfs-reload-test-%ld", (long)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	if (config_init(&cfg, &err) < 0)
		abort(); /* setup: nothing to test without it */
	if (config_load(&cfg, path, &err) < 0)
		printf("# load failed: %s\n", err.msg);
	unlink(path);
	return cfg;
}

static const struct row {
	const char *old, *fresh, *want, *why;
} rows[] = {
	{ "[server]\n\tlisten = 127.0.0.1:1\n", "[server]\n\tlisten = 127.0.0.1:1\n", "", "nothing changed" },
	{ "[server]\n\tlisten = 127.0.0.1:1\n", "[server]\n\tlisten = 127.0.0.1:2\n", "server.listen", "a value changed" },
	{ "[server]\n\tlisten = 127.0.0.1:1\n", "", "server.listen", "a key removed" },
	{ "", "[server]\n\tshutdown-grace = 3\n", "server.shutdown-grace", "a key added" },
	{ "[repo \"a/*\"]\n\tread = *\n", "[repo \"a/*\"]\n\tread = bob\n[repo \"b\"]\n\tread = *\n", "", "repo rules are a reload's" },
	{ "[auth]\n\tusers = /a\n", "[auth]\n\tusers = /b\n", "", "another users file is a reload's" },
	{ "[auth]\n\tusers = /a\n", "", "auth.users", "auth turned off" },
	{ "", "[auth]\n\tusers = /a\n", "auth.users", "auth turned on" },
	{ "[mirror \"eu\"]\n\turl = http://a/\n\tweight = 2\n", "[mirror \"eu\"]\n\turl = http://b/\n\tweight = 3\n",
	  "mirror.eu.url, mirror.eu.weight", "two mirror keys" },
	{ "[journal]\n\treaders = a\n\treaders = b\n", "[journal]\n\treaders = a\n\treaders = c\n", "journal.readers",
	  "a repeated key counts once" },
	{ "[server]\n\tlisten = 127.0.0.1:1\n\tdata = d\n", "[server]\n\tdata = d\n\tlisten = 127.0.0.1:1\n", "",
	  "order does not matter" },
};

static const struct esc {
	const char *in, *want, *why;
} escs[] = {
	{ "git-lfs/3.3.0 (GitHub; linux amd64)", "git-lfs/3.3.0 (GitHub; linux amd64)", "plain text is kept" },
	{ "a\" 200 \"b", "a\\x22 200 \\x22b", "a quote cannot end the field" },
	{ "a\\x22", "a\\x5Cx22", "a backslash cannot fake an escape" },
	{ "a\nb\rc\td", "a\\x0Ab\\x0Dc\\x09d", "control bytes cannot start a line" },
	{ "caf\xc3\xa9\x7f", "caf\\xC3\\xA9\\x7F", "bytes over 0x7e are escaped" },
	{ "", "", "empty" },
};

int main(void)
{
	struct err err = ERR_INIT;
	char out[512], small[8];
	struct acl *a = NULL, *b = NULL;
	struct config ca, cb;

	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		struct config o = load(rows[i].old), f = load(rows[i].fresh);
		ok(config_changed_keys(&o, &f, out, sizeof(out), &err) == 0 && strcmp(out, rows[i].want) == 0,
		   "changed keys: %s ('%s')", rows[i].why, out);
		config_release(&o);
		config_release(&f);
	}

	ca = load("[repo \"tock/*\"]\n\tread = *\n\twrite = alice\n");
	cb = load("[repo \"tock/*\"]\n\tread = *\n\twrite = bob\n\tmirror = true\n");
	ok(acl_load(&a, ca.git, &err) == 0 && acl_load(&b, cb.git, &err) == 0, "two rule sets load");
	ok(acl_rights(a, "alice", "tock/x") & RIGHT_WRITE, "before: alice writes");
	ok(!acl_mirrored(a, "tock/x"), "before: not mirrored");
	acl_replace(a, b); /* b is freed (with a's old rules) */
	ok(!(acl_rights(a, "alice", "tock/x") & RIGHT_WRITE), "after: alice does not write");
	ok(acl_rights(a, "bob", "tock/x") & RIGHT_WRITE, "after: bob writes");
	ok(acl_mirrored(a, "tock/x"), "after: mirrored");
	acl_free(a);
	config_release(&ca);
	config_release(&cb);

	for (size_t i = 0; i < sizeof(escs) / sizeof(*escs); i++) {
		accesslog_escape(out, sizeof(out), escs[i].in);
		is_str(out, escs[i].want, escs[i].why);
	}
	accesslog_escape(small, sizeof(small), "abcd\"ef");
	is_str(small, "abcd", "an escape that does not fit is left out whole");
	return tap_done();
}
