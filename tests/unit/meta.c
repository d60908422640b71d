/* Unit tests for lfs-server/meta/sqlite.c: schema migrations from every older
 * version, refusal of a newer one, and no write when already current. */
#include "meta/meta.h"
#include "tap.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/meta-unit-XXXXXX";

static void db_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static int exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db) == SQLITE_OK ? sqlite3_exec(db, sql, NULL, NULL, NULL) : -1;

	sqlite3_close(db);
	return rc;
}

static long long query_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Reads a whole file into a malloc'd buffer; *n its length. */
static char *slurp(const char *path, long *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;

	*n = -1;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (*n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)*n + 1)) && fread(buf, 1, (size_t)*n, f) != (size_t)*n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static const char v1[] =
	"CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, repo TEXT NOT NULL, oid TEXT NOT NULL,"
	" size INTEGER NOT NULL CHECK (size >= 0), user TEXT NOT NULL, time TEXT NOT NULL, UNIQUE (repo, oid));"
	"INSERT INTO journal (repo, oid, size, user, time) VALUES ('tock/a', '"
	"0000000000000000000000000000000000000000000000000000000000000001', 5, 'alice', '2026-01-01T00:00:00Z');"
	"PRAGMA user_version = 1;";

static bool yes(const char *repo, void *arg)
{
	return true;
}

/* Opens path, adds an object to a mirrored repo and a lock: the whole
 * newest schema is there. */
static void check_usable(const char *path, const char *name)
{
	struct meta *m = NULL;
	struct err err = ERR_INIT;
	struct lock l;
	long long added = -1, seq, size;

	if (!ok(meta_open(&m, path, 2, &err) == 0, "%s: opens (%s)", name, err.msg))
		return;
	is_int(query_int(path, "PRAGMA user_version"), meta_schema_version(), name);
	is_int(meta_add_object(m, "tock/a", "00000000000000000000000000000000000000000000000000000000000000ff",
			       7, "bob", true, &err), 0, "add object");
	is_int(meta_lock_create(m, "tock/a", "x.bin", "bob", &l, &err), 0, "create lock");
	is_int(meta_feed_catch_up(m, yes, NULL, &added, &err), 0, "feed catch-up");
	is_int(meta_feed_get(m, "00000000000000000000000000000000000000000000000000000000000000ff", &seq, &size,
			     &err), 0, "new object in the feed");
	meta_close(m);
}


/* meta_repo_sizes: a batch's oids in one statement (n > 1), one lookup
 * for a single oid, the per-oid loop when an oid is no plain string; all
 * three give the same sizes and seqs. */
static void check_repo_sizes(const char *path)
{
#define O(c) "000000000000000000000000000000000000000000000000000000000000000" c
	static const char *const oids[] = { O("1"), O("2"), O("1"), "", O("3"), O("4"), "x\"y\\z" };
	const long long want_size[] = { 11, -1, 11, -1, -1, 44, -1 };
	enum { N = sizeof(oids) / sizeof(oids[0]) };
	struct meta *m = NULL;
	struct err err = ERR_INIT;
	long long sizes[N], seqs[N], seq4 = -1, size4;
	bool same = true;

	if (!ok(meta_open(&m, path, 2, &err) == 0, "sizes: opens (%s)", err.msg))
		return;
	if (meta_add_object(m, "tock/a", O("1"), 11, "bob", false, &err) < 0 ||
	    meta_add_object(m, "tock/b", O("3"), 33, "bob", false, &err) < 0 ||
	    meta_add_object(m, "tock/a", O("4"), 44, "bob", true, &err) < 0 ||
	    meta_feed_get(m, O("4"), &seq4, &size4, &err) < 0) {
		ok(false, "sizes: setup (%s)", err.msg);
		meta_close(m);
		return;
	}
	/* The plain oids (one statement), then with the odd one last (the
	 * loop). */
	for (int odd = 0; odd < 2; odd++) {
		size_t n = odd ? N : N - 1;
		for (size_t i = 0; i < N; i++)
			sizes[i] = seqs[i] = -7;
		ok(meta_repo_sizes(m, "tock/a", oids, n, sizes, seqs, &err) == 0, "sizes of %zu oids (%s)", n, err.msg);
		same = true;
		for (size_t i = 0; i < n; i++)
			same = same && sizes[i] == want_size[i] &&
			       seqs[i] == (i == 5 ? seq4 : -1);
		ok(same, "sizes and seqs of %zu oids: found, missing, repeated, other repo, mirrored", n);
		if (!odd)
			ok(sizes[N - 1] == -7 && seqs[N - 1] == -7, "nothing written past n");
		for (size_t i = 0; i < N; i++)
			sizes[i] = -7;
		ok(meta_repo_sizes(m, "tock/a", oids, n, sizes, NULL, &err) == 0, "sizes without seqs");
		same = true;
		for (size_t i = 0; i < n; i++)
			same = same && sizes[i] == want_size[i];
		ok(same, "sizes without seqs of %zu oids", n);
	}
	for (size_t i = 0; i < N; i++) {
		long long one = -7, oseq = -7;
		same = same && meta_repo_sizes(m, "tock/a", &oids[i], 1, &one, &oseq, &err) == 0 &&
		       one == want_size[i] && oseq == (i == 5 ? seq4 : -1);
	}
	ok(same, "one oid at a time: the same");
	meta_close(m);
#undef O
}

