/* util: small system-call helpers (see util.h). */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int util_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_parse_ll(const char *s, long long min, long long max, long long *out)
{
	const char *digits = s;
	char *end;
	long long v;

	if (!s)
		return -1;
	if (*digits == '-' && min < 0)
		digits++;
	/* strtoll would take spaces and a '+' too: network input may not. */
	if (!isdigit((unsigned char)*digits))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

bool util_env_true(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
}

int util_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t have = 0, cap = 4096;
	char *buf = NULL, *grown;
	int saved;

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n;
		if (have == cap || !buf) {
			if (buf)
				cap *= 2;
			if (!(grown = realloc(buf, cap + 1))) {
				errno = ENOMEM;
				goto fail;
			}
			buf = grown;
		}
		n = read(fd, buf + have, cap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		have += (size_t)n;
		/* Reading one byte past the cap is how a longer file shows. */
		if (have > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[have] = '\0';
	*out = buf;
	if (len)
		*len = have;
	return 0;
fail:
	saved = errno;
	close(fd);
	free(buf);
	errno = saved;
	return -1;
}

int util_replace_file(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[4096], dir[4096];
	int fd, dfd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(tmp)) < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) < 0 || util_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (fsync(dfd) < 0) {
		saved = errno;
		close(dfd);
		errno = saved;
		return -1;
	}
	return close(dfd);
}

bool util_json_plain(const char *s, size_t n)
{
	/* Bit-twiddling tests, each exact for "some byte of the word":
	 * below 0x20, above 0x7e, equal to '"' or to '\\'. */
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t bad = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, q, b;
		memcpy(&x, s + i, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		bad |= ((x - ones * 0x20) & ~x) | ((x + ones * (127 - 0x7e)) | x) |
		       ((q - ones) & ~q) | ((b - ones) & ~b);
	}
	if (bad & high)
		return false;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return false;
	}
	return true;
}
