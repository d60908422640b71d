/* Unit tests for lfs-server/core/acl.c: one section decides (exact name beats
 * a pattern, more literal characters win, the later section wins a tie,
 * same-pattern blocks are one section, nothing is inherited), fnmatch
 * with FNM_PATHNAME, the implications (admin => write => read), `*` as
 * everyone including anonymous, repeated keys, the mirror flag, config
 * errors (`.git` patterns, mirror without read = *), and name lists.
 * Tables: one TAP line per row. */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/acl.h"
#include "tap.h"

#define R RIGHT_READ
#define W (RIGHT_WRITE | RIGHT_READ)
#define A (RIGHT_ADMIN | RIGHT_WRITE | RIGHT_READ)

static char cfg_path[64];

/* Loads rules from git-config text; NULL (with err filled) on error. */
static struct acl *load(const char *text, struct err *err)
{
	git_config *cfg = NULL;
	struct acl *a = NULL;
	FILE *f = fopen(cfg_path, "w");

	*err = (struct err)ERR_INIT;
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	if (git_config_open_ondisk(&cfg, cfg_path) < 0) {
		snprintf(err->msg, sizeof(err->msg), "libgit2: %s", git_error_last()->message);
		return NULL;
	}
	if (acl_load(&a, cfg, err) < 0)
		a = NULL;
	git_config_free(cfg);
	return a;
}

/* Configs the rows below refer to by index. */
static const char *const configs[] = {
	/* 0: the old leak: a private pattern under a public, mirrored one */
	"[repo \"tock/*\"]\n\tread = *\n\twrite = alice bob\n\tadmin = carol\n\tmirror = true\n"
	"[repo \"tock/private-*\"]\n\tread = alice\n",
	/* 1: exact beats pattern, whatever the order */
	"[repo \"tock/libtock-c\"]\n\tread = rita\n"
	"[repo \"tock/*\"]\n\tread = *\n\twrite = wes\n"
	"[repo \"tock/libtock-*\"]\n\twrite = pat\n",
	/* 2: literal counts, and ties going to the later section */
	"[repo \"*/x\"]\n\tread = late\n"
	"[repo \"a/*\"]\n\tread = early\n"
	"[repo \"a?b/*\"]\n\tread = two\n"
	"[repo \"[ab]cd/*\"]\n\tread = bracket\n"
	"[repo \"x/*\"]\n\tread = first\n"
	"[repo \"*/y\"]\n\tread = second\n",
	/* 3: same-pattern blocks are one section (lists add up, counts at its
	 *    last block) */
	"[repo \"t/*\"]\n\tread = alice\n\tread = bob carol\n"
	"[repo \"*/z\"]\n\tread = zed\n"
	"[repo \"t/*\"]\n\twrite = dave\n",
	/* 4: patterns with FNM_PATHNAME, and an empty section */
	"[repo \"tock/*\"]\n\tread = alice\n"
	"[repo \"*\"]\n\tread = bob\n"
	"[repo \"deep/*/*\"]\n\tread = carol\n"
	"[repo \"lib?\"]\n\tread = dave\n"
	"[repo \"set/[ab]x\"]\n\tread = erin\n"
	"[repo \"tock/lib.c\"]\n\tread = dot\n",
	/* 5: name lists and stars in write/admin */
	"[repo \"r/*\"]\n\twrite = alice\tbob,carol\n"
	"[repo \"open/*\"]\n\twrite = *\n"
	"[repo \"wild/*\"]\n\tadmin = *\n",
	/* 6: mirror flags */
	"[repo \"pub/*\"]\n\tread = *\n\tmirror = yes\n"
	"[repo \"pub/off\"]\n\tread = *\n\tmirror = false\n"
	"[repo \"pub/p-*\"]\n\tread = *\n"
	"[repo \"pub/again\"]\n\tread = *\n\tmirror = true\n\tmirror = false\n",
};

