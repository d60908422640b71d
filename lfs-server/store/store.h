/* store: the content-addressed object store under DATA.
 *
 * Invariants:
 *  1. A file under objects/ab/cd/<oid> is complete, durable and its bytes
 *     hash to <oid>.  It is never modified, replaced or deleted.
 *  2. Bytes in flight have no name under objects/: the local backend keeps
 *     them in an anonymous file (O_TMPFILE) in their objects/ab/cd, or,
 *     where that cannot be used, in a named temp file in tmp/ (same
 *     filesystem).  They are only ever made visible by link(2) (linkat),
 *     which never replaces an existing name.
 *  3. tmp/ holds nothing a restart needs (an anonymous file needs no
 *     cleaning: the kernel frees it with its last descriptor).  The one
 *     process that owns DATA (the daemon, holding DATA/lock) empties it at
 *     start; a mode without the lock may only remove files older than any
 *     upload can be idle.
 *  4. An upload does the same work whether or not the store already holds
 *     its object: no timing tells one repo's uploader what another holds.
 *
 * Upload life cycle:
 *
 *     store_put_begin --> store_put_write* --> store_put_commit --> (done)
 *                    \                    \--> store_put_abort  --> (done)
 *
 * commit: size and SHA-256 checked, fsync(file), link into objects/
 * (EEXIST: the object is there already, same bytes), fsync(dir), then
 * let go of the file (close it, or unlink its temp name) off the answer's
 * path (invariant 4).  commit and abort both free the handle; a failed commit
 * leaves nothing behind.  Errors are sticky: after a failed write, only
 * abort is useful.  The local backend shares the directory fsyncs of
 * uploads that link at the same moment (one fsync per distinct directory
 * per round, common/group.h) and hashes large uploads on a second thread
 * from what was just written; commit still returns only once this
 * upload's file and directory entry are durable (docs/architecture.md,
 * "Upload path").
 *
 * Backends.  The server's handlers see only the functions below; a
 * backend is a struct store_ops, chosen by storage.type.  The first is
 * "local" (local.c): the tree under DATA.  The seam is shaped for a store
 * where an object has no local file at all (S3-compatible): a download
 * may be a URL to redirect the client to instead of a descriptor
 * (store_get), and whoever needs every object (fsck, stats) asks
 * store_each instead of walking a directory.  Every backend keeps the
 * invariants above (for S3: "link" is the completed multipart upload of
 * an object that is never overwritten).  A backend's struct store and
 * struct store_put start with the members below; the rest is its own.
 *
 * The data dir functions (attach, open, lock, sweep, free bytes, root)
 * are the local backend's: DATA itself (lock, tmp/) stays local whatever
 * holds the objects.  Ownership: the caller owns a store until
 * store_close, an upload handle until commit or abort. */
#ifndef LFS_STORE_H
#define LFS_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "oid.h"

struct config;
struct store_ops;

struct store {
	const struct store_ops *ops;
};

struct store_put {
	struct store *store;
	long long received; /* bytes so far; the backend keeps it */
};

/* What a committed upload leaves to let go of (store_put_commit_later);
 * a backend's own struct starts with this. */
struct store_later {
	void (*release)(struct store_later *l); /* lets go, frees l */
};

/* A download: either a descriptor to send from (the caller closes it)
 * or a URL to redirect the client to (the caller frees it). */
struct store_object {
	int fd;          /* -1 when url is set */
	char *url;       /* NULL when fd is set */
	long long size;
};

struct store_ops {
	const char *name; /* the storage.type value */
	/* What the daemon does to own its objects (store_open_daemon for
	 * local); the backend reads its own settings from cfg. */
	int (*open)(struct store **out, const struct config *cfg, const char *holder,
		    struct err *err);
	int (*put_begin)(struct store_put **out, struct store *s, const char *oid,
			 long long expected_size, struct err *err);
	int (*put_write)(struct store_put *p, const void *data, size_t len, struct err *err);
	/* later: NULL, or where to hand back what is left to let go of
	 * (store_put_commit_later); set it to NULL when nothing is. */
	int (*put_commit)(struct store_put *p, long long *size_out, struct store_later **later,
			  struct err *err);
	void (*put_abort)(struct store_put *p);
	int (*get)(struct store *s, const char *oid, struct store_object *out, struct err *err);
	int (*exists)(struct store *s, const char *oid, long long *size_out, struct err *err);
	int (*each)(struct store *s, int (*fn)(const char *oid, long long size, void *arg),
		    void *arg, struct err *err);
	/* Optional (NULL: the server serves its objects): a URL a client
	 * downloads oid from without passing through the server. */
	int (*href)(struct store *s, const char *oid, bool public_read, char *out, size_t outsz,
		    long long *expires_in, struct err *err);
	/* Optional (NULL: nothing to do): also put a stored object where
	 * the public can read it (S3: s3.public-url). */
	int (*publish)(struct store *s, const char *oid, struct err *err);
	void (*close)(struct store *s);
};

extern const struct store_ops store_local_ops;
extern const struct store_ops store_s3_ops;

/* The backend named type (NULL: the default, "local"); NULL when no
 * backend of this build has that name. */
const struct store_ops *store_backend(const char *type);
/* The daemon's store: the backend cfg's storage.type names, opened. */
int store_open_configured(struct store **out, const struct config *cfg, const char *holder,
			  struct err *err) __attribute__((warn_unused_result));

