/* store: content-addressed object store (invariants in store.h).
 *
 * Where an upload's bytes live until commit: where the file system and
 * /proc allow it (probed once, at the first upload), an anonymous file (O_TMPFILE) in the
 * object's own fan-out directory, linked to its name by linkat once
 * verified and synced: no name to create and remove in one directory
 * every upload shares, nothing left to sweep after a crash (the kernel
 * frees an anonymous inode with its last descriptor), and the inode is
 * allocated beside its final directory.  Elsewhere (NFS, old kernels, no
 * /proc, LFS_STORE_NAMED_TEMPS=1) a named temp file in tmp/, linked the
 * same way and then unlinked. */
#include "store/store.h"
#include "store/direct.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
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
#include "group.h"
#include "log.h"
#include "sha256.h"
#include "util.h"

/* Fan-out directories: objects/ab is ab_index, objects/ab/cd is the
 * 16-bit number of "abcd"; the directory objects/ itself is KEY_OBJECTS. */
#define N_AB 256
#define N_CD 65536
#define KEY_OBJECTS (N_CD + N_AB)
#define DIRSYNC_STRIPES 64

struct local {
	struct store base;
	char *root;
	int root_fd, objects_fd, tmp_fd;
	int lock_fd; /* DATA/lock while store_lock holds it, else -1 */
	/* Fan-out directories this process knows exist with a synced entry
	 * in their parent (bit per directory, set once, read without a
	 * lock): only an unknown one costs a mkdir and a parent fsync. */
	unsigned char known_cd[N_CD / 8], known_ab[N_AB / 8];
	/* Directory fsyncs after link, shared by the uploads that link into
	 * the same directory at the same time (common/group.h).  One group
	 * per stripe of directories, not one for all: fsyncs of different
	 * directories run side by side on their uploads' own threads, as
	 * they did before grouping, and only those of one directory (or of
	 * one stripe) queue behind each other. */
	struct group dirsync[DIRSYNC_STRIPES];
	/* Committed uploads' files let go of off the request's path
	 * (discard_tmp), by one thread started at the first and joined by
	 * store_close once the queue is empty. */
	pthread_mutex_t discard_mu;
	pthread_cond_t discard_cv;
	struct discard *discard_head, **discard_tail;
	pthread_t reaper;
	bool reaper_running, closing;
	bool discard_inline; /* no one waits for an answer (store_open) */
	/* LFS_STORE_BUFFERED=1: large uploads through the page cache, as on
	 * a file system that refuses O_DIRECT (for benchmarks and tests). */
	bool buffered_only;
	/* Whether uploads are O_TMPFILE files in objects/ab/cd (1) or names
	 * in tmp/ (-1): probed when the first upload begins (uploads_anon),
	 * not at attach, so that lfs-cgi's requests that upload nothing pay
	 * nothing for it. 0 until then. */
	int anon_state;
	char named_why[128]; /* when !anon: why (for the daemon's log) */
};

/* One upload's directories to sync after its link: its objects/ab/cd,
 * and the parents whose entry this process has not seen synced. */
struct dir_sync {
	struct group_member g; /* first: the batch is a list of these */
	int n;
	int key[3], fd[3];
};

struct local_put {
	struct store_put base; /* base.received: bytes so far */
	struct local *s;
	struct sha256 *hash;        /* small objects: hashed as they arrive */
	struct sha256_file *hasher; /* large ones: read back and hashed on a thread */
	struct direct *direct;      /* or written with O_DIRECT, hashed on the side */
	char oid[OID_HEX_LEN + 1];
	bool anon; /* an O_TMPFILE file (uploads_anon at begin), else tmp_name */
	char tmp_name[OID_HEX_LEN + 32]; /* named mode only */
	bool committed; /* linked (or found linked): its discard goes off-path */
	int fd;
	long long expected, received;
	long long flushed; /* bytes handed to writeback so far */
	int error; /* sticky */
};

/* Start writeback every this many bytes, so the final fsync has little
 * left to do and the disk works while the network still delivers. */
