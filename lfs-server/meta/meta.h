/* meta: the server's durable metadata, behind one interface (struct
 * meta_ops, below); the first backend is SQLite (DATA/meta.db, WAL mode).
 *
 * Invariants:
 *  1. A journal row exists only for an object whose file is already
 *     complete and durable in the store (rows are written after the link).
 *  2. (repo, oid) is unique: an object joins a repo once, at its first
 *     complete upload to that repo.  Rows are never updated or deleted.
 *  3. Every write is one BEGIN IMMEDIATE transaction (add_object calls
 *     that arrive together may share one, each row in a savepoint of its
 *     own); synchronous=FULL, and a call returns only after its COMMIT,
 *     so a 200 to the client means the row survives power loss.
 *  4. The mirror feed (table feed) lists each object of a mirrored repo
 *     once, in the order it became public; its seq is what mirrors
 *     report in mirror-state.json.  Rows are only ever appended.
 *
 * Connections come from a small pool, so any server thread may call any
 * function here. */
#ifndef LFS_META_H
#define LFS_META_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct meta;

/* The SQLite backend's own constructor (lfs-admin, tests; the server goes
 * through meta_open_configured): opens or creates the database at path
 * and migrates its schema (PRAGMA user_version) to the newest, one
 * transaction per step; writes nothing when it is current.  A file of a
 * newer schema is refused (ERR_IO, the message says so).  Caller frees
 * with meta_close. */
int meta_open(struct meta **out, const char *path, int pool_size, struct err *err) __attribute__((warn_unused_result));
/* The schema version meta_open migrates to. */
int meta_schema_version(void);
void meta_close(struct meta *m);
/* Whether several servers may share m (meta_ops.shared_by_servers). */
bool meta_shared_by_servers(const struct meta *m);

/* Bulk import (lfs-admin import), the SQLite backend's own: records each
 * row as meta_add_object would (journal; feed when mirrored and new
 * there; a row the repo holds already changes nothing), all in one
 * transaction: every row or none.  *added (if not NULL) gets the number
 * of rows new to their repo.  ERR_INVALID when m is another
 * backend's (callers fall back to meta_add_object per row). */
struct meta_import_row {
	const char *repo;
	const char *oid;
	long long size;
	bool mirrored;
};
int meta_sqlite_import(struct meta *m, const struct meta_import_row *rows, size_t n,
		       const char *user, long long *added, struct err *err) __attribute__((warn_unused_result));

/* For each of n oids, sizes_out[i] = the size recorded for it in repo, or
 * -1 when the repo does not hold it; when seqs_out is not NULL,
 * seqs_out[i] = the object's feed seq, or -1.  One pooled connection. */
int meta_repo_sizes(struct meta *m, const char *repo, const char *const *oids,
		    size_t n, long long *sizes_out, long long *seqs_out, struct err *err) __attribute__((warn_unused_result));

/* Records that repo now holds oid (uploaded by user, "" = anonymous) and
 * appends it to the journal, and to the feed when mirrored and new
 * there.  Already held: 0, nothing changes. */
int meta_add_object(struct meta *m, const char *repo, const char *oid,
		    long long size, const char *user, bool mirrored, struct err *err) __attribute__((warn_unused_result));

/* --- operator views (read-only; /metrics and /_lfs/status) --------------- */

/* Objects stored, each counted once however many repos hold it, and
 * their bytes.  One aggregate over the journal: cache it (metrics.h). */
int meta_stored_totals(struct meta *m, long long *objects, long long *bytes, struct err *err) __attribute__((warn_unused_result));

/* The newest seq of the mirror feed, 0 when it is empty. */
int meta_feed_last_seq(struct meta *m, long long *seq, struct err *err) __attribute__((warn_unused_result));

/* Calls fn for each repo (by name) with its object count and bytes; fn
 * returning non-zero stops the walk.  At most limit repos (and *total
 * the number of repos, when not NULL). */
int meta_repo_counts(struct meta *m, int limit,
		     int (*fn)(const char *repo, long long objects, long long bytes, void *arg),
		     void *arg, long long *total, struct err *err) __attribute__((warn_unused_result));

/* Objects that joined a repo on each UTC day from since_day (YYYY-MM-DD)
 * on: fn gets each day that had any, in order. */
int meta_uploads_per_day(struct meta *m, const char *since_day,
			 int (*fn)(const char *day, long long count, void *arg), void *arg,
			 struct err *err) __attribute__((warn_unused_result));

/* --- mirror feed ---------------------------------------------------------- */

struct feed_entry {
	long long seq, size;
	char oid[65];
	char time[32];
};

