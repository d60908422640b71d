/* mirror_tree: a mirror tree on disk (invariants in mirror/tree.h). */
#include "mirror/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mirror_json.h"
#include "oid.h"
#include "util.h"

#define LOCK_NAME ".lfs-mirror.lock"
#define STATE_NAME "mirror-state.json"
#define STATE_TMP "tmp/mirror-state.json.new"
#define STAGING "tmp/repair"
/* tmp/repair/{objects/ab/cd/<oid>,tmp/<temp>}, with room to spare */
#define STAGING_DEPTH 6

struct mirror_tree {
	char *dir;
	int dir_fd, lock_fd, objects_fd;
	struct store *store;
	struct store *staging;
};

/* Removes name under at and everything below it, never following a
 * symlink.  Only for the staging area, whose depth is known. */
static int remove_tree(int at, const char *name, int depth)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0);
	if (depth <= 0)
		return errno = ELOOP, -1;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = remove_tree(dirfd(d), e->d_name, depth - 1);
	}
	closedir(d);
	return rc < 0 ? rc : unlinkat(at, name, AT_REMOVEDIR);
}

void mirror_tree_close(struct mirror_tree *t)
{
	if (!t)
		return;
	if (t->staging) {
		/* Staged objects were renamed into place; what is left of a
		 * failed repair is of no use (best effort: tmp/ is swept anyway). */
		store_close(t->staging);
		remove_tree(t->dir_fd, STAGING, STAGING_DEPTH);
	}
	store_close(t->store);
	if (t->objects_fd >= 0)
		close(t->objects_fd);
	if (t->dir_fd >= 0)
		close(t->dir_fd);
	/* Closing the last descriptor of the open file releases the flock. */
	if (t->lock_fd >= 0)
		close(t->lock_fd);
	free(t->dir);
	free(t);
}

/* The store would create objects/ private (0700); a mirror's must be
 * readable by the web server, so create it first with the umask's say. */
static int make_public_dir(int at, const char *name, const char *dir, struct err *err)
{
	if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
		return err_set_errno(err, ERR_IO, "cannot create '%s/%s'", dir, name);
	return 0;
}

/* realpath(dir), or for a dir that does not exist yet its parent's
 * realpath joined with its last name; NULL when neither resolves. */
static char *resolve(const char *dir)
{
	char *r = realpath(dir, NULL), *copy, *slash, *parent, *out = NULL;
	const char *base;
	size_t len;

	if (r || errno != ENOENT || !(copy = strdup(dir)))
		return r;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	slash = strrchr(copy, '/');
	if (!slash) {
		base = copy;
		parent = realpath(".", NULL);
	} else if (slash == copy) {
		base = copy + 1;
		parent = strdup("/");
	} else {
		*slash = '\0';
		base = slash + 1;
		parent = realpath(copy, NULL);
	}
	if (parent && *base && strcmp(base, ".") != 0 && strcmp(base, "..") != 0 &&
	    asprintf(&out, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, base) < 0)
		out = NULL;
	free(parent);
	free(copy);
	return out;
}

/* Whether dir holds a server's database and token key. */
static bool holds_server(const char *dir)
{
	const char *prefix = strcmp(dir, "/") == 0 ? "" : dir;
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/meta.db", prefix);
	if (stat(path, &st) < 0)
		return false;
	snprintf(path, sizeof(path), "%s/secret", prefix);
	return stat(path, &st) == 0;
}

