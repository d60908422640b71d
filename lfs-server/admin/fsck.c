/* admin_fsck: `lfs-admin fsck`, the full consistency check of a data dir
 * (see admin.h).
 *
 * Order matters beside a running server: rows are read first, in one read
 * transaction, and files after.  A row is committed only after its file
 * is linked (meta.h, invariant 1), so every row read has its file by the
 * time it is checked; files that arrive later look like orphans, and
 * orphans are checked again against a fresh read before being reported. */
#include "admin/admin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mirror_verify.h"
#include "meta/meta.h"
#include "oid.h"
#include "store/store.h"

struct oidset {
	char (*v)[OID_HEX_LEN + 1];
	size_t n, cap;
};

/* The objects of a store listed by store_each (S3), sorted by oid. */
struct sized {
	char oid[OID_HEX_LEN + 1];
	long long size;
};

struct sizedset {
	struct sized *v;
	size_t n, cap;
};

/* A row waiting for the listing (S3: rows are read first, see above). */
struct pending {
	char what[120];
	char oid[OID_HEX_LEN + 1];
	long long size;
};

struct fsck {
	const char *data;
	struct store *store;   /* NULL: DATA/objects */
	struct sizedset listed;
	struct pending *pend;
	size_t npend, cappend;
	FILE *out;
	int objects_fd;
	struct meta_reader *db;
	struct err *err;       /* during the walks over rows */
	struct oidset rows;    /* every oid with a journal row */
	struct oidset orphans; /* files without one, to check again */
	long long problems, objects, bytes, journal, feed;
};

static int oidset_add(struct oidset *s, const char *oid, struct err *err)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		void *p = realloc(s->v, cap * sizeof(*s->v));
		if (!p)
			return err_set(err, ERR_NOMEM, "out of memory");
		s->v = p;
		s->cap = cap;
	}
	memcpy(s->v[s->n++], oid, OID_HEX_LEN + 1);
	return 0;
}

static int oid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, OID_HEX_LEN);
}

static bool oidset_has(const struct oidset *s, const char *oid)
{
	return s->n && bsearch(oid, s->v, s->n, sizeof(*s->v), oid_cmp) != NULL;
}

static void problem(struct fsck *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct fsck *f, const char *fmt, ...)
{
	va_list ap;

	f->problems++;
	va_start(ap, fmt);
	vfprintf(f->out, fmt, ap);
	va_end(ap);
	fputc('\n', f->out);
}

/* Checks that a row's object is in the store with the row's size. */
static int check_row(struct fsck *f, const char *what, const char *oid, long long size,
		     struct err *err)
{
	char path[OID_PATH_LEN];
	struct stat st;

	if (!oid_valid(oid)) {
		problem(f, "bad row: %s: invalid oid '%.80s'", what, oid ? oid : "(null)");
		return 0;
	}
	if (f->store) {
		/* Checked once the store is listed (check_pending). */
		if (f->npend == f->cappend) {
			size_t cap = f->cappend ? f->cappend * 2 : 256;
			struct pending *p = realloc(f->pend, cap * sizeof(*p));
			if (!p)
				return err_set(err, ERR_NOMEM, "out of memory");
			f->pend = p;
			f->cappend = cap;
		}
		snprintf(f->pend[f->npend].what, sizeof(f->pend[f->npend].what), "%s", what);
		memcpy(f->pend[f->npend].oid, oid, OID_HEX_LEN + 1);
		f->pend[f->npend++].size = size;
		return 0;
	}
	oid_path(path, oid);
	if (f->objects_fd < 0 || fstatat(f->objects_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (f->objects_fd >= 0 && errno != ENOENT)
			return err_set_errno(err, ERR_IO, "cannot stat '%s/objects/%s'", f->data, path);
		problem(f, "missing: %s: objects/%s does not exist", what, path);
	} else if (!S_ISREG(st.st_mode) || (long long)st.st_size != size) {
		problem(f, "wrong size: %s: objects/%s has %lld bytes, the row says %lld", what, path,
			(long long)st.st_size, size);
	}
	return 0;
}

static int journal_row(const struct meta_journal_row *row, void *arg)
{
	struct fsck *f = arg;
	char what[400];
	int rc;

	f->journal++;
	snprintf(what, sizeof(what), "journal seq %lld (repo %.200s)", row->seq, row->repo);
	rc = check_row(f, what, row->oid, row->size, f->err);
	if (rc == 0 && oid_valid(row->oid))
		rc = oidset_add(&f->rows, row->oid, f->err);
	return rc;
}

static int feed_row(long long seq, const char *oid, long long size, void *arg)
{
	struct fsck *f = arg;
	char what[400];
	int rc;

	f->feed++;
	snprintf(what, sizeof(what), "feed seq %lld", seq);
	rc = check_row(f, what, oid, size, f->err);
	/* The feed lists only objects some repo holds. */
	if (rc == 0 && oid_valid(oid) && !oidset_has(&f->rows, oid))
		problem(f, "bad row: %s: %s has no journal row", what, oid);
	return rc;
}

static int check_rows(struct fsck *f, struct err *err)
{
	int rc;

	f->err = err;
	if ((rc = meta_reader_begin(f->db, err)) < 0)
		return rc;
	rc = meta_reader_journal(f->db, NULL, NULL, journal_row, f, err);
	if (rc == 0) {
		qsort(f->rows.v, f->rows.n, sizeof(*f->rows.v), oid_cmp);
		rc = meta_reader_feed(f->db, 0, -1, feed_row, f, err);
	}
	meta_reader_end(f->db);
	return rc;
}

static int check_file(const struct mirror_verify_item *it, void *arg)
{
	struct fsck *f = arg;

	switch (it->status) {
	case MIRROR_VERIFY_MISPLACED:
		problem(f, "misplaced: %s: %s", it->path, it->why);
		return 0;
	case MIRROR_VERIFY_CORRUPT:
		problem(f, "corrupt: %s: content hashes to %s", it->path, it->actual);
		break;
	case MIRROR_VERIFY_OK:
		break;
	}
	f->objects++;
	f->bytes += it->size;
	if (!oidset_has(&f->rows, it->oid))
		return oidset_add(&f->orphans, it->oid, NULL) < 0 ? ERR_NOMEM : 0;
	return 0;
}

/* An orphan is reported only if a fresh read still finds no row for it. */
static int report_orphans(struct fsck *f, long long *orphans, struct err *err)
{
	char path[OID_PATH_LEN];
	bool found;
	int rc = 0;

	for (size_t i = 0; i < f->orphans.n && rc == 0; i++) {
		if ((rc = meta_reader_has_oid(f->db, f->orphans.v[i], &found, err)) < 0 || found)
			continue;
		oid_path(path, f->orphans.v[i]);
		fprintf(f->out, "orphan: objects/%s: no journal row (harmless: a crash between "
			"link and commit)\n", path);
		(*orphans)++;
	}
	return rc;
}

static int sized_cmp(const void *a, const void *b)
{
	return memcmp(((const struct sized *)a)->oid, ((const struct sized *)b)->oid, OID_HEX_LEN);
}

static int listed_object(const char *oid, long long size, void *arg)
{
	struct fsck *f = arg;
	struct sizedset *s = &f->listed;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct sized *p = realloc(s->v, cap * sizeof(*p));
		if (!p)
			return ERR_NOMEM;
		s->v = p;
		s->cap = cap;
	}
	memcpy(s->v[s->n].oid, oid, OID_HEX_LEN + 1);
	s->v[s->n++].size = size;
	f->objects++;
	f->bytes += size;
	if (!oidset_has(&f->rows, oid))
		return oidset_add(&f->orphans, oid, NULL) < 0 ? ERR_NOMEM : 0;
	return 0;
}

