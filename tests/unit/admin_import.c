/* Unit tests for lfs-server/admin/import.c and meta_sqlite_import: what a
 * bulk import stores and records, reruns, bad files, the batch rows (under
 * ASan/UBSan, with several writer threads). */
#include "admin/import.h"
#include "meta/meta.h"
#include "oid.h"
#include "tap.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/import-unit-XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
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

/* sha256("hello\n") and sha256("") */
#define HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define WRONG "abcd000000000000000000000000000000000000000000000000000000000000"

int main(void)
{
	char src[200], data[200], p[400], db[300];
	const char *paths[1];
	struct config cfg;
	struct admin_import_opts o = { .repo = "org/game", .paths = paths, .npaths = 1, .jobs = 4, .batch = 2 };
	struct admin_import_result r;
	struct err err = ERR_INIT;
	FILE *out = tmpfile();

	if (!mkdtemp(dir) || !out)
		return 1;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(db, sizeof(db), "%s/meta.db", data);
	paths[0] = src;
	mkdir(src, 0700);
	snprintf(p, sizeof(p), "%s/sub", src);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/sub/a.txt", src);
	write_file(p, "hello\n");
	snprintf(p, sizeof(p), "%s/b.txt", src);
	write_file(p, "");
	snprintf(p, sizeof(p), "%s/c.txt", src);
	write_file(p, "something else\n");
	snprintf(p, sizeof(p), "%s/sub/" HELLO, src);
	write_file(p, "hello\n");
	snprintf(p, sizeof(p), "%s/sub/" WRONG, src);
	write_file(p, "not its hash\n");

	if (ok(admin_import(&cfg, data, &o, out, &r, &err) == 0, "import: %s", err.msg)) {
		is_int(r.files, 5, "five files found");
		is_int(r.bad, 1, "one does not hash to its name");
		is_int(r.stored, 4, "four stored");
		is_int(r.imported, 3, "three distinct objects new to the repo");
		is_int(r.held, 1, "one held already (the same bytes under two names)");
		is_int(r.bytes, 6 + 0 + 15 + 6, "bytes stored");
		ok(!r.mirrored, "no config: not mirrored");
	}
	is_int(query_int(db, "SELECT count(*) FROM journal WHERE repo = 'org/game'"), 3, "three journal rows");
	is_int(query_int(db, "SELECT count(*) FROM journal WHERE oid = '" EMPTY "' AND size = 0"), 1,
	       "the empty object is a row");
	is_int(query_int(db, "SELECT count(*) FROM feed"), 0, "no feed rows");
	snprintf(p, sizeof(p), "%s/objects/ab/cd/" WRONG, data);
	ok(access(p, F_OK) != 0, "the bad file is not in the store");
	snprintf(p, sizeof(p), "%s/objects/58/91/" HELLO, data);
	ok(access(p, F_OK) == 0, "the object is in the store under its oid");

	if (ok(admin_import(&cfg, data, &o, out, &r, &err) == 0, "rerun: %s", err.msg)) {
		is_int(r.imported, 0, "rerun: nothing new");
		is_int(r.held, 4, "rerun: four held");
		is_int(r.stored, 3, "rerun: the oid-named file is skipped, the rest stored again");
	}
	is_int(query_int(db, "SELECT count(*) FROM journal"), 3, "still three rows");

	cfg.storage_type = "s3";
	is_int(admin_import(&cfg, data, &o, out, &r, &err), ERR_INVALID, "another store backend is refused");
	cfg.storage_type = NULL;

	{
		struct meta *m = NULL;
		long long added = -1;
		struct meta_import_row rows[2] = {
			{ "pub/site", HELLO, 6, true },
			{ "pub/site", EMPTY, 0, true },
		};
		if (is_int(meta_open(&m, db, 1, &err), 0, "meta_open")) {
			is_int(meta_sqlite_import(m, rows, 2, "", &added, &err), 0, "bulk rows");
			is_int(added, 2, "two rows new");
			is_int(meta_sqlite_import(m, rows, 2, "", &added, &err), 0, "the same rows again");
			is_int(added, 0, "none new");
			is_int(meta_sqlite_import(m, rows, 0, "", &added, &err), 0, "no rows");
			meta_close(m);
		}
		is_int(query_int(db, "SELECT count(*) FROM feed"), 2, "mirrored rows joined the feed once");
		is_int(query_int(db, "SELECT count(*) FROM journal WHERE repo = 'pub/site'"), 2, "journal rows");
	}

	fclose(out);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
