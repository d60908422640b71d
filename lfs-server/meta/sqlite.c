/* meta/sqlite: the SQLite metadata backend, with a connection pool
 * (contract in meta.h).  The only file with SQL in it. */
#include "meta/meta.h"

#include <openssl/rand.h>

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "fault.h"
#include "group.h"
#include "log.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 10000

/* Every statement, prepared once per pooled connection. */
enum {
	ST_LOOKUP, ST_INSERT, ST_FEED_INSERT,
	ST_LOCK_BY_PATH, ST_LOCK_BY_ID, ST_LOCK_INSERT, ST_LOCK_LIST, ST_LOCK_DELETE,
	ST_REPOS, ST_CATCH_UP, ST_FEED_LIST, ST_FEED_GET,
	ST_SIZES, ST_SIZES_SEQS,
	ST_COUNT
};

#define NOW "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_LOOKUP] = "SELECT j.size, f.seq FROM journal j LEFT JOIN feed f ON f.oid = j.oid "
		      "WHERE j.repo = ?1 AND j.oid = ?2",
	[ST_INSERT] = "INSERT OR IGNORE INTO journal (repo, oid, size, user, time) "
		      "VALUES (?1, ?2, ?3, ?4, " NOW ")",
	/* Not INSERT OR IGNORE: an ignored row still uses up a seq. */
	[ST_FEED_INSERT] = "INSERT INTO feed (oid, size, time) SELECT ?1, ?2, " NOW " "
			   "WHERE NOT EXISTS (SELECT 1 FROM feed WHERE oid = ?1)",
	[ST_LOCK_BY_PATH] = "SELECT id, path, owner, locked_at FROM locks WHERE repo = ?1 AND path = ?2",
	[ST_LOCK_BY_ID] = "SELECT id, path, owner, locked_at FROM locks WHERE repo = ?1 AND id = ?2",
	[ST_LOCK_INSERT] = "INSERT INTO locks (id, repo, path, owner, locked_at) VALUES "
			   "(?1, ?2, ?3, ?4, " NOW ") RETURNING locked_at",
	[ST_LOCK_LIST] = "SELECT id, path, owner, locked_at FROM locks WHERE repo = ?1 "
			 "AND (?2 IS NULL OR path = ?2) AND (?3 IS NULL OR id = ?3) AND id > ?4 "
			 "ORDER BY id LIMIT ?5",
	[ST_LOCK_DELETE] = "DELETE FROM locks WHERE id = ?1",
	[ST_REPOS] = "SELECT DISTINCT repo FROM journal ORDER BY repo",
	/* Only rows not in the feed yet: INSERT OR IGNORE would use up a seq
	 * per ignored row and write at every start (a full disk). */
	[ST_CATCH_UP] = "INSERT INTO feed (oid, size, time) SELECT oid, size, " NOW " FROM journal "
			"WHERE repo = ?1 AND oid NOT IN (SELECT oid FROM feed) ORDER BY seq",
	[ST_FEED_LIST] = "SELECT seq, oid, size, time FROM feed WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[ST_FEED_GET] = "SELECT seq, size FROM feed WHERE oid = ?1",
	/* A batch's oids as one JSON array (?2): one statement for all of
	 * them, as sq_repo_sizes explains.  CROSS JOIN fixes the order: the
	 * planner would otherwise scan the repo's rows for every oid. */
	[ST_SIZES] = "SELECT e.key, j.size FROM json_each(?2) e CROSS JOIN journal j "
		     "ON j.repo = ?1 AND j.oid = e.value",
	[ST_SIZES_SEQS] = "SELECT e.key, j.size, f.seq FROM json_each(?2) e CROSS JOIN journal j "
			  "ON j.repo = ?1 AND j.oid = e.value LEFT JOIN feed f ON f.oid = j.oid",
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	struct conn *next;
};

struct sqlite_meta {
	struct meta base;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct conn *all; /* the idle connections; all of them once the server stops */
	struct group adds; /* add_object's group commit */
};

/* Schema migrations: migrations[i] takes a database from user_version i
 * to i + 1, in one transaction.  Append a step to change the schema; never
 * edit a shipped one (data dirs in the field are at every version, and
 * tests/fixtures/datadir-v1 is at 3).  The first three use IF NOT EXISTS
 * because the first release ran them as separate autocommit statements:
 * a crash could leave a table without its version. */
static const char *const migrations[] = {
	/* 0 -> 1: repo membership and upload journal (meta.h, invariants 1-2) */
	"CREATE TABLE IF NOT EXISTS journal ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  repo TEXT NOT NULL,"
	"  oid TEXT NOT NULL,"
	"  size INTEGER NOT NULL CHECK (size >= 0),"
	"  user TEXT NOT NULL,"
	"  time TEXT NOT NULL,"
	"  UNIQUE (repo, oid));",
	/* 1 -> 2: file locks */
	"CREATE TABLE IF NOT EXISTS locks ("
	"  id TEXT PRIMARY KEY,"
	"  repo TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  owner TEXT NOT NULL,"
	"  locked_at TEXT NOT NULL,"
	"  UNIQUE (repo, path));"
	"CREATE INDEX IF NOT EXISTS locks_by_repo ON locks (repo, id);",
	/* 2 -> 3: the mirror feed */
	"CREATE TABLE IF NOT EXISTS feed ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  oid TEXT NOT NULL UNIQUE,"
	"  size INTEGER NOT NULL,"
	"  time TEXT NOT NULL);",
	/* 3 -> 4: the server's verdicts on mirror copies (core/mcheck.h) */
	"CREATE TABLE mirror_checks ("
	"  mirror TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  ok INTEGER NOT NULL,"
	"  checked_at INTEGER NOT NULL,"
	"  error TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (mirror, seq));"
	"CREATE INDEX mirror_checks_by_time ON mirror_checks (mirror, checked_at);",
	/* 4 -> 5: the shared login throttle (meta_throttle_update) */
	"CREATE TABLE throttle ("
	"  kind TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  failures INTEGER NOT NULL,"
	"  window_start INTEGER NOT NULL,"
	"  locked_until INTEGER NOT NULL,"
	"  last INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, key));"
	"CREATE INDEX throttle_by_last ON throttle (last);",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int db_err(struct err *err, sqlite3 *db, const char *what)
{
	int code = sqlite3_errcode(db);

	return err_set(err, code == SQLITE_FULL ? ERR_NOSPACE : ERR_IO, "%s: %s", what, sqlite3_errmsg(db));
}

static void conn_free(struct conn *c)
{
	if (!c)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	free(c);
}

/* PRAGMA user_version, the schema version of the file. */
static int user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_ERROR;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Brings the file to SCHEMA_VERSION, one transaction per step.  Writes
 * nothing when it is there already: a server must start on a full disk. */
static int migrate(sqlite3 *db, const char *path, struct err *err)
{
	int v, from, rc;
	char bump[40];

	if (user_version(db, &v) != SQLITE_OK)
		return db_err(err, db, path);
	if (v > SCHEMA_VERSION)
		return err_set(err, ERR_IO, "'%s' has schema version %d, newer than this lfs-server's %d: "
			       "it was written by a newer release; run that one", path, v, SCHEMA_VERSION);
	from = v;
	while (v < SCHEMA_VERSION) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			return db_err(err, db, path);
		/* Another process may have migrated while we waited for the lock. */
		if (user_version(db, &v) != SQLITE_OK)
			goto fail;
		if (v >= SCHEMA_VERSION) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			break;
		}
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, bump, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		v++;
	}
	/* A new file is no news; an upgraded one is, for whoever reads the log. */
	if (from > 0 && v > from)
		log_info("%s: schema migrated from version %d to %d", path, from, v);
	return 0;
