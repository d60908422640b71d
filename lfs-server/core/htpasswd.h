/* htpasswd: users from an Apache htpasswd file, checked with libxcrypt.
 *
 * Only hashes that crypt_checksalt() calls CRYPT_SALT_OK are accepted:
 * bcrypt ($2a$, $2b$, $2y$; what `htpasswd -B` writes), SHA-512-crypt
 * ($6$) and yescrypt ($y$).  Plaintext, DES, MD5 ($1$, $apr1$, plain
 * htpasswd's default) and {SHA} are refused with an error naming the
 * user, so a weak file never goes live silently. */
#ifndef LFS_HTPASSWD_H
#define LFS_HTPASSWD_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct htpasswd;

/* Parses text (the file's contents).  Caller frees with htpasswd_free. */
int htpasswd_parse(struct htpasswd **out, const char *text, size_t len,
		   const char *source, struct err *err) __attribute__((warn_unused_result));
/* Reads and parses a file. */
int htpasswd_load(struct htpasswd **out, const char *path, struct err *err) __attribute__((warn_unused_result));
void htpasswd_free(struct htpasswd *h);

/* True iff user exists and password matches (constant-time compare of
 * the crypt output; this costs the hash's work factor). */
bool htpasswd_check(const struct htpasswd *h, const char *user, const char *password);
bool htpasswd_has_user(const struct htpasswd *h, const char *user);
size_t htpasswd_count(const struct htpasswd *h);

#endif
