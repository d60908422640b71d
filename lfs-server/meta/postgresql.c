/* meta/postgresql: the PostgreSQL metadata backend (meta.type =
 * postgresql, meta.url a libpq connection string), for several servers
 * sharing one database.  Same contract as sqlite.c (meta.h); what differs:
 *
 *  - Journal and feed numbers come from a one-row-per-name counters
 *    table, bumped inside the transaction that inserts the row.  The row
 *    lock on the counter is held to commit, so number N+1 is handed out
 *    only after N has committed (or rolled back and been given again):
 *    a reader never sees N+1 before N.  A sequence would not do that.
 *  - A lost or unreachable database is ERR_BUSY (503 + Retry-After); the
 *    connection is reset on its next use.  A write is acknowledged only
 *    when its COMMIT returned OK.
 *  - Migrations run under pg_advisory_xact_lock, so servers starting
 *    together migrate once. */
#include "meta/meta.h"

#include <libpq-fe.h>
#include <openssl/rand.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "log.h"

/* The advisory lock key of schema migrations ("lfs-meta" in ASCII). */
#define MIGRATE_LOCK_KEY "7812726633312122977"
/* Defaults meta.url may override: seconds to wait for a connection, and
 * how soon a dead peer (no RST: a partition, a host gone) fails a query
 * instead of holding a pooled connection for the kernel's 15 minutes. */
#define CONNECT_TIMEOUT "5"
#define TCP_USER_TIMEOUT_MS "20000"
#define KEEPALIVES_IDLE "30"
/* Seconds between reconnect attempts of one pooled connection. */
#define RECONNECT_INTERVAL 1

#define NOW "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Every statement, prepared once per connection (again after a reset). */
enum {
	ST_LOOKUP, ST_EXISTS, ST_HOLD, ST_BUMP, ST_INSERT, ST_FEED_HAS, ST_FEED_INSERT,
	ST_LOCK_BY_PATH, ST_LOCK_BY_ID, ST_LOCK_INSERT, ST_LOCK_LIST, ST_LOCK_DELETE,
	ST_FEED_LIST, ST_FEED_GET,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	/* Every oid of a batch at once: the rows held, by position. */
	[ST_LOOKUP] = "SELECT o.i, j.size, f.seq FROM unnest($2::text[]) WITH ORDINALITY AS o(oid, i) "
		      "JOIN journal j ON j.repo = $1 AND j.oid = o.oid "
		      "LEFT JOIN feed f ON f.oid = j.oid",
	[ST_EXISTS] = "SELECT 1 FROM journal WHERE repo = $1 AND oid = $2",
	/* Both lock the counter row to the end of the transaction: numbers
	 * are handed out in commit order. */
	[ST_HOLD] = "SELECT value FROM counters WHERE name = $1 FOR UPDATE",
	[ST_BUMP] = "UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value",
	[ST_INSERT] = "INSERT INTO journal (seq, repo, oid, size, username, time) "
		      "SELECT $1, $2, $3, $4, $5, " NOW " "
		      "WHERE NOT EXISTS (SELECT 1 FROM journal WHERE repo = $2 AND oid = $3)",
	[ST_FEED_HAS] = "SELECT 1 FROM feed WHERE oid = $1",
	[ST_FEED_INSERT] = "INSERT INTO feed (seq, oid, size, time) VALUES ($1, $2, $3, " NOW ")",
	[ST_LOCK_BY_PATH] = "SELECT id, path, owner, locked_at FROM locks WHERE repo = $1 AND path = $2",
	[ST_LOCK_BY_ID] = "SELECT id, path, owner, locked_at FROM locks WHERE repo = $1 AND id = $2 "
			  "FOR UPDATE",
	[ST_LOCK_INSERT] = "INSERT INTO locks (id, repo, path, owner, locked_at) VALUES "
			   "($1, $2, $3, $4, " NOW ") ON CONFLICT (repo, path) DO NOTHING "
			   "RETURNING locked_at",
	[ST_LOCK_LIST] = "SELECT id, path, owner, locked_at FROM locks WHERE repo = $1 "
			 "AND ($2::text IS NULL OR path = $2) AND ($3::text IS NULL OR id = $3) "
			 "AND id > $4 ORDER BY id LIMIT $5",
	[ST_LOCK_DELETE] = "DELETE FROM locks WHERE id = $1",
	[ST_FEED_LIST] = "SELECT seq, oid, size, time FROM feed WHERE seq > $1 ORDER BY seq LIMIT $2",
	[ST_FEED_GET] = "SELECT seq, size FROM feed WHERE oid = $1",
};

/* Schema migrations, numbered as sqlite.c's: migrations[i] takes the
 * database from version i to i + 1 in one transaction.  Append, never
 * edit a shipped step.  Text is COLLATE "C": bytewise, as SQLite orders
 * lock ids and repo names, whatever the database's locale. */
