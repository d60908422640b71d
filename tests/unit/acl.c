/* Unit tests for lfs-server/acl.c: fnmatch patterns with FNM_PATHNAME,
 * rights adding up over sections, the implications (admin => write =>
 * read), `*` as everyone including anonymous, repeated keys, the mirror
 * flag, and name lists. */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "tap.h"

#define R RIGHT_READ
#define W RIGHT_WRITE
#define A RIGHT_ADMIN

static char cfg_path[64];

/* libgit2 1.5's pcre2 regex backend leaks its match data whenever a key
 * does not match git_config_foreach_match()'s pattern (the unknown-keys
 * test below): not ours, so LeakSanitizer is told to skip it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\n";
}
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

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

static void rights_are(const struct acl *a, const char *user, const char *repo, unsigned want)
{
	unsigned got = acl_rights(a, user, repo);

	ok(got == want, "%s on %s: rights %u (want %u)", user ? user : "anonymous", repo, got, want);
}

int main(void)
{
	struct err err;
	struct acl *a;

	git_libgit2_init();
	snprintf(cfg_path, sizeof(cfg_path), "/tmp/lfs-acl-test-%ld.cfg", (long)getpid());

	/* No rules: nobody has anything. */
	ok(acl_load(&a, NULL, &err) == 0, "no config: empty rules");
	rights_are(a, "alice", "tock/libtock-c", 0);
	rights_are(a, NULL, "tock/libtock-c", 0);
	ok(!acl_mirrored(a, "tock/libtock-c"), "no config: nothing mirrored");
	acl_free(a);

	/* FNM_PATHNAME: `*` stops at '/'. */
	a = load("[repo \"tock/*\"]\n\tread = alice\n"
		 "[repo \"*\"]\n\tread = bob\n"
		 "[repo \"deep/*/*\"]\n\tread = carol\n"
		 "[repo \"lib?\"]\n\tread = dave\n"
		 "[repo \"set/[ab]x\"]\n\tread = erin\n", &err);
	if (!ok(a != NULL, "patterns load (%s)", err.msg))
		return tap_done();
	rights_are(a, "alice", "tock/x", R);
	rights_are(a, "alice", "tock/libtock-c", R);
	rights_are(a, "alice", "tock/x/y", 0);
	rights_are(a, "alice", "tock", 0);
	rights_are(a, "alice", "tockx/y", 0);
	rights_are(a, "alice", "other/x", 0);
	rights_are(a, "bob", "single", R);
	rights_are(a, "bob", "tock/x", 0);
	rights_are(a, "carol", "deep/a/b", R);
	rights_are(a, "carol", "deep/a", 0);
	rights_are(a, "carol", "deep/a/b/c", 0);
	rights_are(a, "dave", "libx", R);
	rights_are(a, "dave", "libxy", 0);
	rights_are(a, "dave", "lib/", 0);
	rights_are(a, "erin", "set/ax", R);
	rights_are(a, "erin", "set/cx", 0);
	acl_free(a);

	/* Exact names, including dots (the key's last '.' ends the pattern). */
	a = load("[repo \"tock/libtock-c\"]\n\twrite = alice\n"
		 "[repo \"tock/lib.c\"]\n\tread = bob\n", &err);
	if (!ok(a != NULL, "exact patterns load (%s)", err.msg))
		return tap_done();
	rights_are(a, "alice", "tock/libtock-c", R | W);
	rights_are(a, "alice", "tock/libtock-cx", 0);
	rights_are(a, "alice", "tock/libtock", 0);
	rights_are(a, "bob", "tock/lib.c", R);
	rights_are(a, "bob", "tock/libxc", 0);
	acl_free(a);

	/* Implications, and rights adding up over every matching section. */
	a = load("[repo \"tock/*\"]\n\tread = rita * \n\twrite = wes\n\tadmin = ada\n"
		 "[repo \"tock/libtock-c\"]\n\twrite = rita\n"
		 "[repo \"tock/*-c\"]\n\tadmin = wes\n"
		 "[repo \"private/*\"]\n\tread = rita\n", &err);
	if (!ok(a != NULL, "sections load (%s)", err.msg))
		return tap_done();
	rights_are(a, "wes", "tock/x", R | W);
	rights_are(a, "ada", "tock/x", R | W | A);
	rights_are(a, "rita", "tock/x", R);
	rights_are(a, "rita", "tock/libtock-c", R | W);
	rights_are(a, "wes", "tock/libtock-c", R | W | A);
	rights_are(a, "wes", "tock/libtock-rs", R | W);
	/* `*` is everyone: other users and anonymous. */
	rights_are(a, "nobody", "tock/x", R);
	rights_are(a, NULL, "tock/x", R);
	rights_are(a, NULL, "tock/libtock-c", R);
	rights_are(a, "rita", "private/p", R);
	rights_are(a, "wes", "private/p", 0);
	rights_are(a, NULL, "private/p", 0);
	rights_are(a, "nobody", "private/p", 0);
	rights_are(a, "", "private/p", 0);
	ok(!acl_mirrored(a, "tock/x"), "not mirrored without a mirror key");
	acl_free(a);

	/* `*` in write and admin lists, for anonymous too. */
	a = load("[repo \"open/*\"]\n\twrite = *\n[repo \"wild/*\"]\n\tadmin = *\n", &err);
	if (!ok(a != NULL, "star lists load (%s)", err.msg))
		return tap_done();
	rights_are(a, NULL, "open/x", R | W);
	rights_are(a, "zoe", "open/x", R | W);
	rights_are(a, NULL, "wild/x", R | W | A);
	acl_free(a);

	/* Repeated keys: every value counts, in one section or spread over
	 * two sections of the same name. */
	a = load("[repo \"tock/*\"]\n\tread = alice\n\tread = bob carol\n"
		 "\twrite = dave\n"
		 "[repo \"other/*\"]\n\tread = zed\n"
		 "[repo \"tock/*\"]\n\tread = erin\n\twrite = frank\n", &err);
	if (!ok(a != NULL, "repeated keys load (%s)", err.msg))
		return tap_done();
	rights_are(a, "alice", "tock/x", R);
	rights_are(a, "bob", "tock/x", R);
	rights_are(a, "carol", "tock/x", R);
	rights_are(a, "erin", "tock/x", R);
	rights_are(a, "dave", "tock/x", R | W);
	rights_are(a, "frank", "tock/x", R | W);
	rights_are(a, "zed", "tock/x", 0);
	acl_free(a);

	/* Names match whole words, never by prefix or substring. */
	a = load("[repo \"r/*\"]\n\twrite = alice\tbob,carol\n", &err);
	if (!ok(a != NULL, "name lists load (%s)", err.msg))
		return tap_done();
	rights_are(a, "alice", "r/x", R | W);
	rights_are(a, "bob", "r/x", R | W);
	rights_are(a, "carol", "r/x", R | W);
	rights_are(a, "ali", "r/x", 0);
	rights_are(a, "alicex", "r/x", 0);
	rights_are(a, "ob", "r/x", 0);
	rights_are(a, "Alice", "r/x", 0);
	rights_are(a, NULL, "r/x", 0);
	acl_free(a);

	/* mirror: true if any matching section says so; a bad bool is an
	 * error naming the key. */
	a = load("[repo \"tock/*\"]\n\tmirror = true\n\tread = *\n"
		 "[repo \"tock/private\"]\n\tmirror = false\n"
		 "[repo \"other/*\"]\n\tmirror = false\n"
		 "[repo \"yes/*\"]\n\tmirror = yes\n", &err);
	if (!ok(a != NULL, "mirror keys load (%s)", err.msg))
		return tap_done();
	ok(acl_mirrored(a, "tock/libtock-c"), "tock/libtock-c mirrored");
	ok(acl_mirrored(a, "tock/private"), "a false section does not undo a true one");
	ok(!acl_mirrored(a, "tock/x/y"), "mirror patterns use FNM_PATHNAME too");
	ok(!acl_mirrored(a, "other/x"), "mirror = false: not mirrored");
	ok(!acl_mirrored(a, "elsewhere"), "unmatched repo: not mirrored");
	ok(acl_mirrored(a, "yes/x"), "mirror = yes is true");
	rights_are(a, "alice", "tock/libtock-c", R);
	rights_are(a, NULL, "other/x", 0);
	acl_free(a);

	a = load("[repo \"tock/*\"]\n\tmirror = perhaps\n", &err);
	ok(a == NULL, "mirror = perhaps refused");
	ok(strstr(err.msg, "repo.tock/*.mirror") != NULL, "the error names the key (%s)", err.msg);
	acl_free(a);

	/* Unknown keys in a repo section grant nothing. */
	a = load("[repo \"tock/*\"]\n\tpush = alice\n\treaders = alice\n", &err);
	if (ok(a != NULL, "unknown keys load (%s)", err.msg))
		rights_are(a, "alice", "tock/x", 0);
	acl_free(a);

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