int main(void)
{
	char path[256], wal[256];
	struct meta *m = NULL;
	struct err err = ERR_INIT;
	long n1, n2, w1, w2;
	char *a, *b, *wa, *wb;
	long long added = -1;

	if (!mkdtemp(dir))
		return 1;

	ok(meta_backend(NULL) == &meta_sqlite_ops && meta_backend("sqlite") == &meta_sqlite_ops,
	   "sqlite is the default metadata backend");
	ok(meta_backend("postgresql") == &meta_postgresql_ops, "postgresql is a backend of this build");
	ok(meta_backend("mysql") == NULL, "an unknown backend is none");

	db_path(path, sizeof(path), "fresh.db");
	check_usable(path, "a new file gets the newest schema");

	db_path(path, sizeof(path), "sizes.db");
	check_repo_sizes(path);

	db_path(path, sizeof(path), "v1.db");
	is_int(exec(path, v1), SQLITE_OK, "setup: a schema 1 file");
	check_usable(path, "schema 1 is migrated");
	is_int(query_int(path, "SELECT size FROM journal WHERE user = 'alice'"), 5, "schema 1 rows are kept");
	is_int(query_int(path, "SELECT count(*) FROM feed"), 2, "catch-up put both objects in the feed");

	db_path(path, sizeof(path), "v2.db");
	is_int(exec(path, v1), SQLITE_OK, "setup: a schema 2 file");
	is_int(exec(path, "CREATE TABLE locks (id TEXT PRIMARY KEY, repo TEXT NOT NULL, path TEXT NOT NULL,"
		    " owner TEXT NOT NULL, locked_at TEXT NOT NULL, UNIQUE (repo, path));"
		    "CREATE INDEX locks_by_repo ON locks (repo, id);"
		    "INSERT INTO locks VALUES ('ab', 'tock/a', 'y.bin', 'alice', '2026-01-01T00:00:00Z');"
		    "PRAGMA user_version = 2;"), SQLITE_OK, "setup: schema 2");
	check_usable(path, "schema 2 is migrated");
	is_int(query_int(path, "SELECT count(*) FROM locks"), 2, "schema 2 locks are kept");

	db_path(path, sizeof(path), "newer.db");
	is_int(exec(path, "CREATE TABLE t (x); PRAGMA user_version = 9999;"), SQLITE_OK, "setup: a newer file");
	is_int(meta_open(&m, path, 2, &err), ERR_IO, "a newer schema is refused");
	ok(strstr(err.msg, "newer") && strstr(err.msg, "9999"), "the error says so: %s", err.msg);
	is_int(query_int(path, "PRAGMA user_version"), 9999, "and the file is left alone");

	/* Already current: reopening (with the start-up feed catch-up) writes
	 * no byte, to meta.db or its WAL. */
	db_path(path, sizeof(path), "fresh.db");
	db_path(wal, sizeof(wal), "fresh.db-wal");
	a = slurp(path, &n1);
	wa = slurp(wal, &w1);
	ok(a != NULL && wa != NULL, "meta.db-wal is kept after a clean close");
	if (is_int(meta_open(&m, path, 2, &err), 0, "reopen")) {
		is_int(meta_feed_catch_up(m, yes, NULL, &added, &err), 0, "catch-up with nothing to add");
		is_int(added, 0, "nothing added");
		meta_close(m);
	}
	b = slurp(path, &n2);
	wb = slurp(wal, &w2);
	ok(b && n1 == n2 && memcmp(a, b, (size_t)n1) == 0, "meta.db unchanged by a start");
	ok(wb && w1 == w2 && memcmp(wa, wb, (size_t)w1) == 0, "meta.db-wal unchanged by a start");
	free(a);
	free(b);
	free(wa);
	free(wb);

	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
