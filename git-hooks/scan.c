/* scan: pointers in history and trees (see scan.h). */
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "say.h"

/* A set of git oids already looked at (open addressing). */
struct oidset {
	git_oid *v;
	unsigned char *used;
	size_t n, cap;
};

static size_t oid_slot(const struct oidset *s, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (s->cap - 1);
}

/* Returns 1 when id was added, 0 when it was there, -1 on no memory. */
static int oidset_add(struct oidset *s, const git_oid *id)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct oidset g = { NULL, NULL, 0, s->cap ? s->cap * 2 : 1024 };
		g.v = malloc(g.cap * sizeof(*g.v));
		g.used = calloc(g.cap, 1);
		if (!g.v || !g.used) {
			free(g.v);
			free(g.used);
			return -1;
		}
		for (size_t k = 0; k < s->cap; k++) {
			if (!s->used[k])
				continue;
			i = oid_slot(&g, &s->v[k]);
			while (g.used[i])
				i = (i + 1) & (g.cap - 1);
			g.used[i] = 1;
			g.v[i] = s->v[k];
		}
		g.n = s->n;
		free(s->v);
		free(s->used);
		*s = g;
	}
	for (i = oid_slot(s, id); s->used[i]; i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->v[i], id))
			return 0;
	s->used[i] = 1;
	s->v[i] = *id;
	s->n++;
	return 1;
}

static void oidset_release(struct oidset *s)
{
	free(s->v);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

struct scan {
	struct lfsrepo *repo;
	git_revwalk *walk;
	struct oidset seen;
	bool any;
};

int scan_new(struct scan **out, struct lfsrepo *r, struct err *err)
{
	struct scan *s = calloc(1, sizeof(*s));

	if (!s)
		return err_set(err, ERR_NOMEM, "out of memory");
	s->repo = r;
	if (git_revwalk_new(&s->walk, r->git) < 0) {
		free(s);
		return lfsrepo_git_error(err, ERR_IO, "cannot walk history");
	}
	if (git_revwalk_sorting(s->walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0) {
		git_revwalk_free(s->walk);
		free(s);
		return lfsrepo_git_error(err, ERR_IO, "cannot walk history");
	}
	*out = s;
	return 0;
}

void scan_free(struct scan *s)
{
	if (!s)
		return;
	git_revwalk_free(s->walk);
	oidset_release(&s->seen);
	free(s);
}

int scan_include(struct scan *s, const git_oid *commit, struct err *err)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (git_revwalk_push(s->walk, commit) < 0)
		return lfsrepo_git_error(err, ERR_IO, git_oid_tostr(hex, sizeof(hex), commit));
	s->any = true;
	return 0;
}

int scan_exclude(struct scan *s, const git_oid *commit, struct err *err)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_odb *odb = NULL;
	bool have;

	/* A commit we do not have (the remote is ahead) hides nothing. */
	if (git_repository_odb(&odb, s->repo->git) < 0)
		return lfsrepo_git_error(err, ERR_IO, "cannot open the object database");
	have = git_odb_exists(odb, commit);
	git_odb_free(odb);
	if (have && git_revwalk_hide(s->walk, commit) < 0)
		return lfsrepo_git_error(err, ERR_IO, git_oid_tostr(hex, sizeof(hex), commit));
	return 0;
}

int scan_include_refs(struct scan *s, const char *glob, struct err *err)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int rc = 0, next = 0;

	if ((glob ? git_reference_iterator_glob_new(&it, s->repo->git, glob)
		  : git_reference_iterator_new(&it, s->repo->git)) < 0)
		return lfsrepo_git_error(err, ERR_IO, "cannot list refs");
	while (rc == 0 && (next = git_reference_next(&ref, it)) == 0) {
		git_object *obj = NULL;
		/* Refs that are not commits (a tag of a blob) have no files. */
		if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0)
			rc = scan_include(s, git_object_id(obj), err);
		git_error_clear();
		git_object_free(obj);
		git_reference_free(ref);
	}
	/* A listing cut short would leave some refs' objects out. */
	if (rc == 0 && next != GIT_ITEROVER)
		rc = lfsrepo_git_error(err, ERR_IO, "cannot list refs");
	git_reference_iterator_free(it);
	return rc;
}

