/* fetch: object downloads (see fetch.h). */
#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfsapi.h"
#include "lfscache.h"
#include "mirrors.h"
#include "say.h"
#include "scan.h"
#include "tq.h"

/* The ref git-lfs names in download batches: the current branch. */
static char *current_ref(struct lfsrepo *r)
{
	git_reference *head = NULL;
	char *ref = NULL;

	if (git_repository_head(&head, r->git) == 0 && git_reference_is_branch(head))
		ref = strdup(git_reference_name(head));
	git_reference_free(head);
	git_error_clear();
	return ref;
}

/* The server failed (rc, err): what it could not give, the mirrors of
 * .lfsmirrors may.  Returns 0 when they gave everything, else rc with
 * err as the server left it. */
static int from_mirrors(struct lfsrepo *r, const struct objlist *missing, int rc, struct err *err)
{
	struct err merr = ERR_INIT;
	char **urls = NULL;
	int n = 0, left;

	if (mirrors_list(&urls, &n, r, &merr) < 0 || n == 0) {
		if (merr.msg[0])
			say_warn("%s", merr.msg);
		return rc;
	}
	for (int i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
	left = mirrors_fetch(r, missing, &merr);
	if (left < 0 && merr.msg[0])
		say_warn("%s", merr.msg);
	if (left == 0) {
		say_warn("the Git LFS server failed (%s); the mirrors of .lfsmirrors had everything", err->msg);
		return 0;
	}
	return rc;
}

int fetch_objects(struct lfsrepo *r, const char *remote, const struct objlist *objs, struct err *err)
{
	struct objlist missing = OBJLIST_INIT;
	struct lfsapi *api = NULL;
	char *ref = NULL;
	int rc = 0;

	/* Partial downloads of an interrupted run go first. */
	if (objs->n > 0)
		lfscache_sweep_tmp(r);
	for (size_t i = 0; i < objs->n && rc == 0; i++) {
		const struct lfsobj *o = &objs->items[i];
		if (o->size > 0 && !lfscache_has(r, o->oid, o->size))
			rc = objlist_add(&missing, o->oid, o->size, o->path, NULL, err);
	}
	if (rc < 0 || missing.n == 0)
		goto out;
	rc = lfsapi_open(&api, r, remote, false, err);
	if (rc == 0) {
		ref = current_ref(r);
		rc = tq_run(api, false, &missing, ref, err);
	}
	if (rc < 0 && rc != ERR_NOMEM)
		rc = from_mirrors(r, &missing, rc, err);
out:
	free(ref);
	lfsapi_close(api);
	objlist_release(&missing);
	return rc;
}

int fetch_refs(struct lfsrepo *r, const char *remote, bool all, struct err *err)
{
	struct objlist objs = OBJLIST_INIT;
	struct scan_collect g = { &objs, NULL, err };
	int rc = 0;

	if (all) {
		struct scan *s = NULL;
		if ((rc = scan_new(&s, r, err)) < 0)
			return rc;
		rc = scan_include_refs(s, NULL, err);
		if (rc == 0)
			rc = scan_commits(s, scan_collect_cb, &g, err);
		scan_free(s);
	} else {
		git_object *obj = NULL;
		git_tree *tree = NULL;
		if (git_revparse_single(&obj, r->git, "HEAD^{tree}") < 0) {
			git_error_clear();
			return err_set(err, ERR_NOTFOUND, "HEAD has no commit yet");
		}
		tree = (git_tree *)obj;
		rc = scan_tree(r, tree, scan_collect_cb, &g, err);
		git_tree_free(tree);
	}
	if (rc == 0)
		rc = fetch_objects(r, remote, &objs, err);
	objlist_release(&objs);
	return rc;
}