fail:
	rc = err_set(err, sqlite3_errcode(db) == SQLITE_FULL ? ERR_NOSPACE : ERR_IO,
		     "%s: migration to schema version %d failed: %s", path, v + 1, sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int conn_open(struct conn **out, const char *path, bool first, struct err *err)
{
	struct conn *c = calloc(1, sizeof(*c));
	int rc, persist = 1;

	if (!c)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_IO, "cannot open '%s': %s", path,
			     c->db ? sqlite3_errmsg(c->db) : "out of memory");
		conn_free(c);
		return rc;
	}
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
	/* Keep meta.db-wal and -shm when the last connection closes: SQLite
	 * cannot create them again on a full disk, and without them not even
	 * a read works. */
	sqlite3_file_control(c->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_err(err, c->db, path);
		conn_free(c);
		return rc;
	}
	if (first && (rc = migrate(c->db, path, err)) < 0) {
		conn_free(c);
		return rc;
	}
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
				       NULL) != SQLITE_OK) {
			rc = db_err(err, c->db, path);
			conn_free(c);
			return rc;
		}
	}
	*out = c;
	return 0;
}

int meta_schema_version(void)
{
	return SCHEMA_VERSION;
}

static void sq_close(struct meta *base);
static void add_round(struct group_member *batch, void *arg);

int meta_open(struct meta **out, const char *path, int pool_size, struct err *err)
{
	struct sqlite_meta *m = calloc(1, sizeof(*m));
	int rc = 0;

	if (!m)
		return err_set(err, ERR_NOMEM, "out of memory");
	m->base.ops = &meta_sqlite_ops;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	group_init(&m->adds, add_round, m);
	for (int i = 0; i < pool_size; i++) {
		struct conn *c = NULL;
		if ((rc = conn_open(&c, path, i == 0, err)) < 0) {
			sq_close(&m->base);
			return rc;
		}
		c->next = m->all;
		m->all = c;
	}
	*out = &m->base;
	return 0;
}

/* Takes an idle connection, waiting while all are busy. */
static struct conn *acquire(struct sqlite_meta *m)
{
	struct conn *c;

	pthread_mutex_lock(&m->mu);
	while (!m->all)
		pthread_cond_wait(&m->cv, &m->mu);
	c = m->all;
	m->all = c->next;
	pthread_mutex_unlock(&m->mu);
	return c;
}

static void release(struct sqlite_meta *m, struct conn *c)
{
	pthread_mutex_lock(&m->mu);
	c->next = m->all;
	m->all = c;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

static void sq_close(struct meta *base)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c, *next;

	if (!m)
		return;
	for (c = m->all; c; c = next) {
		next = c->next;
		conn_free(c);
	}
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	group_destroy(&m->adds);
	free(m);
}

/* oids as a JSON array of strings, or NULL when one of them would need
 * escaping (never a real oid) or memory is short. */
static char *oids_json(const char *const *oids, size_t n, size_t *len)
{
	size_t cap = 3, k = 0;
	char *a;

	for (size_t i = 0; i < n; i++)
		cap += strlen(oids[i]) + 3;
	if (!(a = malloc(cap)))
		return NULL;
	a[k++] = '[';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(oids[i]);
		if (!util_json_plain(oids[i], l)) {
			free(a);
			return NULL;
		}
		if (i)
			a[k++] = ',';
		a[k++] = '"';
		memcpy(a + k, oids[i], l);
		k += l;
		a[k++] = '"';
	}
	a[k++] = ']';
	*len = k;
	return a;
}

/* A batch in one statement (ST_SIZES*).  Measured with callgrind on 100
 * oids against one prepared lookup per oid in a transaction (the way
 * before): 0.51 M instructions instead of 0.91 M at 100 stored objects,
 * 0.74 M instead of 1.43 M at 200,000 (docs/architecture.md). */
