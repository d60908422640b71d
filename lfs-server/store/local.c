/* store: content-addressed object store (invariants in store.h). */
#include "store/store.h"

#include <assert.h>
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

#include "core/config.h"
#include "core/mirror_verify.h"
#include "fault.h"
#include "log.h"
#include "sha256.h"
#include "util.h"

struct local {
	struct store base;
	char *root;
	int root_fd, objects_fd, tmp_fd;
	int lock_fd; /* DATA/lock while store_lock holds it, else -1 */
};

struct local_put {
	struct store_put base; /* base.received: bytes so far */
	struct local *s;
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

/* The local state of s.  The data dir functions below are this backend's
 * own: they must never be handed another backend's store. */
static struct local *local_of(const struct store *s)
{
	assert(s->ops == &store_local_ops);
	return (struct local *)s;
}

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

int store_sweep_tmp(struct store *base, long long older_than, long long *removed, struct err *err)
{
	struct local *s = local_of(base);
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
	struct local *s = calloc(1, sizeof(*s));
	int rc, probe;

	if (!s || !(s->root = strdup(data_dir))) {
		free(s);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	s->base.ops = &store_local_ops;
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
	*out = &s->base;
	return 0;
fail:
	store_close(&s->base);
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

int store_lock(struct store *base, const char *holder, struct err *err)
{
	struct local *s = local_of(base);
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

int store_free_bytes(const struct store *st, long long *out, struct err *err)
{
	const struct local *s = local_of(st);
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

static void local_close(struct store *st)
{
	struct local *s = (struct local *)st;

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
	return local_of(s)->root;
}

static int local_put_begin(struct store_put **out, struct store *st, const char *oid,
			   long long expected_size, struct err *err)
{
	struct local *s = (struct local *)st;
	struct local_put *p;
	unsigned char rnd[8];
	int rc;

	if (!oid_valid(oid))
		return err_set(err, ERR_INVALID, "invalid object id");
	p = calloc(1, sizeof(*p));
	if (!p)
		return err_set(err, ERR_NOMEM, "out of memory");
	p->base.store = st;
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
	*out = &p->base;
	return 0;
}

static int local_put_write(struct store_put *pb, const void *data, size_t len, struct err *err)
{
	struct local_put *p = (struct local_put *)pb;
	const char *d = data;

	if (p->error)
		return err_set(err, p->error, "upload already failed");
	if (p->expected >= 0 && (long long)len > p->expected - p->base.received)
		return p->error = err_set(err, ERR_INVALID, "more bytes than the expected %lld", p->expected);
	if (sha256_update(p->hash, data, len, err) < 0)
		return p->error = ERR_IO;
	p->base.received += (long long)len;
	if (util_write_all(p->fd, d, len) < 0)
		return p->error = err_set_errno(err, ERR_IO, "cannot write temp file");
	if (p->base.received - p->flushed >= WRITEBACK_STEP) {
		/* Advisory: a failure here only means the fsync does the work. */
		sync_file_range(p->fd, p->flushed, p->base.received - p->flushed, SYNC_FILE_RANGE_WRITE);
		p->flushed = p->base.received;
	}
	return 0;
}

static void put_free(struct local_put *p)
{
	if (p->fd >= 0) {
		close(p->fd);
		unlinkat(p->s->tmp_fd, p->tmp_name, 0);
	}
	sha256_free(p->hash);
	free(p);
}

static void local_put_abort(struct store_put *p)
{
	put_free((struct local_put *)p);
}

/* Opens objects/ab/cd, creating and syncing new levels. */
static int open_fanout(int *out, struct local *s, const char *oid, struct err *err)
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

static int local_put_commit(struct store_put *pb, long long *size_out, struct err *err)
{
	struct local_put *p = (struct local_put *)pb;
	char hex[OID_HEX_LEN + 1];
	int rc, cd = -1;

	if (p->error) {
		rc = err_set(err, p->error, "upload failed");
		goto out;
	}
	if (p->expected >= 0 && p->base.received != p->expected) {
		rc = err_set(err, ERR_INVALID, "received %lld bytes, expected %lld", p->base.received, p->expected);
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
		*size_out = p->base.received;
	rc = 0;
out:
	if (cd >= 0)
		close(cd);
	put_free(p);
	return rc;
}

static int local_get(struct store *st, const char *oid, struct store_object *out, struct err *err)
{
	struct local *s = (struct local *)st;
	char path[OID_PATH_LEN];
	struct stat sb;
	int fd;

	if (!oid_valid(oid))
		return err_set(err, ERR_INVALID, "invalid object id");
	oid_path(path, oid);
	fd = openat(s->objects_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return err_set(err, ERR_NOTFOUND, "object not found");
	if (fd < 0)
		return err_set_errno(err, ERR_IO, "cannot open object");
	if (fstat(fd, &sb) < 0) {
		int rc = err_set_errno(err, ERR_IO, "cannot stat object");
		close(fd);
		return rc;
	}
	out->fd = fd;
	out->url = NULL;
	out->size = sb.st_size;
	return 0;
}

static int local_exists(struct store *st, const char *oid, long long *size_out, struct err *err)
{
	struct local *s = (struct local *)st;
	char path[OID_PATH_LEN];
	struct stat sb;

	if (!oid_valid(oid))
		return err_set(err, ERR_INVALID, "invalid object id");
	oid_path(path, oid);
	if (fstatat(s->objects_fd, path, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? err_set(err, ERR_NOTFOUND, "object not found")
				       : err_set_errno(err, ERR_IO, "cannot stat object");
	if (!S_ISREG(sb.st_mode))
		return err_set(err, ERR_IO, "objects/%s is not a regular file", path);
	if (size_out)
		*size_out = sb.st_size;
	return 0;
}

struct each_ctx {
	int (*fn)(const char *oid, long long size, void *arg);
	void *arg;
};

static int each_item(const struct mirror_verify_item *it, void *arg)
{
	struct each_ctx *c = arg;

	/* Files that are not objects (misplaced, stray) are fsck's business. */
	if (it->status == MIRROR_VERIFY_MISPLACED)
		return 0;
	return c->fn(it->oid, it->size, c->arg);
}

static int local_each(struct store *st, int (*fn)(const char *oid, long long size, void *arg),
		      void *arg, struct err *err)
{
	struct each_ctx c = { fn, arg };

	return mirror_verify_walk(((struct local *)st)->root, false, each_item, &c, err);
}

static int local_open(struct store **out, const struct config *cfg, const char *holder,
		      struct err *err)
{
	return store_open_daemon(out, cfg->data, holder, err);
}

const struct store_ops store_local_ops = {
	.name = "local",
	.open = local_open,
	.put_begin = local_put_begin,
	.put_write = local_put_write,
	.put_commit = local_put_commit,
	.put_abort = local_put_abort,
	.get = local_get,
	.exists = local_exists,
	.each = local_each,
	.close = local_close,
};
