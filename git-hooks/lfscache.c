/* lfscache: temp-then-rename writes into .git/lfs/objects (see lfscache.h). */
#include "lfscache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"
#include "util.h"

struct lfscache_writer {
	struct lfsrepo *repo;
	struct sha256 *hash;
	char *tmp;
	int fd;
	long long size;
};

char *lfscache_path(struct lfsrepo *r, const char *oid)
{
	char rel[OID_PATH_LEN], *p;

	oid_path(rel, oid);
	if (asprintf(&p, "%s/objects/%s", r->lfsdir, rel) < 0)
		return NULL;
	return p;
}

bool lfscache_has(struct lfsrepo *r, const char *oid, long long size)
{
	char *p = lfscache_path(r, oid);
	struct stat st;
	bool ok;

	if (!p)
		return false;
	ok = stat(p, &st) == 0 && S_ISREG(st.st_mode) && (size < 0 || st.st_size == size);
	free(p);
	return ok;
}

int lfscache_open(struct lfsrepo *r, const char *oid, long long size, struct err *err)
{
	char *p = lfscache_path(r, oid);
	struct stat st;
	int fd;

	if (!p)
		return err_set(err, ERR_NOMEM, "out of memory");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int rc = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
		err_set_errno(err, rc, "cannot open '%s'", p);
		free(p);
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		err_set_errno(err, ERR_IO, "cannot stat '%s'", p);
		close(fd);
		free(p);
		return ERR_IO;
	}
	if (size >= 0 && st.st_size != size) {
		err_set(err, ERR_INVALID, "object '%s' is corrupt: %lld bytes, expected %lld", p,
			(long long)st.st_size, size);
		close(fd);
		free(p);
		return ERR_INVALID;
	}
	free(p);
	return fd;
}

int lfscache_mkdirs_for(const char *path, struct err *err)
{
	char *d = strdup(path);

	if (!d)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (char *s = d + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(d, 0777) < 0 && errno != EEXIST) {
			err_set_errno(err, ERR_IO, "cannot create '%s'", d);
			free(d);
			return ERR_IO;
		}
		*s = '/';
	}
	free(d);
	return 0;
}

/* Creates a temp file from tmpl (…XXXXXX) and holds an exclusive lock on
 * it for as long as it is open, so lfscache_sweep_tmp() leaves it alone.
 * A sweep may win the race between mkostemp and flock and unlink it:
 * then the name no longer leads to our file, and we start over. */
static int claim_tmp(char *tmpl)
{
	size_t len = strlen(tmpl);

	for (int tries = 0; tries < 8; tries++) {
		struct stat a, b;
		int fd;
		memcpy(tmpl + len - 6, "XXXXXX", 6);
		if ((fd = mkostemp(tmpl, O_CLOEXEC)) < 0)
			return -1;
		if (flock(fd, LOCK_EX) == 0 && fstat(fd, &a) == 0 && stat(tmpl, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

int lfscache_sweep_tmp(struct lfsrepo *r)
{
	char *dir = NULL;
	struct dirent *d;
	DIR *dp;
	int removed = 0;

	if (asprintf(&dir, "%s/tmp", r->lfsdir) < 0)
		return 0;
	if (!(dp = opendir(dir))) {
		free(dir);
		return 0;
	}
	while ((d = readdir(dp))) {
		int fd;
		if (strncmp(d->d_name, "obj-", 4) != 0)
			continue;
		fd = openat(dirfd(dp), d->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		/* Locked: another lfs-hooks is writing it right now. */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && unlinkat(dirfd(dp), d->d_name, 0) == 0)
			removed++;
		close(fd);
	}
	closedir(dp);
	free(dir);
	return removed;
}

int lfscache_writer_new(struct lfscache_writer **out, struct lfsrepo *r, struct err *err)
{
	struct lfscache_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return err_set(err, ERR_NOMEM, "out of memory");
	w->repo = r;
	w->fd = -1;
	if (asprintf(&w->tmp, "%s/tmp/obj-XXXXXX", r->lfsdir) < 0) {
		free(w);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	if (lfscache_mkdirs_for(w->tmp, err) < 0 || sha256_new(&w->hash, err) < 0) {
		free(w->tmp);
		free(w);
		return err ? err->code : ERR_IO;
	}
	w->fd = claim_tmp(w->tmp);
	if (w->fd < 0) {
		int rc = err_set_errno(err, ERR_IO, "cannot create a temp file in '%s/tmp'", r->lfsdir);
		sha256_free(w->hash);
		free(w->tmp);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int lfscache_writer_write(struct lfscache_writer *w, const void *data, size_t len, struct err *err)
{
	if (sha256_update(w->hash, data, len, err) < 0)
		return ERR_IO;
	if (util_write_all(w->fd, data, len) < 0)
		return err_set_errno(err, ERR_IO, "cannot write '%s'", w->tmp);
	w->size += (long long)len;
	return 0;
}

long long lfscache_writer_size(const struct lfscache_writer *w)
{
	return w->size;
}

void lfscache_writer_abort(struct lfscache_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	sha256_free(w->hash);
	free(w->tmp);
	free(w);
}

int lfscache_writer_commit(struct lfscache_writer *w, const char *expect_oid, long long expect_size,
			   char oid_out[OID_HEX_LEN + 1], long long *size_out, struct err *err)
{
	char oid[OID_HEX_LEN + 1];
	char *dst = NULL;
	int rc = 0;

	if (sha256_final_hex(w->hash, oid, err) < 0) {
		rc = ERR_IO;
		goto out;
	}
	if (expect_oid && (strcmp(oid, expect_oid) != 0 || w->size != expect_size)) {
		rc = err_set(err, ERR_INVALID, "object %.12s is corrupt: got %lld bytes hashing to %.12s",
			     expect_oid, w->size, oid);
		goto out;
	}
	if (fchmod(w->fd, 0644) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot chmod '%s'", w->tmp);
		goto out;
	}
	if (close(w->fd) < 0) {
		w->fd = -1;
		rc = err_set_errno(err, ERR_IO, "cannot write '%s'", w->tmp);
		goto out;
	}
	w->fd = -1;
	dst = lfscache_path(w->repo, oid);
	if (!dst) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (lfscache_has(w->repo, oid, w->size))
		goto out;
	if ((rc = lfscache_mkdirs_for(dst, err)) < 0)
		goto out;
	if (rename(w->tmp, dst) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot move an object into '%s'", dst);
		goto out;
	}
	/* The name is free again: never unlink it, another writer may own it. */
	free(w->tmp);
	w->tmp = NULL;
out:
	if (rc == 0) {
		if (oid_out)
			memcpy(oid_out, oid, sizeof(oid));
		if (size_out)
			*size_out = w->size;
	}
	free(dst);
	lfscache_writer_abort(w);
	return rc;
}
