/* Unit tests for lfs-server/meta/postgresql.c, every operation against a
 * real database: LFS_TEST_PG_URL names an empty one (t9140 creates it
 * and runs this); without it, everything is skipped.  The login throttle
 * is checked with threads racing on one row. */
#include "core/config.h"
#include "meta/meta.h"
#include "tap.h"

#include <libpq-fe.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *url;

static long long sql_int(const char *sql)
{
	PGconn *pg = PQconnectdb(url);
	PGresult *res = PQexec(pg, sql);
	long long v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(pg);
	return v;
}

static bool sql_ok(const char *sql)
{
	PGconn *pg = PQconnectdb(url);
	PGresult *res = PQexec(pg, sql);
	bool r = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	PQclear(res);
	PQfinish(pg);
	return r;
}

static char oid_buf[8][65];

static const char *oid(int i)
{
	snprintf(oid_buf[i], sizeof(oid_buf[i]), "%064d", i);
	return oid_buf[i];
}

static bool only_pub(const char *repo, void *arg)
{
	return strncmp(repo, "pub/", 4) == 0;
}

static int count_repo(const char *repo, long long objects, long long bytes, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s:%lld:%lld ", repo, objects, bytes);
	return 0;
}

static int count_day(const char *day, long long count, void *arg)
{
	*(long long *)arg += count;
	return 0;
}

/* tap.h's ok is a macro: not a member name here. */
#undef ok
static int collect_check(const struct mirror_check *c, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%lld:%d:%s ", c->seq, c->ok, c->error);
	return 0;
}
#define ok tap_ok

/* --- servers starting together ------------------------------------------- */

#define OPENERS 6

struct opener {
	const struct config *cfg;
	pthread_barrier_t *go;
	struct meta *m;
	int rc;
	struct err err;
};

static void *open_one(void *p)
{
	struct opener *o = p;

	pthread_barrier_wait(o->go);
	o->rc = meta_open_configured(&o->m, o->cfg, 1, &o->err);
	return NULL;
}

/* OPENERS instances open the empty database at once: the migrations run
 * once (each step is a CREATE TABLE: a second run would fail). */
static void race_open(const struct config *cfg)
{
	struct opener o[OPENERS];
	pthread_t t[OPENERS];
	pthread_barrier_t go;
	int opened = 0;

	pthread_barrier_init(&go, NULL, OPENERS);
	for (int i = 0; i < OPENERS; i++) {
		o[i] = (struct opener){ .cfg = cfg, .go = &go, .err = ERR_INIT };
		if (pthread_create(&t[i], NULL, open_one, &o[i]) != 0)
			abort(); /* setup: nothing to test without it */
	}
	for (int i = 0; i < OPENERS; i++) {
		pthread_join(t[i], NULL);
		if (o[i].rc == 0)
			opened++;
		else
			printf("# open %d: %s\n", i, o[i].err.msg);
		meta_close(o[i].m);
	}
	pthread_barrier_destroy(&go);
	is_int(opened, OPENERS, "instances opening an empty database at once all succeed");
	is_int(sql_int("SELECT count(*) FROM schema_version"), 1, "one schema_version row");
	is_int(sql_int("SELECT version FROM schema_version"), 5, "at version 5");
	is_int(sql_int("SELECT count(*) FROM counters"), 2, "the first migration ran once");
}

/* --- the throttle -------------------------------------------------------- */

struct bump_arg {
	long long now;
};

static bool add_failure(struct meta_throttle_row *row, void *arg)
{
	struct bump_arg *b = arg;

	row->failures++;
	if (!row->window_start)
		row->window_start = b->now;
	row->last = b->now;
	return true;
}

static bool no_change(struct meta_throttle_row *row, void *arg)
{
	return false;
}

#define THREADS 8
#define PER_THREAD 25

struct racer {
	struct meta *m;
	int failures;
};

static void *race(void *p)
{
	struct racer *r = p;
	struct bump_arg b = { time(NULL) };

	for (int i = 0; i < PER_THREAD; i++) {
		struct err err = ERR_INIT;
		if (meta_throttle_update(r->m, 'u', "alice", 0, add_failure, &b, NULL, &err) < 0)
			r->failures++;
	}
	return NULL;
}