/* Adds to the feed every object of the repos for which mirrored() says
 * yes that is not there yet (a repo switched to mirrored catches up).
 * *added gets the count. */
int meta_feed_catch_up(struct meta *m, bool (*mirrored)(const char *repo, void *arg),
		       void *arg, long long *added, struct err *err) __attribute__((warn_unused_result));

/* Up to limit entries with seq > after; *n_out the count, *more whether
 * there are further entries. */
int meta_feed_list(struct meta *m, long long after, int limit, struct feed_entry *out,
		   int *n_out, int *more, struct err *err) __attribute__((warn_unused_result));

/* The feed seq and size of oid, or ERR_NOTFOUND. */
int meta_feed_get(struct meta *m, const char *oid, long long *seq, long long *size,
		  struct err *err) __attribute__((warn_unused_result));

/* --- locks ---------------------------------------------------------------
 * One lock per (repo, path), enforced by a UNIQUE constraint, so racing
 * creators serialise in SQLite and exactly one wins. */

#define LOCK_PATH_MAX 1024
#define LOCK_OWNER_MAX 128

struct lock {
	char id[33];                    /* 32 hex digits: URL-safe */
	char path[LOCK_PATH_MAX + 1];
	char owner[LOCK_OWNER_MAX + 1];
	char locked_at[32];             /* RFC 3339, UTC */
};

/* Creates a lock.  ERR_CONFLICT when the path is locked already; then
 * *out is the existing lock. */
int meta_lock_create(struct meta *m, const char *repo, const char *path,
		     const char *owner, struct lock *out, struct err *err) __attribute__((warn_unused_result));

/* Lists up to limit locks of repo with id > after (ids sorted), optionally
 * only the one on path or with id.  *n_out gets the count; *more whether
 * another page exists.  out must hold limit entries. */
int meta_lock_list(struct meta *m, const char *repo, const char *path, const char *id,
		   const char *after, int limit, struct lock *out, int *n_out,
		   int *more, struct err *err) __attribute__((warn_unused_result));

/* Deletes the lock id of repo if owner is NULL (force) or matches.
 * ERR_NOTFOUND: no such lock; ERR_DENIED: someone else's (*out filled). */
int meta_lock_delete(struct meta *m, const char *repo, const char *id,
		     const char *owner, struct lock *out, struct err *err) __attribute__((warn_unused_result));

/* --- mirror checks ---------------------------------------------------------
 * The server fetches each mirror's copy of each feed object and checks
 * size and SHA-256 before it ever sends a client there.  One row per
 * (mirror name, feed seq) records the last verdict; rows are replaced by
 * newer verdicts, never by anything else.  Connection failures are not
 * verdicts and are not recorded. */

#define MCHECK_ERROR_MAX 160

struct mirror_check {
	long long seq, size, checked_at; /* checked_at: unix seconds */
	char oid[65];
	bool ok;
	char error[MCHECK_ERROR_MAX];
};

/* Up to limit feed entries with seq <= max_seq that mirror has no verdict
 * for, newest first (a fresh upload is checked soon after it is synced).
 * out must hold limit entries; *n_out gets the count. */
int meta_mcheck_unchecked(struct meta *m, const char *mirror, long long max_seq, int limit,
			  struct feed_entry *out, int *n_out, struct err *err)
	__attribute__((warn_unused_result));

/* Up to limit feed entries (seq <= max_seq) due for another check: good
 * ones last checked before good_before, failed ones last checked before
 * bad_before (unix seconds), the longest unchecked first. */
int meta_mcheck_due(struct meta *m, const char *mirror, long long max_seq, long long good_before,
		    long long bad_before, int limit, struct feed_entry *out, int *n_out,
		    struct err *err)
	__attribute__((warn_unused_result));

/* Records a verdict for (mirror, seq) at the current time. */
int meta_mcheck_record(struct meta *m, const char *mirror, long long seq, bool ok,
		       const char *error, struct err *err)
	__attribute__((warn_unused_result));

/* The last verdict about (mirror, seq): *ok whether the copy was good.
 * ERR_NOTFOUND when there is none.  One indexed lookup: lfs-cgi asks
 * per object where the daemon keeps the verdicts in memory. */
int meta_mcheck_get(struct meta *m, const char *mirror, long long seq, bool *ok, struct err *err)
	__attribute__((warn_unused_result));

/* Calls fn for each verdict about mirror recorded at or after since (unix
 * seconds), in seq order; fn returning non-zero stops the walk.  The
 * struct passed to fn is valid during the call only. */
