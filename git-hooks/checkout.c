/* checkout: materialize pointer files and refresh the index (see
 * checkout.h). */
#include "checkout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "lfscache.h"
#include "objlist.h"
#include "pointer.h"
#include "say.h"
#include "util.h"

struct todo {
	char *path;
	struct pointer p;
	bool canonical;
	unsigned int mode;
	struct stat st; /* of the pointer file, to notice a change under us */
};

struct todos {
	struct todo *v;
	size_t n, cap;
};

static bool lfs_filtered(struct lfsrepo *r, const char *path)
{
	const char *v = NULL;
	bool yes = git_attr_get(&v, r->git, GIT_ATTR_CHECK_FILE_THEN_INDEX, path, "filter") == 0 &&
		   GIT_ATTR_HAS_VALUE(v) && strcmp(v, "lfs") == 0;

	git_error_clear();
	return yes;
}

/* Reads the whole (small) file at path; returns its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t got = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size <= 0 || (size_t)st->st_size >= cap) {
		close(fd);
		return -1;
	}
	while ((size_t)got < cap) {
		ssize_t n = read(fd, buf + got, cap - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	return got == st->st_size ? got : -1;
}

/* Finds the work tree files that still hold their committed pointer. */
static int find_pointer_files(struct lfsrepo *r, git_index *idx, struct todos *t, struct err *err)
{
	size_t count = git_index_entrycount(idx);

	for (size_t i = 0; i < count; i++) {
		const git_index_entry *e = git_index_get_byindex(idx, i);
		char buf[POINTER_MAX_SIZE], *full = NULL;
		struct stat st;
		struct pointer p;
		git_oid id;
		ssize_t n;

		if (!e || git_index_entry_stage(e) != 0 ||
		    (e->mode != GIT_FILEMODE_BLOB && e->mode != GIT_FILEMODE_BLOB_EXECUTABLE) ||
		    (e->flags_extended & GIT_INDEX_ENTRY_SKIP_WORKTREE))
			continue;
		if (asprintf(&full, "%s%s", r->workdir, e->path) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
		n = read_small(full, buf, sizeof(buf), &st);
		free(full);
		if (n <= 0 || pointer_parse(&p, buf, (size_t)n, NULL) < 0 || p.size == 0 || p.n_ext > 0)
			continue;
		/* Only the committed pointer, untouched, is ours to replace. */
		if (git_odb_hash(&id, buf, (size_t)n, GIT_OBJECT_BLOB) < 0 || !git_oid_equal(&id, &e->id))
			continue;
		if (!lfs_filtered(r, e->path))
			continue;
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct todo *v = realloc(t->v, cap * sizeof(*v));
			if (!v)
				return err_set(err, ERR_NOMEM, "out of memory");
			t->v = v;
			t->cap = cap;
		}
		t->v[t->n].path = strdup(e->path);
		if (!t->v[t->n].path)
			return err_set(err, ERR_NOMEM, "out of memory");
		t->v[t->n].p = p;
		t->v[t->n].canonical = pointer_is_canonical(&p, buf, (size_t)n);
		t->v[t->n].mode = e->mode;
		t->v[t->n].st = st;
		t->n++;
	}
	return 0;
}

static int copy_fd(int in, int out, struct err *err)
{
	char *buf = malloc(1 << 16);
	int rc = 0;

	if (!buf)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(in, buf, 1 << 16);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot read an object");
			break;
		}
		if (n == 0)
			break;
		if (util_write_all(out, buf, (size_t)n) < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot write a file");
			goto out;
		}
	}
out:
	free(buf);
	return rc;
}

/* Writes the object over the pointer file: a temp file beside it, then a
 * rename, so the file is never half there. */
