/* Unit tests for lfs-server/core/htpasswd.c: each accepted hash family (made
 * here with libxcrypt), every refused one naming its user, file syntax
 * (comments, blank lines, CRLF, no final newline), duplicates, and
 * password checks. */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/htpasswd.h"
#include "tap.h"

/* Hashes password with a fresh salt of the given family ("$2b$", "$6$",
 * ...) at the cheapest cost, into out. */
static bool make_hash(char *out, size_t outsz, const char *prefix, unsigned long count,
		      const char *password)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	bool good = false;

	if (!cd)
		return false;
	if (crypt_gensalt_rn(prefix, count, NULL, 0, salt, sizeof(salt)) &&
	    crypt_rn(password, salt, cd, sizeof(*cd)) && cd->output[0] != '*' &&
	    strlen(cd->output) < outsz) {
		strcpy(out, cd->output);
		good = true;
	}
	free(cd);
	return good;
}

/* Parses text; returns the table or NULL with the error in err. */
static struct htpasswd *parse(const char *text, struct err *err)
{
	struct htpasswd *h = NULL;

	*err = (struct err)ERR_INIT;
	if (htpasswd_parse(&h, text, strlen(text), "users.htpasswd", err) < 0)
		return NULL;
	return h;
}

static void accepts_family(const char *prefix, unsigned long count, const char *name)
{
	char hash[256], text[512];
	struct err err;
	struct htpasswd *h;

	if (!ok(make_hash(hash, sizeof(hash), prefix, count, "s3cret pass"), "%s: hash made", name))
		return;
	ok(strncmp(hash, prefix, strlen(prefix)) == 0, "%s: hash has prefix %s (%.7s)", name, prefix, hash);
	snprintf(text, sizeof(text), "alice:%s\n", hash);
	h = parse(text, &err);
	if (!ok(h != NULL, "%s: accepted (%s)", name, err.msg))
		return;
	is_int((long long)htpasswd_count(h), 1, "one user");
	ok(htpasswd_has_user(h, "alice"), "%s: alice known", name);
	ok(htpasswd_check(h, "alice", "s3cret pass"), "%s: right password matches", name);
	ok(!htpasswd_check(h, "alice", "s3cret pasS"), "%s: wrong password refused", name);
	ok(!htpasswd_check(h, "alice", "s3cret pas"), "%s: a prefix of the password refused", name);
	ok(!htpasswd_check(h, "alice", "s3cret pass "), "%s: a longer password refused", name);
	ok(!htpasswd_check(h, "alice", ""), "%s: empty password refused", name);
	htpasswd_free(h);
}

static char zed_hash[256]; /* a good entry, made once */

static void refuses(const char *line, const char *what)
{
	char text[512];
	struct err err;
	struct htpasswd *h;

	/* A good user first: one weak line refuses the whole file. */
	snprintf(text, sizeof(text), "# users\nzed:%s\n%s\n", zed_hash, line);
	h = parse(text, &err);
	ok(h == NULL, "%s refused", what);
	htpasswd_free(h);
	ok(err.code == ERR_INVALID, "%s: ERR_INVALID", what);
	ok(strstr(err.msg, "'mallory'") != NULL, "%s: the error names the user (%s)", what, err.msg);
	ok(strstr(err.msg, "users.htpasswd:3") != NULL, "%s: the error names file and line", what);
	ok(strstr(err.msg, "zed") == NULL, "%s: the error does not name other users", what);
}