static int sizes_batch(struct conn *c, const char *repo, const char *json, size_t len, size_t n,
		       long long *sizes_out, long long *seqs_out, struct err *err)
{
	sqlite3_stmt *st = c->st[seqs_out ? ST_SIZES_SEQS : ST_SIZES];
	int step, rc = 0;

	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json, (int)len, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 i = sqlite3_column_int64(st, 0);
		if (i < 0 || (size_t)i >= n)
			continue;
		sizes_out[i] = sqlite3_column_int64(st, 1);
		if (seqs_out && sqlite3_column_type(st, 2) != SQLITE_NULL)
			seqs_out[i] = sqlite3_column_int64(st, 2);
	}
	if (step != SQLITE_DONE)
		rc = db_err(err, c->db, "lookup");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int sq_repo_sizes(struct meta *base, const char *repo, const char *const *oids,
			 size_t n, long long *sizes_out, long long *seqs_out, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c;
	sqlite3_stmt *st;
	size_t jlen = 0;
	/* One oid (an object transfer, verify) is one lookup. */
	char *json = n > 1 && n <= INT_MAX / 68 ? oids_json(oids, n, &jlen) : NULL;
	int rc = 0;
	bool txn;

	for (size_t i = 0; i < n; i++) {
		sizes_out[i] = -1;
		if (seqs_out)
			seqs_out[i] = -1;
	}
	c = acquire(m);
	if (json) {
		rc = sizes_batch(c, repo, json, jlen, n, sizes_out, seqs_out, err);
		release(m, c);
		free(json);
		return rc;
	}
	st = c->st[ST_LOOKUP];
	/* One read transaction for all lookups: one WAL snapshot and one set
	 * of file locks instead of one per oid. */
	txn = n > 1 && sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	for (size_t i = 0; i < n && rc == 0; i++) {
		int step;
		sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, oids[i], -1, SQLITE_STATIC);
		step = sqlite3_step(st);
		if (step == SQLITE_ROW) {
			sizes_out[i] = sqlite3_column_int64(st, 0);
			if (seqs_out && sqlite3_column_type(st, 1) != SQLITE_NULL)
				seqs_out[i] = sqlite3_column_int64(st, 1);
		}
		else if (step != SQLITE_DONE)
			rc = db_err(err, c->db, "lookup");
		sqlite3_reset(st);
	}
	sqlite3_clear_bindings(st);
	if (txn)
		sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	release(m, c);
	return rc;
}

/* Makes a statement ready for its next use. */
static void st_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a prepared statement that returns no rows, then resets it. */
static int step_done(struct conn *c, sqlite3_stmt *st, const char *what, struct err *err)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(err, c->db, what);

	sqlite3_reset(st);
	return rc;
}

/* Write transactions: BEGIN IMMEDIATE takes the write lock up front (or
 * waits for it up to the busy timeout), so no transaction fails half-way
 * on a lock upgrade.  A failed commit is rolled back. */
static int txn_begin(struct conn *c, struct err *err)
{
	return sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : db_err(err, c->db, "begin");
}