static const char *const migrations[] = {
	/* 0 -> 1: repo membership and upload journal, and the counters that
	 * number it (see the top of this file) */
	"CREATE TABLE counters ("
	"  name text COLLATE \"C\" PRIMARY KEY,"
	"  value bigint NOT NULL);"
	"INSERT INTO counters VALUES ('journal', 0), ('feed', 0);"
	"CREATE TABLE journal ("
	"  seq bigint PRIMARY KEY,"
	"  repo text COLLATE \"C\" NOT NULL,"
	"  oid text COLLATE \"C\" NOT NULL,"
	"  size bigint NOT NULL CHECK (size >= 0),"
	"  username text NOT NULL,"
	"  time text NOT NULL,"
	"  UNIQUE (repo, oid));"
	"CREATE INDEX journal_by_oid ON journal (oid);",
	/* 1 -> 2: file locks */
	"CREATE TABLE locks ("
	"  id text COLLATE \"C\" PRIMARY KEY,"
	"  repo text COLLATE \"C\" NOT NULL,"
	"  path text COLLATE \"C\" NOT NULL,"
	"  owner text NOT NULL,"
	"  locked_at text NOT NULL,"
	"  UNIQUE (repo, path));"
	"CREATE INDEX locks_by_repo ON locks (repo, id);",
	/* 2 -> 3: the mirror feed */
	"CREATE TABLE feed ("
	"  seq bigint PRIMARY KEY,"
	"  oid text COLLATE \"C\" NOT NULL UNIQUE,"
	"  size bigint NOT NULL,"
	"  time text NOT NULL);",
	/* 3 -> 4: the server's verdicts on mirror copies (core/mcheck.h) */
	"CREATE TABLE mirror_checks ("
	"  mirror text COLLATE \"C\" NOT NULL,"
	"  seq bigint NOT NULL,"
	"  ok integer NOT NULL,"
	"  checked_at bigint NOT NULL,"
	"  error text NOT NULL DEFAULT '',"
	"  PRIMARY KEY (mirror, seq));"
	"CREATE INDEX mirror_checks_by_time ON mirror_checks (mirror, checked_at);",
	/* 4 -> 5: the shared login throttle (meta_throttle_update) */
	"CREATE TABLE throttle ("
	"  kind text COLLATE \"C\" NOT NULL,"
	"  key text COLLATE \"C\" NOT NULL,"
	"  failures bigint NOT NULL DEFAULT 0,"
	"  window_start bigint NOT NULL DEFAULT 0,"
	"  locked_until bigint NOT NULL DEFAULT 0,"
	"  last bigint NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (kind, key));"
	"CREATE INDEX throttle_by_last ON throttle (last);",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

struct conn {
	PGconn *pg;
	bool prepared; /* the statements exist on this session */
	time_t failed_at; /* the last failed reconnect, 0 = none */
	char failure[160]; /* and why */
	struct conn *next;
};

struct pg_meta {
	struct meta base;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct conn *idle;
	int n;
	struct conn **every; /* all n connections, for close */
	char *url;
};

/* --- errors ---------------------------------------------------------------- */

/* Keeps the first line of a libpq message (the rest are hints and
 * detail, tab-indented). */
static int pg_fail(struct err *err, int code, const char *what, const char *msg)
{
	size_t n = strcspn(msg, "\n");

	return err_set(err, code, "%s: %.*s", what, (int)n, msg);
}

/* The code a failure stands for: a lost or refused connection, a server
 * shutting down or out of connections, a deadlock or serialisation
 * failure are passing (ERR_BUSY, 503 + Retry-After); a full disk is
 * ERR_NOSPACE; the rest ERR_IO. */
static int classify(PGconn *pg, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(pg) != CONNECTION_OK || !state)
		return ERR_BUSY;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    strcmp(state, "53300") == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
		return ERR_BUSY;
	if (strcmp(state, "53100") == 0)
		return ERR_NOSPACE;
	return ERR_IO;
}

static int res_fail(struct conn *c, PGresult *res, const char *what, struct err *err)
{
	int code = classify(c->pg, res);
	const char *msg = res ? PQresultErrorMessage(res) : "";

	if (!*msg)
		msg = PQerrorMessage(c->pg);
	if (code == ERR_BUSY)
		return pg_fail(err, code, "metadata database unavailable", msg);
	return pg_fail(err, code, what, msg);
}

/* --- connections ------------------------------------------------------------ */

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Connects to url; connect_timeout and client_encoding are defaults the
 * string may override (expand_dbname: its keywords win). */
static PGconn *pg_connect(const char *url)
{
	const char *const keys[] = { "connect_timeout", "tcp_user_timeout", "keepalives_idle",
				     "keepalives_interval", "keepalives_count", "client_encoding",
				     "application_name", "dbname", NULL };
	const char *const vals[] = { CONNECT_TIMEOUT, TCP_USER_TIMEOUT_MS, KEEPALIVES_IDLE, "5", "3",
				     "UTF8", "lfs-server", url, NULL };
	PGconn *pg = PQconnectdbParams(keys, vals, 1);

	if (pg)
		PQsetNoticeProcessor(pg, quiet, NULL);
	return pg;
}

/* Runs sql (no parameters) and wants status; 0 or an error. */
static int exec_ok(struct conn *c, const char *sql, ExecStatusType want, const char *what,
		   struct err *err)
{
	PGresult *res = PQexec(c->pg, sql);
	int rc = 0;

	if (!res || PQresultStatus(res) != want)
		rc = res_fail(c, res, what, err);
	PQclear(res);
	return rc;
}

static int prepare_all(struct conn *c, struct err *err)
{
	char name[16];

	for (int i = 0; i < ST_COUNT; i++) {
		PGresult *res;
		int rc = 0;
		snprintf(name, sizeof(name), "s%d", i);
		res = PQprepare(c->pg, name, stmt_sql[i], 0, NULL);
		if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = res_fail(c, res, "prepare", err);
		PQclear(res);
		if (rc < 0)
			return rc;
	}
	c->prepared = true;
	return 0;
}

/* Makes c usable: a session the server ended (restart, idle kill) is
 * noticed here without a round trip and reset; statements are prepared
 * again.  PQconsumeInput reads what is pending without blocking: the
 * server's goodbye message first, its EOF on the second call. */
