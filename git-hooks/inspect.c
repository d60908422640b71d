/* inspect: ls-files and fsck (see inspect.h). */
#include "inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lfscache.h"
#include "pointer.h"
#include "progress.h"
#include "say.h"
#include "scan.h"
#include "sha256.h"

static int ref_tree(git_tree **tree, git_oid *commit, struct lfsrepo *r, const char *ref, struct err *err)
{
	git_object *obj = NULL;
	git_commit *c = NULL;
	int rc = 0;

	if (git_revparse_single(&obj, r->git, ref ? ref : "HEAD") < 0) {
		git_error_clear();
		return err_set(err, ERR_INVALID, "unknown revision '%s'", ref ? ref : "HEAD");
	}
	if (git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0 || git_commit_tree(tree, c) < 0)
		rc = lfsrepo_git_error(err, ERR_INVALID, "not a commit");
	else if (commit)
		git_oid_cpy(commit, git_commit_id(c));
	git_commit_free(c);
	git_object_free(obj);
	return rc;
}

struct ls_ctx {
	struct lfsrepo *repo;
	int flags;
};

static int ls_cb(const char *path, const git_oid *blob, unsigned int mode, const struct pointer *p, const char *bad,
		 void *payload)
{
	struct ls_ctx *c = payload;
	char *full = NULL, size[32];
	struct stat st;
	bool content = false;

	(void)blob;
	(void)mode;
	if (!p) {
		say_warn("%s: not a valid Git LFS pointer (%s)", path, bad);
		return 0;
	}
	if (c->flags & INSPECT_NAME_ONLY) {
		say_info("%s", path);
		return 0;
	}
	if (c->repo->workdir && asprintf(&full, "%s%s", c->repo->workdir, path) >= 0) {
		content = stat(full, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == p->size &&
			  lfscache_has(c->repo, p->oid, p->size);
		free(full);
	}
	if (c->flags & INSPECT_SIZE)
		progress_format_bytes(size, sizeof(size), (double)p->size);
	/* Through say: a committed path may hold terminal escapes. */
	say_info("%.*s %c %s%s%s%s", c->flags & INSPECT_LONG ? OID_HEX_LEN : 10, p->oid, content ? '*' : '-', path,
		 c->flags & INSPECT_SIZE ? " (" : "", c->flags & INSPECT_SIZE ? size : "",
		 c->flags & INSPECT_SIZE ? ")" : "");
	return 0;
}

int inspect_ls_files(struct lfsrepo *r, const char *ref, int flags, struct err *err)
{
	struct ls_ctx c = { r, flags };
	git_tree *tree = NULL;
	int rc;

	if ((rc = ref_tree(&tree, NULL, r, ref, err)) < 0)
		return rc;
	rc = scan_tree(r, tree, ls_cb, &c, err);
	git_tree_free(tree);
	return rc;
}

/* Hashes the cached object; 1 when whole, 0 when corrupt, -1 missing. */
static int check_object(struct lfsrepo *r, const struct pointer *p)
{
	struct err e = ERR_INIT;
	char hex[OID_HEX_LEN + 1];
	long long size = -1;
	int fd = lfscache_open(r, p->oid, -1, &e), rc;

	if (fd < 0)
		return -1;
	rc = sha256_fd(fd, hex, &size, &e) == 0 && size == p->size && strcmp(hex, p->oid) == 0;
	close(fd);
	return rc;
}

static void quarantine(struct lfsrepo *r, const char *oid)
{
	char *src = lfscache_path(r, oid), *dst = NULL;

	if (src && asprintf(&dst, "%s/bad/%s", r->lfsdir, oid) >= 0 && lfscache_mkdirs_for(dst, NULL) == 0 &&
	    rename(src, dst) < 0)
		say_warn("cannot move %s aside to %s: %s", src, dst, strerror(errno));
	free(src);
	free(dst);
}

struct fsck_ctx {
	struct lfsrepo *repo;
	git_oid commit;
	bool pointers;
	int problems;
	struct err *err;
};

static bool lfs_filtered(struct fsck_ctx *c, const char *path)
{
	git_attr_options o;
	const char *v = NULL;
	bool yes;

	memset(&o, 0, sizeof(o));
	o.version = GIT_ATTR_OPTIONS_VERSION;
	o.flags = GIT_ATTR_CHECK_INCLUDE_COMMIT | GIT_ATTR_CHECK_INDEX_ONLY;
	git_oid_cpy(&o.attr_commit_id, &c->commit);
	yes = git_attr_get_ext(&v, c->repo->git, &o, path, "filter") == 0 && GIT_ATTR_HAS_VALUE(v) &&
	      strcmp(v, "lfs") == 0;
	git_error_clear();
	return yes;
}

static int fsck_entry(const char *root, const git_tree_entry *e, void *payload)
{
	struct fsck_ctx *c = payload;
	struct pointer p;
	char bad[200], *path = NULL;
	unsigned int mode = git_tree_entry_filemode(e);
	int rc;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE))
		return 0;
	if (asprintf(&path, "%s%s", root, git_tree_entry_name(e)) < 0) {
		err_set(c->err, ERR_NOMEM, "out of memory");
		return -1;
	}
	rc = scan_blob(c->repo, git_tree_entry_id(e), &p, bad, sizeof(bad), c->err);
	if (rc < 0) {
		free(path);
		return -1;
	}
	if (rc == 0) {
		if (bad[0]) {
			say_info("pointer: invalidPointer: %s: %s", path, bad);
			c->problems++;
		} else if (c->pointers && lfs_filtered(c, path)) {
			git_odb *odb = NULL;
			size_t len = 0;
			git_object_t t;
			if (git_repository_odb(&odb, c->repo->git) == 0 &&
			    git_odb_read_header(&len, &t, odb, git_tree_entry_id(e)) == 0 && len > 0) {
				say_info("pointer: unexpectedGitObject: %s (%.10s) should have been a pointer, but was not",
				       path, git_oid_tostr_s(git_tree_entry_id(e)));
				c->problems++;
			}
			git_odb_free(odb);
			git_error_clear();
		}
		free(path);
		return 0;
	}
	if (c->pointers) {
		git_blob *b = NULL;
		if (git_blob_lookup(&b, c->repo->git, git_tree_entry_id(e)) == 0 &&
		    !pointer_is_canonical(&p, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b))) {
			say_info("pointer: nonCanonicalPointer: pointer for %s (%.10s) was not canonical", path,
			       p.oid);
			c->problems++;
		}
		git_blob_free(b);
	}
	switch (check_object(c->repo, &p)) {
	case 0:
		say_info("objects: corruptObject: %s (%s) is corrupt", path, p.oid);
		quarantine(c->repo, p.oid);
		c->problems++;
		break;
	case -1:
		say_info("objects: openError: %s (%s) could not be checked: not in .git/lfs/objects", path, p.oid);
		c->problems++;
		break;
	default:
		break;
	}
	free(path);
	return 0;
}

int inspect_fsck(struct lfsrepo *r, const char *ref, bool pointers, int *problems, struct err *err)
{
	struct fsck_ctx c = { r, { { 0 } }, pointers, 0, err };
	git_tree *tree = NULL;
	int rc;

	*problems = 0;
	if ((rc = ref_tree(&tree, &c.commit, r, ref, err)) < 0)
		return rc;
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, fsck_entry, &c) < 0)
		rc = err->code ? err->code : lfsrepo_git_error(err, ERR_IO, "cannot walk the tree");
	git_tree_free(tree);
	*problems = c.problems;
	if (rc == 0 && c.problems == 0)
		say_info("Git LFS fsck OK");
	return rc;
}