static void txn_rollback(struct conn *c)
{
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static int txn_commit(struct conn *c, struct err *err)
{
	int rc;

	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	rc = db_err(err, c->db, "commit");
	txn_rollback(c);
	return rc;
}

/* add_object is a group commit (common/group.h): rows that arrive while
 * a transaction commits queue, and the next leader writes all of them in
 * one BEGIN IMMEDIATE ... COMMIT, so a burst of small uploads pays one WAL
 * sync per round instead of one per object.  Each row sits in a savepoint
 * of its own: a row that fails (a full disk part-way) fails alone, and its
 * caller alone gets the error.  Every caller returns only after COMMIT, so
 * a 200 still means the row survives power loss. */
struct add_req {
	struct group_member g; /* first: the batch is a list of these */
	const char *repo, *oid, *user;
	long long size;
	bool mirrored;
	bool decided; /* rc is final (the row failed on its own) */
};

static int add_row(struct conn *c, const struct add_req *r, struct err *err)
{
	sqlite3_stmt *ins = c->st[ST_INSERT], *feed = c->st[ST_FEED_INSERT];
	int rc;

	sqlite3_bind_text(ins, 1, r->repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, r->oid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 3, r->size);
	sqlite3_bind_text(ins, 4, r->user ? r->user : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(feed, 1, r->oid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(feed, 2, r->size);
	if ((rc = step_done(c, ins, "insert", err)) == 0 && r->mirrored)
		rc = step_done(c, feed, "feed insert", err);
	sqlite3_clear_bindings(ins);
	sqlite3_clear_bindings(feed);
	return rc;
}

/* One round: every undecided row of the batch in one transaction. */
static void add_round(struct group_member *batch, void *arg)
{
	struct sqlite_meta *m = arg;
	struct conn *c = acquire(m);
	struct group_member *it;
	struct err err = ERR_INIT;
	bool again = true;
	int rc;

	/* A failed statement can take the whole transaction with it (SQLite
	 * rolls back on SQLITE_FULL, SQLITE_IOERR, ...): then the rows before
	 * it are gone too, so start over without the row that failed.  Each
	 * pass decides at least one row, so this ends. */
	while (again) {
		again = false;
		if ((rc = txn_begin(c, &err)) < 0)
			break;
		for (it = batch; it && !again; it = it->next) {
			struct add_req *r = (struct add_req *)it;
			if (r->decided)
				continue;
			if (sqlite3_exec(c->db, "SAVEPOINT row", NULL, NULL, NULL) != SQLITE_OK) {
				r->g.rc = db_err(&r->g.err, c->db, "savepoint");
			} else if ((r->g.rc = add_row(c, r, &r->g.err)) < 0) {
				sqlite3_exec(c->db, "ROLLBACK TO row", NULL, NULL, NULL);
				sqlite3_exec(c->db, "RELEASE row", NULL, NULL, NULL);
			} else {
				sqlite3_exec(c->db, "RELEASE row", NULL, NULL, NULL);
				continue;
			}
			r->decided = true;
			again = sqlite3_get_autocommit(c->db) != 0; /* the transaction is gone */
		}
		if (again)
			continue;
		fault_point("meta-rows-written");
		rc = txn_commit(c, &err);
		if (rc == 0)
			fault_point("meta-group-committed");
	}
	for (it = batch; it; it = it->next) {
		struct add_req *r = (struct add_req *)it;
		if (r->decided)
			continue;
		r->g.rc = rc;
		if (rc < 0)
			r->g.err = err;
	}
	release(m, c);
}

static int sq_add_object(struct meta *base, const char *repo, const char *oid,
			 long long size, const char *user, bool mirrored, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct add_req r = { .repo = repo, .oid = oid, .user = user, .size = size,
			     .mirrored = mirrored };

	return group_join(&m->adds, &r.g, err);
}

/* --- locks ---------------------------------------------------------------- */

static void lock_from_row(struct lock *l, sqlite3_stmt *st)
{
	snprintf(l->id, sizeof(l->id), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(l->path, sizeof(l->path), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(l->owner, sizeof(l->owner), "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(l->locked_at, sizeof(l->locked_at), "%s", (const char *)sqlite3_column_text(st, 3));
}

/* Runs a one-row lock query; 0 with *found set, or an error. */
static int query_lock(struct conn *c, int which, const char *a, const char *b,
		      struct lock *out, bool *found, struct err *err)
{
	sqlite3_stmt *st = c->st[which];
	int rc = 0, step;

	*found = false;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		lock_from_row(out, st);
		*found = true;
	} else if (step != SQLITE_DONE) {
		rc = db_err(err, c->db, "select lock");
	}
	st_done(st);
	return rc;
}

static int sq_lock_create(struct meta *base, const char *repo, const char *path,
			  const char *owner, struct lock *out, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	sqlite3_stmt *st = c->st[ST_LOCK_INSERT];
	unsigned char rnd[16];
	bool found;
	int rc = 0;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		rc = err_set(err, ERR_IO, "no randomness for a lock id");
		goto out;
	}
	for (int i = 0; i < 16; i++)
		snprintf(out->id + 2 * i, 3, "%02x", rnd[i]);
	if ((rc = txn_begin(c, err)) < 0)
		goto out;
	if ((rc = query_lock(c, ST_LOCK_BY_PATH, repo, path, out, &found, err)) < 0)
		goto rollback;
	if (found) {
		rc = err_set(err, ERR_CONFLICT, "already created lock");
		goto rollback;
	}
	sqlite3_bind_text(st, 1, out->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, owner, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = db_err(err, c->db, "insert lock");
		goto rollback;
	}
	snprintf(out->locked_at, sizeof(out->locked_at), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(out->path, sizeof(out->path), "%s", path);
	snprintf(out->owner, sizeof(out->owner), "%s", owner);
	st_done(st);
	rc = txn_commit(c, err);
	goto out;
rollback:
	st_done(st);
	txn_rollback(c);
out:
	release(m, c);
	return rc;
}

static int sq_lock_list(struct meta *base, const char *repo, const char *path, const char *id,
			const char *after, int limit, struct lock *out, int *n_out,
			int *more, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	sqlite3_stmt *st = c->st[ST_LOCK_LIST];
	int rc = 0, n = 0, step;

	*more = 0;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	if (path)
		sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	if (id)
		sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, after ? after : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, limit + 1);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			*more = 1;
			break;
		}
		lock_from_row(&out[n++], st);
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_err(err, c->db, "list locks");
	st_done(st);
	release(m, c);
	*n_out = n;
	return rc;
}

static int sq_lock_delete(struct meta *base, const char *repo, const char *id,
			  const char *owner, struct lock *out, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	sqlite3_stmt *st = c->st[ST_LOCK_DELETE];
	bool found;
	int rc;

	if ((rc = txn_begin(c, err)) < 0)
		goto out;
	if ((rc = query_lock(c, ST_LOCK_BY_ID, repo, id, out, &found, err)) < 0)
		goto rollback;
	if (!found) {
		rc = err_set(err, ERR_NOTFOUND, "lock not found");
		goto rollback;
	}
	if (owner && strcmp(owner, out->owner) != 0) {
		rc = err_set(err, ERR_DENIED, "lock belongs to %s; unlocking it needs --force and admin rights",
			     out->owner);
		goto rollback;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = step_done(c, st, "delete lock", err)) < 0)
		goto rollback;
	rc = txn_commit(c, err);
	goto out;
rollback:
	txn_rollback(c);
out:
	sqlite3_clear_bindings(st);
	release(m, c);
	return rc;
}

/* --- mirror feed ---------------------------------------------------------- */

static int sq_feed_catch_up(struct meta *base, bool (*mirrored)(const char *repo, void *arg),
			    void *arg, long long *added, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	sqlite3_stmt *repos = c->st[ST_REPOS], *ins = c->st[ST_CATCH_UP];
	int rc = 0, step;

	*added = 0;
	if ((rc = txn_begin(c, err)) < 0)
		goto out;
	while ((step = sqlite3_step(repos)) == SQLITE_ROW) {
		const char *repo = (const char *)sqlite3_column_text(repos, 0);
		if (!mirrored(repo, arg))
			continue;
		sqlite3_bind_text(ins, 1, repo, -1, SQLITE_TRANSIENT);
		if ((rc = step_done(c, ins, "feed catch-up", err)) < 0)
			goto rollback;
		*added += sqlite3_changes(c->db);
	}
	if (step != SQLITE_DONE) {
		rc = db_err(err, c->db, "list repos");
		goto rollback;
	}
	st_done(repos);
	rc = txn_commit(c, err);
	goto out;
rollback:
	st_done(repos);
	txn_rollback(c);
out:
	sqlite3_clear_bindings(ins);
	release(m, c);
	return rc;
}

static int sq_feed_list(struct meta *base, long long after, int limit, struct feed_entry *out,
			int *n_out, int *more, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	sqlite3_stmt *st = c->st[ST_FEED_LIST];
	int rc = 0, n = 0, step;

	*more = 0;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit + 1);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			*more = 1;
			break;
		}
		out[n].seq = sqlite3_column_int64(st, 0);
		snprintf(out[n].oid, sizeof(out[n].oid), "%s", (const char *)sqlite3_column_text(st, 1));
		out[n].size = sqlite3_column_int64(st, 2);
		snprintf(out[n].time, sizeof(out[n].time), "%s", (const char *)sqlite3_column_text(st, 3));
		n++;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_err(err, c->db, "list feed");
	st_done(st);
	release(m, c);
	*n_out = n;
	return rc;
}

static int sq_feed_get(struct meta *base, const char *oid, long long *seq, long long *size,
		       struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	sqlite3_stmt *st = c->st[ST_FEED_GET];
	int rc = 0, step;

	sqlite3_bind_text(st, 1, oid, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		*size = sqlite3_column_int64(st, 1);
	} else if (step == SQLITE_DONE) {
		rc = err_set(err, ERR_NOTFOUND, "object not in the mirror feed");
	} else {
		rc = db_err(err, c->db, "feed lookup");
	}
	st_done(st);
	release(m, c);
	return rc;
}

/* --- operator views -------------------------------------------------------- */

/* Prepares sql on a pooled connection, binds text (if any) to ?1 and
 * int to ?2, and calls row for each row; row returning non-zero stops. */
static int view_query(struct sqlite_meta *m, const char *sql, const char *text, long long num,
		      int (*row)(sqlite3_stmt *st, void *arg), void *arg, struct err *err)
{
	struct conn *c = acquire(m);
	sqlite3_stmt *st = NULL;
	int rc = 0, step = SQLITE_DONE;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = db_err(err, c->db, "prepare");
		goto out;
	}
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, num);
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if (row(st, arg) != 0)
			break;
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_err(err, c->db, "operator query");
out:
	sqlite3_finalize(st);
	release(m, c);
	return rc;
}

