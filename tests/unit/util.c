/* Unit tests for common/util: bounded number parsing (a table, one TAP
 * line per row) and the write loop. */
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

static const struct {
	const char *s;
	long long min, max;
	int rc;
	long long want;
} rows[] = {
	{ "0", 0, 10, 0, 0 },
	{ "10", 0, 10, 0, 10 },
	{ "11", 0, 10, -1, 0 },
	{ "007", 0, 10, 0, 7 },
	{ "", 0, 10, -1, 0 },
	{ " 1", 0, 10, -1, 0 },
	{ "1 ", 0, 10, -1, 0 },
	{ "+1", 0, 10, -1, 0 },
	{ "-1", 0, 10, -1, 0 },
	{ "-1", -5, 10, 0, -1 },
	{ "-", -5, 10, -1, 0 },
	{ "1x", 0, 10, -1, 0 },
	{ "0x10", 0, 100, -1, 0 },
	{ "9223372036854775807", 0, LLONG_MAX, 0, LLONG_MAX },
	{ "9223372036854775808", 0, LLONG_MAX, -1, 0 },
	{ "-9223372036854775808", LLONG_MIN, LLONG_MAX, 0, LLONG_MIN },
	{ "99999999999999999999999", 0, LLONG_MAX, -1, 0 },
};

/* util_json_plain against the byte-at-a-time rule: every byte value at
 * every position of a 17-byte run of 'a' (two words and a tail), and
 * each run length up to 17 with one odd byte last. */
static void json_plain(void)
{
	char run[17];
	bool same = true;

	for (int c = 0; c < 256; c++) {
		bool want = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
		for (size_t pos = 0; pos < sizeof(run); pos++) {
			memset(run, 'a', sizeof(run));
			run[pos] = (char)c;
			same = same && util_json_plain(run, sizeof(run)) == want;
		}
	}
	ok(same, "util_json_plain: each byte value at each position");
	same = true;
	for (size_t n = 0; n <= sizeof(run); n++) {
		memset(run, '0', sizeof(run));
		same = same && util_json_plain(run, n);
		if (n > 0) {
			run[n - 1] = '\\';
			same = same && !util_json_plain(run, n);
		}
	}
	ok(same, "util_json_plain: every length, the last byte counts");
}

int main(void)
{
	char path[] = "/tmp/util-test-XXXXXX", back[9000], big[8192];
	long long v;
	int fd;

	json_plain();

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		v = 12345;
		int rc = util_parse_ll(rows[i].s, rows[i].min, rows[i].max, &v);
		ok(rc == rows[i].rc && (rc < 0 ? v == 12345 : v == rows[i].want),
		   "parse '%s' in [%lld, %lld]", rows[i].s, rows[i].min, rows[i].max);
	}
	ok(util_parse_ll(NULL, 0, 1, &v) == -1, "parse NULL");

	memset(big, 'a', sizeof(big));
	fd = mkstemp(path);
	ok(fd >= 0 && util_write_all(fd, big, sizeof(big)) == 0, "write_all writes 8 KiB");
	ok(lseek(fd, 0, SEEK_SET) == 0 && read(fd, back, sizeof(back)) == (ssize_t)sizeof(big) &&
	   memcmp(back, big, sizeof(big)) == 0, "and the bytes are there");
	close(fd);
	unlink(path);
	ok(util_write_all(-1, "x", 1) == -1, "write_all to a bad fd fails");
	{
		char file[] = "/tmp/util-read-XXXXXX", *text = NULL;
		size_t len = 0;
		int f = mkstemp(file);
		ok(f >= 0 && util_write_all(f, big, 5000) == 0, "read_file: a 5000-byte file");
		close(f);
		ok(util_read_file(file, 5000, &text, &len) == 0 && len == 5000 && text[5000] == '\0' &&
		   memcmp(text, big, 5000) == 0, "read at a cap of exactly its size");
		free(text);
		text = NULL;
		errno = 0;
		ok(util_read_file(file, 4999, &text, &len) == -1 && errno == EFBIG && !text,
		   "one byte over the cap: EFBIG, nothing returned");
		unlink(file);
		errno = 0;
		ok(util_read_file(file, 10, &text, NULL) == -1 && errno == ENOENT, "missing: ENOENT");
	}
	{
		static const struct { const char *v; bool want; } envs[] = {
			{ NULL, false }, { "", false }, { "0", false }, { "false", false },
			{ "1", true }, { "true", true }, { "yes", true },
		};
		for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
			if (envs[i].v)
				setenv("UTIL_TEST_SWITCH", envs[i].v, 1);
			else
				unsetenv("UTIL_TEST_SWITCH");
			ok(util_env_true("UTIL_TEST_SWITCH") == envs[i].want, "env switch '%s'",
			   envs[i].v ? envs[i].v : "(unset)");
		}
	}
	return tap_done();
}
