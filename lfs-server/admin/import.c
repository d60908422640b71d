/* admin_import: `lfs-admin import` (see import.h).
 *
 * Speed without new store code: each object goes through the store's own
 * upload path (store_put_*: hash check, fsync of the file, link, fsync of
 * its directory), by o->jobs threads at once, so their fsyncs overlap in
 * the file system's journal instead of queueing; the metadata of a whole
 * batch is one transaction (one WAL fsync), written only after every
 * file of the batch is durable (meta.h, invariant 1). */
#include "admin/import.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/acl.h"
#include "fault.h"
#include "meta/meta.h"
#include "oid.h"
#include "sha256.h"
#include "store/store.h"

#define IMPORT_BUF (256 * 1024)

struct item {
	char *path;
	char oid[OID_HEX_LEN + 1];
	long long size;
	bool named;   /* the file's name is its oid: stored without hashing first */
	bool skip;    /* the repo holds it already */
	bool bad;     /* does not hash to its name */
	char why[sizeof(((struct err *)0)->msg)];
};

struct list {
	struct item *v;
	size_t n, cap;
};

/* nftw has no argument for its callback: the walk in progress. */
static struct list *walk_list;
static struct err *walk_err;

static int list_add(struct list *l, const char *path, struct err *err)
{
	struct item *it;
	const char *base = strrchr(path, '/');

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		void *p = realloc(l->v, cap * sizeof(*l->v));
		if (!p)
			return err_set(err, ERR_NOMEM, "out of memory");
		l->v = p;
		l->cap = cap;
	}
	it = &l->v[l->n];
	memset(it, 0, sizeof(*it));
	if (!(it->path = strdup(path)))
		return err_set(err, ERR_NOMEM, "out of memory");
	base = base ? base + 1 : path;
	if (oid_valid(base)) {
		it->named = true;
		memcpy(it->oid, base, OID_HEX_LEN + 1);
	}
	l->n++;
	return 0;
}

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode))
		return list_add(walk_list, path, walk_err) < 0 ? -1 : 0;
	if (type == FTW_DNR || type == FTW_NS) {
		err_set(walk_err, ERR_IO, "cannot read '%s'", path);
		return -1;
	}
	return 0;
}

static int collect(struct list *l, const char *const *paths, size_t n, struct err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (lstat(paths[i], &st) < 0)
			return err_set_errno(err, ERR_IO, "cannot stat '%s'", paths[i]);
		if (S_ISREG(st.st_mode)) {
			if (list_add(l, paths[i], err) < 0)
				return ERR_NOMEM;
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			return err_set(err, ERR_INVALID, "'%s' is neither a file nor a directory", paths[i]);
		walk_list = l;
		walk_err = err;
		errno = 0;
		if (nftw(paths[i], walk_one, 64, FTW_PHYS) != 0) {
			if (err->code == 0)
				err_set_errno(err, ERR_IO, "cannot walk '%s'", paths[i]);
			return err->code;
		}
	}
	return 0;
}

/* --- storing: a pool of workers over one batch ------------------------------ */

struct pool {
	struct store *store;
	struct item *items;
	size_t n, next;
	pthread_mutex_t mu;
	int failed;        /* first error, under mu */
	struct err err;    /* its message */
};

/* Stores one file; 0, a bad item (0, it->bad set), or an error. */
static int store_one(struct store *s, struct item *it, char *buf, struct err *err)
{
	struct store_put *p = NULL;
	struct stat st;
	int fd, rc;

	if ((fd = open(it->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return err_set_errno(err, ERR_IO, "cannot open '%s'", it->path);
	if (fstat(fd, &st) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot stat '%s'", it->path);
		goto out;
	}
	if (!it->named) {
		if ((rc = sha256_fd(fd, it->oid, NULL, err)) < 0)
			goto out;
		if (lseek(fd, 0, SEEK_SET) < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot rewind '%s'", it->path);
			goto out;
		}
	}
	if ((rc = store_put_begin(&p, s, it->oid, (long long)st.st_size, err)) < 0)
		goto out;
	for (;;) {
		ssize_t r = read(fd, buf, IMPORT_BUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot read '%s'", it->path);
			store_put_abort(p);
			goto out;
		}
		if (r == 0)
			break;
		if ((rc = store_put_write(p, buf, (size_t)r, err)) < 0) {
			store_put_abort(p);
			goto bad;
		}
	}
	rc = store_put_commit(p, &it->size, err);
bad:
	if (rc == ERR_INVALID) {
		/* The file changed size under us, or its name is not its hash. */
		it->bad = true;
		snprintf(it->why, sizeof(it->why), "%s", err->msg);
		err_clear(err);
		rc = 0;
	}
out:
	close(fd);
	return rc;
}

static void *worker(void *arg)
{
	struct pool *pl = arg;
	struct err err = ERR_INIT;
	char *buf = malloc(IMPORT_BUF);

	for (;;) {
		struct item *it;
		int rc;

		pthread_mutex_lock(&pl->mu);
		if (!buf && !pl->failed)
			pl->failed = err_set(&pl->err, ERR_NOMEM, "out of memory");
		if (pl->failed || pl->next == pl->n) {
			pthread_mutex_unlock(&pl->mu);
			break;
		}
		it = &pl->items[pl->next++];
		pthread_mutex_unlock(&pl->mu);
		if (it->skip)
			continue;
		if ((rc = store_one(pl->store, it, buf, &err)) < 0) {
			pthread_mutex_lock(&pl->mu);
			if (!pl->failed) {
				pl->failed = rc;
				pl->err = err;
			}
			pthread_mutex_unlock(&pl->mu);
			break;
		}
	}
	free(buf);
	return NULL;
}

static int store_batch(struct store *s, struct item *items, size_t n, int jobs, struct err *err)
{
	struct pool pl = { .store = s, .items = items, .n = n };
	pthread_t th[64];
	int started = 0, rc = 0;

	pthread_mutex_init(&pl.mu, NULL);
	if (jobs > 64)
		jobs = 64;
	for (; started < jobs && (size_t)started < n; started++)
		if (pthread_create(&th[started], NULL, worker, &pl) != 0)
			break;
	if (started == 0)
		worker(&pl);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (pl.failed) {
		*err = pl.err;
		rc = pl.failed;
	}
	pthread_mutex_destroy(&pl.mu);
	return rc;
}

/* --- recording ----------------------------------------------------------- */

/* Marks the items of the batch the repo already holds (by name, at the
 * same size) as skipped: a rerun after an interruption goes fast. */
static int mark_held(struct meta *m, const char *repo, struct item *items, size_t n, struct err *err)
{
	const char **oids = calloc(n, sizeof(*oids));
	long long *sizes = calloc(n, sizeof(*sizes));
	size_t *idx = calloc(n, sizeof(*idx));
	size_t k = 0;
	int rc = 0;

	if (!oids || !sizes || !idx) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].named) {
			oids[k] = items[i].oid;
			idx[k++] = i;
		}
	}
	if (k && (rc = meta_repo_sizes(m, repo, oids, k, sizes, NULL, err)) < 0)
		goto out;
	for (size_t j = 0; j < k; j++) {
		struct stat st;
		struct item *it = &items[idx[j]];
		if (sizes[j] >= 0 && lstat(it->path, &st) == 0 && st.st_size == sizes[j])
			it->skip = true;
	}
out:
	free(oids);
	free(sizes);
	free(idx);
	return rc;
}

