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

/* A file's SHA-256, computed on a thread of its own while the caller
 * writes the file: the caller says how far the file is written
 * (sha256_file_advance), the thread maps what is written (in the page
 * cache, just written: no copy) once at least SHA256_FILE_UNIT waits,
 * and hashes it.  The writer thread never copies or hashes a byte; the
 * hashing thread is woken once per unit, not per write.  fd must stay open and readable
 * until sha256_file_finish or sha256_file_free. */
#define SHA256_FILE_UNIT (1 << 20)

struct sha256_file;

int sha256_file_start(struct sha256_file **out, int fd, struct err *err) __attribute__((warn_unused_result));
/* Bytes [0, written) of the file are written. */
void sha256_file_advance(struct sha256_file *h, long long written);
/* Waits until the first total bytes are hashed, then gives their hash.
 * Frees h whatever the result. */
int sha256_file_finish(struct sha256_file *h, long long total, char hex[OID_HEX_LEN + 1],
		       struct err *err) __attribute__((warn_unused_result));
/* Stops the thread and frees h; NULL is fine. */
void sha256_file_free(struct sha256_file *h);

/* Hashes the file at fd from its current offset to EOF. */
int sha256_fd(int fd, char hex[OID_HEX_LEN + 1], long long *size_out, struct err *err) __attribute__((warn_unused_result));

#endif
