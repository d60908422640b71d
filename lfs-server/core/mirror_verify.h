/* mirror_verify: walks an objects/ tree (a mirror's, or the server's own
 * store) and checks every file in it: is it where its name says, and do
 * its bytes hash to that name.  Used by `lfs-mirror verify` and by
 * `lfs-admin fsck` and `stats`.  Only reads. */
#ifndef LFS_MIRROR_VERIFY_H
#define LFS_MIRROR_VERIFY_H

#include <stdbool.h>

#include "err.h"
#include "oid.h"

enum mirror_verify_status {
	MIRROR_VERIFY_OK,        /* objects/ab/cd/<oid>, and (if hashed) the bytes match */
	MIRROR_VERIFY_CORRUPT,   /* well placed, but the bytes hash to something else */
	MIRROR_VERIFY_MISPLACED, /* not a regular file named by a valid oid under its ab/cd */
};

struct mirror_verify_item {
	enum mirror_verify_status status;
	const char *path;            /* relative to the tree's root: "objects/ab/cd/…" */
	const char *oid;             /* the file's name when it is a valid oid, else NULL */
	long long size;
	char actual[OID_HEX_LEN + 1]; /* what the bytes hash to ("" when not hashed) */
	const char *why;             /* for MISPLACED: a short reason */
};

/* Called for every file; a negative return stops the walk with that code. */
typedef int (*mirror_verify_fn)(const struct mirror_verify_item *item, void *arg);

/* Walks ROOT/objects (missing = empty), calling fn for every entry that
 * is not a directory, in no particular order.  With rehash, every
 * well-placed file is read and hashed; without, only its place is
 * checked.  Symlinks are never followed (they are misplaced).  An I/O
 * error (unreadable directory or file) stops the walk and is returned. */
int mirror_verify_walk(const char *root, bool rehash, mirror_verify_fn fn, void *arg,
		       struct err *err) __attribute__((warn_unused_result));

#endif