static int row_two(sqlite3_stmt *st, void *arg)
{
	long long *v = arg;

	v[0] = sqlite3_column_int64(st, 0);
	v[1] = sqlite3_column_int64(st, 1);
	return 1;
}

static int sq_stored_totals(struct meta *base, long long *objects, long long *bytes, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	long long v[2] = { 0, 0 };
	/* An oid is the same bytes in every repo: count it once. */
	int rc = view_query(m, "SELECT count(*), coalesce(sum(size), 0) FROM "
			    "(SELECT max(size) AS size FROM journal GROUP BY oid)", NULL, 0, row_two, v, err);

	*objects = v[0];
	*bytes = v[1];
	return rc;
}

static int sq_feed_last_seq(struct meta *base, long long *seq, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	long long v[2] = { 0, 0 };
	int rc = view_query(m, "SELECT coalesce(max(seq), 0), 0 FROM feed", NULL, 0, row_two, v, err);

	*seq = v[0];
	return rc;
}

struct repo_walk {
	int (*fn)(const char *repo, long long objects, long long bytes, void *arg);
	void *arg;
	long long total;
};

static int row_repo(sqlite3_stmt *st, void *arg)
{
	struct repo_walk *w = arg;

	w->total = sqlite3_column_int64(st, 3);
	return w->fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
		     sqlite3_column_int64(st, 2), w->arg);
}

static int sq_repo_counts(struct meta *base, int limit,
			  int (*fn)(const char *repo, long long objects, long long bytes, void *arg),
			  void *arg, long long *total, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct repo_walk w = { fn, arg, 0 };
	int rc = view_query(m, "SELECT repo, count(*), sum(size), count(*) OVER () FROM journal "
			    "GROUP BY repo ORDER BY repo LIMIT ?2", NULL, limit, row_repo, &w, err);

	if (total)
		*total = w.total;
	return rc;
}

struct day_walk {
	int (*fn)(const char *day, long long count, void *arg);
	void *arg;
};

static int row_day(sqlite3_stmt *st, void *arg)
{
	struct day_walk *w = arg;

	return w->fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), w->arg);
}

static int sq_uploads_per_day(struct meta *base, const char *since_day,
			      int (*fn)(const char *day, long long count, void *arg), void *arg,
			      struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct day_walk w = { fn, arg };

	return view_query(m, "SELECT substr(time, 1, 10) AS day, count(*) FROM journal "
			  "WHERE time >= ?1 GROUP BY day ORDER BY day", since_day, 0, row_day, &w, err);
}

/* --- mirror checks -------------------------------------------------------- */

/* Runs a feed query with (mirror, max_seq[, before], limit) bound, filling
 * out with (seq, oid, size). */
static int mcheck_feed_query(struct sqlite_meta *m, const char *sql, const char *mirror, long long max_seq,
			     long long before, long long before2, int limit, struct feed_entry *out,
			     int *n_out, struct err *err)
{
	struct conn *c = acquire(m);
	sqlite3_stmt *st = NULL;
	int rc = 0, step = SQLITE_DONE, n = 0;

	*n_out = 0;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = db_err(err, c->db, "prepare");
		goto out;
	}
	sqlite3_bind_text(st, 1, mirror, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, max_seq);
	sqlite3_bind_int64(st, 3, before);
	sqlite3_bind_int(st, 4, limit);
	sqlite3_bind_int64(st, 5, before2);
	while (n < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
		out[n].seq = sqlite3_column_int64(st, 0);
		snprintf(out[n].oid, sizeof(out[n].oid), "%s", (const char *)sqlite3_column_text(st, 1));
		out[n].size = sqlite3_column_int64(st, 2);
		out[n].time[0] = '\0';
		n++;
	}
	if (n < limit && step != SQLITE_DONE)
		rc = db_err(err, c->db, "mirror check query");
	*n_out = n;
out:
	sqlite3_finalize(st);
	release(m, c);
	return rc;
}

static int sq_mcheck_unchecked(struct meta *base, const char *mirror, long long max_seq, int limit,
			       struct feed_entry *out, int *n_out, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	return mcheck_feed_query(m,
		"SELECT f.seq, f.oid, f.size FROM feed f WHERE f.seq <= ?2 AND NOT EXISTS "
		"(SELECT 1 FROM mirror_checks k WHERE k.mirror = ?1 AND k.seq = f.seq) "
		"ORDER BY f.seq DESC LIMIT ?4", mirror, max_seq, 0, 0, limit, out, n_out, err);
}

static int sq_mcheck_due(struct meta *base, const char *mirror, long long max_seq, long long good_before,
			 long long bad_before, int limit, struct feed_entry *out, int *n_out,
			 struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	return mcheck_feed_query(m,
		"SELECT f.seq, f.oid, f.size FROM mirror_checks k JOIN feed f ON f.seq = k.seq "
		"WHERE k.mirror = ?1 AND k.seq <= ?2 AND "
		"((k.ok = 1 AND k.checked_at < ?3) OR (k.ok = 0 AND k.checked_at < ?5)) "
		"ORDER BY k.checked_at LIMIT ?4", mirror, max_seq, good_before, bad_before, limit,
		out, n_out, err);
}

static int sq_mcheck_record(struct meta *base, const char *mirror, long long seq, bool ok,
			    const char *error, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO mirror_checks (mirror, seq, ok, checked_at, error) "
			       "VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK) {
		rc = db_err(err, c->db, "prepare");
		goto out;
	}
	sqlite3_bind_text(st, 1, mirror, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int(st, 3, ok ? 1 : 0);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 5, error ? error : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(err, c->db, "record mirror check");
out:
	sqlite3_finalize(st);
	release(m, c);
	return rc;
}

