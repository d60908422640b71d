/* store: content-addressed object store (invariants in store.h). */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "log.h"
#include "sha256.h"
#include "util.h"

struct store {
	char *root;
	int root_fd, objects_fd, tmp_fd;
	int lock_fd; /* DATA/lock while store_lock holds it, else -1 */
};

struct store_put {
	struct store *s;
	struct sha256 *hash;
	char oid[OID_HEX_LEN + 1];
	char tmp_name[OID_HEX_LEN + 32];
	int fd;
	long long expected, received;
	long long flushed; /* bytes handed to writeback so far */
	int error; /* sticky */
};

/* Start writeback every this many bytes, so the final fsync has little
 * left to do and the disk works while the network still delivers. */
#define WRITEBACK_STEP (8LL << 20)

/* Below this much free space at start, say that uploads will fail. */
#define LOW_SPACE (16LL << 20)

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

int store_sweep_tmp(struct store *s, long long older_than, long long *removed, struct err *err)
{
	int fd = dup(s->tmp_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	time_t cutoff = time(NULL) - (time_t)older_than;
	struct dirent *e;
	struct stat st;
	long long n = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_set_errno(err, ERR_IO, "cannot read '%s/tmp'", s->root);
	}
	/* The dup shares tmp_fd's offset, which an earlier sweep left at the end. */
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		/* An upload in progress touches its file with every write, and
		 * a connection idle for longer than server.idle-timeout is
		 * dropped: an old mtime means nobody writes there any more. */
		if (older_than > 0 && (fstatat(s->tmp_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				       st.st_mtime > cutoff))
			continue;
		if (unlinkat(s->tmp_fd, e->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	if (removed)
		*removed = n;
	return 0;
}

int store_attach(struct store **out, const char *data_dir, struct err *err)
{
	struct store *s = calloc(1, sizeof(*s));
	int rc, probe;

	if (!s || !(s->root = strdup(data_dir))) {
		free(s);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	s->root_fd = s->objects_fd = s->tmp_fd = s->lock_fd = -1;
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
	/* Fail at start, not at the first upload, when DATA is read-only.  A
	 * full disk is no reason to refuse: downloads still work. */
	probe = openat(s->tmp_fd, ".probe", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (probe < 0 && errno != ENOSPC && errno != EDQUOT) {
		rc = err_set_errno(err, ERR_IO, "data directory '%s' is not writable", data_dir);
		goto fail;
	}
	if (probe >= 0) {
		close(probe);
		unlinkat(s->tmp_fd, ".probe", 0);
	}
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

int store_open(struct store **out, const char *data_dir, struct err *err)
{
	int rc = store_attach(out, data_dir, err);

	if (rc == 0 && (rc = store_sweep_tmp(*out, 0, NULL, err)) < 0) {
		store_close(*out);
		*out = NULL;
	}
	return rc;
}

int store_lock(struct store *s, const char *holder, struct err *err)
{
	char text[256];
	ssize_t n;
	int fd = openat(s->root_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_set_errno(err, ERR_IO, "cannot open '%s/lock'", s->root);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int rc;
		if (errno != EWOULDBLOCK) {
			rc = err_set_errno(err, ERR_IO, "cannot lock '%s/lock'", s->root);
			close(fd);
			return rc;
		}
		n = pread(fd, text, sizeof(text) - 1, 0);
		text[n > 0 ? n : 0] = '\0';
		text[strcspn(text, "\n")] = '\0';
		rc = err_set(err, ERR_CONFLICT, "data directory '%s' is in use: '%s/lock' is held by %s",
			     s->root, s->root, text[0] ? text : "another process");
		close(fd);
		return rc;
	}
	/* Who holds it, for the message of the next one who tries.  Only
	 * informative: on a full disk the lock holds without it. */
	n = snprintf(text, sizeof(text), "%s\n", holder);
	if (n > (ssize_t)sizeof(text) - 1)
		n = (ssize_t)sizeof(text) - 1;
	/* Overwrite, then cut: a full disk can still overwrite the bytes of
	 * the previous holder's line. */
	if (n > 0 && pwrite(fd, text, (size_t)n, 0) == n)
		(void)!ftruncate(fd, n);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = fd;
	return 0;
}

int store_free_bytes(const struct store *s, long long *out, struct err *err)
{
	struct statvfs v;

	if (fstatvfs(s->root_fd, &v) < 0)
		return err_set_errno(err, ERR_IO, "cannot stat the file system of '%s'", s->root);
	*out = (long long)v.f_bavail * (long long)v.f_frsize;
	return 0;
}

int store_open_daemon(struct store **out, const char *data_dir, const char *holder, struct err *err)
{
	struct store *s = NULL;
	long long free_bytes = LOW_SPACE, removed = 0;
	int rc;

	if ((rc = store_attach(&s, data_dir, err)) < 0)
		return rc;
	if ((rc = store_lock(s, holder, err)) < 0 ||
	    (rc = store_sweep_tmp(s, 0, &removed, err)) < 0) {
		store_close(s);
		return rc;
	}
	if (removed > 0)
		log_info("%s/tmp: %lld unfinished uploads from an earlier run removed", data_dir, removed);
	if (store_free_bytes(s, &free_bytes, NULL) == 0 && free_bytes < LOW_SPACE)
		log_warn("data directory '%s' has %lld bytes free: downloads work, uploads and locks "
			 "fail with 507 until space is freed", data_dir, free_bytes);
	*out = s;
	return 0;
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
	/* Closing the descriptor releases the lock; the file stays (removing
	 * a flock file races with the next locker). */
	if (s->lock_fd >= 0)
		close(s->lock_fd);
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
	/* Even when the store already holds the oid (another repo has it),
	 * the bytes are written and synced like any new object's, and the
	 * link then finds EEXIST: an upload must not answer faster for
	 * objects that exist, or it would tell whoever can upload anywhere
	 * which objects private repos hold (docs/security.md). */
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
	if (util_write_all(p->fd, d, len) < 0)
		return p->error = err_set_errno(err, ERR_IO, "cannot write temp file");
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
