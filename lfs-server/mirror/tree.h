/* mirror_tree: a mirror tree on disk, as `lfs-mirror sync` writes it and a
 * static web server serves it:
 *
 *     DIR/objects/ab/cd/<oid>   objects (the store's layout and rules)
 *     DIR/mirror-state.json     {"version":1,"last_seq":N,"updated_at":…}
 *     DIR/tmp/                  downloads in flight, emptied at open
 *     DIR/.lfs-mirror.lock      flock(2)ed while a sync runs
 *
 * Invariants:
 *  1. Objects go in through the store (lfs-server/store/store.h): hashed and
 *     size-checked while written, fsynced, linked (never replacing), the
 *     directory fsynced.  Nothing under objects/ is ever deleted.
 *  2. mirror-state.json says last_seq = N only once every feed object up
 *     to N is in objects/; it is replaced atomically (temp, fsync, rename,
 *     fsync DIR), so readers see the old state or the new, never half.
 *  3. Only the holder of the lock writes, so tmp/ holds nothing of value
 *     when the lock is taken.
 *  4. The one exception to 1: `verify --repair` replaces a file that does
 *     not hash to its name with the verified object, by rename. */
#ifndef LFS_MIRROR_TREE_H
#define LFS_MIRROR_TREE_H

#include <stdbool.h>

#include "err.h"
#include "store/store.h"

struct mirror_tree;

/* Refuses (ERR_DENIED, naming both) a tree at dir that would lie inside a
 * server's data directory: dir, after realpath (its parent's when dir
 * does not exist yet), or one of its ancestors is data_dir (when not
 * NULL) or holds both meta.db and secret; also a tree that would contain
 * data_dir.  A mirror tree is served to everyone, a data dir never. */
int mirror_tree_check_place(const char *dir, const char *data_dir, struct err *err) __attribute__((warn_unused_result));

/* Opens DIR (creating DIR, objects/ and tmp/ readable by a web server
 * when missing), takes the lock without waiting and empties tmp/.
 * ERR_CONFLICT when another process holds the lock.  Caller frees with
 * mirror_tree_close, which releases the lock. */
int mirror_tree_open(struct mirror_tree **out, const char *dir, struct err *err) __attribute__((warn_unused_result));
void mirror_tree_close(struct mirror_tree *t);

/* Opens an existing DIR to read only (has, read_state): no lock, nothing
 * created or emptied, no store. */
int mirror_tree_open_readonly(struct mirror_tree **out, const char *dir, struct err *err) __attribute__((warn_unused_result));

/* The tree's object store, for store_put_*; borrowed, valid until close. */
struct store *mirror_tree_store(struct mirror_tree *t);

/* *has = whether objects/ab/cd/<oid> exists.  A file there whose size is
 * not size is ERR_EXISTS (the tree was changed behind our back: syncing
 * cannot fix it, since objects are never replaced). */
int mirror_tree_has(struct mirror_tree *t, const char *oid, long long size, bool *has,
		    struct err *err) __attribute__((warn_unused_result));

/* A second store at DIR/tmp/repair, emptied first, for objects that are
 * to replace corrupt ones (the tree's own store never replaces).
 * Borrowed, valid until close. */
int mirror_tree_staging(struct mirror_tree *t, struct store **out, struct err *err) __attribute__((warn_unused_result));

/* Moves the staged object oid over objects/ab/cd/<oid> by rename(2) and
 * fsyncs the directory: the one way a file in objects/ is ever replaced,
 * and only for a file that failed verification (it never was the object). */
int mirror_tree_replace(struct mirror_tree *t, const char *oid, struct err *err) __attribute__((warn_unused_result));

/* The last_seq of DIR/mirror-state.json, 0 when the file does not exist.
 * A file that does not parse is an error naming it. */
int mirror_tree_read_state(struct mirror_tree *t, long long *last_seq, struct err *err) __attribute__((warn_unused_result));

/* Replaces DIR/mirror-state.json atomically with last_seq and the time now. */
int mirror_tree_write_state(struct mirror_tree *t, long long last_seq, struct err *err) __attribute__((warn_unused_result));

#endif