int scan_exclude_glob(struct scan *s, const char *glob, struct err *err)
{
	if (git_revwalk_hide_glob(s->walk, glob) < 0 && git_error_last() &&
	    git_error_last()->klass != GIT_ERROR_REFERENCE)
		return lfsrepo_git_error(err, ERR_IO, glob);
	git_error_clear();
	return 0;
}

int scan_blob(struct lfsrepo *r, const git_oid *blob, struct pointer *p, char *bad, size_t badsz,
	      struct err *err)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	git_object_t type;
	size_t len = 0;
	struct err perr = ERR_INIT;
	int rc = 0;

	if (bad && badsz)
		bad[0] = '\0';
	if (git_repository_odb(&odb, r->git) < 0)
		return lfsrepo_git_error(err, ERR_IO, "cannot open the object database");
	if (git_odb_read_header(&len, &type, odb, blob) < 0) {
		rc = lfsrepo_git_error(err, ERR_IO, "cannot read a blob");
		goto out;
	}
	if (type != GIT_OBJECT_BLOB || len >= POINTER_MAX_SIZE || len == 0)
		goto out;
	if (git_odb_read(&obj, odb, blob) < 0) {
		rc = lfsrepo_git_error(err, ERR_IO, "cannot read a blob");
		goto out;
	}
	if (pointer_parse(p, git_odb_object_data(obj), git_odb_object_size(obj), &perr) == 0)
		rc = p->size > 0 ? 1 : 0;
	else if (bad && pointer_looks_like(git_odb_object_data(obj), git_odb_object_size(obj)))
		snprintf(bad, badsz, "%s", perr.msg);
out:
	git_odb_object_free(obj);
	git_odb_free(odb);
	return rc;
}

static int report_blob(struct lfsrepo *r, const char *path, const git_oid *id, unsigned int mode, scan_cb cb,
		       void *payload, struct err *err)
{
	struct pointer p;
	char bad[200];
	int rc = scan_blob(r, id, &p, bad, sizeof(bad), err);

	if (rc < 0)
		return rc;
	if (rc == 1)
		return cb(path, id, mode, &p, NULL, payload);
	if (bad[0])
		return cb(path, id, mode, NULL, bad, payload);
	return 0;
}

static bool is_file_mode(unsigned int mode)
{
	return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

struct walk_ctx {
	struct lfsrepo *repo;
	struct oidset *seen; /* NULL: report every path */
	scan_cb cb;
	void *payload;
	struct err *err;
	int rc;
};

static int tree_entry_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk_ctx *w = payload;
	const git_oid *id = git_tree_entry_id(e);
	char *path = NULL;
	int added;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || !is_file_mode(git_tree_entry_filemode(e)))
		return 0;
	if (w->seen) {
		added = oidset_add(w->seen, id);
		if (added < 0) {
			w->rc = err_set(w->err, ERR_NOMEM, "out of memory");
			return -1;
		}
		if (added == 0)
			return 0;
	}
	if (asprintf(&path, "%s%s", root, git_tree_entry_name(e)) < 0) {
		w->rc = err_set(w->err, ERR_NOMEM, "out of memory");
		return -1;
	}
	w->rc = report_blob(w->repo, path, id, git_tree_entry_filemode(e), w->cb, w->payload, w->err);
	free(path);
	return w->rc < 0 ? -1 : 0;
}

int scan_tree(struct lfsrepo *r, git_tree *tree, scan_cb cb, void *payload, struct err *err)
{
	struct walk_ctx w = { r, NULL, cb, payload, err, 0 };

	if (git_tree_walk(tree, GIT_TREEWALK_PRE, tree_entry_cb, &w) < 0 && w.rc == 0)
		return lfsrepo_git_error(err, ERR_IO, "cannot walk a tree");
	return w.rc;
}

/* Git's order of tree entries: by name, a tree's name compared as if it
 * ended in '/'. */
static int entry_cmp(const git_tree_entry *a, const git_tree_entry *b)
{
	const char *na = git_tree_entry_name(a), *nb = git_tree_entry_name(b);
	size_t la = strlen(na), lb = strlen(nb), l = la < lb ? la : lb;
	int c = memcmp(na, nb, l);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = la > l ? (unsigned char)na[l] : git_tree_entry_type(a) == GIT_OBJECT_TREE ? '/' : 0;
	cb = lb > l ? (unsigned char)nb[l] : git_tree_entry_type(b) == GIT_OBJECT_TREE ? '/' : 0;
	return (int)ca - (int)cb;
}