int meta_mcheck_each(struct meta *m, const char *mirror, long long since,
		     int (*fn)(const struct mirror_check *c,
			       void *arg), void *arg, struct err *err)
	__attribute__((warn_unused_result));

/* --- login throttle ----------------------------------------------------------
 * Failed-login counts for modes where no one process sees every login
 * (lfs-cgi: a process per request; several servers on one PostgreSQL);
 * core/throttle.h keeps the rules.  One row per (kind, key): kind 'a' =
 * a client address key, 'u' = a user name. */
struct meta_throttle_row {
	long long failures;
	long long window_start, locked_until, last; /* unix seconds, 0 = never */
};
/* In one transaction (concurrent processes and servers serialise on the
 * row): reads the row of (kind, key), all zero when there is none, calls
 * update (may be NULL: read only, no write lock) on it and stores the row
 * when update returned true; *out (may be NULL) gets the row as it is
 * now.  Rows whose last is before prune_before are deleted on the way
 * (any key; 0 prunes nothing). */
int meta_throttle_update(struct meta *m, char kind, const char *key, long long prune_before,
			 bool (*update)(struct meta_throttle_row *row, void *arg), void *arg,
			 struct meta_throttle_row *out, struct err *err)
	__attribute__((warn_unused_result));

/* --- backends --------------------------------------------------------------
 * Every function above (but meta_open and meta_schema_version, which are
 * the SQLite backend's own) is one indirect call through struct
 * meta_ops; a backend's struct meta starts with the member below.  The
 * contract above (invariants, one transaction per write, any thread) is
 * every backend's.  "sqlite" (sqlite.c) is the first; meta.type chooses.
 * A backend that several servers can share sets shared_by_servers: the
 * daemon then keeps its login throttle here too (meta_throttle_update)
 * instead of in its memory, so N servers do not allow N times the
 * guesses. */

struct config;

struct meta {
	const struct meta_ops *ops;
};

struct meta_ops {
	const char *name; /* the meta.type value */
	bool shared_by_servers;
	/* Opens the backend with its own settings from cfg (sqlite:
	 * DATA/meta.db), migrating its schema. */
	int (*open)(struct meta **out, const struct config *cfg, int pool_size, struct err *err);
	void (*close)(struct meta *m);
	int (*repo_sizes)(struct meta *m, const char *repo, const char *const *oids, size_t n,
			  long long *sizes_out, long long *seqs_out, struct err *err);
	int (*add_object)(struct meta *m, const char *repo, const char *oid, long long size,
			  const char *user, bool mirrored, struct err *err);
	int (*stored_totals)(struct meta *m, long long *objects, long long *bytes,
			     struct err *err);
	int (*feed_last_seq)(struct meta *m, long long *seq, struct err *err);
	int (*repo_counts)(struct meta *m, int limit,
			   int (*fn)(const char *repo, long long objects, long long bytes, void *arg),
			   void *arg, long long *total, struct err *err);
	int (*uploads_per_day)(struct meta *m, const char *since_day,
			       int (*fn)(const char *day, long long count, void *arg), void *arg,
			       struct err *err);
	int (*feed_catch_up)(struct meta *m, bool (*mirrored)(const char *repo, void *arg),
			     void *arg, long long *added, struct err *err);
	int (*feed_list)(struct meta *m, long long after, int limit, struct feed_entry *out,
			 int *n_out, int *more, struct err *err);
	int (*feed_get)(struct meta *m, const char *oid, long long *seq, long long *size,
			struct err *err);
	int (*lock_create)(struct meta *m, const char *repo, const char *path, const char *owner,
			   struct lock *out, struct err *err);
	int (*lock_list)(struct meta *m, const char *repo, const char *path, const char *id,
			 const char *after, int limit, struct lock *out, int *n_out, int *more,
			 struct err *err);
	int (*lock_delete)(struct meta *m, const char *repo, const char *id, const char *owner,
			   struct lock *out, struct err *err);
	int (*mcheck_unchecked)(struct meta *m, const char *mirror, long long max_seq, int limit,
				struct feed_entry *out, int *n_out, struct err *err);
	int (*mcheck_due)(struct meta *m, const char *mirror, long long max_seq,
			  long long good_before, long long bad_before, int limit,
			  struct feed_entry *out, int *n_out, struct err *err);
	int (*mcheck_record)(struct meta *m, const char *mirror, long long seq, bool ok,
			     const char *error, struct err *err);
	int (*mcheck_each)(struct meta *m, const char *mirror, long long since,
			   int (*fn)(const struct mirror_check *c, void *arg), void *arg,
			   struct err *err);
	int (*mcheck_get)(struct meta *m, const char *mirror, long long seq, bool *ok,
			  struct err *err);
	int (*throttle_update)(struct meta *m, char kind, const char *key, long long prune_before,
			       bool (*update)(struct meta_throttle_row *row, void *arg), void *arg,
			       struct meta_throttle_row *out, struct err *err);
};

