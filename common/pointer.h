/* pointer: Git LFS pointer files, the small text blobs committed in place
 * of large content.  Parsing follows the git-lfs 3.3 client byte for byte
 * (what it takes for a pointer, we take; what it rejects, we reject), and
 * formatting writes the one canonical encoding, so both clients produce
 * the same git blobs for the same content.
 *
 * Calling sequence: pointer_parse() on at most POINTER_MAX_SIZE bytes of a
 * blob; pointer_format() to write one; pointer_is_canonical() to tell
 * whether parsed bytes were written the canonical way.  Nothing here
 * allocates. */
#ifndef LFS_POINTER_H
#define LFS_POINTER_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "oid.h"

/* A blob of this many bytes or more is never a pointer. */
#define POINTER_MAX_SIZE 1024
/* Extension priorities are one digit and unique. */
#define POINTER_MAX_EXTS 10
/* Room for any pointer pointer_format() can produce from a parsed one. */
#define POINTER_BUF_SIZE 2048

#define POINTER_VERSION "https://git-lfs.github.com/spec/v1"

struct pointer_ext {
	int priority;                 /* 0..9 */
	char name[POINTER_MAX_SIZE];  /* the \w+... after "ext-N-" */
	char oid[OID_HEX_LEN + 1];    /* hash of that extension's input */
};

struct pointer {
	char oid[OID_HEX_LEN + 1]; /* lowercase hex; content's SHA-256 */
	long long size;            /* content length in bytes, >= 0 */
	int n_ext;
	struct pointer_ext ext[POINTER_MAX_EXTS]; /* ascending priority */
};

/* Fills p for content of the given oid (valid, lowercase) and size, with
 * no extensions. */
void pointer_init(struct pointer *p, const char *oid, long long size);

/* Parses data[0..len) the way git-lfs 3.3 decides "is this a pointer":
 * under POINTER_MAX_SIZE bytes, surrounding whitespace ignored, CRLF and
 * blank lines tolerated, keys version/oid/size in that order with
 * ext-N-name lines allowed in between, an accepted version alias,
 * "sha256:" + 64 lowercase hex digits, a non-negative decimal int64 size,
 * unique extension priorities.  Empty data is the empty pointer (size 0).
 * Returns 0 and fills out, or ERR_INVALID (not a pointer, err says why;
 * out is then unspecified). */
int pointer_parse(struct pointer *out, const void *data, size_t len, struct err *err) __attribute__((warn_unused_result));

/* True when data is meant as a pointer even if it fails to parse: under
 * POINTER_MAX_SIZE bytes and, once leading whitespace is skipped, starting
 * with "version " and naming git-lfs (or an older alias).  Used to report
 * broken pointers by file name instead of passing them on silently. */
bool pointer_looks_like(const void *data, size_t len);

/* Writes the canonical encoding of p into out (NUL-terminated) and returns
 * its length; size 0 encodes as the empty string.  Returns ERR_TOOBIG when
 * outsz is too small (POINTER_BUF_SIZE always suffices for a pointer that
 * came out of pointer_parse). */
int pointer_format(char *out, size_t outsz, const struct pointer *p);

/* True iff data is exactly pointer_format(p). */
bool pointer_is_canonical(const struct pointer *p, const void *data, size_t len);

#endif