static int sq_mcheck_get(struct meta *base, const char *mirror, long long seq, bool *ok,
			 struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	sqlite3_stmt *st = NULL;
	int rc, step;

	if (sqlite3_prepare_v2(c->db, "SELECT ok FROM mirror_checks WHERE mirror = ?1 AND seq = ?2",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = db_err(err, c->db, "prepare");
		goto out;
	}
	sqlite3_bind_text(st, 1, mirror, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		*ok = sqlite3_column_int(st, 0) != 0;
		rc = 0;
	} else if (step == SQLITE_DONE) {
		rc = err_set(err, ERR_NOTFOUND, "no verdict");
	} else {
		rc = db_err(err, c->db, "mirror check");
	}
out:
	sqlite3_finalize(st);
	release(m, c);
	return rc;
}

static int sq_mcheck_each(struct meta *base, const char *mirror, long long since,
			  int (*fn)(const struct mirror_check *c, void *arg), void *arg, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	sqlite3_stmt *st = NULL;
	struct mirror_check mc;
	int rc = 0, step;

	if (sqlite3_prepare_v2(c->db, "SELECT k.seq, f.oid, f.size, k.ok, k.checked_at, k.error "
			       "FROM mirror_checks k JOIN feed f ON f.seq = k.seq "
			       "WHERE k.mirror = ?1 AND k.checked_at >= ?2 ORDER BY k.seq", -1, &st, NULL) != SQLITE_OK) {
		rc = db_err(err, c->db, "prepare");
		goto out;
	}
	sqlite3_bind_text(st, 1, mirror, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		mc.seq = sqlite3_column_int64(st, 0);
		snprintf(mc.oid, sizeof(mc.oid), "%s", (const char *)sqlite3_column_text(st, 1));
		mc.size = sqlite3_column_int64(st, 2);
		mc.ok = sqlite3_column_int(st, 3) != 0;
		mc.checked_at = sqlite3_column_int64(st, 4);
		snprintf(mc.error, sizeof(mc.error), "%s", (const char *)sqlite3_column_text(st, 5));
		if (fn(&mc, arg) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_err(err, c->db, "mirror checks");
out:
	sqlite3_finalize(st);
	release(m, c);
	return rc;
}

/* --- login throttle ---------------------------------------------------------- */

static int throttle_read(struct conn *c, char kind, const char *key,
			 struct meta_throttle_row *row, struct err *err)
{
	sqlite3_stmt *st = NULL;
	char k[2] = { kind, '\0' };
	int rc = 0, step;

	memset(row, 0, sizeof(*row));
	if (sqlite3_prepare_v2(c->db, "SELECT failures, window_start, locked_until, last "
			       "FROM throttle WHERE kind = ?1 AND key = ?2", -1, &st, NULL) != SQLITE_OK)
		return db_err(err, c->db, "prepare");
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row->failures = sqlite3_column_int64(st, 0);
		row->window_start = sqlite3_column_int64(st, 1);
		row->locked_until = sqlite3_column_int64(st, 2);
		row->last = sqlite3_column_int64(st, 3);
	} else if (step != SQLITE_DONE) {
		rc = db_err(err, c->db, "throttle read");
	}
	sqlite3_finalize(st);
	return rc;
}

static int throttle_write(struct conn *c, char kind, const char *key,
			  const struct meta_throttle_row *row, long long prune_before, struct err *err)
{
	sqlite3_stmt *st = NULL;
	char k[2] = { kind, '\0' };
	int rc;

	if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO throttle (kind, key, failures, "
			       "window_start, locked_until, last) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_err(err, c->db, "prepare");
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, row->failures);
	sqlite3_bind_int64(st, 4, row->window_start);
	sqlite3_bind_int64(st, 5, row->locked_until);
	sqlite3_bind_int64(st, 6, row->last);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(err, c->db, "throttle write");
	sqlite3_finalize(st);
	if (rc < 0 || prune_before <= 0)
		return rc;
	if (sqlite3_prepare_v2(c->db, "DELETE FROM throttle WHERE last < ?1", -1, &st, NULL) != SQLITE_OK)
		return db_err(err, c->db, "prepare");
	sqlite3_bind_int64(st, 1, prune_before);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_err(err, c->db, "throttle prune");
	sqlite3_finalize(st);
	return rc;
}

static int sq_throttle_update(struct meta *base, char kind, const char *key, long long prune_before,
			      bool (*update)(struct meta_throttle_row *row, void *arg), void *arg,
			      struct meta_throttle_row *out, struct err *err)
{
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c = acquire(m);
	struct meta_throttle_row row;
	int rc;

	if (!update) {
		rc = throttle_read(c, kind, key, &row, err);
		goto out;
	}
	if ((rc = txn_begin(c, err)) < 0)
		goto out;
	if ((rc = throttle_read(c, kind, key, &row, err)) < 0 ||
	    (update(&row, arg) && (rc = throttle_write(c, kind, key, &row, prune_before, err)) < 0)) {
		txn_rollback(c);
		goto out;
	}
	rc = txn_commit(c, err);
out:
	release(m, c);
	if (rc == 0 && out)
		*out = row;
	return rc;
}

static int sq_open(struct meta **out, const struct config *cfg, int pool_size, struct err *err)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/meta.db", cfg->data);
	return meta_open(out, path, pool_size, err);
}

const struct meta_ops meta_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.repo_sizes = sq_repo_sizes,
	.add_object = sq_add_object,
	.stored_totals = sq_stored_totals,
	.feed_last_seq = sq_feed_last_seq,
	.repo_counts = sq_repo_counts,
	.uploads_per_day = sq_uploads_per_day,
	.feed_catch_up = sq_feed_catch_up,
	.feed_list = sq_feed_list,
	.feed_get = sq_feed_get,
	.lock_create = sq_lock_create,
	.lock_list = sq_lock_list,
	.lock_delete = sq_lock_delete,
	.mcheck_unchecked = sq_mcheck_unchecked,
	.mcheck_due = sq_mcheck_due,
	.mcheck_record = sq_mcheck_record,
	.mcheck_each = sq_mcheck_each,
	.mcheck_get = sq_mcheck_get,
	.throttle_update = sq_throttle_update,
};

/* --- read-only access for the tools (meta.h) ------------------------------ */

/* How long meta_backup waits for a lock on the source before giving up:
 * the server holds write locks for milliseconds, and WAL lets readers in
 * anyway. */
#define BACKUP_BUSY_TRIES 100
#define BACKUP_BUSY_SLEEP_MS 100

struct meta_reader {
	char *path;            /* DATA/meta.db, for messages */
	sqlite3 *db;
	sqlite3_stmt *feed;    /* kept: lfs-mirror pages through the feed */
	sqlite3_stmt *has_oid; /* kept: fsck asks once per orphan */
};

static int reader_err(struct meta_reader *r, struct err *err)
{
	return err_set(err, ERR_IO, "%s: %s", r->path, sqlite3_errmsg(r->db));
}