static int conn_ready(struct conn *c, struct err *err)
{
	if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE &&
	    PQconsumeInput(c->pg) == 1 && PQconsumeInput(c->pg) == 1 &&
	    PQstatus(c->pg) == CONNECTION_OK)
		return c->prepared ? 0 : prepare_all(c, err);
	c->prepared = false;
	/* While the database is away, one attempt per connection and second:
	 * requests fail fast instead of each waiting out connect_timeout. */
	if (c->failed_at && time(NULL) - c->failed_at < RECONNECT_INTERVAL)
		return err_set(err, ERR_BUSY, "metadata database unavailable: %s", c->failure);
	PQreset(c->pg);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(c->pg);
		c->failed_at = time(NULL);
		snprintf(c->failure, sizeof(c->failure), "%.*s", (int)strcspn(msg, "\n"), msg);
		return pg_fail(err, ERR_BUSY, "metadata database unavailable", msg);
	}
	c->failed_at = 0;
	PQsetNoticeProcessor(c->pg, quiet, NULL);
	log_info("metadata database: reconnected");
	return prepare_all(c, err);
}

static struct conn *acquire(struct pg_meta *m)
{
	struct conn *c;

	pthread_mutex_lock(&m->mu);
	while (!m->idle)
		pthread_cond_wait(&m->cv, &m->mu);
	c = m->idle;
	m->idle = c->next;
	pthread_mutex_unlock(&m->mu);
	return c;
}

static void release(struct pg_meta *m, struct conn *c)
{
	/* A transaction left open by a failure must not reach the next user. */
	if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	pthread_mutex_lock(&m->mu);
	c->next = m->idle;
	m->idle = c;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

/* acquire + conn_ready: a connection ready for statements, or an error
 * (ERR_BUSY when the database is away). */
static int get_conn(struct pg_meta *m, struct conn **out, struct err *err)
{
	struct conn *c = acquire(m);
	int rc = conn_ready(c, err);

	if (rc < 0) {
		release(m, c);
		return rc;
	}
	*out = c;
	return 0;
}

/* A statement's result: *out gets it (or it is freed) when its status is
 * want; anything else is the error res_fail describes. */
static int take_result(struct conn *c, PGresult *res, ExecStatusType want, PGresult **out,
		       const char *what, struct err *err)
{
	if (!res || PQresultStatus(res) != want) {
		int rc = res_fail(c, res, what, err);
		PQclear(res);
		return rc;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return 0;
}

/* Runs prepared statement which with n text parameters (NULL = SQL NULL);
 * *out gets the result when it has status want. */
static int run(struct conn *c, int which, int n, const char *const *params, ExecStatusType want,
	       PGresult **out, const char *what, struct err *err)
{
	char name[16];
	PGresult *res;

	snprintf(name, sizeof(name), "s%d", which);
	res = PQexecPrepared(c->pg, name, n, params, NULL, NULL, 0);
	return take_result(c, res, want, out, what, err);
}

/* An ad-hoc parameterised query (operator views, mirror checks). */
static int query(struct conn *c, const char *sql, int n, const char *const *params,
		 ExecStatusType want, PGresult **out, const char *what, struct err *err)
{
	PGresult *res = PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0);

	return take_result(c, res, want, out, what, err);
}

static int txn_begin(struct conn *c, struct err *err)
{
	return exec_ok(c, "BEGIN", PGRES_COMMAND_OK, "begin", err);
}

static void txn_rollback(struct conn *c)
{
	if (PQstatus(c->pg) == CONNECTION_OK)
		PQclear(PQexec(c->pg, "ROLLBACK"));
}

/* Only an OK answer to COMMIT counts: a connection lost on the way is an
 * error (the write may or may not be there; every write here is safe to
 * repeat). */
static int txn_commit(struct conn *c, struct err *err)
{
	int rc = exec_ok(c, "COMMIT", PGRES_COMMAND_OK, "commit", err);

	if (rc < 0)
		txn_rollback(c);
	return rc;
}

static long long num(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void copy(char *dst, size_t n, const PGresult *res, int row, int col)
{
	snprintf(dst, n, "%s", PQgetvalue(res, row, col));
}

/* --- schema ----------------------------------------------------------------- */

/* The schema version, or -1 when the database has none yet. */
static int read_version(struct conn *c, int *v, struct err *err)
{
	PGresult *res = NULL;
	int rc = query(c, "SELECT to_regclass('schema_version') IS NOT NULL", 0, NULL, PGRES_TUPLES_OK,
		       &res, "schema version", err);

	if (rc == 0 && strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		*v = -1;
	} else if (rc == 0) {
		PQclear(res);
		res = NULL;
		if ((rc = query(c, "SELECT coalesce(max(version), 0) FROM schema_version", 0, NULL,
				PGRES_TUPLES_OK, &res, "schema version", err)) == 0)
			*v = (int)num(res, 0, 0);
	}
	PQclear(res);
	return rc;
}

static int migrate(struct conn *c, struct err *err)
{
	struct err why = ERR_INIT;
	char bump[80];
	int v = -1, from, to = 0, rc;

	/* Current already: nothing is written (and no lock taken). */
	if ((rc = read_version(c, &v, err)) < 0)
		return rc;
	if (v == SCHEMA_VERSION)
		return 0;
	if (v > SCHEMA_VERSION)
		goto newer;
	/* The steps this server applied (others may have done some). */
	from = -1;
	for (;;) {
		if ((rc = txn_begin(c, err)) < 0)
			return rc;
		/* One server migrates; the others wait here and then find the
		 * work done. */
		if ((rc = exec_ok(c, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", PGRES_TUPLES_OK,
				  "migration lock", err)) < 0 ||
		    (rc = exec_ok(c, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)",
				  PGRES_COMMAND_OK, "schema_version", err)) < 0 ||
		    (rc = exec_ok(c, "INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS "
				  "(SELECT 1 FROM schema_version)", PGRES_COMMAND_OK, "schema_version", err)) < 0 ||
		    (rc = read_version(c, &v, err)) < 0)
			goto fail;
		if (v > SCHEMA_VERSION) {
			txn_rollback(c);
			goto newer;
		}
		if (v == SCHEMA_VERSION) {
			/* The table may be new: commit it (one empty step). */
			if ((rc = txn_commit(c, err)) < 0)
				return rc;
			break;
		}
		snprintf(bump, sizeof(bump), "UPDATE schema_version SET version = %d", v + 1);
		if ((rc = exec_ok(c, migrations[v], PGRES_COMMAND_OK, "migration", &why)) < 0 ||
		    (rc = exec_ok(c, bump, PGRES_COMMAND_OK, "migration", &why)) < 0) {
			err_set(err, rc, "metadata database: migration to schema version %d failed: %s",
				v + 1, why.msg);
			goto fail;
		}
		if ((rc = txn_commit(c, err)) < 0)
			return rc;
		if (from < 0)
			from = v;
		to = v + 1;
	}
	/* A new database is no news; an upgraded one is. */
	if (from > 0)
		log_info("metadata database: schema migrated from version %d to %d", from, to);
	return 0;
fail:
	txn_rollback(c);
	return rc;
newer:
	return err_set(err, ERR_IO, "the metadata database has schema version %d, newer than this "
		       "lfs-server's %d: it was written by a newer release; run that one", v, SCHEMA_VERSION);
}

/* --- open / close ------------------------------------------------------------ */

static void pg_close(struct meta *base)
{
	struct pg_meta *m = (struct pg_meta *)base;

	if (!m)
		return;
	for (int i = 0; i < m->n; i++) {
		if (m->every[i])
			PQfinish(m->every[i]->pg);
		free(m->every[i]);
	}
	free(m->every);
	free(m->url);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m);
}

