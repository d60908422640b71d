/* mirror_verify: checks every file of an objects/ tree (see mirror_verify.h). */
#include "core/mirror_verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"

/* Far deeper than objects/ab/cd: only a broken tree goes past it. */
#define MAX_DEPTH 16
#define PATH_MAX_LEN 4096

struct walk {
	bool rehash;
	mirror_verify_fn fn;
	void *arg;
};

/* Why path (relative, "objects/…") is not a proper object file, or NULL. */
static const char *misplaced(const char *path, const char *name, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (!oid_valid(name))
		return "name is not an oid";
	if (strlen(path) != strlen("objects/") + OID_PATH_LEN - 1 ||
	    strncmp(path + 8, name, 2) != 0 || path[10] != '/' ||
	    strncmp(path + 11, name + 2, 2) != 0 || path[13] != '/')
		return "not under its ab/cd directory";
	return NULL;
}

static int check_file(struct walk *w, int dir_fd, const char *path, const char *name,
		      const struct stat *st, struct err *err)
{
	struct mirror_verify_item it;
	struct err herr = ERR_INIT;
	int rc;

	memset(&it, 0, sizeof(it));
	it.path = path;
	it.oid = oid_valid(name) ? name : NULL;
	it.size = st->st_size;
	it.why = misplaced(path, name, st);
	it.status = it.why ? MIRROR_VERIFY_MISPLACED : MIRROR_VERIFY_OK;
	if (!it.why && w->rehash) {
		long long size = 0;
		int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

		if (fd < 0)
			return err_set_errno(err, ERR_IO, "cannot open '%s'", path);
		rc = sha256_fd(fd, it.actual, &size, &herr);
		close(fd);
		if (rc < 0)
			return err_set(err, rc, "'%s': %s", path, herr.msg);
		it.size = size;
		if (strcmp(it.actual, name) != 0)
			it.status = MIRROR_VERIFY_CORRUPT;
	}
	return w->fn(&it, w->arg);
}

static int walk_dir(struct walk *w, int dir_fd, char *path, size_t len, int depth,
		    struct err *err)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		rc = err_set_errno(err, ERR_IO, "cannot read '%s'", path);
		close(dir_fd);
		return rc;
	}
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		size_t nlen = strlen(e->d_name);
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (len + 1 + nlen >= PATH_MAX_LEN) {
			rc = err_set(err, ERR_IO, "path too long under '%s'", path);
			break;
		}
		path[len] = '/';
		memcpy(path + len + 1, e->d_name, nlen + 1);
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot stat '%s'", path);
		} else if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				rc = err_set_errno(err, ERR_IO, "cannot open '%s'", path);
			else
				rc = walk_dir(w, sub, path, len + 1 + nlen, depth + 1, err);
		} else {
			rc = check_file(w, dirfd(d), path, e->d_name, &st, err);
		}
		path[len] = '\0';
	}
	if (rc == 0 && errno != 0)
		rc = err_set_errno(err, ERR_IO, "cannot read '%s'", path);
	closedir(d);
	return rc;
}

int mirror_verify_walk(const char *root, bool rehash, mirror_verify_fn fn, void *arg,
		       struct err *err)
{
	struct walk w = { rehash, fn, arg };
	char path[PATH_MAX_LEN] = "objects";
	char top[PATH_MAX_LEN];
	int root_fd, fd;

	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return err_set_errno(err, ERR_IO, "cannot open '%s'", root);
	fd = openat(root_fd, "objects", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(root_fd);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		snprintf(top, sizeof(top), "%s/objects", root);
		return err_set_errno(err, ERR_IO, "cannot open '%s'", top);
	}
	return walk_dir(&w, fd, path, strlen(path), 1, err);
}
