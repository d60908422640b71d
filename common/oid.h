/* oid: Git LFS object ids (64 lowercase hex digits of a SHA-256) and the
 * content-addressed path they map to.  Every oid is checked here before it
 * touches a path. */
#ifndef LFS_OID_H
#define LFS_OID_H

#include <stdbool.h>
#include <stddef.h>

#define OID_HEX_LEN 64
/* "ab/cd/" + oid + NUL */
#define OID_PATH_LEN (6 + OID_HEX_LEN + 1)

/* True iff s is exactly 64 characters of [0-9a-f] followed by NUL. */
bool oid_valid(const char *s);

/* Same check on a length-delimited string. */
bool oid_valid_n(const char *s, size_t len);

/* Writes "ab/cd/<oid>" into out (OID_PATH_LEN bytes).  oid must be valid. */
void oid_path(char out[OID_PATH_LEN], const char *oid);

/* Lowercase hex of 32 digest bytes into out (65 bytes, NUL-terminated). */
void oid_from_digest(char out[OID_HEX_LEN + 1], const unsigned char digest[32]);

#endif