static int pg_open(struct meta **out, const struct config *cfg, int pool_size, struct err *err)
{
	struct pg_meta *m;
	int rc = 0;

	if (!cfg->meta_url || !*cfg->meta_url)
		return err_set(err, ERR_INVALID, "meta.type = postgresql needs meta.url (a libpq "
			       "connection string, e.g. postgresql://lfs@db.example/lfs)");
	if (pool_size < 1)
		pool_size = 1;
	if (!(m = calloc(1, sizeof(*m))) || !(m->every = calloc((size_t)pool_size, sizeof(*m->every))) ||
	    !(m->url = strdup(cfg->meta_url))) {
		if (m)
			free(m->every);
		free(m);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	m->base.ops = &meta_postgresql_ops;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	for (int i = 0; i < pool_size; i++) {
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
		m->every[m->n++] = c;
		if (!(c->pg = pg_connect(m->url))) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
		if (PQstatus(c->pg) != CONNECTION_OK) {
			/* The message never holds the password. */
			rc = pg_fail(err, ERR_IO, "cannot connect to the metadata database (meta.url)",
				     PQerrorMessage(c->pg));
			goto fail;
		}
		if (i == 0 && (rc = migrate(c, err)) < 0)
			goto fail;
		if ((rc = prepare_all(c, err)) < 0)
			goto fail;
		c->next = m->idle;
		m->idle = c;
	}
	*out = &m->base;
	return 0;
fail:
	pg_close(&m->base);
	return rc;
}

/* --- membership and journal ----------------------------------------------------- */

/* A text[] literal of the n strings: {"a","b"}, each quoted, with \ and
 * " escaped (oids are hex, but the literal must hold whatever it gets). */
static char *text_array(const char *const *v, size_t n)
{
	size_t len = 3;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		len += 2 * strlen(v[i]) + 3;
	if (!(out = malloc(len)))
		return NULL;
	p = out;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *s = v[i]; *s; s++) {
			if (*s == '"' || *s == '\\')
				*p++ = '\\';
			*p++ = *s;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return out;
}

static int pg_repo_sizes(struct meta *base, const char *repo, const char *const *oids, size_t n,
			 long long *sizes_out, long long *seqs_out, struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	PGresult *res = NULL;
	char *arr;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		sizes_out[i] = -1;
		if (seqs_out)
			seqs_out[i] = -1;
	}
	if (n == 0)
		return 0;
	if (!(arr = text_array(oids, n)))
		return err_set(err, ERR_NOMEM, "out of memory");
	if ((rc = get_conn(m, &c, err)) < 0) {
		free(arr);
		return rc;
	}
	/* One round trip for the whole batch, however far the database. */
	{
		const char *p[2] = { repo, arr };
		if ((rc = run(c, ST_LOOKUP, 2, p, PGRES_TUPLES_OK, &res, "lookup", err)) == 0) {
			for (int r = 0; r < PQntuples(res); r++) {
				long long i = num(res, r, 0) - 1;
				if (i < 0 || (size_t)i >= n)
					continue;
				sizes_out[i] = num(res, r, 1);
				if (seqs_out && !PQgetisnull(res, r, 2))
					seqs_out[i] = num(res, r, 2);
			}
		}
	}
	PQclear(res);
	free(arr);
	release(m, c);
	return rc;
}

/* Takes the next number of counter name; the row stays locked until the
 * transaction ends. */
static int bump(struct conn *c, const char *name, char *out, size_t outsz, struct err *err)
{
	const char *p[1] = { name };
	PGresult *res = NULL;
	int rc;

	if ((rc = run(c, ST_BUMP, 1, p, PGRES_TUPLES_OK, &res, "counter", err)) < 0)
		return rc;
	if (PQntuples(res) != 1)
		rc = err_set(err, ERR_IO, "counters: no row '%s'", name);
	else
		copy(out, outsz, res, 0, 0);
	PQclear(res);
	return rc;
}

static int tuples(struct conn *c, int which, int n, const char *const *p, int *count,
		  const char *what, struct err *err)
{
	PGresult *res = NULL;
	int rc = run(c, which, n, p, PGRES_TUPLES_OK, &res, what, err);

	if (rc == 0)
		*count = PQntuples(res);
	PQclear(res);
	return rc;
}

