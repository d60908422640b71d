/* admin_backup: `lfs-admin backup DEST`, a consistent copy of a data dir
 * taken beside a running server (see admin.h).
 *
 * Order matters: meta.db is copied first, in one read transaction
 * (SQLite's online backup API), and objects after, from the rows of that
 * copy.  A row is committed only after its file is durable (meta.h,
 * invariant 1) and object files never change (store.h, invariant 1), so
 * every row of the copy finds its file, and a hard link is as good as a
 * copy.  Everything is written into DEST.tmp-XXXXXX beside DEST and
 * renamed at the end: DEST is either absent (or as empty as it was) or a
 * whole backup.  DATA/lock is not taken: nothing in DATA is written. */
#include "admin/admin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meta/meta.h"
#include "oid.h"
#include "util.h"

struct backup {
	const char *data;
	char tmp[4096 + 16]; /* DEST.tmp-XXXXXX, the backup being made */
	int src_objects; /* DATA/objects, or -1 when there is none */
	int dst_root, dst_objects;
	int dir1, dir2;  /* the tmp's objects/ab and objects/ab/cd being filled */
	char ab[3], cd[3];
	bool copy_only;  /* link(2) said EXDEV: DEST is on another file system */
	FILE *out;
	struct admin_backup_result *res;
};

/* One object row's context while placing objects. */
struct backup_row {
	struct backup *b;
	struct err *err;
};

/* DEST must not exist, or be an empty directory. */
static int dest_check(const char *dest, struct err *err)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	bool empty = true;

	if (lstat(dest, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set_errno(err, ERR_IO, "cannot stat '%s'", dest);
	}
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ERR_EXISTS, "'%s' exists and is not a directory", dest);
	if (!(d = opendir(dest)))
		return err_set_errno(err, ERR_IO, "cannot read '%s'", dest);
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	if (!empty)
		return err_set(err, ERR_EXISTS, "'%s' is not empty: a backup goes into a new or empty directory",
			       dest);
	return 0;
}

static int fsync_fd(int fd, const char *what, const char *name, struct err *err)
{
	if (fsync(fd) < 0)
		return err_set_errno(err, ERR_IO, "cannot sync '%s/%s'", what, name);
	return 0;
}

/* Syncs and closes the directories being filled (their new entries must
 * be durable before the rename publishes the backup). */
static int close_dirs(struct backup *b, bool leaf_only, struct err *err)
{
	int rc = 0;

	if (b->dir2 >= 0) {
		if (fsync(b->dir2) < 0)
			rc = err_set_errno(err, ERR_IO, "cannot sync '%s/objects/%s/%s'", b->tmp, b->ab, b->cd);
		close(b->dir2);
		b->dir2 = -1;
	}
	if (!leaf_only && b->dir1 >= 0) {
		if (fsync(b->dir1) < 0 && rc == 0)
			rc = err_set_errno(err, ERR_IO, "cannot sync '%s/objects/%s'", b->tmp, b->ab);
		close(b->dir1);
		b->dir1 = -1;
	}
	return rc;
}

static int open_subdir(int *out, int at, const char *name, const char *what, struct err *err)
{
	if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
		return err_set_errno(err, ERR_IO, "cannot create '%s/%s'", what, name);
	*out = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*out < 0)
		return err_set_errno(err, ERR_IO, "cannot open '%s/%s'", what, name);
	return 0;
}

/* Makes objects/ab/cd of oid the current leaf directory of the backup.
 * Rows come sorted by oid, so each directory is filled in one go. */
static int enter_dirs(struct backup *b, const char *oid, struct err *err)
{
	char what[4200];
	int rc;

	if (b->dir1 >= 0 && memcmp(b->ab, oid, 2) == 0) {
		if (b->dir2 >= 0 && memcmp(b->cd, oid + 2, 2) == 0)
			return 0;
		if ((rc = close_dirs(b, true, err)) < 0)
			return rc;
	} else {
		if ((rc = close_dirs(b, false, err)) < 0)
			return rc;
		memcpy(b->ab, oid, 2);
		b->ab[2] = '\0';
		snprintf(what, sizeof(what), "%s/objects", b->tmp);
		if ((rc = open_subdir(&b->dir1, b->dst_objects, b->ab, what, err)) < 0)
			return rc;
	}
	memcpy(b->cd, oid + 2, 2);
	b->cd[2] = '\0';
	snprintf(what, sizeof(what), "%s/objects/%s", b->tmp, b->ab);
	return open_subdir(&b->dir2, b->dir1, b->cd, what, err);
}

/* Copies all of src into dst: copy_file_range where the kernel can,
 * read and write where it cannot. */
