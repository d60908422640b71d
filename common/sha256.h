/* sha256: streaming SHA-256 on OpenSSL's EVP interface (which uses the
 * CPU's SHA extensions where present). */
#ifndef LFS_SHA256_H
#define LFS_SHA256_H

#include <stddef.h>

#include "err.h"
#include "oid.h"

struct sha256;

/* Creates a hashing context; caller frees with sha256_free(). */
int sha256_new(struct sha256 **out, struct err *err) __attribute__((warn_unused_result));
int sha256_update(struct sha256 *h, const void *data, size_t len, struct err *err) __attribute__((warn_unused_result));
/* Finishes the hash and writes its lowercase hex into hex.  The context
 * may be reused only after sha256_reset(). */
int sha256_final_hex(struct sha256 *h, char hex[OID_HEX_LEN + 1], struct err *err) __attribute__((warn_unused_result));
int sha256_reset(struct sha256 *h, struct err *err) __attribute__((warn_unused_result));
/* Frees the context; NULL is fine. */
void sha256_free(struct sha256 *h);

/* Hashes the file at fd from its current offset to EOF. */
int sha256_fd(int fd, char hex[OID_HEX_LEN + 1], long long *size_out, struct err *err) __attribute__((warn_unused_result));

#endif