static int pg_add_object(struct meta *base, const char *repo, const char *oid, long long size,
			 const char *user, bool mirrored, struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	char seq[32], fseq[32], sz[32];
	const char *ex[2] = { repo, oid };
	int rc, found = 0;

	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	snprintf(sz, sizeof(sz), "%lld", size);
	/* Held already (the common case of a re-upload): no lock taken. */
	if ((rc = tuples(c, ST_EXISTS, 2, ex, &found, "lookup", err)) < 0 || found)
		goto out;
	if ((rc = txn_begin(c, err)) < 0)
		goto out;
	if ((rc = bump(c, "journal", seq, sizeof(seq), err)) < 0)
		goto rollback;
	{
		const char *p[5] = { seq, repo, oid, sz, user ? user : "" };
		PGresult *res = NULL;
		if ((rc = run(c, ST_INSERT, 5, p, PGRES_COMMAND_OK, &res, "insert", err)) < 0)
			goto rollback;
		found = strcmp(PQcmdTuples(res), "0") == 0;
		PQclear(res);
	}
	/* Another server added it while we waited for the counter: roll the
	 * number back so the journal stays gap-free. */
	if (found)
		goto rollback_ok;
	if (mirrored) {
		const char *h[1] = { oid };
		int has = 0;
		const char *f[1] = { "feed" };
		/* The feed counter's lock first: then no other writer can add
		 * oid to the feed between our look and our insert. */
		if ((rc = run(c, ST_HOLD, 1, f, PGRES_TUPLES_OK, NULL, "counter", err)) < 0 ||
		    (rc = tuples(c, ST_FEED_HAS, 1, h, &has, "feed lookup", err)) < 0)
			goto rollback;
		if (!has) {
			const char *p[3] = { fseq, oid, sz };
			if ((rc = bump(c, "feed", fseq, sizeof(fseq), err)) < 0 ||
			    (rc = run(c, ST_FEED_INSERT, 3, p, PGRES_COMMAND_OK, NULL, "feed insert", err)) < 0)
				goto rollback;
		}
	}
	rc = txn_commit(c, err);
	goto out;
rollback_ok:
	rc = 0;
rollback:
	txn_rollback(c);
out:
	release(m, c);
	return rc;
}

/* --- locks --------------------------------------------------------------------- */

static void lock_from_row(struct lock *l, const PGresult *res, int row)
{
	copy(l->id, sizeof(l->id), res, row, 0);
	copy(l->path, sizeof(l->path), res, row, 1);
	copy(l->owner, sizeof(l->owner), res, row, 2);
	copy(l->locked_at, sizeof(l->locked_at), res, row, 3);
}

static int pg_lock_create(struct meta *base, const char *repo, const char *path, const char *owner,
			  struct lock *out, struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	unsigned char rnd[16];
	int rc = 0;

	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	/* The existing lock may go between our insert and our look at it:
	 * then try again (a few times; a path that busy is a conflict). */
	for (int attempt = 0; attempt < 5; attempt++) {
		const char *p[4] = { out->id, repo, path, owner };
		const char *q[2] = { repo, path };
		PGresult *res = NULL;
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			rc = err_set(err, ERR_IO, "no randomness for a lock id");
			break;
		}
		for (int i = 0; i < 16; i++)
			snprintf(out->id + 2 * i, 3, "%02x", rnd[i]);
		/* Autocommit: the UNIQUE (repo, path) constraint picks one
		 * winner among all servers; the others wait for it and then
		 * insert nothing. */
		if ((rc = run(c, ST_LOCK_INSERT, 4, p, PGRES_TUPLES_OK, &res, "insert lock", err)) < 0)
			break;
		if (PQntuples(res) == 1) {
			copy(out->locked_at, sizeof(out->locked_at), res, 0, 0);
			snprintf(out->path, sizeof(out->path), "%s", path);
			snprintf(out->owner, sizeof(out->owner), "%s", owner);
			PQclear(res);
			break;
		}
		PQclear(res);
		res = NULL;
		if ((rc = run(c, ST_LOCK_BY_PATH, 2, q, PGRES_TUPLES_OK, &res, "select lock", err)) < 0)
			break;
		if (PQntuples(res) == 1) {
			lock_from_row(out, res, 0);
			PQclear(res);
			rc = err_set(err, ERR_CONFLICT, "already created lock");
			break;
		}
		PQclear(res);
		rc = err_set(err, ERR_BUSY, "lock on '%s' changing too fast; retry", path);
	}
	release(m, c);
	return rc;
}

static int pg_lock_list(struct meta *base, const char *repo, const char *path, const char *id,
			const char *after, int limit, struct lock *out, int *n_out, int *more,
			struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c;
	char lim[32];
	PGresult *res = NULL;
	int rc, n = 0;

	*more = 0;
	*n_out = 0;
	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	snprintf(lim, sizeof(lim), "%d", limit + 1);
	{
		const char *p[5] = { repo, path, id, after ? after : "", lim };
		rc = run(c, ST_LOCK_LIST, 5, p, PGRES_TUPLES_OK, &res, "list locks", err);
	}
	if (rc == 0) {
		int rows = PQntuples(res);
		for (; n < rows && n < limit; n++)
			lock_from_row(&out[n], res, n);
		*more = rows > limit;
	}
	PQclear(res);
	release(m, c);
	*n_out = n;
	return rc;
}