static void throttle_tests(struct meta *m)
{
	struct err err = ERR_INIT;
	struct meta_throttle_row row;
	struct bump_arg b = { time(NULL) };
	struct racer r[THREADS];
	pthread_t t[THREADS];
	int failed = 0;

	is_int(meta_throttle_update(m, 'a', "10.0.0.1", 0, NULL, NULL, &row, &err), 0, "throttle: read an absent row");
	ok(row.failures == 0 && row.window_start == 0 && row.locked_until == 0 && row.last == 0,
	   "throttle: an absent row reads as all zero");
	is_int(meta_throttle_update(m, 'a', "10.0.0.1", 0, no_change, NULL, &row, &err), 0,
	       "throttle: an update that stores nothing");
	is_int(sql_int("SELECT count(*) FROM throttle"), 0, "throttle: no row is left behind by a read");
	is_int(meta_throttle_update(m, 'a', "10.0.0.1", 0, add_failure, &b, &row, &err), 0, "throttle: a failure");
	ok(row.failures == 1 && row.window_start == b.now && row.last == b.now, "throttle: *out is the stored row");
	is_int(meta_throttle_update(m, 'u', "10.0.0.1", 0, NULL, NULL, &row, &err), 0, "throttle: kind 'u'");
	is_int(row.failures, 0, "throttle: kinds are separate rows");

	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct racer){ m, 0 };
		if (pthread_create(&t[i], NULL, race, &r[i]) != 0)
			return;
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		failed += r[i].failures;
	}
	is_int(failed, 0, "throttle: racing updates all succeed");
	is_int(meta_throttle_update(m, 'u', "alice", 0, NULL, NULL, &row, &err), 0, "throttle: read back");
	is_int(row.failures, THREADS * PER_THREAD, "throttle: racing updates serialise: none lost");

	/* Pruning: rows last touched before prune_before go, whatever key. */
	ok(sql_ok("UPDATE throttle SET last = 100 WHERE key = '10.0.0.1'"), "setup: an old row");
	is_int(meta_throttle_update(m, 'u', "bob", 1000, NULL, NULL, NULL, &err), 0, "throttle: prune on the way");
	is_int(sql_int("SELECT count(*) FROM throttle WHERE key = '10.0.0.1'"), 0, "throttle: the old row is gone");
	is_int(sql_int("SELECT count(*) FROM throttle WHERE key = 'alice'"), 1, "throttle: a fresh row stays");
}