int meta_reader_open(struct meta_reader **out, const char *data_dir, struct err *err)
{
	char path[4096];
	struct stat st;
	struct meta_reader *r;
	int persist = 1;

	snprintf(path, sizeof(path), "%s/meta.db", data_dir);
	if (stat(path, &st) < 0)
		return err_set_errno(err, ERR_IO, "'%s' is not an lfs-server data dir: cannot stat '%s'",
				     data_dir, path);
	if (!(r = calloc(1, sizeof(*r))) || !(r->path = strdup(path))) {
		free(r);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	/* Not SQLITE_OPEN_READONLY: a read-only connection to a WAL database
	 * that no server has open creates meta.db-wal and -shm and cannot
	 * remove them, leaving files owned by whoever ran us (root, say) that
	 * the server may then be unable to open.  A read-write connection
	 * removes them at close; query_only makes sure it never writes. */
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(r->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = err_set(err, ERR_IO, "'%s': %s", path, r->db ? sqlite3_errmsg(r->db) : "out of memory");
		sqlite3_close(r->db);
		free(r->path);
		free(r);
		return rc;
	}
	sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
	/* The server keeps -wal and -shm (a full disk could not make them
	 * again); leave them as we found them.  And no checkpoint when we
	 * close: it would write meta.db, which a reader (a backup of a
	 * stopped server's dir, say) must not; the server checkpoints. */
	snprintf(path, sizeof(path), "%s/meta.db-wal", data_dir);
	if (stat(path, &st) == 0) {
		sqlite3_file_control(r->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
		sqlite3_db_config(r->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	}
	*out = r;
	return 0;
}

int meta_reader_close(struct meta_reader *r, struct err *err)
{
	int rc = 0;

	if (!r)
		return 0;
	sqlite3_finalize(r->feed);
	sqlite3_finalize(r->has_oid);
	if (sqlite3_close(r->db) != SQLITE_OK) {
		rc = err_set(err, ERR_IO, "cannot close '%s': %s", r->path, sqlite3_errmsg(r->db));
		sqlite3_close_v2(r->db);
	}
	free(r->path);
	free(r);
	return rc;
}

int meta_reader_begin(struct meta_reader *r, struct err *err)
{
	return sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : reader_err(r, err);
}

void meta_reader_end(struct meta_reader *r)
{
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
}

/* Steps st to the end; fn sees each row.  Resets st (kept statements). */
static int reader_walk(struct meta_reader *r, sqlite3_stmt *st,
		       int (*row)(sqlite3_stmt *st, void *ctx), void *ctx, struct err *err)
{
	int step, rc = 0;

	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = row(st, ctx)) != 0)
			break;
	if (rc == 0 && step != SQLITE_DONE)
		rc = reader_err(r, err);
	sqlite3_reset(st);
	return rc < 0 ? rc : 0;
}

static int reader_prepare(struct meta_reader *r, sqlite3_stmt **st, const char *sql, struct err *err)
{
	if (*st)
		return 0;
	return sqlite3_prepare_v2(r->db, sql, -1, st, NULL) == SQLITE_OK ? 0 : reader_err(r, err);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

struct journal_walk {
	int (*fn)(const struct meta_journal_row *row, void *arg);
	void *arg;
};

static int journal_row(sqlite3_stmt *st, void *ctx)
{
	struct journal_walk *w = ctx;
	struct meta_journal_row row = {
		.seq = sqlite3_column_int64(st, 0), .time = col_text(st, 1), .repo = col_text(st, 2),
		.user = col_text(st, 3), .size = sqlite3_column_int64(st, 4), .oid = col_text(st, 5),
	};
	return w->fn(&row, w->arg);
}

int meta_reader_journal(struct meta_reader *r, const char *since, const char *repo,
			int (*fn)(const struct meta_journal_row *row, void *arg), void *arg,
			struct err *err)
{
	struct journal_walk w = { fn, arg };
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = reader_prepare(r, &st, "SELECT seq, time, repo, user, size, oid FROM journal "
				 "WHERE (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR repo = ?2) ORDER BY seq",
				 err)) < 0)
		return rc;
	if (since)
		sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
	if (repo)
		sqlite3_bind_text(st, 2, repo, -1, SQLITE_STATIC);
	rc = reader_walk(r, st, journal_row, &w, err);
	sqlite3_finalize(st);
	return rc;
}

struct feed_walk {
	int (*fn)(long long seq, const char *oid, long long size, void *arg);
	void *arg;
};

static int feed_row(sqlite3_stmt *st, void *ctx)
{
	struct feed_walk *w = ctx;
	return w->fn(sqlite3_column_int64(st, 0), col_text(st, 1), sqlite3_column_int64(st, 2), w->arg);
}

int meta_reader_feed(struct meta_reader *r, long long after, long long limit,
		     int (*fn)(long long seq, const char *oid, long long size, void *arg), void *arg,
		     struct err *err)
{
	struct feed_walk w = { fn, arg };
	int rc;

	if ((rc = reader_prepare(r, &r->feed, "SELECT seq, oid, size FROM feed WHERE seq > ?1 "
				 "ORDER BY seq LIMIT ?2", err)) < 0)
		return rc;
	sqlite3_bind_int64(r->feed, 1, after);
	sqlite3_bind_int64(r->feed, 2, limit);
	return reader_walk(r, r->feed, feed_row, &w, err);
}

struct objects_walk {
	int (*fn)(const char *oid, long long size, void *arg);
	void *arg;
};

static int objects_row(sqlite3_stmt *st, void *ctx)
{
	struct objects_walk *w = ctx;
	return w->fn(col_text(st, 0), sqlite3_column_int64(st, 1), w->arg);
}

int meta_reader_objects(struct meta_reader *r,
			int (*fn)(const char *oid, long long size, void *arg), void *arg,
			struct err *err)
{
	struct objects_walk w = { fn, arg };
	sqlite3_stmt *st = NULL;
	int rc;

	/* The feed lists only journal oids; the union keeps a broken file honest. */
	if ((rc = reader_prepare(r, &st, "SELECT oid, size FROM journal UNION "
				 "SELECT oid, size FROM feed ORDER BY 1", err)) < 0)
		return rc;
	rc = reader_walk(r, st, objects_row, &w, err);
	sqlite3_finalize(st);
	return rc;
}