static int pg_lock_delete(struct meta *base, const char *repo, const char *id, const char *owner,
			  struct lock *out, struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	const char *p[2] = { repo, id }, *d[1] = { id };
	PGresult *res = NULL;
	int rc;

	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	if ((rc = txn_begin(c, err)) < 0)
		goto out;
	if ((rc = run(c, ST_LOCK_BY_ID, 2, p, PGRES_TUPLES_OK, &res, "select lock", err)) < 0)
		goto rollback;
	if (PQntuples(res) != 1) {
		rc = err_set(err, ERR_NOTFOUND, "lock not found");
		goto rollback;
	}
	lock_from_row(out, res, 0);
	if (owner && strcmp(owner, out->owner) != 0) {
		rc = err_set(err, ERR_DENIED, "lock belongs to %s; unlocking it needs --force and admin rights",
			     out->owner);
		goto rollback;
	}
	if ((rc = run(c, ST_LOCK_DELETE, 1, d, PGRES_COMMAND_OK, NULL, "delete lock", err)) < 0)
		goto rollback;
	rc = txn_commit(c, err);
	goto out;
rollback:
	txn_rollback(c);
out:
	PQclear(res);
	release(m, c);
	return rc;
}

/* --- mirror feed ------------------------------------------------------------------ */

static int pg_feed_catch_up(struct meta *base, bool (*mirrored)(const char *repo, void *arg),
			    void *arg, long long *added, struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	PGresult *repos = NULL;
	const char *feed[1] = { "feed" };
	int rc;

	*added = 0;
	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	if ((rc = txn_begin(c, err)) < 0)
		goto out;
	/* The feed counter first: writers of the feed queue behind us, and
	 * the repo list and NOT IN below see everything they committed. */
	if ((rc = run(c, ST_HOLD, 1, feed, PGRES_TUPLES_OK, NULL, "counter", err)) < 0 ||
	    (rc = query(c, "SELECT DISTINCT repo FROM journal ORDER BY repo", 0, NULL, PGRES_TUPLES_OK,
			&repos, "list repos", err)) < 0)
		goto rollback;
	for (int i = 0; i < PQntuples(repos); i++) {
		const char *repo = PQgetvalue(repos, i, 0), *p[1] = { repo };
		PGresult *res = NULL;
		long long n;
		char nb[32];
		const char *q[1] = { nb };
		if (!mirrored(repo, arg))
			continue;
		if ((rc = query(c, "INSERT INTO feed (seq, oid, size, time) SELECT "
				"(SELECT value FROM counters WHERE name = 'feed') + "
				"row_number() OVER (ORDER BY seq), oid, size, " NOW " FROM journal "
				"WHERE repo = $1 AND oid NOT IN (SELECT oid FROM feed) ORDER BY seq",
				1, p, PGRES_COMMAND_OK, &res, "feed catch-up", err)) < 0)
			goto rollback;
		n = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		if (n == 0)
			continue;
		snprintf(nb, sizeof(nb), "%lld", n);
		if ((rc = query(c, "UPDATE counters SET value = value + $1::bigint WHERE name = 'feed'",
				1, q, PGRES_COMMAND_OK, NULL, "counter", err)) < 0)
			goto rollback;
		*added += n;
	}
	rc = txn_commit(c, err);
	if (rc < 0)
		*added = 0;
	goto out;
rollback:
	*added = 0;
	txn_rollback(c);
out:
	PQclear(repos);
	release(m, c);
	return rc;
}

static int pg_feed_list(struct meta *base, long long after, int limit, struct feed_entry *out,
			int *n_out, int *more, struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c;
	char a[32], l[32];
	const char *p[2] = { a, l };
	PGresult *res = NULL;
	int rc, n = 0;

	*more = 0;
	*n_out = 0;
	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	snprintf(a, sizeof(a), "%lld", after);
	snprintf(l, sizeof(l), "%d", limit + 1);
	if ((rc = run(c, ST_FEED_LIST, 2, p, PGRES_TUPLES_OK, &res, "list feed", err)) == 0) {
		int rows = PQntuples(res);
		for (; n < rows && n < limit; n++) {
			out[n].seq = num(res, n, 0);
			copy(out[n].oid, sizeof(out[n].oid), res, n, 1);
			out[n].size = num(res, n, 2);
			copy(out[n].time, sizeof(out[n].time), res, n, 3);
		}
		*more = rows > limit;
	}
	PQclear(res);
	release(m, c);
	*n_out = n;
	return rc;
}

static int pg_feed_get(struct meta *base, const char *oid, long long *seq, long long *size,
		       struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	const char *p[1] = { oid };
	PGresult *res = NULL;
	int rc;

	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	if ((rc = run(c, ST_FEED_GET, 1, p, PGRES_TUPLES_OK, &res, "feed lookup", err)) == 0) {
		if (PQntuples(res) == 1) {
			*seq = num(res, 0, 0);
			*size = num(res, 0, 1);
		} else {
			rc = err_set(err, ERR_NOTFOUND, "object not in the mirror feed");
		}
	}
	PQclear(res);
	release(m, c);
	return rc;
}

/* --- operator views ------------------------------------------------------------------ */

/* Runs sql with up to two text parameters on a pooled connection; *out
 * gets the rows.  The caller PQclears. */
static int view(struct pg_meta *m, const char *sql, int n, const char *a, const char *b,
		PGresult **out, struct err *err)
{
	struct conn *c = NULL;
	const char *p[2] = { a, b };
	int rc;

	*out = NULL;
	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	rc = query(c, sql, n, p, PGRES_TUPLES_OK, out, "operator query", err);
	release(m, c);
	return rc;
}

static int pg_stored_totals(struct meta *base, long long *objects, long long *bytes, struct err *err)
{
	PGresult *res;
	/* An oid is the same bytes in every repo: count it once. */
	int rc = view((struct pg_meta *)base, "SELECT count(*), coalesce(sum(size), 0) FROM "
		      "(SELECT max(size) AS size FROM journal GROUP BY oid) o", 0, NULL, NULL, &res, err);

	*objects = rc == 0 ? num(res, 0, 0) : 0;
	*bytes = rc == 0 ? num(res, 0, 1) : 0;
	PQclear(res);
	return rc;
}

