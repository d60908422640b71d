/* sha256: streaming SHA-256 through OpenSSL EVP (see sha256.h). */
#include "sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct sha256 {
	EVP_MD_CTX *ctx;
};

int sha256_reset(struct sha256 *h, struct err *err)
{
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		return err_set(err, ERR_IO, "sha256: init failed");
	return 0;
}

int sha256_new(struct sha256 **out, struct err *err)
{
	struct sha256 *h = calloc(1, sizeof(*h));

	if (!h)
		return err_set(err, ERR_NOMEM, "out of memory");
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx) {
		free(h);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	if (sha256_reset(h, err) < 0) {
		sha256_free(h);
		return ERR_IO;
	}
	*out = h;
	return 0;
}

int sha256_update(struct sha256 *h, const void *data, size_t len, struct err *err)
{
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return err_set(err, ERR_IO, "sha256: update failed");
	return 0;
}

int sha256_final_hex(struct sha256 *h, char hex[OID_HEX_LEN + 1], struct err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32)
		return err_set(err, ERR_IO, "sha256: final failed");
	oid_from_digest(hex, md);
	return 0;
}

void sha256_free(struct sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int sha256_fd(int fd, char hex[OID_HEX_LEN + 1], long long *size_out, struct err *err)
{
	struct sha256 *h = NULL;
	long long total = 0;
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	int rc;

	if (!buf)
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = sha256_new(&h, err);
	while (rc == 0) {
		ssize_t n = read(fd, buf, cap);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(err, ERR_IO, "read");
			break;
		}
		if (n == 0) {
			rc = sha256_final_hex(h, hex, err);
			break;
		}
		total += n;
		rc = sha256_update(h, buf, (size_t)n, err);
	}
	if (rc == 0 && size_out)
		*size_out = total;
	sha256_free(h);
	free(buf);
	return rc;
}

/* --- a file hashed on a thread of its own ---------------------------------- */

struct sha256_file {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sha256 *h;
	int fd;
	unsigned char *buf;  /* pread's, made when mapping fails */
	bool no_map;
	long long written;   /* what the writer has announced */
	long long hashed;    /* what the thread has hashed */
	long long total;     /* set by finish; -1 until then */
	bool stop;           /* free: give up */
	int rc;              /* the thread's first failure */
	struct err err;
};

/* At most this much is mapped and hashed in one go, when the writer is
 * that far ahead: fewer maps and unmaps, each unmap a TLB flush on the
 * other threads' cores. */
#define HASH_WINDOW (8LL << 20)

/* Hashes [off, off + len) of the file, which the writer has written.
 * The bytes are read where they lie in the page cache, through a
 * read-only mapping: reading them back with pread cost as much CPU as
 * hashing them (one more copy of every byte), on the thread that is the
 * upload's limit.  pread remains for a file that cannot be mapped. */
static int hash_range(struct sha256_file *f, long long off, long long len, long long *done,
		      struct err *err)
{
	static long page;
	long long start, skip;
	void *map;
	struct stat st;
	ssize_t n;

	if (page == 0)
		page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
	/* A mapping past the end would fault (SIGBUS), not fail: check
	 * first that the file holds what the writer announced. */
	if (fstat(f->fd, &st) < 0)
		return err_set_errno(err, ERR_IO, "cannot stat the temp file");
	if (st.st_size < off + len)
		return err_set(err, ERR_IO, "the temp file is shorter than what was written");
	start = off - off % page;
	skip = off - start;
	map = f->no_map ? MAP_FAILED
			: mmap(NULL, (size_t)(len + skip), PROT_READ, MAP_SHARED | MAP_POPULATE, f->fd, start);
	if (map != MAP_FAILED) {
		int rc = sha256_update(f->h, (const char *)map + skip, (size_t)len, err);
		munmap(map, (size_t)(len + skip));
		*done = len;
		return rc;
	}
	f->no_map = true;
	if (!f->buf && !(f->buf = malloc(SHA256_FILE_UNIT)))
		return err_set(err, ERR_NOMEM, "out of memory");
	if (len > SHA256_FILE_UNIT)
		len = SHA256_FILE_UNIT;
	do
		n = pread(f->fd, f->buf, (size_t)len, off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set_errno(err, ERR_IO, "cannot read back the temp file");
	if (n == 0)
		return err_set(err, ERR_IO, "the temp file is shorter than what was written");
	*done = n;
	return sha256_update(f->h, f->buf, (size_t)n, err);
}

/* Hashes units as they become available; the last, short one only once
 * the writer has said where the file ends. */
static void *file_hasher(void *arg)
{
	struct sha256_file *f = arg;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		long long end, want;
		/* Until the end is known, only whole units. */
		while (!f->stop && f->rc == 0 && f->total < 0 &&
		       f->written - f->hashed < SHA256_FILE_UNIT)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop || f->rc != 0 || (f->total >= 0 && f->hashed >= f->total))
			break;
		end = f->total >= 0 ? f->total : f->written;
		want = end - f->hashed;
		if (want > HASH_WINDOW)
			want = HASH_WINDOW;
		pthread_mutex_unlock(&f->mu);
		struct err e = ERR_INIT;
		long long n = 0;
		int rc = hash_range(f, f->hashed, want, &n, &e);
		pthread_mutex_lock(&f->mu);
		if (rc < 0) {
			f->rc = rc;
			f->err = e;
		} else {
			f->hashed += n;
		}
		pthread_cond_broadcast(&f->cv);
	}
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int sha256_file_start(struct sha256_file **out, int fd, struct err *err)
{
	struct sha256_file *f = calloc(1, sizeof(*f));
	pthread_attr_t attr;
	int rc;

	if (!f)
		return err_set(err, ERR_NOMEM, "out of memory");
	f->fd = fd;
	f->total = -1;
	if ((rc = sha256_new(&f->h, err)) < 0) {
		free(f);
		return rc;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&f->thread, &attr, file_hasher, f);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		rc = err_set_errno(err, rc == EAGAIN ? ERR_BUSY : ERR_IO, "cannot start a hashing thread");
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		sha256_free(f->h);
		free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void sha256_file_advance(struct sha256_file *f, long long written)
{
	pthread_mutex_lock(&f->mu);
	/* Wake the thread only when a whole unit waits: a wake-up per write
	 * (128 KiB) costs more than it saves. */
	if (written - f->hashed >= SHA256_FILE_UNIT && f->written - f->hashed < SHA256_FILE_UNIT)
		pthread_cond_signal(&f->cv);
	f->written = written;
	pthread_mutex_unlock(&f->mu);
}

static void file_release(struct sha256_file *f)
{
	pthread_join(f->thread, NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	sha256_free(f->h);
	free(f->buf);
	free(f);
}

int sha256_file_finish(struct sha256_file *f, long long total, char hex[OID_HEX_LEN + 1],
		       struct err *err)
{
	int rc;

	pthread_mutex_lock(&f->mu);
	f->written = f->total = total;
	pthread_cond_broadcast(&f->cv);
	while (f->rc == 0 && f->hashed < total)
		pthread_cond_wait(&f->cv, &f->mu);
	rc = f->rc;
	if (rc < 0 && err)
		*err = f->err;
	pthread_mutex_unlock(&f->mu);
	if (rc == 0)
		rc = sha256_final_hex(f->h, hex, err);
	file_release(f);
	return rc;
}

void sha256_file_free(struct sha256_file *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	file_release(f);
}