extern const struct meta_ops meta_sqlite_ops;
/* "postgresql" (postgresql.c): meta.url, shared by several servers. */
extern const struct meta_ops meta_postgresql_ops;

/* The backend named type (NULL: the default, "sqlite"); NULL when this
 * build has none of that name. */
const struct meta_ops *meta_backend(const char *type);
/* The server's metadata: the backend cfg's meta.type names, opened. */
int meta_open_configured(struct meta **out, const struct config *cfg, int pool_size,
			 struct err *err) __attribute__((warn_unused_result));

/* --- read-only access for the tools ---------------------------------------
 * lfs-admin and `lfs-mirror sync --from DATA_DIR` read a data dir's
 * metadata beside a running server (WAL lets readers in) or a stopped one,
 * and never write it: no schema migration, no checkpoint, the server's
 * kept -wal/-shm files left as they were.  A reader is one connection,
 * for one thread.  Walks call fn for each row; the strings passed to fn
 * are valid during the call only; fn returning non-zero stops the walk,
 * and a negative value is returned as is (fn fills err itself). */

struct meta_reader;

/* Opens DATA/meta.db for reading, never creating it (a typo must not
 * look like an empty data dir: ERR_IO naming the path).  Caller closes
 * with meta_reader_close. */
int meta_reader_open(struct meta_reader **out, const char *data_dir, struct err *err) __attribute__((warn_unused_result));
/* Closes; fails (ERR_IO) only when the database could not be closed
 * cleanly.  NULL is fine. */
int meta_reader_close(struct meta_reader *r, struct err *err);

/* One read transaction around the walks between them: they see one
 * snapshot.  end always ends it. */
int meta_reader_begin(struct meta_reader *r, struct err *err) __attribute__((warn_unused_result));
void meta_reader_end(struct meta_reader *r);

struct meta_journal_row {
	long long seq, size;
	const char *time, *repo, *user, *oid; /* user "" = anonymous */
};
/* The journal rows with time >= since (the journal's format, or NULL for
 * all) of repo (or NULL for all), in seq order. */
int meta_reader_journal(struct meta_reader *r, const char *since, const char *repo,
			int (*fn)(const struct meta_journal_row *row, void *arg), void *arg,
			struct err *err) __attribute__((warn_unused_result));
/* Up to limit (-1: all) feed rows with seq > after, in seq order. */
int meta_reader_feed(struct meta_reader *r, long long after, long long limit,
		     int (*fn)(long long seq, const char *oid, long long size,
			       void *arg), void *arg,
		     struct err *err) __attribute__((warn_unused_result));
/* Every distinct (oid, size) of the journal and the feed, by oid. */
int meta_reader_objects(struct meta_reader *r,
			int (*fn)(const char *oid, long long size, void *arg), void *arg,
			struct err *err) __attribute__((warn_unused_result));
/* Per repo, by name (bytewise): its objects and their bytes. */
int meta_reader_repos(struct meta_reader *r,
		      int (*fn)(const char *repo, long long objects, long long bytes, void *arg),
		      void *arg, struct err *err) __attribute__((warn_unused_result));
/* Whether some repo holds oid, read afresh. */
int meta_reader_has_oid(struct meta_reader *r, const char *oid, bool *found, struct err *err) __attribute__((warn_unused_result));

struct meta_counts {
	long long schema;       /* schema version */
	long long repos;        /* distinct repos in the journal */
	long long journal, feed, locks; /* rows */
};
/* All counts, from one snapshot. */
int meta_reader_counts(struct meta_reader *r, struct meta_counts *out, struct err *err) __attribute__((warn_unused_result));

/* The backend's own consistency check: fn gets one message per problem
 * found (none when all is well).  ERR_IO only when it could not run. */
int meta_reader_check(struct meta_reader *r, int (*fn)(const char *msg, void *arg), void *arg,
		      struct err *err) __attribute__((warn_unused_result));

/* Copies data_dir's metadata into dest_dir (which must not hold any yet)
 * as one consistent snapshot, beside a running server, retrying while
 * the server holds it busy.  Writes nothing in data_dir.  The copy is
 * complete metadata a server can be started on. */
int meta_backup(const char *data_dir, const char *dest_dir, struct err *err) __attribute__((warn_unused_result));

#endif