/* Opens (creating when needed) DATA, DATA/objects and DATA/tmp and checks
 * that DATA is writable (a full disk passes: reads still work).  Takes no
 * lock and removes nothing.  Tries once whether uploads can be anonymous
 * files here (O_TMPFILE and linkat through /proc); if not, or when the
 * environment sets LFS_STORE_NAMED_TEMPS=1 (for tests), they are named
 * temp files in tmp/.  Caller frees with store_close. */
int store_attach(struct store **out, const char *data_dir, struct err *err) __attribute__((warn_unused_result));
/* store_attach, then empties tmp/: for a caller that owns the directory
 * by a lock of its own (lfs-mirror's tree).  Such a store answers no one,
 * so a committed upload's file is let go of (closed, or its temp name
 * removed) before commit returns (elsewhere a thread does it off the
 * answer's path: invariant 4). */
int store_open(struct store **out, const char *data_dir, struct err *err) __attribute__((warn_unused_result));
/* Holds DATA/lock (flock) until store_close, or fails with ERR_CONFLICT
 * naming the holder as it described itself: holder is one line ("pid 12
 * http://127.0.0.1:8080"), written into the file. */
int store_lock(struct store *s, const char *holder, struct err *err) __attribute__((warn_unused_result));
/* Removes files in tmp/ not modified for older_than seconds (0: all; only
 * for the holder of DATA/lock).  *removed (if not NULL) gets the count. */
int store_sweep_tmp(struct store *s, long long older_than, long long *removed, struct err *err) __attribute__((warn_unused_result));
/* What the daemon does to own DATA: store_attach, store_lock (a second
 * server on the same DATA fails here), empty tmp/, and a warning in the
 * log when the disk is (nearly) full; an info line when uploads are named
 * temp files (store_attach), saying why. */
int store_open_daemon(struct store **out, const char *data_dir, const char *holder,
		      struct err *err) __attribute__((warn_unused_result));
/* Bytes available to us on the file system of DATA. */
int store_free_bytes(const struct store *s, long long *out, struct err *err) __attribute__((warn_unused_result));
void store_close(struct store *s);

/* expected_size < 0 means "unknown" (chunked upload without a token). */
int store_put_begin(struct store_put **out, struct store *s, const char *oid,
		    long long expected_size, struct err *err) __attribute__((warn_unused_result));
int store_put_write(struct store_put *p, const void *data, size_t len, struct err *err) __attribute__((warn_unused_result));
/* Returns 0 (stored, or already present), ERR_INVALID (hash or size
 * mismatch, nothing stored), or an I/O code.  Frees p. */
int store_put_commit(struct store_put *p, long long *size_out, struct err *err) __attribute__((warn_unused_result));
/* As store_put_commit, but what is left to let go of once committed is
 * handed back in *later (NULL when nothing is) for the caller to release
 * with store_later_release once its answer is out, before store_close.
 * Why: for the local store that is the upload's file, and when the store
 * already held the object its last close frees every block, which took
 * the disk long enough to delay the journal commit that follows (13 ms
 * for 64 MiB, found by make bench): an answer that comes later for
 * objects the store holds tells the uploader what other repos hold. */
int store_put_commit_later(struct store_put *p, long long *size_out, struct store_later **later,
			   struct err *err) __attribute__((warn_unused_result));
/* Lets go of it off the caller's thread; NULL is fine. */
void store_later_release(struct store_later *later);
void store_put_abort(struct store_put *p);
/* Bytes received so far. */
long long store_put_received(const struct store_put *p);

/* A download of oid: a descriptor or a URL (struct store_object).
 * ERR_NOTFOUND when absent, ERR_BUSY when out of descriptors. */
int store_get(struct store *s, const char *oid, struct store_object *out, struct err *err) __attribute__((warn_unused_result));
/* 0 with *size_out (may be NULL) when the store holds oid, ERR_NOTFOUND
 * when it does not. */
int store_exists(struct store *s, const char *oid, long long *size_out, struct err *err) __attribute__((warn_unused_result));
/* Calls fn for every object the store holds, in no set order, without
 * reading their bytes; fn returning non-zero stops the walk (a negative
 * value is returned). */
int store_each(struct store *s, int (*fn)(const char *oid, long long size, void *arg), void *arg,
	       struct err *err) __attribute__((warn_unused_result));

/* For a batch download action: a URL on the store itself (S3: presigned,
 * valid *expires_in seconds; 0 = no end), into out.  ERR_NOTFOUND when the
 * backend has none (local: the href is the server's object endpoint).
 * public_read: anonymous may read the repo.  Does not check that the
 * store holds oid (the caller knows from the metadata). */
int store_href(struct store *s, const char *oid, bool public_read, char *out, size_t outsz,
	       long long *expires_in, struct err *err) __attribute__((warn_unused_result));

/* For an object that joins a publicly readable repo: copies it to the
 * store's public location when it has one (s3.public-url), else does
 * nothing.  0 when done (or nothing to do), a negative code otherwise
 * (ERR_BUSY: the store is unreachable). */
int store_publish(struct store *s, const char *oid, struct err *err) __attribute__((warn_unused_result));

/* The data directory (borrowed; valid until store_close). */
const char *store_root(const struct store *s);

#endif