static int pg_feed_last_seq(struct meta *base, long long *seq, struct err *err)
{
	PGresult *res;
	int rc = view((struct pg_meta *)base, "SELECT coalesce(max(seq), 0) FROM feed", 0, NULL, NULL,
		      &res, err);

	*seq = rc == 0 ? num(res, 0, 0) : 0;
	PQclear(res);
	return rc;
}

static int pg_repo_counts(struct meta *base, int limit,
			  int (*fn)(const char *repo, long long objects, long long bytes, void *arg),
			  void *arg, long long *total, struct err *err)
{
	PGresult *res;
	char l[32];
	int rc;

	snprintf(l, sizeof(l), "%d", limit);
	rc = view((struct pg_meta *)base, "SELECT repo, count(*), sum(size), count(*) OVER () FROM journal "
		  "GROUP BY repo ORDER BY repo LIMIT $1::bigint", 1, l, NULL, &res, err);
	if (total)
		*total = 0;
	for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
		if (total)
			*total = num(res, i, 3);
		if (fn(PQgetvalue(res, i, 0), num(res, i, 1), num(res, i, 2), arg) != 0)
			break;
	}
	PQclear(res);
	return rc;
}

static int pg_uploads_per_day(struct meta *base, const char *since_day,
			      int (*fn)(const char *day, long long count, void *arg), void *arg,
			      struct err *err)
{
	PGresult *res;
	int rc = view((struct pg_meta *)base, "SELECT substr(time, 1, 10) AS day, count(*) FROM journal "
		      "WHERE time >= $1 GROUP BY day ORDER BY day", 1, since_day, NULL, &res, err);

	for (int i = 0; rc == 0 && i < PQntuples(res); i++)
		if (fn(PQgetvalue(res, i, 0), num(res, i, 1), arg) != 0)
			break;
	PQclear(res);
	return rc;
}

/* --- mirror checks --------------------------------------------------------------------- */

static int mcheck_feed_query(struct pg_meta *m, const char *sql, const char *mirror, long long max_seq,
			     long long before, long long before2, int limit, struct feed_entry *out,
			     int *n_out, struct err *err)
{
	struct conn *c;
	char s[32], b[32], l[32], b2[32];
	const char *p[5] = { mirror, s, b, l, b2 };
	PGresult *res = NULL;
	int rc, n = 0;

	*n_out = 0;
	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	snprintf(s, sizeof(s), "%lld", max_seq);
	snprintf(b, sizeof(b), "%lld", before);
	snprintf(l, sizeof(l), "%d", limit);
	snprintf(b2, sizeof(b2), "%lld", before2);
	if ((rc = query(c, sql, 5, p, PGRES_TUPLES_OK, &res, "mirror check query", err)) == 0) {
		for (; n < PQntuples(res) && n < limit; n++) {
			out[n].seq = num(res, n, 0);
			copy(out[n].oid, sizeof(out[n].oid), res, n, 1);
			out[n].size = num(res, n, 2);
			out[n].time[0] = '\0';
		}
	}
	*n_out = n;
	PQclear(res);
	release(m, c);
	return rc;
}

static int pg_mcheck_unchecked(struct meta *base, const char *mirror, long long max_seq, int limit,
			       struct feed_entry *out, int *n_out, struct err *err)
{
	return mcheck_feed_query((struct pg_meta *)base,
		"SELECT f.seq, f.oid, f.size FROM feed f WHERE f.seq <= $2::bigint AND NOT EXISTS "
		"(SELECT 1 FROM mirror_checks k WHERE k.mirror = $1 AND k.seq = f.seq) "
		/* unused, but every parameter needs a type */
		"AND $3::bigint IS NOT NULL AND $5::bigint IS NOT NULL "
		"ORDER BY f.seq DESC LIMIT $4::bigint", mirror, max_seq, 0, 0, limit, out, n_out, err);
}

static int pg_mcheck_due(struct meta *base, const char *mirror, long long max_seq, long long good_before,
			 long long bad_before, int limit, struct feed_entry *out, int *n_out,
			 struct err *err)
{
	return mcheck_feed_query((struct pg_meta *)base,
		"SELECT f.seq, f.oid, f.size FROM mirror_checks k JOIN feed f ON f.seq = k.seq "
		"WHERE k.mirror = $1 AND k.seq <= $2::bigint AND "
		"((k.ok = 1 AND k.checked_at < $3::bigint) OR (k.ok = 0 AND k.checked_at < $5::bigint)) "
		"ORDER BY k.checked_at LIMIT $4::bigint", mirror, max_seq, good_before, bad_before, limit,
		out, n_out, err);
}

static int pg_mcheck_record(struct meta *base, const char *mirror, long long seq, bool ok,
			    const char *error, struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	char s[32], t[32];
	const char *p[5] = { mirror, s, ok ? "1" : "0", t, error ? error : "" };
	int rc;

	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	snprintf(s, sizeof(s), "%lld", seq);
	snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	rc = query(c, "INSERT INTO mirror_checks (mirror, seq, ok, checked_at, error) "
		   "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (mirror, seq) DO UPDATE SET "
		   "ok = excluded.ok, checked_at = excluded.checked_at, error = excluded.error",
		   5, p, PGRES_COMMAND_OK, NULL, "record mirror check", err);
	release(m, c);
	return rc;
}

static int pg_mcheck_get(struct meta *base, const char *mirror, long long seq, bool *ok,
			 struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	char s[32];
	const char *p[2] = { mirror, s };
	PGresult *res = NULL;
	int rc;

	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	snprintf(s, sizeof(s), "%lld", seq);
	rc = query(c, "SELECT ok FROM mirror_checks WHERE mirror = $1 AND seq = $2::bigint",
		   2, p, PGRES_TUPLES_OK, &res, "mirror check", err);
	release(m, c);
	if (rc == 0 && PQntuples(res) == 0)
		rc = err_set(err, ERR_NOTFOUND, "no verdict");
	else if (rc == 0)
		*ok = strcmp(PQgetvalue(res, 0, 0), "1") == 0 || strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}

