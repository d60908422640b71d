/* Unit tests for common/pointer.c: the exact bytes of the protocol doc's
 * example, and the corners where git-lfs 3.3 accepts or rejects. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "pointer.h"
#include "tap.h"

#define HELLO "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
#define OTHER "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
#define V1 "version https://git-lfs.github.com/spec/v1\n"
#define EXAMPLE V1 "oid sha256:" HELLO "\nsize 12\n"

/* The 127 bytes of protocol doc 1.3, from its hex dump. */
static const unsigned char example_bytes[127] = {
	0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x20, 0x68, 0x74, 0x74, 0x70, 0x73, 0x3a, 0x2f, 0x2f,
	0x67, 0x69, 0x74, 0x2d, 0x6c, 0x66, 0x73, 0x2e, 0x67, 0x69, 0x74, 0x68, 0x75, 0x62, 0x2e, 0x63,
	0x6f, 0x6d, 0x2f, 0x73, 0x70, 0x65, 0x63, 0x2f, 0x76, 0x31, 0x0a, 0x6f, 0x69, 0x64, 0x20, 0x73,
	0x68, 0x61, 0x32, 0x35, 0x36, 0x3a, 0x61, 0x39, 0x34, 0x38, 0x39, 0x30, 0x34, 0x66, 0x32, 0x66,
	0x30, 0x66, 0x34, 0x37, 0x39, 0x62, 0x38, 0x66, 0x38, 0x31, 0x39, 0x37, 0x36, 0x39, 0x34, 0x62,
	0x33, 0x30, 0x31, 0x38, 0x34, 0x62, 0x30, 0x64, 0x32, 0x65, 0x64, 0x31, 0x63, 0x31, 0x63, 0x64,
	0x32, 0x61, 0x31, 0x65, 0x63, 0x30, 0x66, 0x62, 0x38, 0x35, 0x64, 0x32, 0x39, 0x39, 0x61, 0x31,
	0x39, 0x32, 0x61, 0x34, 0x34, 0x37, 0x0a, 0x73, 0x69, 0x7a, 0x65, 0x20, 0x31, 0x32, 0x0a,
};

static struct pointer p;
static struct err err;

static int parse(const char *s)
{
	err_clear(&err);
	return pointer_parse(&p, s, strlen(s), &err);
}

static bool parses(const char *s)
{
	return parse(s) == 0;
}

/* The git blob id (SHA-1 of "blob <len>\0" + data) the pointer gets. */
static void git_blob_id(char out[41], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hdr[32];
	int hl = snprintf(hdr, sizeof(hdr), "blob %zu", len);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_sha1(), NULL);
	EVP_DigestUpdate(c, hdr, (size_t)hl + 1);
	EVP_DigestUpdate(c, data, len);
	EVP_DigestFinal_ex(c, md, &n);
	EVP_MD_CTX_free(c);
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_example(void)
{
	char buf[POINTER_BUF_SIZE], blob[41];
	struct pointer q;
	int n;

	is_int(sizeof(EXAMPLE) - 1, 127, "example is 127 bytes");
	ok(memcmp(EXAMPLE, example_bytes, 127) == 0, "example matches the hex dump");
	is_int(pointer_parse(&p, example_bytes, 127, &err), 0, "example parses");
	is_str(p.oid, HELLO, "example oid");
	is_int(p.size, 12, "example size");
	is_int(p.n_ext, 0, "no extensions");
	ok(pointer_is_canonical(&p, example_bytes, 127), "example is canonical");

	pointer_init(&q, HELLO, 12);
	n = pointer_format(buf, sizeof(buf), &q);
	is_int(n, 127, "formatted length");
	ok(n == 127 && memcmp(buf, example_bytes, 127) == 0, "formatted bytes are the example");
	git_blob_id(blob, buf, (size_t)n);
	is_str(blob, "0db788d9cca75b69bc4c2430024a654fafdb504e", "git blob id of the pointer");
	is_int(pointer_format(buf, 100, &q), ERR_TOOBIG, "format into a short buffer fails");
}