/* Reports the file blobs of tree new that old (NULL: nothing) does not
 * have at the same path.  Git trees are sorted by name, so one merge pass
 * compares them, and a subtree with the same id on both sides is skipped
 * whole: this is what makes a push of a long history cheap (libgit2's
 * tree-to-tree diff does the same work with far more setup per commit). */
static int tree_changes(struct scan *s, git_tree *old, git_tree *new, const char *prefix, scan_cb cb,
			void *payload, struct err *err)
{
	size_t no = old ? git_tree_entrycount(old) : 0, nn = git_tree_entrycount(new), i = 0, j = 0;
	int rc = 0;

	while (j < nn && rc == 0) {
		const git_tree_entry *e = git_tree_entry_byindex(new, j);
		const git_tree_entry *o = i < no ? git_tree_entry_byindex(old, i) : NULL;
		int cmp = o ? entry_cmp(o, e) : 1;
		git_object_t type = git_tree_entry_type(e);
		char *path = NULL;

		if (cmp < 0) {
			i++;
			continue;
		}
		j++;
		if (cmp == 0)
			i++;
		if (cmp == 0 && git_oid_equal(git_tree_entry_id(o), git_tree_entry_id(e)))
			continue;
		if (asprintf(&path, "%s%s", prefix, git_tree_entry_name(e)) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
		if (type == GIT_OBJECT_TREE) {
			git_tree *sub = NULL, *osub = NULL;
			char *dir = NULL;
			if (git_tree_lookup(&sub, s->repo->git, git_tree_entry_id(e)) < 0) {
				rc = lfsrepo_git_error(err, ERR_IO, "cannot read a tree");
			} else if (asprintf(&dir, "%s/", path) < 0) {
				rc = err_set(err, ERR_NOMEM, "out of memory");
			} else {
				if (cmp == 0 && git_tree_lookup(&osub, s->repo->git, git_tree_entry_id(o)) < 0)
					osub = NULL;
				git_error_clear();
				rc = tree_changes(s, osub, sub, dir, cb, payload, err);
			}
			free(dir);
			git_tree_free(osub);
			git_tree_free(sub);
		} else if (type == GIT_OBJECT_BLOB && is_file_mode(git_tree_entry_filemode(e))) {
			int added = oidset_add(&s->seen, git_tree_entry_id(e));
			if (added < 0)
				rc = err_set(err, ERR_NOMEM, "out of memory");
			else if (added)
				rc = report_blob(s->repo, path, git_tree_entry_id(e), git_tree_entry_filemode(e), cb,
						 payload, err);
		}
		free(path);
	}
	return rc;
}

static int scan_commit(struct scan *s, git_commit *c, scan_cb cb, void *payload, struct err *err)
{
	git_tree *tree = NULL, *ptree = NULL;
	git_commit *parent = NULL;
	int rc;

	if (git_commit_tree(&tree, c) < 0)
		return lfsrepo_git_error(err, ERR_IO, "cannot read a commit's tree");
	if (git_commit_parentcount(c) > 0 &&
	    (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0)) {
		rc = lfsrepo_git_error(err, ERR_IO, "cannot read a parent commit");
		goto out;
	}
	rc = tree_changes(s, ptree, tree, "", cb, payload, err);
out:
	git_tree_free(ptree);
	git_commit_free(parent);
	git_tree_free(tree);
	return rc;
}

int scan_commits(struct scan *s, scan_cb cb, void *payload, struct err *err)
{
	git_oid id;
	int rc = 0, w;

	if (!s->any)
		return 0;
	while (rc == 0 && (w = git_revwalk_next(&id, s->walk)) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, s->repo->git, &id) < 0)
			return lfsrepo_git_error(err, ERR_IO, "cannot read a commit");
		rc = scan_commit(s, c, cb, payload, err);
		git_commit_free(c);
	}
	if (rc == 0 && w != GIT_ITEROVER)
		rc = lfsrepo_git_error(err, ERR_IO, "cannot walk history");
	git_error_clear();
	return rc;
}

int scan_collect_cb(const char *path, const git_oid *blob, unsigned int mode, const struct pointer *p,
		    const char *bad, void *payload)
{
	struct scan_collect *c = payload;

	(void)blob;
	(void)mode;
	if (!p) {
		say_warn("%s: not a valid Git LFS pointer (%s)%s", path, bad, c->note ? c->note : "");
		return 0;
	}
	return objlist_add(c->objs, p->oid, p->size, path, NULL, c->err);
}