int main(void)
{
	struct config cfg;
	struct meta *m = NULL, *m2 = NULL;
	struct err err = ERR_INIT;
	const char *oids[3];
	long long sizes[3], seqs[3], added = -1, seq = 0, size = 0, objects = 0, bytes = 0, days = 0, total = 0;
	struct feed_entry feed[4];
	struct lock l, list[4];
	char buf[256] = "";
	int n = 0, more = 0;

	url = getenv("LFS_TEST_PG_URL");
	if (!url || !*url) {
		printf("1..0 # SKIP no PostgreSQL (LFS_TEST_PG_URL; t9140 runs this test)\n");
		return 0;
	}
	if (config_init(&cfg, &err) < 0 || config_set_str(&cfg.meta_type, "postgresql", &err) < 0)
		return 1;
	is_int(meta_open_configured(&m, &cfg, 2, &err), ERR_INVALID, "no meta.url: refused");
	ok(strstr(err.msg, "meta.url") != NULL, "the error names meta.url: %s", err.msg);
	if (config_set_str(&cfg.meta_url, url, &err) < 0)
		return 1;
	race_open(&cfg);
	if (!ok(meta_open_configured(&m, &cfg, 3, &err) == 0, "opens (%s)", err.msg))
		return tap_done();
	is_int(sql_int("SELECT version FROM schema_version"), 5, "schema version 5");
	is_int(meta_open_configured(&m2, &cfg, 1, &err), 0, "a second instance opens the migrated database");
	is_int(sql_int("SELECT count(*) FROM schema_version"), 1, "one version row");

	/* membership, journal, feed */
	is_int(meta_add_object(m, "priv/a", oid(1), 10, "alice", false, &err), 0, "add to an unmirrored repo");
	is_int(meta_add_object(m2, "pub/b", oid(2), 20, NULL, true, &err), 0, "add to a mirrored repo (other instance)");
	is_int(meta_add_object(m, "pub/b", oid(2), 20, "bob", true, &err), 0, "add again: nothing changes");
	is_int(meta_add_object(m, "pub/c", oid(2), 20, "bob", true, &err), 0, "same object, another mirrored repo");
	is_int(sql_int("SELECT count(*) FROM journal"), 3, "three journal rows");
	is_int(sql_int("SELECT max(seq) FROM journal"), 3, "numbered 1..3");
	is_int(sql_int("SELECT count(*) FROM feed"), 1, "one feed row for the object");
	is_int(sql_int("SELECT value FROM counters WHERE name = 'feed'"), 1, "the feed counter is at 1");
	oids[0] = oid(1), oids[1] = oid(2), oids[2] = oid(3);
	is_int(meta_repo_sizes(m, "pub/b", oids, 3, sizes, seqs, &err), 0, "repo_sizes");
	ok(sizes[0] == -1 && sizes[1] == 20 && sizes[2] == -1, "sizes: only what the repo holds");
	ok(seqs[0] == -1 && seqs[1] == 1 && seqs[2] == -1, "seqs: the feed seq");
	is_int(meta_repo_sizes(m, "priv/a", oids, 1, sizes, NULL, &err), 0, "repo_sizes without seqs");
	is_int(sizes[0], 10, "size in the private repo");
	{
		const char *odd[6] = { "", "NULL", "a\"b", "c\\d,{e}", oid(2), oid(2) };
		long long sz[6], sq[6];
		is_int(meta_repo_sizes(m, "pub/b", odd, 6, sz, sq, &err), 0, "repo_sizes: odd strings in the batch");
		ok(sz[0] == -1 && sz[1] == -1 && sz[2] == -1 && sz[3] == -1 && sz[4] == 20 && sz[5] == 20 &&
		   sq[4] == 1 && sq[5] == 1, "none of them matches; a repeated oid is answered twice");
	}

	/* catch-up: a repo turned mirrored */
	is_int(meta_feed_catch_up(m, only_pub, NULL, &added, &err), 0, "catch-up, nothing new");
	is_int(added, 0, "nothing added");
	ok(sql_ok("UPDATE journal SET repo = 'pub/a' WHERE repo = 'priv/a'"), "setup: priv/a becomes pub/a");
	is_int(meta_feed_catch_up(m, only_pub, NULL, &added, &err), 0, "catch-up");
	is_int(added, 1, "one object added");
	is_int(meta_feed_get(m, oid(1), &seq, &size, &err), 0, "feed_get");
	ok(seq == 2 && size == 10, "it is seq 2");
	is_int(meta_feed_get(m, oid(5), &seq, &size, &err), ERR_NOTFOUND, "feed_get of an unknown oid");
	is_int(meta_add_object(m, "pub/a", oid(4), 40, "alice", true, &err), 0, "an upload after the catch-up");
	is_int(meta_feed_list(m, 0, 2, feed, &n, &more, &err), 0, "feed_list");
	ok(n == 2 && more == 1 && feed[0].seq == 1 && feed[1].seq == 2 && strlen(feed[0].time) == 20,
	   "a first page of 2, more to come");
	is_int(meta_feed_list(m, 2, 2, feed, &n, &more, &err), 0, "feed_list after 2");
	ok(n == 1 && more == 0 && feed[0].seq == 3 && strcmp(feed[0].oid, oid(4)) == 0 && feed[0].size == 40,
	   "the last page");
	is_int(meta_feed_last_seq(m, &seq, &err), 0, "feed_last_seq");
	is_int(seq, 3, "is 3");

	/* operator views */
	is_int(meta_stored_totals(m, &objects, &bytes, &err), 0, "stored_totals");
	ok(objects == 3 && bytes == 70, "each object once: 3 objects, 70 bytes");
	is_int(meta_repo_counts(m, 2, count_repo, buf, &total, &err), 0, "repo_counts");
	is_str(buf, "pub/a:2:50 pub/b:1:20 ", "by name, limited");
	is_int(total, 3, "total repos");
	is_int(meta_uploads_per_day(m, "2000-01-01", count_day, &days, &err), 0, "uploads_per_day");
	is_int(days, 4, "every row counted");

	/* locks */
	is_int(meta_lock_create(m, "pub/a", "x.bin", "alice", &l, &err), 0, "lock");
	ok(strlen(l.id) == 32 && strcmp(l.owner, "alice") == 0 && strlen(l.locked_at) == 20, "the lock's fields");
	{
		struct lock other;
		is_int(meta_lock_create(m2, "pub/a", "x.bin", "bob", &other, &err), ERR_CONFLICT,
		       "the same path from another instance: conflict");
		is_str(other.id, l.id, "the conflict names the existing lock");
		is_str(other.owner, "alice", "and its owner");
	}
	is_int(meta_lock_create(m, "pub/b", "x.bin", "bob", &list[0], &err), 0, "same path, another repo");
	is_int(meta_lock_list(m, "pub/a", NULL, NULL, NULL, 4, list, &n, &more, &err), 0, "lock_list");
	ok(n == 1 && more == 0 && strcmp(list[0].id, l.id) == 0, "one lock in pub/a");
	is_int(meta_lock_list(m, "pub/a", "y.bin", NULL, NULL, 4, list, &n, &more, &err), 0, "lock_list by path");
	is_int(n, 0, "none on y.bin");
	is_int(meta_lock_delete(m, "pub/a", l.id, "bob", &list[0], &err), ERR_DENIED, "someone else's lock");
	is_int(meta_lock_delete(m, "pub/b", l.id, NULL, &list[0], &err), ERR_NOTFOUND, "wrong repo");
	is_int(meta_lock_delete(m, "pub/a", l.id, NULL, &list[0], &err), 0, "force delete");
	is_int(meta_lock_delete(m, "pub/a", l.id, NULL, &list[0], &err), ERR_NOTFOUND, "gone");

	/* mirror checks */
	is_int(meta_mcheck_unchecked(m, "m1", 3, 4, feed, &n, &err), 0, "mcheck_unchecked");
	ok(n == 3 && feed[0].seq == 3 && feed[2].seq == 1, "all three, newest first");
	is_int(meta_mcheck_record(m, "m1", 3, true, NULL, &err), 0, "record good");
	is_int(meta_mcheck_record(m, "m1", 1, false, "size 9, want 20", &err), 0, "record bad");
	is_int(meta_mcheck_record(m, "m1", 1, false, "sha256 mismatch", &err), 0, "record bad again (replaces)");
	is_int(meta_mcheck_unchecked(m, "m1", 3, 4, feed, &n, &err), 0, "mcheck_unchecked again");
	ok(n == 1 && feed[0].seq == 2, "only seq 2 left");
	is_int(meta_mcheck_due(m, "m1", 3, time(NULL) + 10, 0, 4, feed, &n, &err), 0, "mcheck_due, good ones");
	ok(n == 1 && feed[0].seq == 3, "seq 3 is due");
	is_int(meta_mcheck_due(m, "m1", 3, 0, time(NULL) + 10, 4, feed, &n, &err), 0, "mcheck_due, bad ones");
	ok(n == 1 && feed[0].seq == 1, "seq 1 is due");
	buf[0] = '\0';
	is_int(meta_mcheck_each(m, "m1", 0, collect_check, buf, &err), 0, "mcheck_each");
	is_str(buf, "1:0:sha256 mismatch 3:1: ", "the verdicts, in seq order");

	throttle_tests(m);

	/* a newer schema */
	meta_close(m2);
	m2 = NULL;
	ok(sql_ok("UPDATE schema_version SET version = 99"), "setup: a newer schema");
	is_int(meta_open_configured(&m2, &cfg, 1, &err), ERR_IO, "a newer schema is refused");
	ok(strstr(err.msg, "99") && strstr(err.msg, "newer"), "the error says so: %s", err.msg);
	ok(sql_ok("UPDATE schema_version SET version = 5"), "restore");
	meta_close(m);
	config_release(&cfg);
	return tap_done();
}
