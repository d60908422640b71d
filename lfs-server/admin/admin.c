/* admin: uploads, stats, repos and the shared pieces of lfs-admin (see admin.h). */
#include "admin/admin.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/mirror_verify.h"

#define BUSY_TIMEOUT_MS 10000

/* True when s[0..n) matches pat, where '9' stands for any digit. */
static bool shape(const char *s, const char *pat, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (pat[i] == '9' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return false;
	}
	return true;
}

static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int admin_since(char out[ADMIN_TIME_LEN + 1], const char *date, struct err *err)
{
	size_t len = strlen(date);
	const char *p = date + 19;
	long offset = 0;
	struct tm tm, back;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (len < 10 || !shape(date, "9999-99-99", 10))
		goto bad;
	if (len > 10) {
		if (len < 20 || !strchr("Tt ", date[10]) || !shape(date + 11, "99:99:99", 8))
			goto bad;
		if (*p == '.') {
			if (!isdigit((unsigned char)p[1]))
				goto bad;
			for (p++; isdigit((unsigned char)*p); p++)
				;
		}
		if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
			offset = 0;
		} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && shape(p + 1, "99:99", 5) &&
			   two(p + 1) < 24 && two(p + 4) < 60) {
			offset = (two(p + 1) * 3600L + two(p + 4) * 60L) * (*p == '-' ? -1 : 1);
		} else {
			goto bad;
		}
	}
	if (!strptime(date, "%Y-%m-%d", &tm))
		goto bad;
	if (len > 10) {
		tm.tm_hour = two(date + 11);
		tm.tm_min = two(date + 14);
		tm.tm_sec = two(date + 17);
	}
	back = tm;
	t = timegm(&tm);
	/* timegm normalises Feb 30 into March: a changed field means no such date. */
	if (t == (time_t)-1 || tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon ||
	    tm.tm_mday != back.tm_mday || tm.tm_hour != back.tm_hour || tm.tm_min != back.tm_min ||
	    tm.tm_sec != back.tm_sec)
		goto bad;
	t -= offset;
	if (!gmtime_r(&t, &tm) || strftime(out, ADMIN_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != ADMIN_TIME_LEN)
		goto bad;
	return 0;
bad:
	return err_set(err, ERR_INVALID, "'%.60s' is not a date (YYYY-MM-DD) or an RFC 3339 time", date);
}

int admin_db_open(sqlite3 **out, const char *data_dir, struct err *err)
{
	char path[4096];
	struct stat st;
	sqlite3 *db = NULL;
	int persist = 1;

	snprintf(path, sizeof(path), "%s/meta.db", data_dir);
	if (stat(path, &st) < 0)
		return err_set_errno(err, ERR_IO, "'%s' is not an lfs-server data dir: cannot stat '%s'",
				     data_dir, path);
	/* Not SQLITE_OPEN_READONLY: a read-only connection to a WAL database
	 * that no server has open creates meta.db-wal and -shm and cannot
	 * remove them, leaving files owned by whoever ran us (root, say) that
	 * the server may then be unable to open.  A read-write connection
	 * removes them at close; query_only makes sure it never writes. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = err_set(err, ERR_IO, "'%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/* The server keeps -wal and -shm (meta/sqlite.c: a full disk could not make
	 * them again); leave them as we found them.  And no checkpoint when
	 * we close: it would write meta.db, which a reader (a backup of a
	 * stopped server's dir, say) must not; the server checkpoints. */
	snprintf(path, sizeof(path), "%s/meta.db-wal", data_dir);
	if (stat(path, &st) == 0) {
		sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
		sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	}
	*out = db;
	return 0;
}

int admin_uploads(const char *data_dir, const char *since, const char *repo, FILE *out,
		  struct err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, step;

	if ((rc = admin_db_open(&db, data_dir, err)) < 0)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT seq, time, repo, user, size, oid FROM journal "
			       "WHERE (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR repo = ?2) ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_IO, "%s/meta.db: %s", data_dir, sqlite3_errmsg(db));
		goto out;
	}
	if (since)
		sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
	if (repo)
		sqlite3_bind_text(st, 2, repo, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *user = (const char *)sqlite3_column_text(st, 3);
		fprintf(out, "%lld\t%s\t%s\t%s\t%lld\t%s\n", (long long)sqlite3_column_int64(st, 0),
			(const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
			user && *user ? user : "-", (long long)sqlite3_column_int64(st, 4),
			(const char *)sqlite3_column_text(st, 5));
	}
	if (step != SQLITE_DONE)
		rc = err_set(err, ERR_IO, "%s/meta.db: %s", data_dir, sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

struct counts {
	long long objects, bytes, misplaced;
};

static int count_file(const struct mirror_verify_item *it, void *arg)
{
	struct counts *c = arg;

	if (it->status == MIRROR_VERIFY_MISPLACED) {
		c->misplaced++;
	} else {
		c->objects++;
		c->bytes += it->size;
	}
	return 0;
}

static int count_rows(sqlite3 *db, const char *sql, long long *out, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		rc = err_set(err, ERR_IO, "meta.db: %s", sqlite3_errmsg(db));
	else
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int admin_stats(const char *data_dir, FILE *out, struct err *err)
{
	struct counts c = { 0, 0, 0 };
	long long repos = 0, journal = 0, feed = 0, locks = 0;
	sqlite3 *db = NULL;
	int rc;

	if ((rc = admin_db_open(&db, data_dir, err)) < 0)
		return rc;
	/* One read transaction: the counts agree with each other. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    (rc = count_rows(db, "SELECT count(DISTINCT repo) FROM journal", &repos, err)) < 0 ||
	    (rc = count_rows(db, "SELECT count(*) FROM journal", &journal, err)) < 0 ||
	    (rc = count_rows(db, "SELECT count(*) FROM feed", &feed, err)) < 0 ||
	    (rc = count_rows(db, "SELECT count(*) FROM locks", &locks, err)) < 0) {
		if (rc == 0)
			rc = err_set(err, ERR_IO, "%s/meta.db: %s", data_dir, sqlite3_errmsg(db));
		sqlite3_close(db);
		return rc;
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	if ((rc = mirror_verify_walk(data_dir, false, count_file, &c, err)) < 0)
		return rc;
	fprintf(out, "objects: %lld\nbytes: %lld\nrepos: %lld\njournal rows: %lld\n"
		"feed rows: %lld\nlocks: %lld\nmisplaced files: %lld\n",
		c.objects, c.bytes, repos, journal, feed, locks, c.misplaced);
	return 0;
}

int admin_repos(const char *data_dir, FILE *out, struct err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, step;

	if ((rc = admin_db_open(&db, data_dir, err)) < 0)
		return rc;
	/* (repo, oid) is unique: count(*) is the repo's objects. */
	if (sqlite3_prepare_v2(db, "SELECT repo, count(*), sum(size) FROM journal GROUP BY repo "
			       "ORDER BY repo COLLATE BINARY", -1, &st, NULL) != SQLITE_OK) {
		rc = err_set(err, ERR_IO, "%s/meta.db: %s", data_dir, sqlite3_errmsg(db));
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		fprintf(out, "%s\t%lld\t%lld\n", (const char *)sqlite3_column_text(st, 0),
			(long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2));
	if (step != SQLITE_DONE)
		rc = err_set(err, ERR_IO, "%s/meta.db: %s", data_dir, sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