int mirror_tree_check_place(const char *dir, const char *data_dir, struct err *err)
{
	char *tree = resolve(dir), *data = NULL, *p;
	size_t len;
	int rc = 0;

	if (!tree)
		return err_set_errno(err, ERR_IO, "cannot resolve '%s'", dir);
	if (data_dir && !(data = realpath(data_dir, NULL))) {
		rc = err_set_errno(err, ERR_IO, "cannot resolve '%s'", data_dir);
		goto out;
	}
	len = strlen(tree);
	if (data && strncmp(data, tree, len) == 0 && (data[len] == '/' || len == 1) && data[len]) {
		rc = err_set(err, ERR_DENIED, "refusing the mirror tree '%s': the server's data "
			     "directory '%s' would be inside it", dir, data_dir);
		goto out;
	}
	/* The tree itself, then each ancestor up to /. */
	for (;;) {
		if (data && strcmp(tree, data) == 0) {
			rc = err_set(err, ERR_DENIED, "refusing the mirror tree '%s': it is inside the "
				     "server's data directory '%s'", dir, data_dir);
			break;
		}
		if (holds_server(tree)) {
			rc = err_set(err, ERR_DENIED, "refusing the mirror tree '%s': it is inside '%s', "
				     "which holds a server's meta.db and secret", dir, tree);
			break;
		}
		if (strcmp(tree, "/") == 0 || (p = strrchr(tree, '/')) == NULL)
			break;
		p[p == tree] = '\0';
	}
out:
	free(tree);
	free(data);
	return rc;
}

int mirror_tree_open(struct mirror_tree **out, const char *dir, struct err *err)
{
	struct mirror_tree *t = calloc(1, sizeof(*t));
	int rc;

	if (!t || !(t->dir = strdup(dir))) {
		free(t);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	t->dir_fd = t->lock_fd = t->objects_fd = -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		rc = err_set_errno(err, ERR_IO, "cannot create '%s'", dir);
		goto fail;
	}
	t->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dir_fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot open '%s'", dir);
		goto fail;
	}
	t->lock_fd = openat(t->dir_fd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (t->lock_fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot open '%s/%s'", dir, LOCK_NAME);
		goto fail;
	}
	if (flock(t->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			rc = err_set(err, ERR_CONFLICT, "another sync holds '%s/%s'", dir, LOCK_NAME);
		else
			rc = err_set_errno(err, ERR_IO, "cannot lock '%s/%s'", dir, LOCK_NAME);
		goto fail;
	}
	if ((rc = make_public_dir(t->dir_fd, "objects", dir, err)) < 0)
		goto fail;
	t->objects_fd = openat(t->dir_fd, "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->objects_fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot open '%s/objects'", dir);
		goto fail;
	}
	/* Only now, under the lock, may tmp/ be emptied: it is ours.  The
	 * store sweeps files; a killed repair's staging tree goes here (best
	 * effort: it is never served and the next repair empties it too). */
	if ((rc = store_open(&t->store, dir, err)) < 0)
		goto fail;
	remove_tree(t->dir_fd, STAGING, STAGING_DEPTH);
	*out = t;
	return 0;
fail:
	mirror_tree_close(t);
	return rc;
}

