/* lfscache: the local object store, .git/lfs/objects/ab/cd/<oid>, laid
 * out exactly as git-lfs lays it out so both clients share it.
 *
 * Invariant: a file under objects/ is complete and hashes to its name.
 * Bytes arrive in a temp file under .git/lfs/tmp/ while they are hashed;
 * only lfscache_writer_commit() moves them into objects/, and only when
 * the hash (and, for downloads, the expected oid and size) checks out. */
#ifndef LFS_HOOKS_LFSCACHE_H
#define LFS_HOOKS_LFSCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "lfsrepo.h"
#include "oid.h"

struct lfscache_writer;

/* Path of an object (which need not exist); caller frees. */
char *lfscache_path(struct lfsrepo *r, const char *oid) __attribute__((warn_unused_result));

/* True when the object is present with exactly this size (size < 0: any). */
bool lfscache_has(struct lfsrepo *r, const char *oid, long long size);

/* Opens the object for reading; returns an fd the caller closes, or a
 * negative ERR_NOTFOUND / ERR_IO.  A file whose size differs from size
 * (when size >= 0) is refused as corrupt (ERR_INVALID). */
int lfscache_open(struct lfsrepo *r, const char *oid, long long size, struct err *err)
	__attribute__((warn_unused_result));

/* Starts a temp file in .git/lfs/tmp.  Caller ends it with commit or
 * abort, which free it. */
int lfscache_writer_new(struct lfscache_writer **out, struct lfsrepo *r, struct err *err)
	__attribute__((warn_unused_result));
int lfscache_writer_write(struct lfscache_writer *w, const void *data, size_t len, struct err *err)
	__attribute__((warn_unused_result));
long long lfscache_writer_size(const struct lfscache_writer *w);

/* Finishes the hash.  With expect_oid set, bytes that hash to anything
 * else, or whose length is not expect_size, fail with ERR_INVALID and are
 * thrown away.  Otherwise the temp file becomes objects/ab/cd/<oid> (an
 * object already there is kept and the temp removed).  Writes the oid and
 * size when the out parameters are not NULL.  Frees w in every case. */
int lfscache_writer_commit(struct lfscache_writer *w, const char *expect_oid, long long expect_size,
			   char oid_out[OID_HEX_LEN + 1], long long *size_out, struct err *err)
	__attribute__((warn_unused_result));

/* Removes the temp files that no running lfs-hooks holds (an interrupted
 * download or clean leaves its partial bytes behind); every writer holds
 * a lock on its own.  Returns how many were removed. */
int lfscache_sweep_tmp(struct lfsrepo *r);

/* Throws the temp file away and frees w; NULL is fine. */
void lfscache_writer_abort(struct lfscache_writer *w);

/* mkdir -p for the parent directories of path. */
int lfscache_mkdirs_for(const char *path, struct err *err) __attribute__((warn_unused_result));

#endif