static void test_noncanonical(void)
{
	const char *crlf = "version https://git-lfs.github.com/spec/v1\r\noid sha256:" HELLO "\r\nsize 12\r\n";

	ok(parses(crlf), "CRLF pointer parses");
	ok(!pointer_is_canonical(&p, crlf, strlen(crlf)), "CRLF pointer is not canonical");
	is_str(p.oid, HELLO, "CRLF oid");
	ok(parses("\n\n  " V1 "\n\noid sha256:" HELLO "\n\nsize 12\n\n\n  "), "blank lines and outer whitespace");
	ok(parses(V1 "oid sha256:" HELLO "\nsize +12\n") && p.size == 12, "size +12 is 12");
	ok(!pointer_is_canonical(&p, V1 "oid sha256:" HELLO "\nsize +12\n", 128), "+12 not canonical");
	ok(parses(V1 "oid sha256:" HELLO "\nsize 012\n") && p.size == 12, "size 012 is 12");
	ok(parses(V1 "oid sha256:" HELLO "\nsize -0\n") && p.size == 0, "size -0 is 0");
	ok(parses(V1 "oid sha256:" HELLO "\nsize 12"), "no final newline");
	ok(!pointer_is_canonical(&p, V1 "oid sha256:" HELLO "\nsize 12", 126), "no final newline: not canonical");
	ok(parses("version https://hawser.github.com/spec/v1\noid sha256:" HELLO "\nsize 12\n"), "hawser alias");
	ok(parses("version http://git-media.io/v/2\noid sha256:" HELLO "\nsize 12\n"), "git-media alias");
	{
		char buf[POINTER_BUF_SIZE];
		pointer_format(buf, sizeof(buf), &p);
		is_str(buf, EXAMPLE, "aliases are written as the git-lfs version");
	}
	ok(parses(V1 "oid sha256:" HELLO "\nsize 9223372036854775807\n") && p.size == 9223372036854775807LL,
	   "largest int64 size");
}

static void test_cutoff(void)
{
	char buf[1100];
	size_t n = strlen(EXAMPLE);

	memset(buf, ' ', sizeof(buf));
	memcpy(buf, EXAMPLE, n);
	is_int(pointer_parse(&p, buf, 1023, &err), 0, "1023 bytes with trailing blanks parse");
	is_int(pointer_parse(&p, buf, 1024, &err), ERR_INVALID, "1024 bytes are never a pointer");
	is_int(pointer_parse(&p, buf, 1025, &err), ERR_INVALID, "1025 bytes are never a pointer");
	ok(!pointer_looks_like(buf, 1024), "1024 bytes do not look like one either");
	is_int(pointer_parse(&p, "", 0, &err), 0, "empty data is the empty pointer");
	is_int(p.size, 0, "empty pointer has size 0");
	{
		char out[POINTER_BUF_SIZE] = "x";
		is_int(pointer_format(out, sizeof(out), &p), 0, "size 0 formats as nothing");
		is_str(out, "", "size 0 formats as the empty string");
	}
	ok(parses(V1 "oid sha256:" HELLO "\nsize 0\n"), "explicit size 0 parses");
	ok(!pointer_is_canonical(&p, V1 "oid sha256:" HELLO "\nsize 0\n", 121), "explicit size 0 is not canonical");
}

static void test_ext(void)
{
	char buf[POINTER_BUF_SIZE];
	const char *two = V1 "ext-0-foo sha256:" OTHER "\next-1-bar sha256:" HELLO "\noid sha256:" HELLO "\nsize 12\n";
	const char *swapped = V1 "ext-1-bar sha256:" HELLO "\next-0-foo sha256:" OTHER "\noid sha256:" HELLO "\nsize 12\n";

	ok(parses(two), "two extensions parse");
	is_int(p.n_ext, 2, "two extensions");
	ok(p.ext[0].priority == 0 && strcmp(p.ext[0].name, "foo") == 0 && strcmp(p.ext[0].oid, OTHER) == 0,
	   "first extension");
	ok(p.ext[1].priority == 1 && strcmp(p.ext[1].name, "bar") == 0, "second extension");
	ok(pointer_is_canonical(&p, two, strlen(two)), "extensions in order are canonical");
	ok(parses(swapped) && p.ext[0].priority == 0, "out-of-order extensions are sorted");
	ok(!pointer_is_canonical(&p, swapped, strlen(swapped)), "out-of-order extensions are not canonical");
	pointer_format(buf, sizeof(buf), &p);
	is_str(buf, two, "format writes extensions by priority");
	ok(!parses(V1 "ext-0-foo sha256:" OTHER "\next-0-bar sha256:" HELLO "\noid sha256:" HELLO "\nsize 12\n"),
	   "duplicate priority rejected");
	ok(!parses(V1 "ext-12-foo sha256:" OTHER "\noid sha256:" HELLO "\nsize 12\n"), "two-digit priority rejected");
	ok(!parses(V1 "ext-0- sha256:" OTHER "\noid sha256:" HELLO "\nsize 12\n"), "empty extension name rejected");
	ok(!parses(V1 "ext-0-foo sha256:abc\noid sha256:" HELLO "\nsize 12\n"), "bad extension oid rejected");
	ok(parses(V1 "ext-0-foo sha256:abc\next-0-foo sha256:" OTHER "\noid sha256:" HELLO "\nsize 12\n") &&
	   p.n_ext == 1 && strcmp(p.ext[0].oid, OTHER) == 0, "repeated extension key keeps the last value");
	ok(parses("ext-0-foo sha256:" OTHER "\n" V1 "oid sha256:" HELLO "\nsize 12\n"),
	   "extension before version accepted (as git-lfs does)");
	ok(parses(V1 "oid sha256:" HELLO "\next-3-late sha256:" OTHER "\nsize 12\n") && p.n_ext == 1,
	   "extension between oid and size accepted");
	ok(!parses(V1 "oid sha256:" HELLO "\nsize 12\next-0-foo sha256:" OTHER "\n"), "extension after size rejected");
}

