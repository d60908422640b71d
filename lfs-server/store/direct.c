/* direct: a large upload written with O_DIRECT and hashed on the side
 * (why and how in direct.h). */
#include "store/direct.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"

/* Direct writes need the buffer, the offset and the length aligned to the
 * device's logical block; 4096 covers every common one (512 and 4096). */
#define ALIGN 4096

struct direct {
	int fd;
	unsigned char *slot[DIRECT_SLOTS];
	size_t len[DIRECT_SLOTS]; /* bytes of the upload in each slot */
	size_t fill;              /* bytes in the slot being filled */
	long long total;          /* bytes appended so far */
	/* Slots by sequence number: n lives in slot[n % DIRECT_SLOTS].  The
	 * receiving thread fills `filled`; each worker takes them in order. */
	long long filled, hashed, written;
	bool closing, stop;
	bool buffered; /* a direct write was refused: write through the cache */
	int rc;        /* first failure of a worker, sticky */
	struct err err;
	struct sha256 *h;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t hasher, writer;
	int threads; /* started, to join */
};

bool direct_enable(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && fcntl(fd, F_SETFL, fl | O_DIRECT) == 0;
}

/* A worker's failure: the first one sticks, and wakes everyone. */
static void worker_failed(struct direct *d, int rc, const struct err *e)
{
	pthread_mutex_lock(&d->mu);
	if (d->rc == 0) {
		d->rc = rc;
		d->err = *e;
	}
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Takes the next slot for a worker whose position is *pos: its number,
 * or -1 once there is nothing more to do. */
static long long next_slot(struct direct *d, const long long *pos)
{
	long long n;

	pthread_mutex_lock(&d->mu);
	while (!d->stop && d->rc == 0 && *pos >= d->filled && !d->closing)
		pthread_cond_wait(&d->cv, &d->mu);
	n = (!d->stop && d->rc == 0 && *pos < d->filled) ? *pos : -1;
	pthread_mutex_unlock(&d->mu);
	return n;
}

static void slot_done(struct direct *d, long long *pos)
{
	pthread_mutex_lock(&d->mu);
	(*pos)++;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void *hash_slots(void *arg)
{
	struct direct *d = arg;
	long long n;

	while ((n = next_slot(d, &d->hashed)) >= 0) {
		int i = (int)(n % DIRECT_SLOTS);
		struct err e = ERR_INIT;
		int rc = sha256_update(d->h, d->slot[i], d->len[i], &e);
		if (rc < 0) {
			worker_failed(d, rc, &e);
			break;
		}
		slot_done(d, &d->hashed);
	}
	return NULL;
}

/* Writes all of buf at off, direct unless the file system refused. */
static int write_at(struct direct *d, const unsigned char *buf, size_t len, long long off, struct err *err)
{
	while (len > 0) {
		ssize_t n = pwrite(d->fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && !d->buffered) {
			/* The device's block is larger than ALIGN, or the file
			 * system accepted O_DIRECT but not this write. */
			int fl = fcntl(d->fd, F_GETFL);
			if (fl < 0 || fcntl(d->fd, F_SETFL, fl & ~O_DIRECT) < 0)
				return err_set_errno(err, ERR_IO, "cannot write temp file");
			d->buffered = true;
			continue;
		}
		if (n < 0)
			return err_set_errno(err, ERR_IO, "cannot write temp file");
		if (n == 0)
			return err_set(err, ERR_IO, "cannot write temp file: no progress");
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static void *write_slots(void *arg)
{
	struct direct *d = arg;
	long long n;

	while ((n = next_slot(d, &d->written)) >= 0) {
		int i = (int)(n % DIRECT_SLOTS);
		struct err e = ERR_INIT;
		/* Only the last slot is short; its padding is zeroed and cut
		 * off by direct_finish. */
		size_t len = (d->len[i] + ALIGN - 1) / ALIGN * ALIGN;
		int rc = write_at(d, d->slot[i], d->buffered ? d->len[i] : len, n * (long long)DIRECT_SLOT, &e);
		if (rc < 0) {
			worker_failed(d, rc, &e);
			break;
		}
		slot_done(d, &d->written);
	}
	return NULL;
}

static void stop_threads(struct direct *d)
{
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->threads > 0)
		pthread_join(d->hasher, NULL);
	if (d->threads > 1)
		pthread_join(d->writer, NULL);
	d->threads = 0;
}

void direct_free(struct direct *d)
{
	if (!d)
		return;
	stop_threads(d);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	sha256_free(d->h);
	for (int i = 0; i < DIRECT_SLOTS; i++)
		free(d->slot[i]);
	free(d);
}

int direct_start(struct direct **out, int fd, struct err *err)
{
	struct direct *d = calloc(1, sizeof(*d));
	pthread_attr_t attr;
	int rc;

	if (!d)
		return err_set(err, ERR_NOMEM, "out of memory");
	d->fd = fd;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	for (int i = 0; i < DIRECT_SLOTS; i++) {
		d->slot[i] = aligned_alloc(ALIGN, DIRECT_SLOT);
		if (!d->slot[i]) {
			direct_free(d);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
	}
	if ((rc = sha256_new(&d->h, err)) < 0) {
		direct_free(d);
		return rc;
	}
	if (pthread_attr_init(&attr) != 0) {
		direct_free(d);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&d->hasher, &attr, hash_slots, d);
	if (rc == 0) {
		d->threads = 1;
		rc = pthread_create(&d->writer, &attr, write_slots, d);
		if (rc == 0)
			d->threads = 2;
	}
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		rc = err_set_errno(err, rc == EAGAIN ? ERR_BUSY : ERR_IO, "cannot start the upload's threads");
		direct_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* Hands the slot being filled to the workers. */
static void hand_over(struct direct *d)
{
	pthread_mutex_lock(&d->mu);
	d->len[d->filled % DIRECT_SLOTS] = d->fill;
	d->filled++;
	d->fill = 0;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Waits until the slot after the last handed over is free of both
 * workers; the first failure of either, if any. */
static int wait_free(struct direct *d, struct err *err)
{
	int rc;

	pthread_mutex_lock(&d->mu);
	while (d->rc == 0 && (d->filled - d->hashed >= DIRECT_SLOTS || d->filled - d->written >= DIRECT_SLOTS))
		pthread_cond_wait(&d->cv, &d->mu);
	rc = d->rc;
	if (rc < 0 && err)
		*err = d->err;
	pthread_mutex_unlock(&d->mu);
	return rc;
}

int direct_write(struct direct *d, const void *data, size_t len, struct err *err)
{
	const unsigned char *p = data;
	int rc;

	while (len > 0) {
		size_t room, n;
		/* A slot is refilled only once both workers are done with it. */
		if (d->fill == 0 && (rc = wait_free(d, err)) < 0)
			return rc;
		room = DIRECT_SLOT - d->fill;
		n = len < room ? len : room;
		memcpy(d->slot[d->filled % DIRECT_SLOTS] + d->fill, p, n);
		d->fill += n;
		d->total += (long long)n;
		p += n;
		len -= n;
		if (d->fill == DIRECT_SLOT)
			hand_over(d);
	}
	return 0;
}

int direct_finish(struct direct *d, char hex[OID_HEX_LEN + 1], struct err *err)
{
	int rc = 0;

	if (d->fill > 0) {
		int i = (int)(d->filled % DIRECT_SLOTS);
		size_t padded = (d->fill + ALIGN - 1) / ALIGN * ALIGN;
		memset(d->slot[i] + d->fill, 0, padded - d->fill);
		hand_over(d);
	}
	pthread_mutex_lock(&d->mu);
	d->closing = true;
	pthread_cond_broadcast(&d->cv);
	while (d->rc == 0 && (d->hashed < d->filled || d->written < d->filled))
		pthread_cond_wait(&d->cv, &d->mu);
	rc = d->rc;
	if (rc < 0 && err)
		*err = d->err;
	pthread_mutex_unlock(&d->mu);
	stop_threads(d);
	/* The last slot went out padded to the alignment. */
	if (rc == 0 && ftruncate(d->fd, d->total) < 0)
		rc = err_set_errno(err, ERR_IO, "cannot write temp file");
	if (rc == 0)
		rc = sha256_final_hex(d->h, hex, err);
	direct_free(d);
	return rc;
}