/* Records the batch's stored objects; *added gets the rows new to the repo. */
static int record_batch(struct meta *m, const char *repo, bool mirrored, struct item *items,
			size_t n, struct meta_import_row *rows, long long *added, struct err *err)
{
	size_t k = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (items[i].skip || items[i].bad)
			continue;
		rows[k].repo = repo;
		rows[k].oid = items[i].oid;
		rows[k].size = items[i].size;
		rows[k].mirrored = mirrored;
		k++;
	}
	rc = meta_sqlite_import(m, rows, k, "", added, err);
	if (rc != ERR_INVALID || m->ops == &meta_sqlite_ops)
		return rc;
	/* Another backend: its own add_object, one transaction per row (it
	 * does not say whether a row was new). */
	err_clear(err);
	*added = (long long)k;
	for (size_t i = 0; i < k; i++)
		if ((rc = meta_add_object(m, repo, rows[i].oid, rows[i].size, "", mirrored, err)) < 0)
			return rc;
	return 0;
}

static int open_meta(struct meta **out, const struct config *cfg, const char *data_dir, struct err *err)
{
	char path[4096];

	if (cfg->meta_type && strcmp(cfg->meta_type, "sqlite") != 0)
		return meta_open_configured(out, cfg, 1, err);
	if (snprintf(path, sizeof(path), "%s/meta.db", data_dir) >= (int)sizeof(path))
		return err_set(err, ERR_INVALID, "data dir path too long");
	return meta_open(out, path, 1, err);
}

int admin_import(const struct config *cfg, const char *data_dir, const struct admin_import_opts *o,
		 FILE *out, struct admin_import_result *res, struct err *err)
{
	struct list l = { 0 };
	struct store *s = NULL;
	struct meta *m = NULL;
	struct acl *acl = NULL;
	struct meta_import_row *rows = NULL;
	char holder[64];
	size_t batch = o->batch > 0 ? (size_t)o->batch : 1;
	int rc;

	memset(res, 0, sizeof(*res));
	if (cfg->storage_type && strcmp(cfg->storage_type, "local") != 0)
		return err_set(err, ERR_INVALID, "import writes the local store, and storage.type is '%s'",
			       cfg->storage_type);
	if ((rc = acl_load(&acl, cfg->git, err)) < 0)
		return rc;
	res->mirrored = acl_mirrored(acl, o->repo);
	acl_free(acl);
	/* The lock first: nothing is read or written beside a server. */
	snprintf(holder, sizeof(holder), "pid %ld lfs-admin import", (long)getpid());
	if ((rc = store_open_daemon(&s, data_dir, holder, err)) < 0)
		return rc;
	if ((rc = open_meta(&m, cfg, data_dir, err)) < 0)
		goto out;
	if ((rc = collect(&l, o->paths, o->npaths, err)) < 0)
		goto out;
	res->files = (long long)l.n;
	if (!(rows = calloc(batch, sizeof(*rows)))) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t at = 0; at < l.n; at += batch) {
		size_t n = l.n - at < batch ? l.n - at : batch;
		struct item *items = &l.v[at];
		long long added = 0;

		if ((rc = mark_held(m, o->repo, items, n, err)) < 0 ||
		    (rc = store_batch(s, items, n, o->jobs, err)) < 0)
			goto out;
		fault_point("import-stored");
		if ((rc = record_batch(m, o->repo, res->mirrored, items, n, rows, &added, err)) < 0)
			goto out;
		fault_point("import-recorded");
		res->imported += added;
		/* Stored but not new: the repo held it under another name. */
		res->held -= added;
		for (size_t i = 0; i < n; i++) {
			if (items[i].bad) {
				res->bad++;
				fprintf(out, "bad %s: %s\n", items[i].path, items[i].why);
			} else if (items[i].skip) {
				res->held++;
			} else {
				res->stored++;
				res->held++;
				res->bytes += items[i].size;
			}
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].path);
	free(l.v);
	free(rows);
	meta_close(m);
	store_close(s);
	return rc;
}
