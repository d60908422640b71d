/* Unit tests for the SQLite backend's add_object group commit: many
 * threads add rows at once; each gets its own result, a row refused by
 * the database fails alone, and every row that was acknowledged is
 * there. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meta/meta.h"
#include "tap.h"

#define THREADS 8
#define PER_THREAD 40

static struct meta *m;

struct worker {
	int id;
	int ok, refused, wrong;
};

static void oid_of(char out[65], int t, int i)
{
	snprintf(out, 65, "%08x%056x", t, i);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		char oid[65];
		struct err err = ERR_INIT;
		/* Every fifth row goes to the repo the trigger refuses. */
		const char *repo = i % 5 == 0 ? "bad" : "good";
		int rc;

		oid_of(oid, w->id, i);
		rc = meta_add_object(m, repo, oid, 100 + i, "u", i % 2 == 0, &err);
		if (i % 5 == 0 && rc == ERR_IO && strstr(err.msg, "refused by test"))
			w->refused++;
		else if (i % 5 != 0 && rc == 0)
			w->ok++;
		else
			w->wrong++;
	}
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/unit-meta-group-XXXXXX", path[256];
	struct err err = ERR_INIT;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	int ok_n = 0, refused = 0, wrong = 0, held = 0;
	sqlite3 *db = NULL;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/meta.db", dir);
	if (!ok(meta_open(&m, path, 4, &err) == 0, "opens (%s)", err.msg))
		return tap_done();
	ok(sqlite3_open(path, &db) == SQLITE_OK &&
	   sqlite3_exec(db, "CREATE TRIGGER refuse BEFORE INSERT ON journal WHEN NEW.repo = 'bad' "
			"BEGIN SELECT RAISE(ABORT, 'refused by test'); END;", NULL, NULL, NULL) == SQLITE_OK,
	   "setup: a trigger refuses rows of repo 'bad'");
	sqlite3_close(db);

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .id = i };
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ok_n += w[i].ok;
		refused += w[i].refused;
		wrong += w[i].wrong;
	}
	is_int(wrong, 0, "no caller got another row's result");
	is_int(refused, THREADS * PER_THREAD / 5, "each refused row failed, with its own message");
	is_int(ok_n, THREADS * PER_THREAD * 4 / 5, "every other row succeeded");

	for (int i = 0; i < THREADS; i++) {
		for (int j = 0; j < PER_THREAD; j++) {
			char oid[65];
			const char *oids[1] = { oid };
			long long size = -1;
			oid_of(oid, i, j);
			if (meta_repo_sizes(m, j % 5 == 0 ? "bad" : "good", oids, 1, &size, NULL, &err) == 0 &&
			    (j % 5 == 0 ? size == -1 : size == 100 + j))
				held++;
		}
	}
	is_int(held, THREADS * PER_THREAD, "every acknowledged row is there, no refused one is");
	{
		long long last = 0;
		is_int(meta_feed_last_seq(m, &last, &err), 0, "feed");
		/* Mirrored rows (even i) of good repos: 4 of every 10. */
		is_int(last, THREADS * PER_THREAD * 4 / 10, "one feed entry per mirrored row");
	}
	meta_close(m);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		ok(false, "cleanup");
	return tap_done();
}