int mirror_tree_open_readonly(struct mirror_tree **out, const char *dir, struct err *err)
{
	struct mirror_tree *t = calloc(1, sizeof(*t));
	int rc;

	if (!t || !(t->dir = strdup(dir))) {
		free(t);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	t->lock_fd = t->objects_fd = -1;
	t->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dir_fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot open '%s'", dir);
		mirror_tree_close(t);
		return rc;
	}
	/* objects/ missing is an empty tree: every object is missing. */
	t->objects_fd = openat(t->dir_fd, "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->objects_fd < 0 && errno != ENOENT) {
		rc = err_set_errno(err, ERR_IO, "cannot open '%s/objects'", dir);
		mirror_tree_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

struct store *mirror_tree_store(struct mirror_tree *t)
{
	return t->store;
}

int mirror_tree_staging(struct mirror_tree *t, struct store **out, struct err *err)
{
	char path[4096];

	if (!t->store)
		return err_set(err, ERR_INVALID, "'%s' is open read-only", t->dir);
	if (!t->staging) {
		/* Leftovers of a killed repair: we hold the lock, they are ours. */
		if (remove_tree(t->dir_fd, STAGING, STAGING_DEPTH) < 0)
			return err_set_errno(err, ERR_IO, "cannot empty '%s/%s'", t->dir, STAGING);
		snprintf(path, sizeof(path), "%s/%s", t->dir, STAGING);
		if (store_open(&t->staging, path, err) < 0)
			return err->code;
	}
	*out = t->staging;
	return 0;
}

int mirror_tree_replace(struct mirror_tree *t, const char *oid, struct err *err)
{
	char path[OID_PATH_LEN], staged[OID_PATH_LEN + 32];
	int cd, rc = 0;

	if (!t->staging || !oid_valid(oid))
		return err_set(err, ERR_INVALID, "nothing staged for '%.80s'", oid);
	oid_path(path, oid);
	snprintf(staged, sizeof(staged), "%s/objects/%s", STAGING, path);
	if (renameat(t->dir_fd, staged, t->objects_fd, path) < 0)
		return err_set_errno(err, ERR_IO, "cannot rename '%s/%s' over '%s/objects/%s'", t->dir,
				     staged, t->dir, path);
	/* The directory entry is what changed: make it durable. */
	path[5] = '\0';
	cd = openat(t->objects_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cd < 0 || fsync(cd) < 0)
		rc = err_set_errno(err, ERR_IO, "cannot sync '%s/objects/%s'", t->dir, path);
	if (cd >= 0)
		close(cd);
	return rc;
}

int mirror_tree_has(struct mirror_tree *t, const char *oid, long long size, bool *has,
		    struct err *err)
{
	char path[OID_PATH_LEN];
	struct stat st;

	if (!oid_valid(oid))
		return err_set(err, ERR_INVALID, "invalid oid '%.80s'", oid);
	oid_path(path, oid);
	if (t->objects_fd < 0) {
		*has = false;
		return 0;
	}
	if (fstatat(t->objects_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return err_set_errno(err, ERR_IO, "cannot stat '%s/objects/%s'", t->dir, path);
		*has = false;
		return 0;
	}
	if (!S_ISREG(st.st_mode) || (long long)st.st_size != size)
		return err_set(err, ERR_EXISTS, "'%s/objects/%s' has %lld bytes, the feed says %lld "
			       "(run lfs-mirror verify)", t->dir, path, (long long)st.st_size, size);
	*has = true;
	return 0;
}

int mirror_tree_read_state(struct mirror_tree *t, long long *last_seq, struct err *err)
{
	char text[MIRROR_STATE_MAX + 1];
	struct err perr = ERR_INIT;
	size_t len = 0;
	int fd = openat(t->dir_fd, STATE_NAME, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0 && errno == ENOENT) {
		*last_seq = 0;
		return 0;
	}
	if (fd < 0)
		return err_set_errno(err, ERR_IO, "cannot open '%s/%s'", t->dir, STATE_NAME);
	for (;;) {
		ssize_t n = read(fd, text + len, sizeof(text) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot read '%s/%s'", t->dir, STATE_NAME);
			close(fd);
			return rc;
		}
		if (n == 0 || (len += (size_t)n) == sizeof(text) - 1)
			break;
	}
	close(fd);
	if (mirror_json_parse_state(text, len, last_seq, &perr) < 0)
		return err_set(err, ERR_INVALID, "'%s/%s': %s (remove it to rescan the whole feed)",
			       t->dir, STATE_NAME, perr.msg);
	return 0;
}

int mirror_tree_write_state(struct mirror_tree *t, long long last_seq, struct err *err)
{
	char text[MIRROR_STATE_MAX];
	int fd, rc;

	if ((rc = mirror_json_format_state(text, sizeof(text), last_seq, (long long)time(NULL), err)) < 0)
		return rc;
	fd = openat(t->dir_fd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set_errno(err, ERR_IO, "cannot create '%s/%s'", t->dir, STATE_TMP);
	if (util_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot write '%s/%s'", t->dir, STATE_TMP);
		close(fd);
		unlinkat(t->dir_fd, STATE_TMP, 0);
		return rc;
	}
	close(fd);
	if (renameat(t->dir_fd, STATE_TMP, t->dir_fd, STATE_NAME) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot rename into '%s/%s'", t->dir, STATE_NAME);
		unlinkat(t->dir_fd, STATE_TMP, 0);
		return rc;
	}
	if (fsync(t->dir_fd) < 0)
		return err_set_errno(err, ERR_IO, "cannot sync '%s'", t->dir);
	return 0;
}