static int pg_mcheck_each(struct meta *base, const char *mirror, long long since,
			  int (*fn)(const struct mirror_check *c, void *arg), void *arg, struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	char s[32];
	const char *p[2] = { mirror, s };
	struct mirror_check mc;
	PGresult *res = NULL;
	int rc;

	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	snprintf(s, sizeof(s), "%lld", since);
	rc = query(c, "SELECT k.seq, f.oid, f.size, k.ok, k.checked_at, k.error "
		   "FROM mirror_checks k JOIN feed f ON f.seq = k.seq "
		   "WHERE k.mirror = $1 AND k.checked_at >= $2::bigint ORDER BY k.seq",
		   2, p, PGRES_TUPLES_OK, &res, "mirror checks", err);
	release(m, c);
	for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
		mc.seq = num(res, i, 0);
		copy(mc.oid, sizeof(mc.oid), res, i, 1);
		mc.size = num(res, i, 2);
		mc.ok = num(res, i, 3) != 0;
		mc.checked_at = num(res, i, 4);
		copy(mc.error, sizeof(mc.error), res, i, 5);
		if (fn(&mc, arg) != 0)
			break;
	}
	PQclear(res);
	return rc;
}

/* --- login throttle ----------------------------------------------------------------------- */

static int pg_throttle_update(struct meta *base, char kind, const char *key, long long prune_before,
			      bool (*update)(struct meta_throttle_row *row, void *arg), void *arg,
			      struct meta_throttle_row *out, struct err *err)
{
	struct pg_meta *m = (struct pg_meta *)base;
	struct conn *c = NULL;
	struct meta_throttle_row row = { 0 };
	char k[2] = { kind, '\0' }, pb[32], v[4][32];
	const char *pk[2] = { k, key }, *pp[1] = { pb };
	PGresult *res = NULL;
	bool created = false;
	int rc;

	if ((rc = get_conn(m, &c, err)) < 0)
		return rc;
	snprintf(pb, sizeof(pb), "%lld", prune_before);
	if ((rc = txn_begin(c, err)) < 0)
		goto out;
	/* Stale rows of any key, skipping those another transaction holds:
	 * pruning never waits, so it cannot deadlock. */
	if ((rc = query(c, "DELETE FROM throttle WHERE ctid IN (SELECT ctid FROM throttle "
			"WHERE last < $1::bigint FOR UPDATE SKIP LOCKED)", 1, pp, PGRES_COMMAND_OK,
			NULL, "throttle prune", err)) < 0)
		goto rollback;
	/* An absent row is created (and dropped again if nothing is stored),
	 * so that concurrent first failures of one key queue on it too. */
	if ((rc = query(c, "INSERT INTO throttle (kind, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
			2, pk, PGRES_COMMAND_OK, &res, "throttle", err)) < 0)
		goto rollback;
	created = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	res = NULL;
	if ((rc = query(c, "SELECT failures, window_start, locked_until, last FROM throttle "
			"WHERE kind = $1 AND key = $2 FOR UPDATE", 2, pk, PGRES_TUPLES_OK, &res,
			"throttle", err)) < 0)
		goto rollback;
	if (PQntuples(res) == 1) {
		row.failures = num(res, 0, 0);
		row.window_start = num(res, 0, 1);
		row.locked_until = num(res, 0, 2);
		row.last = num(res, 0, 3);
	}
	PQclear(res);
	res = NULL;
	if (update && update(&row, arg)) {
		const char *pu[6] = { k, key, v[0], v[1], v[2], v[3] };
		snprintf(v[0], sizeof(v[0]), "%lld", row.failures);
		snprintf(v[1], sizeof(v[1]), "%lld", row.window_start);
		snprintf(v[2], sizeof(v[2]), "%lld", row.locked_until);
		snprintf(v[3], sizeof(v[3]), "%lld", row.last);
		if ((rc = query(c, "UPDATE throttle SET failures = $3, window_start = $4, "
				"locked_until = $5, last = $6 WHERE kind = $1 AND key = $2", 6, pu,
				PGRES_COMMAND_OK, NULL, "throttle", err)) < 0)
			goto rollback;
	} else if (created) {
		if ((rc = query(c, "DELETE FROM throttle WHERE kind = $1 AND key = $2", 2, pk,
				PGRES_COMMAND_OK, NULL, "throttle", err)) < 0)
			goto rollback;
	}
	if ((rc = txn_commit(c, err)) == 0 && out)
		*out = row;
	goto out;
rollback:
	txn_rollback(c);
out:
	PQclear(res);
	release(m, c);
	return rc;
}

const struct meta_ops meta_postgresql_ops = {
	.name = "postgresql",
	.shared_by_servers = true,
	.open = pg_open,
	.close = pg_close,
	.repo_sizes = pg_repo_sizes,
	.add_object = pg_add_object,
	.stored_totals = pg_stored_totals,
	.feed_last_seq = pg_feed_last_seq,
	.repo_counts = pg_repo_counts,
	.uploads_per_day = pg_uploads_per_day,
	.feed_catch_up = pg_feed_catch_up,
	.feed_list = pg_feed_list,
	.feed_get = pg_feed_get,
	.lock_create = pg_lock_create,
	.lock_list = pg_lock_list,
	.lock_delete = pg_lock_delete,
	.mcheck_unchecked = pg_mcheck_unchecked,
	.mcheck_due = pg_mcheck_due,
	.mcheck_record = pg_mcheck_record,
	.mcheck_each = pg_mcheck_each,
	.mcheck_get = pg_mcheck_get,
	.throttle_update = pg_throttle_update,
};