static const struct row {
	int cfg;
	const char *user, *repo;
	unsigned want;
	int mirrored; /* -1: not checked */
	const char *why;
} rows[] = {
	{ 0, NULL, "tock/libtock-c", R, 1, "public pattern: anonymous reads, mirrored" },
	{ 0, "alice", "tock/libtock-c", W, 1, "public pattern: writer" },
	{ 0, "carol", "tock/libtock-c", A, 1, "public pattern: admin" },
	{ 0, NULL, "tock/private-x", 0, 0, "more literals: private, anonymous gets nothing" },
	{ 0, "bob", "tock/private-x", 0, 0, "nothing inherited: tock/* writer has nothing" },
	{ 0, "carol", "tock/private-x", 0, 0, "nothing inherited: tock/* admin has nothing" },
	{ 0, "alice", "tock/private-x", R, 0, "nothing inherited: alice only reads" },
	{ 0, "nobody", "tock/private-x", 0, 0, "nothing inherited: `*` of tock/* not read" },
	{ 1, "rita", "tock/libtock-c", R, 0, "exact name beats an earlier-read pattern" },
	{ 1, "wes", "tock/libtock-c", 0, 0, "exact name beats a pattern later in the file" },
	{ 1, "pat", "tock/libtock-c", 0, 0, "exact name beats a longer pattern" },
	{ 1, NULL, "tock/libtock-c", 0, 0, "exact name: anonymous not named" },
	{ 1, "pat", "tock/libtock-rs", W, 0, "tock/libtock-* has more literals than tock/*" },
	{ 1, NULL, "tock/libtock-rs", 0, 0, "tock/libtock-* inherits nothing from tock/*" },
	{ 1, "wes", "tock/other", W, 0, "only tock/* matches" },
	{ 1, "rita", "tock/libtock-cx", 0, 0, "an exact name matches only itself" },
	{ 2, "early", "a/x", R, -1, "tie (2 literals): the later a/* wins over */x" },
	{ 2, "late", "a/x", 0, -1, "tie: the earlier */x loses" },
	{ 2, "second", "x/y", R, -1, "tie: */y is later than x/*" },
	{ 2, "first", "x/y", 0, -1, "tie: x/* is earlier" },
	{ 2, "two", "abb/x", R, -1, "a?b/* has 3 literals, more than a/*'s 2 (a/* does not match)" },
	{ 2, "bracket", "acd/x", R, -1, "[ab]cd/*: the bracket is no literal, cd/ are 3" },
	{ 3, "alice", "t/z", R, -1, "same pattern in two blocks: first block's read counts" },
	{ 3, "carol", "t/z", R, -1, "repeated key: every value counts" },
	{ 3, "dave", "t/z", W, -1, "second block's write counts" },
	{ 3, "zed", "t/z", 0, -1, "tie broken by the pattern's last block (t/*), not its first" },
	{ 4, "alice", "tock/x", R, -1, "tock/* matches tock/x" },
	{ 4, "alice", "tock/x/y", 0, -1, "FNM_PATHNAME: * stops at /" },
	{ 4, "alice", "tock", 0, -1, "tock/* does not match tock" },
	{ 4, "bob", "tock", R, -1, "* matches one segment" },
	{ 4, "bob", "tock/x", 0, -1, "tock/* beats *" },
	{ 4, "carol", "deep/a/b", R, -1, "deep/*/* two segments" },
	{ 4, "carol", "deep/a/b/c", 0, -1, "deep/*/* not three" },
	{ 4, "dave", "libx", R, -1, "? one character" },
	{ 4, "dave", "lib/", 0, -1, "? never matches /" },
	{ 4, "erin", "set/ax", R, -1, "bracket set" },
	{ 4, "erin", "set/cx", 0, -1, "outside the bracket set" },
	{ 4, "dot", "tock/lib.c", R, -1, "dots in an exact name (the last . ends the pattern)" },
	{ 4, "alice", "tock/lib.c", 0, -1, "exact name beats tock/*" },
	{ 5, "bob", "r/x", W, -1, "tab and comma separate names" },
	{ 5, "carol", "r/x", W, -1, "comma-separated name" },
	{ 5, "ali", "r/x", 0, -1, "no prefix match" },
	{ 5, "Alice", "r/x", 0, -1, "names are case-sensitive" },
	{ 5, NULL, "open/x", W, -1, "write = * includes anonymous" },
	{ 5, NULL, "wild/x", A, -1, "admin = * includes anonymous" },
	{ 5, "zoe", "nowhere", 0, 0, "no section: nothing, not mirrored" },
	{ 6, NULL, "pub/x", R, 1, "mirror = yes is true" },
	{ 6, NULL, "pub/off", R, 0, "an exact section with mirror = false" },
	{ 6, NULL, "pub/p-1", R, 0, "mirror is not inherited from pub/*" },
	{ 6, NULL, "pub/again", R, 0, "a repeated bool: the last value counts" },
	{ 6, NULL, "pub/x/y", 0, 0, "mirror patterns use FNM_PATHNAME too" },
};