static int write_file(struct lfsrepo *r, const struct todo *t, struct err *err)
{
	char *full = NULL, *tmp = NULL, *slash;
	struct stat now;
	mode_t mask = umask(0);
	int in = -1, out = -1, rc = 0;

	umask(mask);
	if (asprintf(&full, "%s%s", r->workdir, t->path) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	slash = strrchr(full, '/');
	if (asprintf(&tmp, "%.*s/.lfs-hooks-XXXXXX", (int)(slash - full), full) < 0) {
		free(full);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	if ((in = lfscache_open(r, t->p.oid, t->p.size, err)) < 0) {
		rc = in;
		goto out;
	}
	if ((out = mkostemp(tmp, O_CLOEXEC)) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot create a temp file beside '%s'", t->path);
		goto out;
	}
	if ((rc = copy_fd(in, out, err)) < 0)
		goto out;
	if (fchmod(out, (t->mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666) & ~mask) < 0 || close(out) < 0) {
		out = -1;
		rc = err_set_errno(err, ERR_IO, "cannot write '%s'", t->path);
		goto out;
	}
	out = -1;
	/* The user may have edited it since we looked: leave it then. */
	if (lstat(full, &now) < 0 || now.st_mtim.tv_sec != t->st.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != t->st.st_mtim.tv_nsec || now.st_size != t->st.st_size) {
		rc = err_set(err, ERR_CONFLICT, "'%s' changed while lfs-hooks worked; left alone", t->path);
		goto out;
	}
	if (rename(tmp, full) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot replace '%s'", t->path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
out:
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(full);
	return rc;
}

/* What `git update-index --refresh` does for one file we wrote: new stat
 * data under the same blob id. */
static int refresh_entry(struct lfsrepo *r, git_index *idx, const char *path, struct err *err)
{
	const git_index_entry *e = git_index_get_bypath(idx, path, 0);
	git_index_entry copy;
	char *full = NULL;
	struct stat st;

	if (!e)
		return 0;
	if (asprintf(&full, "%s%s", r->workdir, path) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (lstat(full, &st) < 0) {
		free(full);
		return 0;
	}
	free(full);
	copy = *e;
	copy.ctime.seconds = (int32_t)st.st_ctim.tv_sec;
	copy.ctime.nanoseconds = (uint32_t)st.st_ctim.tv_nsec;
	copy.mtime.seconds = (int32_t)st.st_mtim.tv_sec;
	copy.mtime.nanoseconds = (uint32_t)st.st_mtim.tv_nsec;
	copy.dev = (uint32_t)st.st_dev;
	copy.ino = (uint32_t)st.st_ino;
	copy.uid = (uint32_t)st.st_uid;
	copy.gid = (uint32_t)st.st_gid;
	copy.file_size = (uint32_t)st.st_size;
	if (git_index_add(idx, &copy) < 0)
		return lfsrepo_git_error(err, ERR_IO, "cannot update the index");
	return 0;
}

int checkout_materialize(struct lfsrepo *r, const char *remote, struct err *err)
{
	struct todos t = { NULL, 0, 0 };
	struct objlist want = OBJLIST_INIT;
	git_index *idx = NULL;
	struct err first = ERR_INIT;
	char names[3 * 104] = "";
	size_t len = 0;
	int rc, failed = 0, written = 0, pointers = 0;

	if (!r->workdir)
		return 0;
	if (git_repository_index(&idx, r->git) < 0 || git_index_read(idx, 1) < 0) {
		git_index_free(idx);
		return lfsrepo_git_error(err, ERR_IO, "cannot read the index");
	}
	rc = find_pointer_files(r, idx, &t, err);
	for (size_t i = 0; rc == 0 && i < t.n; i++)
		rc = objlist_add(&want, t.v[i].p.oid, t.v[i].p.size, t.v[i].path, NULL, err);
	/* A failed fetch is remembered in first: the files whose object
	 * did not come stay pointers below. */
	if (rc == 0 && want.n > 0 && fetch_objects(r, remote, &want, &first) < 0 && !first.msg[0])
		err_set(&first, ERR_IO, "cannot fetch the objects");
	for (size_t i = 0; rc == 0 && i < t.n; i++) {
		struct err e = ERR_INIT;
		if (!lfscache_has(r, t.v[i].p.oid, t.v[i].p.size)) {
			if (pointers < 3)
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%.100s", pointers ? ", " : "",
							t.v[i].path);
			pointers++;
			failed++;
			continue;
		}
		if (write_file(r, &t.v[i], &e) < 0) {
			say_warn("%s: %s", t.v[i].path, e.msg);
			if (!first.msg[0])
				first = e;
			failed++;
			continue;
		}
		written++;
		/* A non-canonical pointer cleans to another blob: git will
		 * rightly see the file as changed, so its stat data stays. */
		if (t.v[i].canonical)
			rc = refresh_entry(r, idx, t.v[i].path, err);
	}
	if (rc == 0 && written > 0 && git_index_write(idx) < 0)
		rc = lfsrepo_git_error(err, ERR_IO, "cannot write the index");
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i].path);
	free(t.v);
	objlist_release(&want);
	git_index_free(idx);
	if (rc == 0 && pointers)
		rc = err_set(err, ERR_IO, "%d %s (%s%s): %s", pointers,
			     pointers == 1 ? "file is still a pointer" : "files are still pointers", names,
			     pointers > 3 ? ", ..." : "",
			     first.msg[0] ? first.msg : "their objects could not be downloaded");
	else if (rc == 0 && failed)
		rc = err_set(err, ERR_IO, "%s", first.msg);
	return rc;
}
