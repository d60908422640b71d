/* store: content-addressed object store (invariants in store.h). */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "sha256.h"

struct store {
	char *root;
	int root_fd, objects_fd, tmp_fd;
};

struct store_put {
	struct store *s;
	struct sha256 *hash;
	char oid[OID_HEX_LEN + 1];
	char tmp_name[OID_HEX_LEN + 32];
	int fd;            /* -1 when the object is already stored: hash only */
	long long expected, received;
	long long flushed; /* bytes handed to writeback so far */
	int error; /* sticky */
};

/* Start writeback every this many bytes, so the final fsync has little
 * left to do and the disk works while the network still delivers. */
#define WRITEBACK_STEP (8LL << 20)

static int open_dir_at(int *out, int at, const char *name, struct err *err)
{
	int fd;

	if (mkdirat(at, name, 0700) < 0 && errno != EEXIST)
		return err_set_errno(err, ERR_IO, "cannot create directory '%s'", name);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, ERR_IO, "cannot open directory '%s'", name);
	*out = fd;
	return 0;
}

static int sweep_tmp(struct store *s, struct err *err)
{
	int fd = dup(s->tmp_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int removed = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_set_errno(err, ERR_IO, "cannot read '%s/tmp'", s->root);
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (unlinkat(s->tmp_fd, e->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	(void)removed;
	return 0;
}

int store_open(struct store **out, const char *data_dir, struct err *err)
{
	struct store *s = calloc(1, sizeof(*s));
	int rc, probe;

	if (!s || !(s->root = strdup(data_dir))) {
		free(s);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	s->root_fd = s->objects_fd = s->tmp_fd = -1;
	if (mkdir(data_dir, 0700) < 0 && errno != EEXIST) {
		rc = err_set_errno(err, ERR_IO, "cannot create data directory '%s'", data_dir);
		goto fail;
	}
	s->root_fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot open data directory '%s'", data_dir);
		goto fail;
	}
	if ((rc = open_dir_at(&s->objects_fd, s->root_fd, "objects", err)) < 0 ||
	    (rc = open_dir_at(&s->tmp_fd, s->root_fd, "tmp", err)) < 0)
		goto fail;
	/* Fail at start, not at the first upload, when DATA is read-only. */
	probe = openat(s->tmp_fd, ".probe", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (probe < 0) {
		rc = err_set_errno(err, ERR_IO, "data directory '%s' is not writable", data_dir);
		goto fail;
	}
	close(probe);
	unlinkat(s->tmp_fd, ".probe", 0);
	if ((rc = sweep_tmp(s, err)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->root_fd >= 0)
		close(s->root_fd);
	if (s->objects_fd >= 0)
		close(s->objects_fd);
	if (s->tmp_fd >= 0)
		close(s->tmp_fd);
	free(s->root);
	free(s);
}

const char *store_root(const struct store *s)
{
	return s->root;
}

int store_put_begin(struct store_put **out, struct store *s, const char *oid,
		    long long expected_size, struct err *err)
{
	struct store_put *p;
	unsigned char rnd[8];
	int rc;

	if (!oid_valid(oid))
		return err_set(err, ERR_INVALID, "invalid object id");
	p = calloc(1, sizeof(*p));
	if (!p)
		return err_set(err, ERR_NOMEM, "out of memory");
	p->s = s;
	p->fd = -1;
	p->expected = expected_size;
	memcpy(p->oid, oid, sizeof(p->oid));
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		free(p);
		return err_set(err, ERR_IO, "no randomness for a temp name");
	}
	snprintf(p->tmp_name, sizeof(p->tmp_name), "%.64s-%02x%02x%02x%02x%02x%02x%02x%02x",
		 oid, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if ((rc = sha256_new(&p->hash, err)) < 0) {
		free(p);
		return rc;
	}
	/* Already in the store (uploaded to another repo): the client must
	 * still send every byte, which we hash, but nothing needs writing. */
	{
		char path[OID_PATH_LEN];
		struct stat st;
		oid_path(path, oid);
		if (fstatat(s->objects_fd, path, &st, 0) == 0 && S_ISREG(st.st_mode) &&
		    (expected_size < 0 || st.st_size == expected_size)) {
			*out = p;
			return 0;
		}
	}
	p->fd = openat(s->tmp_fd, p->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (p->fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot create temp file");
		sha256_free(p->hash);
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int store_put_write(struct store_put *p, const void *data, size_t len, struct err *err)
{
	const char *d = data;

	if (p->error)
		return err_set(err, p->error, "upload already failed");
	if (p->expected >= 0 && (long long)len > p->expected - p->received)
		return p->error = err_set(err, ERR_INVALID, "more bytes than the expected %lld", p->expected);
	if (sha256_update(p->hash, data, len, err) < 0)
		return p->error = ERR_IO;
	p->received += (long long)len;
	if (p->fd < 0)
		return 0;
	while (len > 0) {
		ssize_t n = write(p->fd, d, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return p->error = err_set_errno(err, ERR_IO, "cannot write temp file");
		d += n;
		len -= (size_t)n;
	}
	if (p->received - p->flushed >= WRITEBACK_STEP) {
		/* Advisory: a failure here only means the fsync does the work. */
		sync_file_range(p->fd, p->flushed, p->received - p->flushed, SYNC_FILE_RANGE_WRITE);
		p->flushed = p->received;
	}
	return 0;
}

long long store_put_received(const struct store_put *p)
{
	return p->received;
}

static void put_free(struct store_put *p)
{
	if (p->fd >= 0) {
		close(p->fd);
		unlinkat(p->s->tmp_fd, p->tmp_name, 0);
	}
	sha256_free(p->hash);
	free(p);
}

void store_put_abort(struct store_put *p)
{
	if (p)
		put_free(p);
}

/* Opens objects/ab/cd, creating and syncing new levels. */
static int open_fanout(int *out, struct store *s, const char *oid, struct err *err)
{
	char name[3] = { oid[0], oid[1], '\0' };
	int ab, cd, created = 0;

	if (mkdirat(s->objects_fd, name, 0755) == 0)
		created |= 1;
	else if (errno != EEXIST)
		return err_set_errno(err, ERR_IO, "cannot create objects/%s", name);
	ab = openat(s->objects_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ab < 0)
		return err_set_errno(err, ERR_IO, "cannot open objects/%s", name);
	name[0] = oid[2];
	name[1] = oid[3];
	if (mkdirat(ab, name, 0755) == 0)
		created |= 2;
	else if (errno != EEXIST) {
		int rc = err_set_errno(err, ERR_IO, "cannot create fan-out directory");
		close(ab);
		return rc;
	}
	cd = openat(ab, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cd < 0) {
		int rc = err_set_errno(err, ERR_IO, "cannot open fan-out directory");
		close(ab);
		return rc;
	}
	/* A new directory entry is durable only once its parent is synced. */
	if (((created & 2) && fsync(ab) < 0) || ((created & 1) && fsync(s->objects_fd) < 0)) {
		int rc = err_set_errno(err, ERR_IO, "cannot sync fan-out directory");
		close(ab);
		close(cd);
		return rc;
	}
	close(ab);
	*out = cd;
	return 0;
}

int store_put_commit(struct store_put *p, long long *size_out, struct err *err)
{
	char hex[OID_HEX_LEN + 1];
	int rc, cd = -1;

	if (p->error) {
		rc = err_set(err, p->error, "upload failed");
		goto out;
	}
	if (p->expected >= 0 && p->received != p->expected) {
		rc = err_set(err, ERR_INVALID, "received %lld bytes, expected %lld", p->received, p->expected);
		goto out;
	}
	if ((rc = sha256_final_hex(p->hash, hex, err)) < 0)
		goto out;
	if (strcmp(hex, p->oid) != 0) {
		rc = err_set(err, ERR_INVALID, "content hashes to %s, not to the object id", hex);
		goto out;
	}
	if (p->fd < 0) {
		/* Verified bytes of an object the store already holds. */
		if (size_out)
			*size_out = p->received;
		rc = 0;
		goto out;
	}
	if (fsync(p->fd) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot sync temp file");
		goto out;
	}
	fault_point("store-synced");
	if ((rc = open_fanout(&cd, p->s, p->oid, err)) < 0)
		goto out;
	/* link() never replaces: a concurrent upload of the same oid that got
	 * there first carries the same verified bytes. */
	if (linkat(p->s->tmp_fd, p->tmp_name, cd, p->oid, 0) < 0 && errno != EEXIST) {
		rc = err_set_errno(err, ERR_IO, "cannot link object into place");
		goto out;
	}
	if (fsync(cd) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot sync object directory");
		goto out;
	}
	fault_point("store-linked");
	if (size_out)
		*size_out = p->received;
	rc = 0;
out:
	if (cd >= 0)
		close(cd);
	put_free(p);
	return rc;
}

int store_object_open(int *fd_out, long long *size_out, struct store *s,
		      const char *oid, struct err *err)
{
	char path[OID_PATH_LEN];
	struct stat st;
	int fd;

	if (!oid_valid(oid))
		return err_set(err, ERR_INVALID, "invalid object id");
	oid_path(path, oid);
	fd = openat(s->objects_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return err_set(err, ERR_NOTFOUND, "object not found");
	if (fd < 0)
		return err_set_errno(err, ERR_IO, "cannot open object");
	if (fstat(fd, &st) < 0) {
		int rc = err_set_errno(err, ERR_IO, "cannot stat object");
		close(fd);
		return rc;
	}
	*fd_out = fd;
	*size_out = st.st_size;
	return 0;
}
