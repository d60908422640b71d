/* publish: puts objects of publicly readable repos into the static tree
 * (see publish.h).  Directories are made 0755 and files are 0644 whatever
 * the umask: the web server reads them as another user. */
#include "cgi/publish.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oid.h"
#include "util.h"

struct publish {
	int tree_fd;    /* PUBLIC_DIR/objects */
	int objects_fd; /* DATA/objects */
};

static int open_dir(const char *path, int *fd, struct err *err)
{
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return err_set_errno(err, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "cannot open '%s'", path);
	return 0;
}

int publish_open(struct publish **out, const char *public_dir, const char *data_dir, struct err *err)
{
	struct publish *p = calloc(1, sizeof(*p));
	char path[4096];
	int rc;

	*out = NULL;
	if (!p)
		return err_set(err, ERR_NOMEM, "out of memory");
	p->tree_fd = p->objects_fd = -1;
	snprintf(path, sizeof(path), "%s/objects", public_dir);
	if ((rc = open_dir(path, &p->tree_fd, err)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/objects", data_dir);
	if ((rc = open_dir(path, &p->objects_fd, err)) < 0)
		goto fail;
	*out = p;
	return 0;
fail:
	publish_close(p);
	return rc;
}

void publish_close(struct publish *p)
{
	if (!p)
		return;
	if (p->tree_fd >= 0)
		close(p->tree_fd);
	if (p->objects_fd >= 0)
		close(p->objects_fd);
	free(p);
}

/* ab and ab/cd under the tree, 0755. */
static int make_dirs(struct publish *p, const char *rel, struct err *err)
{
	char dir[8];

	for (size_t n = 2; n <= 5; n += 3) {
		memcpy(dir, rel, n);
		dir[n] = '\0';
		if (mkdirat(p->tree_fd, dir, 0755) < 0 && errno != EEXIST)
			return err_set_errno(err, ERR_IO, "cannot create objects/%s in the static tree", dir);
		if (fchmodat(p->tree_fd, dir, 0755, 0) < 0)
			return err_set_errno(err, ERR_IO, "cannot chmod objects/%s in the static tree", dir);
	}
	return 0;
}

/* The new name must survive a crash before anyone is told about it. */
static int sync_dir(struct publish *p, const char *rel, struct err *err)
{
	char dir[8];
	int fd, rc = 0;

	memcpy(dir, rel, 5);
	dir[5] = '\0';
	fd = openat(p->tree_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = err_set_errno(err, ERR_IO, "cannot sync objects/%s in the static tree", dir);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Another file system (or no hard links allowed): copy into a temporary
 * file in the same directory, sync it, link it into place.  The
 * temporary name starts with '.' and is never an oid: no href names it. */
static int copy_in(struct publish *p, const char *rel, struct err *err)
{
	char tmp[OID_PATH_LEN + 64], buf[1 << 16];
	int in = -1, out = -1, rc = 0;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%.6s.tmp-%ld-%s", rel, (long)getpid(), rel + 6);
	in = openat(p->objects_fd, rel, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_set_errno(err, ERR_IO, "cannot read objects/%s", rel);
	out = openat(p->tree_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot create a file in the static tree");
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || util_write_all(out, buf, (size_t)n) < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot copy objects/%s to the static tree", rel);
			goto out;
		}
	}
	if (fchmod(out, 0644) < 0 || fsync(out) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot sync a file in the static tree");
		goto out;
	}
	if (linkat(p->tree_fd, tmp, p->tree_fd, rel, 0) < 0 && errno != EEXIST)
		rc = err_set_errno(err, ERR_IO, "cannot link objects/%s in the static tree", rel);
out:
	if (out >= 0) {
		close(out);
		unlinkat(p->tree_fd, tmp, 0);
	}
	close(in);
	return rc;
}

int publish_object(struct publish *p, const char *oid, struct err *err)
{
	char rel[OID_PATH_LEN];
	struct stat st;

	if (!oid_valid(oid))
		return err_set(err, ERR_INVALID, "invalid object id");
	oid_path(rel, oid);
	if (fstatat(p->tree_fd, rel, &st, 0) == 0)
		return 0;
	if (fstatat(p->objects_fd, rel, &st, 0) < 0)
		return err_set_errno(err, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "objects/%s", rel);
	if (make_dirs(p, rel, err) < 0)
		return -1;
	if (linkat(p->objects_fd, rel, p->tree_fd, rel, 0) == 0 || errno == EEXIST) {
		/* One inode for both names: the store's copy becomes readable
		 * too, inside a data directory nobody else can enter. */
		if ((st.st_mode & 0444) != 0444 && fchmodat(p->tree_fd, rel, 0644, 0) < 0)
			return err_set_errno(err, ERR_IO, "cannot chmod objects/%s in the static tree", rel);
	} else if (errno == EXDEV || errno == EPERM || errno == EMLINK) {
		if (copy_in(p, rel, err) < 0)
			return -1;
	} else {
		return err_set_errno(err, ERR_IO, "cannot link objects/%s into the static tree", rel);
	}
	return sync_dir(p, rel, err);
}