/* The rows read first, against the store's listing made after them. */
static void check_pending(struct fsck *f)
{
	qsort(f->listed.v, f->listed.n, sizeof(*f->listed.v), sized_cmp);
	for (size_t i = 0; i < f->npend; i++) {
		struct sized key, *hit;
		const struct pending *p = &f->pend[i];
		char path[OID_PATH_LEN];

		memcpy(key.oid, p->oid, OID_HEX_LEN + 1);
		hit = f->listed.n ? bsearch(&key, f->listed.v, f->listed.n, sizeof(key), sized_cmp) : NULL;
		oid_path(path, p->oid);
		if (!hit)
			problem(f, "missing: %s: objects/%s is not in the store", p->what, path);
		else if (hit->size != p->size)
			problem(f, "wrong size: %s: objects/%s has %lld bytes, the row says %lld", p->what,
				path, hit->size, p->size);
	}
}

static int integrity_problem(const char *msg, void *arg)
{
	problem(arg, "meta.db: %s", msg);
	return 0;
}

static int integrity(struct fsck *f, struct err *err)
{
	return meta_reader_check(f->db, integrity_problem, f, err);
}

int admin_fsck(const char *data_dir, FILE *out, long long *problems, struct err *err)
{
	return admin_fsck_store(data_dir, NULL, out, problems, err);
}

int admin_fsck_store(const char *data_dir, struct store *store, FILE *out, long long *problems,
		     struct err *err)
{
	struct fsck f;
	char path[4096];
	long long orphans = 0;
	int rc;

	memset(&f, 0, sizeof(f));
	f.data = data_dir;
	f.out = out;
	f.store = store;
	f.objects_fd = -1;
	if ((rc = meta_reader_open(&f.db, data_dir, err)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/objects", data_dir);
	f.objects_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f.objects_fd < 0 && errno != ENOENT) {
		rc = err_set_errno(err, ERR_IO, "cannot open '%s'", path);
		goto out;
	}
	if ((rc = integrity(&f, err)) < 0 || (rc = check_rows(&f, err)) < 0)
		goto out;
	if (store) {
		if ((rc = store_each(store, listed_object, &f, err)) < 0) {
			if (rc == ERR_NOMEM)
				err_set(err, rc, "out of memory");
			goto out;
		}
		check_pending(&f);
	} else if ((rc = mirror_verify_walk(data_dir, true, check_file, &f, err)) < 0) {
		if (rc == ERR_NOMEM)
			err_set(err, rc, "out of memory");
		goto out;
	}
	if ((rc = report_orphans(&f, &orphans, err)) < 0)
		goto out;
	fprintf(out, "fsck: %lld objects (%lld bytes), %lld journal rows, %lld feed rows, "
		"%lld orphans: %lld problems\n", f.objects, f.bytes, f.journal, f.feed, orphans,
		f.problems);
	*problems = f.problems;
out:
	if (f.objects_fd >= 0)
		close(f.objects_fd);
	meta_reader_close(f.db, NULL);
	free(f.rows.v);
	free(f.orphans.v);
	free(f.listed.v);
	free(f.pend);
	return rc;
}
