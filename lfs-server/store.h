/* store: the content-addressed object store under DATA.
 *
 * Invariants:
 *  1. A file under objects/ab/cd/<oid> is complete, durable and its bytes
 *     hash to <oid>.  It is never modified, replaced or deleted.
 *  2. Bytes in flight live in tmp/ (same filesystem) and are only ever
 *     made visible by link(2), which never replaces an existing name.
 *  3. tmp/ holds nothing a restart needs: store_open() empties it.
 *
 * Upload life cycle:
 *
 *     store_put_begin --> store_put_write* --> store_put_commit --> (done)
 *                    \                    \--> store_put_abort  --> (done)
 *
 * commit: size and SHA-256 checked, fsync(file), link into objects/,
 * fsync(dir), unlink the temp.  When the store already holds the oid (an
 * upload to another repo), begin opens no temp file: the bytes are only
 * hashed, which still proves the client has them.  commit and abort both free the handle; a
 * failed commit leaves nothing behind.  Errors are sticky: after a failed
 * write, only abort is useful. */
#ifndef LFS_STORE_H
#define LFS_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "oid.h"

struct store;
struct store_put;

/* Opens (creating when needed) DATA, DATA/objects and DATA/tmp, checks
 * that DATA is writable and empties tmp/.  Caller frees with store_close. */
int store_open(struct store **out, const char *data_dir, struct err *err);
void store_close(struct store *s);

/* expected_size < 0 means "unknown" (chunked upload without a token). */
int store_put_begin(struct store_put **out, struct store *s, const char *oid,
		    long long expected_size, struct err *err);
int store_put_write(struct store_put *p, const void *data, size_t len, struct err *err);
/* Returns 0 (stored, or already present), ERR_INVALID (hash or size
 * mismatch, nothing stored), or an I/O code.  Frees p. */
int store_put_commit(struct store_put *p, long long *size_out, struct err *err);
void store_put_abort(struct store_put *p);
/* Bytes received so far. */
long long store_put_received(const struct store_put *p);

/* Opens an object for reading.  *fd_out belongs to the caller.
 * ERR_NOTFOUND when absent. */
int store_object_open(int *fd_out, long long *size_out, struct store *s,
		      const char *oid, struct err *err);

/* The data directory (borrowed; valid until store_close). */
const char *store_root(const struct store *s);

#endif