int main(void)
{
	char h1[256], h2[256], h3[256], h4[256], text[2048], path[64];
	struct err err;
	struct htpasswd *h;
	FILE *f;

	/* Accepted: what `htpasswd -B` writes ($2y$), other bcrypt
	 * spellings, SHA-512-crypt and yescrypt. */
	accepts_family("$2b$", 4, "bcrypt $2b$");
	accepts_family("$2y$", 4, "bcrypt $2y$");
	accepts_family("$2a$", 4, "bcrypt $2a$");
	accepts_family("$6$", 1000, "SHA-512-crypt");
	accepts_family("$y$", 1, "yescrypt");

	if (!ok(make_hash(zed_hash, sizeof(zed_hash), "$2b$", 4, "zed"), "a good entry for the refusal tests"))
		return tap_done();
	/* Refused: plaintext, DES, MD5 in both spellings, {SHA}, empty and
	 * unknown. */
	refuses("mallory:secret", "plaintext");
	refuses("mallory:abJnggxhB/yWI", "DES");
	refuses("mallory:$1$saltsalt$YhVT0NfYbB2OEdPDWFqe91", "MD5 $1$");
	refuses("mallory:$apr1$saltsalt$0cYmZ3zJzC7tYpgOqPpY/0", "Apache MD5 $apr1$");
	refuses("mallory:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "{SHA}");
	refuses("mallory:", "an empty hash");
	refuses("mallory:*", "a locked '*' entry");

	/* File syntax: comments, blank and whitespace-only lines, CRLF
	 * endings, indented entries, and no newline at the end. */
	if (!ok(make_hash(h1, sizeof(h1), "$2b$", 4, "pw-alice") &&
		make_hash(h2, sizeof(h2), "$6$", 1000, "pw-bob") &&
		make_hash(h3, sizeof(h3), "$y$", 1, "pw-carol"), "hashes for the syntax tests"))
		return tap_done();
	snprintf(text, sizeof(text),
		 "# the LFS users\r\n\r\n   \n\t\nalice:%s\r\n  # indented comment\n"
		 "\tbob:%s\n\ncarol:%s", h1, h2, h3);
	h = parse(text, &err);
	if (ok(h != NULL, "comments, blank lines and CRLF parse (%s)", err.msg)) {
		is_int((long long)htpasswd_count(h), 3, "three users");
		ok(htpasswd_check(h, "alice", "pw-alice"), "CRLF line: its hash is intact");
		ok(htpasswd_check(h, "bob", "pw-bob"), "indented line: user found");
		ok(htpasswd_check(h, "carol", "pw-carol"), "last line without newline");
		ok(!htpasswd_check(h, "alice", "pw-bob"), "one user's password is not another's");
		ok(!htpasswd_check(h, "bob", "pw-alice"), "and the other way round");
		ok(!htpasswd_check(h, "dave", "pw-alice"), "unknown user refused");
		ok(!htpasswd_has_user(h, "dave"), "unknown user unknown");
		ok(!htpasswd_has_user(h, "alic") && !htpasswd_has_user(h, "alice2") &&
		   !htpasswd_has_user(h, "Alice"), "names match exactly");
		ok(!htpasswd_check(h, "Alice", "pw-alice"), "user names are case-sensitive");
		ok(!htpasswd_has_user(h, "# the LFS users"), "comments are no users");
		htpasswd_free(h);
	}

	/* Passwords may hold ':' and any bytes (only the user name ends at
	 * the first ':' of a Basic credential). */
	if (ok(make_hash(h4, sizeof(h4), "$2b$", 4, "pa:ss w\xc3\xb6rd"), "hash of a password with ':'")) {
		snprintf(text, sizeof(text), "erin:%s\n", h4);
		h = parse(text, &err);
		ok(h && htpasswd_check(h, "erin", "pa:ss w\xc3\xb6rd"), "a password with ':' and UTF-8 matches");
		ok(h && !htpasswd_check(h, "erin", "pa"), "its part before ':' does not");
		htpasswd_free(h);
	}

	h = parse("", &err);
	ok(h != NULL && htpasswd_count(h) == 0, "an empty file has no users");
	htpasswd_free(h);
	h = parse("# only a comment\n\n", &err);
	ok(h != NULL && htpasswd_count(h) == 0, "a comment-only file has no users");
	htpasswd_free(h);

	/* Duplicates would make "which hash counts" depend on order. */
	snprintf(text, sizeof(text), "alice:%s\nbob:%s\nalice:%s\n", h1, h2, h3);
	h = parse(text, &err);
	ok(h == NULL, "duplicate user refused");
	htpasswd_free(h);
	ok(strstr(err.msg, "'alice'") != NULL && strstr(err.msg, ":3") != NULL,
	   "duplicate: the error names the user and line (%s)", err.msg);

	h = parse("no colon here\n", &err);
	ok(h == NULL && strstr(err.msg, "users.htpasswd:1") != NULL, "a line without ':' refused (%s)", err.msg);
	htpasswd_free(h);
	snprintf(text, sizeof(text), "# c\n:%s\n", h1);
	h = parse(text, &err);
	ok(h == NULL && strstr(err.msg, ":2") != NULL, "an empty user name refused (%s)", err.msg);
	htpasswd_free(h);

	/* htpasswd_load reads a file; a missing one is an error naming it. */
	snprintf(path, sizeof(path), "/tmp/lfs-htpasswd-test-%ld", (long)getpid());
	snprintf(text, sizeof(text), "alice:%s\n", h1);
	f = fopen(path, "w");
	if (ok(f != NULL, "temp file")) {
		fputs(text, f);
		fclose(f);
		h = NULL;
		err = (struct err)ERR_INIT;
		ok(htpasswd_load(&h, path, &err) == 0, "load a file (%s)", err.msg);
		ok(h && htpasswd_check(h, "alice", "pw-alice"), "loaded user checks");
		htpasswd_free(h);
		unlink(path);
	}
	h = NULL;
	ok(htpasswd_load(&h, path, &err) < 0 && h == NULL, "missing file refused");
	ok(strstr(err.msg, path) != NULL, "missing file: the error names it (%s)", err.msg);
	return tap_done();
}
