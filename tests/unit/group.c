/* Unit tests for common/group.c (group commit) and sha256_file (a file
 * hashed on a thread of its own while it is written). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "group.h"
#include "sha256.h"
#include "tap.h"

#define MEMBERS 16

struct item {
	struct group_member g;
	int id;
};

struct shared {
	struct group grp;
	pthread_mutex_t mu;
	int rounds, seen, max_batch, in_run;
	bool overlap;
};

/* Every odd id fails alone; the rest succeed. */
static void run(struct group_member *batch, void *arg)
{
	struct shared *s = arg;
	int n = 0;

	pthread_mutex_lock(&s->mu);
	if (s->in_run++)
		s->overlap = true;
	pthread_mutex_unlock(&s->mu);
	usleep(2000); /* a slow durable step: others queue meanwhile */
	for (struct group_member *it = batch; it; it = it->next, n++) {
		struct item *i = (struct item *)it;
		if (i->id % 2)
			it->rc = err_set(&it->err, ERR_IO, "item %d failed", i->id);
	}
	pthread_mutex_lock(&s->mu);
	s->in_run--;
	s->rounds++;
	s->seen += n;
	if (n > s->max_batch)
		s->max_batch = n;
	pthread_mutex_unlock(&s->mu);
}

struct worker {
	struct shared *s;
	int id, rc;
	struct err err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct item it = { .id = w->id };

	w->rc = group_join(&w->s->grp, &it.g, &w->err);
	return NULL;
}

static void test_group(void)
{
	struct shared s = { .rounds = 0 };
	struct worker w[MEMBERS];
	pthread_t t[MEMBERS];
	int right = 0;

	pthread_mutex_init(&s.mu, NULL);
	group_init(&s.grp, run, &s);
	for (int i = 0; i < MEMBERS; i++) {
		w[i] = (struct worker){ .s = &s, .id = i };
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < MEMBERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < MEMBERS; i++) {
		char want[32];
		snprintf(want, sizeof(want), "item %d failed", i);
		if (i % 2 ? w[i].rc == ERR_IO && strcmp(w[i].err.msg, want) == 0 : w[i].rc == 0)
			right++;
	}
	is_int(right, MEMBERS, "every member gets its own result");
	is_int(s.seen, MEMBERS, "every member ran in exactly one round");
	ok(!s.overlap, "rounds never overlap");
	ok(s.rounds < MEMBERS, "members share rounds (%d rounds for %d members, largest %d)",
	   s.rounds, MEMBERS, s.max_batch);
	group_destroy(&s.grp);
	pthread_mutex_destroy(&s.mu);
}

static void test_lone(void)
{
	struct shared s = { .rounds = 0 };
	struct item it = { .id = 2 };
	struct err err = ERR_INIT;

	pthread_mutex_init(&s.mu, NULL);
	group_init(&s.grp, run, &s);
	is_int(group_join(&s.grp, &it.g, &err), 0, "a lone member leads its own round");
	it.id = 3;
	is_int(group_join(&s.grp, &it.g, &err), ERR_IO, "and gets its failure");
	is_str(err.msg, "item 3 failed", "with its message");
	is_int(s.rounds, 2, "one round each");
	group_destroy(&s.grp);
	pthread_mutex_destroy(&s.mu);
}

/* sha256_file against the one-shot hash, for sizes around the unit. */
static void test_file_hash(void)
{
	static const long long sizes[] = { 0, 1, SHA256_FILE_UNIT - 1, SHA256_FILE_UNIT,
					   SHA256_FILE_UNIT + 1, 3 * SHA256_FILE_UNIT + 12345 };
	char path[] = "/tmp/unit-group-XXXXXX";
	int fd = mkstemp(path);
	unsigned char *data = malloc(3 * SHA256_FILE_UNIT + 12345);

	if (!ok(fd >= 0 && data, "temp file")) {
		free(data);
		return;
	}
	unlink(path);
	for (long long i = 0; i < 3 * SHA256_FILE_UNIT + 12345; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		long long n = sizes[k], off = 0;
		struct sha256_file *f = NULL;
		struct sha256 *h = NULL;
		struct err err = ERR_INIT;
		char want[OID_HEX_LEN + 1] = "", got[OID_HEX_LEN + 1] = "";

		if (ftruncate(fd, 0) < 0 || sha256_new(&h, &err) < 0 ||
		    sha256_update(h, data, (size_t)n, &err) < 0 || sha256_final_hex(h, want, &err) < 0 ||
		    sha256_file_start(&f, fd, &err) < 0) {
			ok(false, "setup for %lld bytes: %s", n, err.msg);
			sha256_free(h);
			continue;
		}
		sha256_free(h);
		/* Written in pieces of 128 KiB, as uploads arrive. */
		while (off < n) {
			size_t piece = n - off < (128 << 10) ? (size_t)(n - off) : (128 << 10);
			if (pwrite(fd, data + off, piece, off) != (ssize_t)piece)
				break;
			off += (long long)piece;
			sha256_file_advance(f, off);
		}
		is_int(sha256_file_finish(f, n, got, &err), 0, "finish");
		is_str(got, want, "hash read back on the thread equals the one-shot hash");
	}
	/* Freed part-way (an aborted upload): the thread stops. */
	{
		struct sha256_file *f = NULL;
		struct err err = ERR_INIT;
		ok(sha256_file_start(&f, fd, &err) == 0, "start for an abort");
		sha256_file_advance(f, 2 * SHA256_FILE_UNIT);
		sha256_file_free(f);
		ok(true, "an abandoned hash is freed without waiting for the rest");
	}
	/* A file shorter than announced: an error, not a hang. */
	{
		struct sha256_file *f = NULL;
		struct err err = ERR_INIT;
		char hex[OID_HEX_LEN + 1];
		if (ftruncate(fd, 10) < 0 || sha256_file_start(&f, fd, &err) < 0)
			ok(false, "setup short file");
		else
			is_int(sha256_file_finish(f, 100, hex, &err), ERR_IO, "a short file fails");
	}
	close(fd);
	free(data);
}

int main(void)
{
	test_group();
	test_lone();
	test_file_hash();
	return tap_done();
}