static const struct bad {
	const char *text, *want, *why;
} bads[] = {
	{ "[repo \"tock/*.git\"]\n\tread = *\n", "repo.tock/*.git.read", "a pattern ending in .git" },
	{ "[repo \"tock/x.git\"]\n\tread = *\n", ".git", "an exact name ending in .git" },
	{ "[repo \"tock/*\"]\n\tmirror = true\n", "needs read = *", "mirror without read" },
	{ "[repo \"tock/*\"]\n\tread = alice bob\n\tmirror = true\n", "repo.tock/*.mirror",
	  "mirror with a read list lacking *" },
	{ "[repo \"tock/*\"]\n\twrite = *\n\tmirror = true\n", "needs read = *",
	  "mirror with write = * but no read = *" },
	{ "[repo \"tock/*\"]\n\tread = *\n[repo \"tock/p-*\"]\n\tmirror = true\n", "repo.tock/p-*.mirror",
	  "mirror relying on a less specific read = * (nothing inherited)" },
	{ "[repo \"tock/*\"]\n\tread = *\n\tmirror = perhaps\n", "repo.tock/*.mirror", "a bad bool" },
	{ "[repo \"tock/*\"]\n\tpush = alice\n", "repo.tock/*.push", "an unknown key" },
	{ "[repo]\n\tread = alice\n", "repo.read", "a key outside a PATTERN section" },
};

int main(void)
{
	struct acl *loaded[sizeof(configs) / sizeof(*configs)];
	struct err err;
	struct acl *a;

	git_libgit2_init();
	snprintf(cfg_path, sizeof(cfg_path), "/tmp/lfs-acl-test-%ld.cfg", (long)getpid());

	ok(acl_load(&a, NULL, &err) == 0, "no config: empty rules");
	ok(acl_rights(a, "alice", "tock/libtock-c") == 0 && acl_rights(a, NULL, "x") == 0,
	   "no config: nobody has anything");
	ok(!acl_mirrored(a, "tock/libtock-c"), "no config: nothing mirrored");
	acl_free(a);

	for (size_t i = 0; i < sizeof(configs) / sizeof(*configs); i++) {
		loaded[i] = load(configs[i], &err);
		if (!ok(loaded[i] != NULL, "config %zu loads (%s)", i, err.msg))
			return tap_done();
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		const struct row *r = &rows[i];
		unsigned got = acl_rights(loaded[r->cfg], r->user, r->repo);
		int m = acl_mirrored(loaded[r->cfg], r->repo);
		ok(got == r->want && (r->mirrored < 0 || m == r->mirrored),
		   "%s (config %d, %s on %s: rights %u want %u, mirrored %d want %d)", r->why, r->cfg,
		   r->user ? r->user : "anonymous", r->repo, got, r->want, m, r->mirrored);
	}
	for (size_t i = 0; i < sizeof(bads) / sizeof(*bads); i++) {
		a = load(bads[i].text, &err);
		ok(a == NULL && strstr(err.msg, bads[i].want) != NULL, "refused: %s (%s)", bads[i].why,
		   err.msg);
		acl_free(a);
	}

	{
		struct acl_view v;
		acl_describe(loaded[0], "tock/private-x", &v);
		ok(v.pattern && strcmp(v.pattern, "tock/private-*") == 0 && strcmp(v.read, "alice") == 0 &&
		   !*v.write && !*v.admin && !v.mirror, "describe: the applying section and its lists");
		acl_describe(loaded[3], "t/q", &v);
		ok(v.pattern && strcmp(v.read, "alice bob carol") == 0 && strcmp(v.write, "dave") == 0,
		   "describe: merged blocks (%s / %s)", v.read, v.write);
		acl_describe(loaded[0], "other/x", &v);
		ok(v.pattern == NULL && !*v.read, "describe: no section");
	}
	for (size_t i = 0; i < sizeof(configs) / sizeof(*configs); i++)
		acl_free(loaded[i]);

	/* acl_list_has: the journal.readers form. */
	ok(acl_list_has("alice bob", "bob"), "list: bob in 'alice bob'");
	ok(!acl_list_has("alice bob", "bo"), "list: no prefix match");
	ok(!acl_list_has("alice bob", NULL), "list: anonymous not named");
	ok(acl_list_has("alice *", NULL), "list: '*' takes anonymous");
	ok(!acl_list_has("alice*", "bob"), "list: '*' only as a whole word");
	ok(!acl_list_has("", "alice"), "list: empty");
	ok(!acl_list_has(NULL, "alice"), "list: none");
	ok(acl_list_has("  \talice  ", "alice"), "list: surrounding blanks");

	unlink(cfg_path);
	git_libgit2_shutdown();
	return tap_done();
}