struct repos_walk {
	int (*fn)(const char *repo, long long objects, long long bytes, void *arg);
	void *arg;
};

static int repos_row(sqlite3_stmt *st, void *ctx)
{
	struct repos_walk *w = ctx;
	return w->fn(col_text(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), w->arg);
}

int meta_reader_repos(struct meta_reader *r,
		      int (*fn)(const char *repo, long long objects, long long bytes, void *arg),
		      void *arg, struct err *err)
{
	struct repos_walk w = { fn, arg };
	sqlite3_stmt *st = NULL;
	int rc;

	/* (repo, oid) is unique: count(*) is the repo's objects. */
	if ((rc = reader_prepare(r, &st, "SELECT repo, count(*), sum(size) FROM journal GROUP BY repo "
				 "ORDER BY repo COLLATE BINARY", err)) < 0)
		return rc;
	rc = reader_walk(r, st, repos_row, &w, err);
	sqlite3_finalize(st);
	return rc;
}

int meta_reader_has_oid(struct meta_reader *r, const char *oid, bool *found, struct err *err)
{
	int rc, step;

	if ((rc = reader_prepare(r, &r->has_oid, "SELECT 1 FROM journal WHERE oid = ?1 LIMIT 1", err)) < 0)
		return rc;
	sqlite3_bind_text(r->has_oid, 1, oid, -1, SQLITE_TRANSIENT);
	step = sqlite3_step(r->has_oid);
	*found = step == SQLITE_ROW;
	rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : reader_err(r, err);
	sqlite3_reset(r->has_oid);
	return rc;
}

static int reader_count(struct meta_reader *r, const char *sql, long long *out, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		rc = reader_err(r, err);
	else
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int meta_reader_counts(struct meta_reader *r, struct meta_counts *out, struct err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	/* One read transaction: the counts agree with each other. */
	if ((rc = meta_reader_begin(r, err)) < 0)
		return rc;
	if ((rc = reader_count(r, "PRAGMA user_version", &out->schema, err)) == 0 &&
	    (rc = reader_count(r, "SELECT count(DISTINCT repo) FROM journal", &out->repos, err)) == 0 &&
	    (rc = reader_count(r, "SELECT count(*) FROM journal", &out->journal, err)) == 0 &&
	    (rc = reader_count(r, "SELECT count(*) FROM feed", &out->feed, err)) == 0)
		rc = reader_count(r, "SELECT count(*) FROM locks", &out->locks, err);
	meta_reader_end(r);
	return rc;
}

int meta_reader_check(struct meta_reader *r, int (*fn)(const char *msg, void *arg), void *arg,
		      struct err *err)
{
	sqlite3_stmt *st = NULL;
	char msg[512];
	int step, rc = 0;

	if (sqlite3_prepare_v2(r->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return reader_err(r, err);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);
		if (m && strcmp(m, "ok") != 0 && (rc = fn(m, arg)) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE) {
		snprintf(msg, sizeof(msg), "integrity_check failed: %s", sqlite3_errmsg(r->db));
		rc = fn(msg, arg);
	}
	return rc < 0 ? rc : 0;
}

int meta_backup(const char *data_dir, const char *dest_dir, struct err *err)
{
	char path[4200];
	struct meta_reader *src = NULL;
	sqlite3 *dst = NULL;
	sqlite3_backup *bk;
	int rc, step, tries = 0;

	if ((rc = meta_reader_open(&src, data_dir, err)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/meta.db", dest_dir);
	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_IO, "cannot create '%s': %s", path, dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if (!(bk = sqlite3_backup_init(dst, "main", src->db, "main"))) {
		rc = err_set(err, ERR_IO, "cannot back up '%s': %s", src->path, sqlite3_errmsg(dst));
		goto out;
	}
	/* -1: every page in one step, so in one read transaction on the source. */
	while ((step = sqlite3_backup_step(bk, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED) {
		if (++tries >= BACKUP_BUSY_TRIES)
			break;
		sqlite3_sleep(BACKUP_BUSY_SLEEP_MS);
	}
	sqlite3_backup_finish(bk);
	if (step != SQLITE_DONE) {
		rc = err_set(err, step == SQLITE_FULL ? ERR_NOSPACE : ERR_IO, "cannot back up '%s': %s",
			     src->path, sqlite3_errstr(step));
		goto out;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		rc = err_set(err, ERR_IO, "cannot close '%s': %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	dst = NULL;
out:
	sqlite3_close(dst);
	meta_reader_close(src, NULL);
	return rc;
}

/* --- bulk import (lfs-admin import) ---------------------------------------- */

int meta_sqlite_import(struct meta *base, const struct meta_import_row *rows, size_t n,
		       const char *user, long long *added, struct err *err)
{
	long long new_rows = 0;
	struct sqlite_meta *m = (struct sqlite_meta *)base;
	struct conn *c;
	sqlite3_stmt *ins, *feed;
	int rc = 0;

	if (!base || base->ops != &meta_sqlite_ops)
		return err_set(err, ERR_INVALID, "bulk import needs the sqlite metadata backend");
	if (added)
		*added = 0;
	if (n == 0)
		return 0;
	c = acquire(m);
	ins = c->st[ST_INSERT];
	feed = c->st[ST_FEED_INSERT];
	if ((rc = txn_begin(c, err)) < 0)
		goto out;
	/* The same statements as one add_object each, in one transaction:
	 * one commit (and one fsync of the WAL) for the whole batch. */
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_bind_text(ins, 1, rows[i].repo, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, rows[i].oid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 3, rows[i].size);
		sqlite3_bind_text(ins, 4, user ? user : "", -1, SQLITE_STATIC);
		rc = step_done(c, ins, "insert", err);
		if (rc == 0)
			new_rows += sqlite3_changes(c->db);
		if (rc == 0 && rows[i].mirrored) {
			sqlite3_bind_text(feed, 1, rows[i].oid, -1, SQLITE_STATIC);
			sqlite3_bind_int64(feed, 2, rows[i].size);
			rc = step_done(c, feed, "feed insert", err);
		}
	}
	if (rc < 0)
		txn_rollback(c);
	else
		rc = txn_commit(c, err);
	if (rc == 0 && added)
		*added = new_rows;
out:
	sqlite3_clear_bindings(ins);
	sqlite3_clear_bindings(feed);
	release(m, c);
	return rc;
}