static void test_bad(void)
{
	ok(!parses(V1 "oid sha256:A948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447\nsize 12\n"),
	   "uppercase oid rejected");
	ok(strstr(err.msg, "invalid oid") != NULL, "message names the oid");
	ok(!parses(V1 "oid sha256:a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a44\nsize 12\n"),
	   "63-digit oid rejected");
	ok(!parses(V1 "oid sha256:" HELLO "0\nsize 12\n"), "65-digit oid rejected");
	ok(!parses(V1 "oid sha1:" HELLO "\nsize 12\n"), "sha1 oid type rejected");
	ok(!parses(V1 "oid " HELLO "\nsize 12\n"), "oid without type rejected");
	ok(!parses(V1 "oid sha256:" HELLO " \nsize 12\n"), "oid with a trailing blank rejected");
	ok(!parses(V1 "oid  sha256:" HELLO "\nsize 12\n"), "two spaces after key rejected");
	ok(!parses(V1 "oid sha256:" HELLO "\nsize -1\n"), "negative size rejected");
	ok(strstr(err.msg, "invalid size") != NULL, "message names the size");
	ok(!parses(V1 "oid sha256:" HELLO "\nsize 12a\n"), "size with letters rejected");
	ok(!parses(V1 "oid sha256:" HELLO "\nsize \n"), "empty size rejected");
	ok(!parses(V1 "oid sha256:" HELLO "\nsize 0x10\n"), "hex size rejected");
	ok(!parses(V1 "oid sha256:" HELLO "\nsize 9223372036854775808\n"), "size over int64 rejected");
	ok(!parses(V1 "oid sha256:" HELLO "\n"), "missing size rejected");
	ok(!parses(V1 "size 12\n"), "missing oid rejected");
	ok(!parses("version https://git-lfs.github.com/spec/v2\noid sha256:" HELLO "\nsize 12\n"),
	   "unknown version rejected");
	ok(!parses("version https://git-lfs.github.com/spec/v1 \noid sha256:" HELLO "\nsize 12\n"),
	   "version with trailing blank rejected");
	ok(!parses(V1 "foo bar\noid sha256:" HELLO "\nsize 12\n"), "unknown key rejected");
	ok(!parses(V1 "oid sha256:" HELLO "\nsize 12\nfoo bar\n"), "extra line rejected");
	ok(!parses(V1 "size 12\noid sha256:" HELLO "\n"), "keys out of order rejected");
	ok(!parses(V1 "oid\nsize 12\n"), "line without a space rejected");
	ok(!parses("oid sha256:" HELLO "\nsize 12\n"), "missing version line rejected");
	ok(!parses("version https://example.com/spec/v1\noid sha256:" HELLO "\nsize 12\n"),
	   "text without the git-lfs marker rejected");
	ok(!parses("hello world\n"), "plain text is not a pointer");
	{
		static const unsigned char bin[] = { 0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 0xff, 0xfe };
		ok(pointer_parse(&p, bin, sizeof(bin), &err) == ERR_INVALID, "binary is not a pointer");
		ok(!pointer_looks_like(bin, sizeof(bin)), "binary does not look like a pointer");
	}
	ok(pointer_looks_like(V1 "oid sha256:xyz\nsize 12\n", 58), "broken pointer still looks like one");
	ok(pointer_looks_like("\n  " V1, 46), "looks_like skips leading blanks");
	ok(!pointer_looks_like("hello git-lfs\n", 14), "text naming git-lfs does not look like a pointer");
}

int main(void)
{
	test_example();
	test_noncanonical();
	test_cutoff();
	test_ext();
	test_bad();
	return tap_done();
}