static int copy_bytes(int src, int dst)
{
	char buf[65536];
	bool plain = false;
	ssize_t n;

	for (;;) {
		if (!plain) {
			n = copy_file_range(src, NULL, dst, NULL, 1 << 30, 0);
			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
				      errno == EOPNOTSUPP || errno == EBADF)) {
				plain = true;
				continue;
			}
			if (n <= 0)
				return n < 0 ? -1 : 0;
			continue;
		}
		n = read(src, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 0;
		if (util_write_all(dst, buf, (size_t)n) < 0)
			return -1;
	}
}

/* Copies the file at (src_at, src_name) to (dst_at, dst_name), created
 * with mode, synced.  Nothing is left at dst_name on failure; EEXIST
 * there is ERR_EXISTS.  Objects are never symlinks (nofollow); the
 * secret may be one (the server follows it). */
static int copy_file(int src_at, const char *src_name, bool nofollow, int dst_at, const char *dst_name,
		     mode_t mode, const char *what, struct err *err)
{
	int in, outfd, rc = 0;

	in = openat(src_at, src_name, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (in < 0)
		return err_set_errno(err, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "cannot open '%s/%s'",
				     what, src_name);
	outfd = openat(dst_at, dst_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (outfd < 0) {
		rc = errno == EEXIST ? ERR_EXISTS :
			err_set_errno(err, ERR_IO, "cannot create a copy of '%s/%s'", what, src_name);
		close(in);
		return rc;
	}
	/* The umask must not widen nor narrow what the source had. */
	if (fchmod(outfd, mode) < 0 || copy_bytes(in, outfd) < 0 || fsync(outfd) < 0)
		rc = err_set_errno(err, ERR_IO, "cannot copy '%s/%s'", what, src_name);
	if (close(outfd) < 0 && rc == 0)
		rc = err_set_errno(err, ERR_IO, "cannot copy '%s/%s'", what, src_name);
	close(in);
	if (rc < 0)
		unlinkat(dst_at, dst_name, 0);
	return rc;
}

/* Puts one object of the copied meta.db into the backup: a hard link,
 * or a copy when DEST is on another file system. */
static int place_object(struct backup *b, const char *oid, long long size, struct err *err)
{
	char rel[OID_PATH_LEN], what[4200];
	struct stat st;
	int rc;

	if (!oid_valid(oid)) {
		fprintf(b->out, "bad row: meta.db lists an invalid oid '%.80s'\n", oid ? oid : "(null)");
		b->res->problems++;
		return 0;
	}
	oid_path(rel, oid);
	if (b->src_objects < 0 || fstatat(b->src_objects, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (b->src_objects >= 0 && errno != ENOENT)
			return err_set_errno(err, ERR_IO, "cannot stat '%s/objects/%s'", b->data, rel);
		fprintf(b->out, "missing: objects/%s: meta.db has a row for it, %s has no file\n", rel, b->data);
		b->res->problems++;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(b->out, "missing: objects/%s is not a regular file in %s\n", rel, b->data);
		b->res->problems++;
		return 0;
	}
	if ((long long)st.st_size != size) {
		/* Kept anyway: it is what there is; fsck says more. */
		fprintf(b->out, "wrong size: objects/%s has %lld bytes, the row says %lld\n", rel,
			(long long)st.st_size, size);
		b->res->problems++;
	}
	if ((rc = enter_dirs(b, oid, err)) < 0)
		return rc;
	if (!b->copy_only) {
		if (linkat(b->src_objects, rel, b->dir2, oid, 0) == 0) {
			b->res->linked++;
			goto placed;
		}
		if (errno == EEXIST)
			return 0; /* one oid in two rows with different sizes: placed already */
		if (errno == EXDEV)
			b->copy_only = true;
		else if (errno != EPERM && errno != EMLINK && errno != EOPNOTSUPP)
			return err_set_errno(err, ERR_IO, "cannot link '%s/objects/%s' into '%s'", b->data,
					     rel, b->tmp);
	}
	snprintf(what, sizeof(what), "%s/objects", b->data);
	rc = copy_file(b->src_objects, rel, true, b->dir2, oid, st.st_mode & 0777, what, err);
	if (rc == ERR_EXISTS)
		return 0;
	if (rc < 0)
		return rc;
	b->res->copied++;
placed:
	b->res->objects++;
	b->res->bytes += st.st_size;
	return 0;
}

/* Copies DATA/meta.db into the backup as one snapshot; *out gets a
 * reader of the copy. */
static int backup_meta(struct backup *b, struct meta_reader **out, struct err *err)
{
	struct meta_counts c;
	int rc;

	if ((rc = meta_backup(b->data, b->tmp, err)) < 0 || (rc = meta_reader_open(out, b->tmp, err)) < 0)
		return rc;
	if ((rc = meta_reader_counts(*out, &c, err)) < 0)
		return rc;
	b->res->journal = c.journal;
	b->res->locks = c.locks;
	b->res->schema = c.schema;
	return 0;
}

static int place_row(const char *oid, long long size, void *arg)
{
	struct backup_row *r = arg;
	return place_object(r->b, oid, size, r->err);
}

static int backup_objects(struct backup *b, struct meta_reader *db, struct err *err)
{
	char path[4200];
	struct backup_row row = { b, err };
	int rc;

	snprintf(path, sizeof(path), "%s/objects", b->data);
	b->src_objects = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->src_objects < 0 && errno != ENOENT)
		return err_set_errno(err, ERR_IO, "cannot open '%s'", path);
	if (mkdirat(b->dst_root, "objects", 0700) < 0 ||
	    (b->dst_objects = openat(b->dst_root, "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set_errno(err, ERR_IO, "cannot create '%s/objects'", b->tmp);
	rc = meta_reader_objects(db, place_row, &row, err);
	if (rc == 0)
		rc = close_dirs(b, false, err);
	if (rc == 0)
		rc = fsync_fd(b->dst_objects, b->tmp, "objects", err);
	return rc;
}

/* DATA/secret, 0600 like the original.  A data dir whose server never
 * started has none: the server makes one at its first start. */
static int backup_secret(struct backup *b, struct err *err)
{
	int src = open(b->data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (src < 0)
		return err_set_errno(err, ERR_IO, "cannot open '%s'", b->data);
	rc = copy_file(src, "secret", false, b->dst_root, "secret", 0600, b->data, err);
	close(src);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc == 0)
		b->res->secret = true;
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

int admin_backup(const char *data_dir, const char *dest, FILE *out, struct admin_backup_result *res,
		 struct err *err)
{
	struct backup b;
	char target[4096], parent[4096], *slash;
	struct meta_reader *db = NULL;
	size_t len = strlen(dest);
	int rc, pfd;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	b.data = data_dir;
	b.out = out;
	b.res = res;
	b.src_objects = b.dst_root = b.dst_objects = b.dir1 = b.dir2 = -1;
	while (len > 1 && dest[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof(target) - 16)
		return err_set(err, ERR_INVALID, "bad backup destination '%.200s'", dest);
	memcpy(target, dest, len);
	target[len] = '\0';
	if ((rc = dest_check(target, err)) < 0)
		return rc;
	/* DATA must be a data dir before anything is created. */
	snprintf(parent, sizeof(parent), "%s/meta.db", data_dir);
	if (access(parent, F_OK) < 0)
		return err_set_errno(err, ERR_IO, "'%s' is not an lfs-server data dir: cannot stat '%s'",
				     data_dir, parent);
	snprintf(b.tmp, sizeof(b.tmp), "%s.tmp-XXXXXX", target);
	if (!mkdtemp(b.tmp))
		return err_set_errno(err, ERR_IO, "cannot create '%s'", b.tmp);
	b.dst_root = open(b.tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b.dst_root < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot open '%s'", b.tmp);
		goto fail;
	}
	if ((rc = backup_meta(&b, &db, err)) < 0 || (rc = backup_objects(&b, db, err)) < 0 ||
	    (rc = backup_secret(&b, err)) < 0)
		goto fail;
	rc = meta_reader_close(db, err);
	db = NULL;
	if (rc < 0)
		goto fail;
	if ((rc = fsync_fd(b.dst_root, b.tmp, ".", err)) < 0)
		goto fail;
	/* Replaces DEST when it is an empty directory, fails when it no longer is. */
	if (rename(b.tmp, target) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot rename '%s' to '%s'", b.tmp, target);
		goto fail;
	}
	memcpy(parent, target, len + 1);
	slash = strrchr(parent, '/');
	if (!slash)
		strcpy(parent, ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 || fsync(pfd) < 0)
		rc = err_set_errno(err, ERR_IO, "backup made, but cannot sync its directory '%s'", parent);
	if (pfd >= 0)
		close(pfd);
	goto out;
fail:
	meta_reader_close(db, NULL);
	close_dirs(&b, false, NULL);
	if (nftw(b.tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		struct err first = *err;
		err_set(err, rc, "%s (the partial backup is left in '%s': remove it)", first.msg, b.tmp);
	}
out:
	if (b.src_objects >= 0)
		close(b.src_objects);
	if (b.dst_objects >= 0)
		close(b.dst_objects);
	if (b.dst_root >= 0)
		close(b.dst_root);
	return rc;
}