#define WRITEBACK_STEP (8LL << 20)

/* From this size on (and for an unknown size), the hash is computed on
 * a second thread from the bytes just written, so receiving and writing
 * never wait for SHA-256; below it a thread costs more than it saves. */
#define THREADED_HASH_MIN (4LL << 20)

/* Below this much free space at start, say that uploads will fail. */
#define LOW_SPACE (16LL << 20)

/* The local state of s.  The data dir functions below are this backend's
 * own: they must never be handed another backend's store. */
static struct local *local_of(const struct store *s)
{
	assert(s->ops == &store_local_ops);
	return (struct local *)s;
}

static bool bit_get(const unsigned char *bits, int i)
{
	return __atomic_load_n(&bits[i / 8], __ATOMIC_ACQUIRE) & (1u << (i % 8));
}

static void bit_set(unsigned char *bits, int i)
{
	__atomic_fetch_or(&bits[i / 8], (unsigned char)(1u << (i % 8)), __ATOMIC_RELEASE);
}

/* One round of directory fsyncs: each distinct directory of the batch
 * once.  A directory that fails to sync fails the whole round: every
 * member gets the error (no member can tell whether an earlier round's
 * entries in that directory are durable). */
static void dirsync_round(struct group_member *batch, void *arg)
{
	struct group_member *it, *prev;
	struct err err = ERR_INIT;
	int rc = 0;

	(void)arg;
	for (it = batch; it && rc == 0; it = it->next) {
		struct dir_sync *d = (struct dir_sync *)it;
		for (int i = 0; i < d->n && rc == 0; i++) {
			bool seen = false;
			for (prev = batch; prev != it && !seen; prev = prev->next) {
				struct dir_sync *e = (struct dir_sync *)prev;
				for (int j = 0; j < e->n; j++)
					seen = seen || e->key[j] == d->key[i];
			}
			if (!seen && fsync(d->fd[i]) < 0)
				rc = err_set_errno(&err, ERR_IO, "cannot sync object directory");
		}
	}
	if (rc == 0)
		fault_point("store-group-synced");
	for (it = batch; it; it = it->next) {
		it->rc = rc;
		if (rc < 0)
			it->err = err;
	}
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

/* Whether uploads can be anonymous files here, tried once with the steps
 * an upload takes: O_TMPFILE needs the file system's support (not NFS,
 * Linux >= 3.11), and naming the file needs /proc (linkat of
 * /proc/self/fd/N; AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH).  Any
 * failure means named temp files; s->named_why says why. */
static bool anon_works(struct local *s)
{
	static unsigned long seq;
	char proc[32], name[64];
	bool ok;
	int fd;

	if (util_env_true("LFS_STORE_NAMED_TEMPS")) {
		snprintf(s->named_why, sizeof(s->named_why), "LFS_STORE_NAMED_TEMPS is set");
		return false;
	}
	fd = openat(s->tmp_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(s->named_why, sizeof(s->named_why), "O_TMPFILE: %s", strerror(errno));
		return false;
	}
	/* A name of this process's own: store_attach takes no lock.  Not a
	 * dot name, so a start-up sweep removes one a kill -9 left behind. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	snprintf(name, sizeof(name), "probe-%ld-%lu", (long)getpid(),
		 __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
	ok = linkat(AT_FDCWD, proc, s->tmp_fd, name, AT_SYMLINK_FOLLOW) == 0;
	if (ok)
		unlinkat(s->tmp_fd, name, 0);
	else
		snprintf(s->named_why, sizeof(s->named_why), "linkat of %s: %s", proc, strerror(errno));
	close(fd);
	return ok;
}

/* Whether uploads are anonymous files here: anon_works, once per store,
 * at the first caller. */
static bool uploads_anon(struct local *s)
{
	int state = __atomic_load_n(&s->anon_state, __ATOMIC_ACQUIRE);

	if (state == 0) {
		pthread_mutex_lock(&s->discard_mu);
		if (s->anon_state == 0) {
			state = anon_works(s) ? 1 : -1;
			__atomic_store_n(&s->anon_state, state, __ATOMIC_RELEASE);
			if (state > 0)
				log_debug("%s: uploads are anonymous files (O_TMPFILE) linked into objects/",
					  s->root);
			else
				log_debug("%s: uploads are named temp files in tmp/ (%s)", s->root, s->named_why);
		}
		state = s->anon_state;
		pthread_mutex_unlock(&s->discard_mu);
	}
	return state > 0;
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
	s->buffered_only = util_env_true("LFS_STORE_BUFFERED");
	for (int i = 0; i < DIRSYNC_STRIPES; i++)
		group_init(&s->dirsync[i], dirsync_round, s);
	pthread_mutex_init(&s->discard_mu, NULL);
	pthread_cond_init(&s->discard_cv, NULL);
	s->discard_tail = &s->discard_head;
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

	/* lfs-mirror's tree answers no one: its temp names go at once, so a
	 * killed sync leaves only the file it was writing. */
	if (rc == 0)
		local_of(*out)->discard_inline = true;
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
	if (!uploads_anon(local_of(s)))
		log_info("%s: uploads are named temp files in tmp/, not anonymous files: %s",
			 data_dir, local_of(s)->named_why);
	if (store_free_bytes(s, &free_bytes, NULL) == 0 && free_bytes < LOW_SPACE)
		log_warn("data directory '%s' has %lld bytes free: downloads work, uploads and locks "
			 "fail with 507 until space is freed", data_dir, free_bytes);
	*out = s;
	return 0;
}

static void local_close(struct store *st)
{
	struct local *s = (struct local *)st;

	/* The reaper drains its queue (it uses tmp_fd), then ends. */
	pthread_mutex_lock(&s->discard_mu);
	s->closing = true;
	pthread_cond_broadcast(&s->discard_cv);
	pthread_mutex_unlock(&s->discard_mu);
	if (s->reaper_running)
		pthread_join(s->reaper, NULL);
	pthread_mutex_destroy(&s->discard_mu);
	pthread_cond_destroy(&s->discard_cv);

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
	for (int i = 0; i < DIRSYNC_STRIPES; i++)
		group_destroy(&s->dirsync[i]);
	free(s->root);
	free(s);
}

const char *store_root(const struct store *s)
{
	return local_of(s)->root;
}

static int make_fanout(struct local *s, const char *oid, struct err *err);

/* Lets go of a committed upload's file off the request's path: removes
 * its temp name (named mode) or closes its descriptor (anonymous mode).
 * When the store already held the object, that name or descriptor is the
 * file's last hold, and dropping it frees all its blocks: tens of
 * milliseconds for a large object, which would make the answer to an
 * upload of an object someone else holds measurably slower (store.h,
 * invariant 4).  So both cases, new object or not, hand it to the
 * store's reaper thread and answer at once; store_close waits for the
 * reaper to finish its queue (lfs-cgi closes its answer first). */
struct discard {
	struct store_later base; /* first: handed out as a store_later */
	struct local *s;
	struct discard *next; /* in the reaper's queue */
	int fd;      /* anonymous mode: the file, to close */
	char path[]; /* named mode: the temp name, to unlink (in tmp/) */
};

/* Drops what d holds, on whatever thread runs it. */
static void discard_now(struct discard *d)
{
	if (d->fd >= 0)
		close(d->fd);
	else
		unlinkat(d->s->tmp_fd, d->path, 0);
}

/* The store's reaper: drops what is queued, in order, until store_close
 * has asked it to end and the queue is empty.  One thread for the
 * store's life, not one per upload: a thread per upload cost a clone,
 * a stack and an exit for every small object of a push. */
static void *reaper(void *arg)
{
	struct local *s = arg;

	pthread_mutex_lock(&s->discard_mu);
	for (;;) {
		struct discard *d;
		while (!s->discard_head && !s->closing)
			pthread_cond_wait(&s->discard_cv, &s->discard_mu);
		d = s->discard_head;
		if (!d)
			break;
		s->discard_head = d->next;
		if (!s->discard_head)
			s->discard_tail = &s->discard_head;
		pthread_mutex_unlock(&s->discard_mu);
		discard_now(d);
		free(d);
		pthread_mutex_lock(&s->discard_mu);
	}
	pthread_mutex_unlock(&s->discard_mu);
	return NULL;
}

/* Queues d for the reaper (started at the first); where there is no
 * reaper, or no one waits for an answer (discard_inline), drops it here.
 * Frees d. */
static void discard_start(struct store_later *l)
{
	struct discard *d = (struct discard *)l;
	struct local *s = d->s;
	bool queued = false;

	if (!s->discard_inline) {
		pthread_mutex_lock(&s->discard_mu);
		if (!s->reaper_running && !s->closing) {
			pthread_attr_t attr;
			if (pthread_attr_init(&attr) == 0) {
				pthread_attr_setstacksize(&attr, 64 * 1024);
				s->reaper_running = pthread_create(&s->reaper, &attr, reaper, s) == 0;
				pthread_attr_destroy(&attr);
			}
		}
		if (s->reaper_running && !s->closing) {
			d->next = NULL;
			*s->discard_tail = d;
			s->discard_tail = &d->next;
			pthread_cond_signal(&s->discard_cv);
			queued = true;
		}
		pthread_mutex_unlock(&s->discard_mu);
	}
	if (!queued) {
		discard_now(d);
		free(d);
	}
}

/* Takes a committed upload's file (p->fd, and its temp name in named
 * mode): handed back in *later when the caller asked to let go of it
 * itself (store_put_commit_later), else let go of now, off this thread.
 * Out of memory: dropped here and now. */
static void discard_tmp(struct local_put *p, struct store_later **later)
{
	struct local *s = p->s;
	size_t len = p->anon ? 1 : strlen(p->tmp_name) + 1;
	struct discard *d = malloc(sizeof(*d) + len);

	if (!p->anon) {
		close(p->fd);
		p->fd = -1;
	}
	if (!d) {
		if (p->anon)
			close(p->fd);
		else
			unlinkat(s->tmp_fd, p->tmp_name, 0);
	} else {
		d->base.release = discard_start;
		d->s = s;
		d->fd = p->fd;
		memcpy(d->path, p->anon ? "" : p->tmp_name, len);
		if (later)
			*later = &d->base;
		else
			discard_start(&d->base);
	}
	p->fd = -1;
}

/* Frees p; a committed upload's file goes to discard_tmp (later: see
 * there). */
static void put_free(struct local_put *p, struct store_later **later)
{
	/* The hashing thread reads fd: stop it first. */
	sha256_file_free(p->hasher);
	direct_free(p->direct);
	if (p->fd >= 0 && p->committed) {
		discard_tmp(p, later);
	} else if (p->fd >= 0) {
		/* An anonymous file vanishes with its descriptor. */
		close(p->fd);
		if (!p->anon)
			unlinkat(p->s->tmp_fd, p->tmp_name, 0);
	}
	sha256_free(p->hash);
	free(p);
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
	p->anon = uploads_anon(s);
	if (!p->anon) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			free(p);
			return err_set(err, ERR_IO, "no randomness for a temp name");
		}
		snprintf(p->tmp_name, sizeof(p->tmp_name), "%.64s-%02x%02x%02x%02x%02x%02x%02x%02x",
			 oid, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	}
	if ((rc = sha256_new(&p->hash, err)) < 0) {
		free(p);
		return rc;
	}
	/* Even when the store already holds the oid (another repo has it),
	 * the bytes are written and synced like any new object's, and the
	 * link then finds EEXIST: an upload must not answer faster for
	 * objects that exist, or it would tell whoever can upload anywhere
	 * which objects private repos hold (docs/security.md). */
	/* Read and write: a large upload's hashing thread reads it back.  An
	 * anonymous file is made in the directory its name will be in. */
	if (p->anon) {
		char dir[6] = { oid[0], oid[1], '/', oid[2], oid[3], '\0' };
		if ((rc = make_fanout(s, oid, err)) < 0) {
			sha256_free(p->hash);
			free(p);
			return rc;
		}
		p->fd = openat(s->objects_fd, dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	} else {
		p->fd = openat(s->tmp_fd, p->tmp_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (p->fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot create temp file");
		sha256_free(p->hash);
		free(p);
		return rc;
	}
	/* A large upload of known size goes around the page cache (direct.h);
	 * where the file system refuses that, and for an unknown size, it is
	 * written through the cache and hashed from there on a thread. */
	if (expected_size >= THREADED_HASH_MIN && !s->buffered_only && direct_enable(p->fd)) {
		if ((rc = direct_start(&p->direct, p->fd, err)) < 0) {
			put_free(p, NULL);
			return rc;
		}
	} else if ((expected_size < 0 || expected_size >= THREADED_HASH_MIN) &&
		   (rc = sha256_file_start(&p->hasher, p->fd, err)) < 0) {
		put_free(p, NULL);
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
	if (p->direct) {
		int rc = direct_write(p->direct, data, len, err);
		if (rc < 0)
			return p->error = rc;
		p->base.received += (long long)len;
		return 0;
	}
	if (!p->hasher && sha256_update(p->hash, data, len, err) < 0)
		return p->error = ERR_IO;
	p->base.received += (long long)len;
	if (util_write_all(p->fd, d, len) < 0)
		return p->error = err_set_errno(err, ERR_IO, "cannot write temp file");
	if (p->hasher)
		sha256_file_advance(p->hasher, p->base.received);
	if (p->base.received - p->flushed >= WRITEBACK_STEP) {
		/* Advisory: a failure here only means the fsync does the work. */
		sync_file_range(p->fd, p->flushed, p->base.received - p->flushed, SYNC_FILE_RANGE_WRITE);
		p->flushed = p->base.received;
	}
	return 0;
}

static void local_put_abort(struct store_put *p)
{
	put_free((struct local_put *)p, NULL);
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static int ab_index(const char *oid)
{
	return hexval(oid[0]) << 4 | hexval(oid[1]);
}

static int cd_index(const char *oid)
{
	return ab_index(oid) << 8 | hexval(oid[2]) << 4 | hexval(oid[3]);
}

/* Creates objects/ab and objects/ab/cd unless this process knows they
 * exist.  Their entries are synced by the commit that links into them
 * (open_fanout), not here. */
static int make_fanout(struct local *s, const char *oid, struct err *err)
{
	char name[6] = { oid[0], oid[1], '\0', oid[2], oid[3], '\0' };

	if (bit_get(s->known_cd, cd_index(oid)))
		return 0;
	if (mkdirat(s->objects_fd, name, 0755) < 0 && errno != EEXIST)
		return err_set_errno(err, ERR_IO, "cannot create objects/%s", name);
	name[2] = '/';
	if (mkdirat(s->objects_fd, name, 0755) < 0 && errno != EEXIST)
		return err_set_errno(err, ERR_IO, "cannot create objects/%s", name);
	return 0;
}

/* Opens objects/ab/cd (creating what is missing unless made already, by
 * make_fanout at put_begin), and fills d with the directories to sync
 * once the object is linked: the fan-out directory itself, and each
 * parent whose entry this process has not seen synced (one that it
 * created, or that an earlier run may have created just before a
 * crash). */
static int open_fanout(int *out, struct dir_sync *d, struct local *s, const char *oid,
		       bool made, struct err *err)
{
	char name[6] = { oid[0], oid[1], '/', oid[2], oid[3], '\0' };
	int ab_i = ab_index(oid), cd_i = cd_index(oid);
	int cd, ab = -1, rc;

	d->n = 0;
	if (!bit_get(s->known_cd, cd_i)) {
		if (!made && (rc = make_fanout(s, oid, err)) < 0)
			return rc;
		name[2] = '\0';
		ab = openat(s->objects_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ab < 0)
			return err_set_errno(err, ERR_IO, "cannot open objects/%s", name);
		name[2] = '/';
	}
	cd = openat(s->objects_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot open objects/%s", name);
		if (ab >= 0)
			close(ab);
		return rc;
	}
	d->key[d->n] = cd_i;
	d->fd[d->n++] = cd;
	if (ab >= 0) {
		d->key[d->n] = N_CD + ab_i;
		d->fd[d->n++] = ab;
		if (!bit_get(s->known_ab, ab_i)) {
			d->key[d->n] = KEY_OBJECTS;
			d->fd[d->n++] = s->objects_fd;
		}
	}
	*out = cd;
	return 0;
}

/* Gives the verified, synced file its name objects/ab/cd/<oid>; never
 * replaces (EEXIST: a concurrent or earlier upload of the same oid got
 * there first, with the same verified bytes). */
static int link_upload(struct local_put *p, int cd)
{
	char proc[32];

	if (!p->anon)
		return linkat(p->s->tmp_fd, p->tmp_name, cd, p->oid, 0);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", p->fd);
	return linkat(AT_FDCWD, proc, cd, p->oid, AT_SYMLINK_FOLLOW);
}

static int local_put_commit(struct store_put *pb, long long *size_out, struct store_later **later,
			    struct err *err)
{
	struct local_put *p = (struct local_put *)pb;
	struct local *s = p->s;
	struct dir_sync d = { .n = 0 };
	char hex[OID_HEX_LEN + 1];
	bool threaded = p->hasher != NULL || p->direct != NULL;
	int rc = 0, cd = -1;

	if (later)
		*later = NULL;
	if (p->error) {
		rc = err_set(err, p->error, "upload failed");
		goto out;
	}
	if (p->expected >= 0 && p->base.received != p->expected) {
		rc = err_set(err, ERR_INVALID, "received %lld bytes, expected %lld", p->base.received, p->expected);
		goto out;
	}
	if (p->direct) {
		rc = direct_finish(p->direct, hex, err);
		p->direct = NULL;
		if (rc < 0)
			goto out;
	}
	/* A large file's fsync runs while its hashing thread finishes. */
	if (threaded && fsync(p->fd) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot sync temp file");
		goto out;
	}
	if (p->hasher) {
		rc = sha256_file_finish(p->hasher, p->base.received, hex, err);
		p->hasher = NULL;
	} else if (!threaded) {
		rc = sha256_final_hex(p->hash, hex, err);
	}
	if (rc < 0)
		goto out;
	if (strcmp(hex, p->oid) != 0) {
		rc = err_set(err, ERR_INVALID, "content hashes to %s, not to the object id", hex);
		goto out;
	}
	/* Small objects are synced after the hash check: a corrupt upload
	 * costs no fsync (the same for every object, present or not). */
	if (!threaded && fsync(p->fd) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot sync temp file");
		goto out;
	}
	fault_point("store-synced");
	if ((rc = open_fanout(&cd, &d, s, p->oid, p->anon, err)) < 0)
		goto out;
	if (link_upload(p, cd) < 0 && errno != EEXIST) {
		rc = err_set_errno(err, ERR_IO, "cannot link object into place");
		goto out;
	}
	/* The link (and any new fan-out directory) is durable once these
	 * directories are synced: each fsync shared with the uploads that
	 * need the same directory synced now. */
	for (int i = 0; i < d.n; i++) {
		struct dir_sync one = { .n = 1, .key = { d.key[i] }, .fd = { d.fd[i] } };
		if ((rc = group_join(&s->dirsync[d.key[i] % DIRSYNC_STRIPES], &one.g, err)) < 0)
			goto out;
	}
	for (int i = 0; i < d.n; i++) {
		if (d.key[i] < N_CD)
			bit_set(s->known_cd, d.key[i]);
		else if (d.key[i] < KEY_OBJECTS)
			bit_set(s->known_ab, d.key[i] - N_CD);
	}
	fault_point("store-linked");
	if (size_out)
		*size_out = p->base.received;
	p->committed = true;
	rc = 0;
out:
	for (int i = 0; i < d.n; i++)
		if (d.fd[i] != s->objects_fd)
			close(d.fd[i]);
	put_free(p, later);
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
