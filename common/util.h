/* util: small system-call helpers that every program here needs, so that
 * no module carries its own copy of a retry loop. */
#ifndef LFS_UTIL_H
#define LFS_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Writes all len bytes of data to fd, retrying short writes and EINTR.
 * 0, or -1 with errno set by the failing write (the caller words the
 * error: it knows what the file is). */
int util_write_all(int fd, const void *data, size_t len) __attribute__((warn_unused_result));

/* Replaces the file at path with len bytes of data, mode mode, through a
 * temp file beside it (fsync, rename, fsync of the directory): readers
 * see the old file or the new one, never a part.  0, or -1 with errno
 * set (the temp file is gone). */
int util_replace_file(const char *path, const void *data, size_t len, unsigned mode)
	__attribute__((warn_unused_result));
/* Reads the whole file at path into a NUL-terminated buffer the caller
 * frees (*len, if not NULL, gets its length).  0, or -1 with errno set:
 * EFBIG when the file holds more than max bytes, ENOMEM, or what
 * open/read said (ENOENT for a missing file). */
int util_read_file(const char *path, size_t max, char **out, size_t *len)
	__attribute__((warn_unused_result));

/* Parses s as a whole decimal number in [min, max]: digits only (a
 * leading '-' only when min < 0), no spaces, no '+', nothing after; 0, or
 * -1 when s is NULL, empty, malformed or out of range (*out untouched). */
int util_parse_ll(const char *s, long long min, long long max, long long *out)
	__attribute__((warn_unused_result));

/* An environment switch as git-lfs reads its GIT_LFS_* ones: set,
 * non-empty, and neither "0" nor "false". */
bool util_env_true(const char *name);

/* True when s[0..n) can stand inside a JSON string as it is: printable
 * ASCII, no quote, no backslash.  Eight bytes at a time (batch bodies and
 * their SQL are mostly oids). */
bool util_json_plain(const char *s, size_t n);

#endif
