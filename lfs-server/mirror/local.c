/* mirror_local: the feed and objects of a local data dir (see mirror/local.h). */
#include "mirror/local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meta/meta.h"

#define COPY_BUF (1 << 20)

struct mirror_local {
	char *data;
	struct meta_reader *db;
	int objects_fd;
	char *buf;
};

void mirror_local_free(struct mirror_local *l)
{
	if (!l)
		return;
	meta_reader_close(l->db, NULL);
	if (l->objects_fd >= 0)
		close(l->objects_fd);
	free(l->buf);
	free(l->data);
	free(l);
}

int mirror_local_open(struct mirror_local **out, const char *data_dir, struct err *err)
{
	struct mirror_local *l = calloc(1, sizeof(*l));
	char path[4096];
	int rc;

	if (!l || !(l->data = strdup(data_dir)) || !(l->buf = malloc(COPY_BUF))) {
		if (l)
			free(l->data);
		free(l);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	l->objects_fd = -1;
	/* The same read-only open as lfs-admin's: never creates meta.db (a
	 * typo must not look like an empty feed), and leaves the server's
	 * kept -wal/-shm files in place. */
	if ((rc = meta_reader_open(&l->db, data_dir, err)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/objects", data_dir);
	l->objects_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->objects_fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot open '%s'", path);
		goto fail;
	}
	*out = l;
	return 0;
fail:
	mirror_local_free(l);
	return rc;
}

/* Filling one page. */
struct page {
	struct mirror_local *l;
	struct mirror_entry *out;
	size_t n, max;
	long long *next_out;
	struct err *err;
};

static int page_row(long long seq, const char *oid, long long size, void *arg)
{
	struct page *p = arg;

	if (p->n == p->max) {
		*p->next_out = p->out[p->n - 1].seq;
		return 1;
	}
	if (!oid_valid(oid) || size < 0)
		return err_set(p->err, ERR_INVALID, "%s/meta.db: feed row %lld is invalid", p->l->data, seq);
	p->out[p->n].seq = seq;
	p->out[p->n].size = size;
	memcpy(p->out[p->n].oid, oid, OID_HEX_LEN + 1);
	p->n++;
	return 0;
}

int mirror_local_page(struct mirror_local *l, long long after, size_t max,
		      struct mirror_entry *out, size_t *n_out, long long *next_out,
		      struct err *err)
{
	struct page p = { l, out, 0, max, next_out, err };
	int rc;

	*next_out = -1;
	/* One more row than asked tells whether another page follows. */
	rc = meta_reader_feed(l->db, after, (long long)max + 1, page_row, &p, err);
	*n_out = p.n;
	return rc;
}

/* Copies one object; the store checks its size and hash. */
static int copy_one(struct mirror_local *l, struct store *store, const struct mirror_entry *e,
		    struct err *err)
{
	char path[OID_PATH_LEN];
	struct store_put *put = NULL;
	struct err serr = ERR_INIT;
	int fd, rc;

	oid_path(path, e->oid);
	fd = openat(l->objects_fd, path, O_RDONLY | O_CLOEXEC);
	/* --from DATA_DIR reads the local store only: a server with
	 * storage.type = s3 has its objects in the bucket, not here. */
	if (fd < 0 && errno == ENOENT)
		return err_set(err, ERR_IO, "%s: not in '%s/objects' (--from DATA_DIR reads the local store only; "
			       "for a server with storage.type = s3, sync from its URL)", e->oid, l->data);
	if (fd < 0)
		return err_set_errno(err, ERR_IO, "%s: cannot open '%s/objects/%s'", e->oid, l->data, path);
	if ((rc = store_put_begin(&put, store, e->oid, e->size, &serr)) < 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, l->buf, COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(&serr, ERR_IO, "read");
			break;
		}
		if (n == 0 || (rc = store_put_write(put, l->buf, (size_t)n, &serr)) < 0)
			break;
	}
	if (rc < 0)
		store_put_abort(put);
	else
		rc = store_put_commit(put, NULL, &serr);
out:
	close(fd);
	if (rc < 0)
		err_set(err, rc, "%s: from '%s/objects/%s': %s", e->oid, l->data, path, serr.msg);
	return rc;
}

int mirror_local_objects(struct mirror_local *l, struct store *store,
			 const struct mirror_entry *entries, size_t n, bool *done,
			 long long *bytes, struct err *err)
{
	for (size_t i = 0; i < n; i++) {
		int rc;
		if (done[i])
			continue;
		if ((rc = copy_one(l, store, &entries[i], err)) < 0)
			return rc;
		done[i] = true;
		*bytes += entries[i].size;
	}
	return 0;
}
