/* push: pre-push hook and push command (see push.h). */
#include "push.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfsapi.h"
#include "objlist.h"
#include "scan.h"
#include "tq.h"

static bool is_zero(const git_oid *id)
{
	return git_oid_is_zero(id);
}

int push_parse_line(struct push_update *u, const char *line, struct err *err)
{
	char lsha[64], rsha[64];
	const char *p = line;
	const char *f[4];
	size_t fl[4];

	memset(u, 0, sizeof(*u));
	for (int i = 0; i < 4; i++) {
		size_t n = strcspn(p, " \n");
		if (n == 0 || (i < 3 && p[n] != ' '))
			return err_set(err, ERR_INVALID, "bad pre-push line '%.100s'", line);
		f[i] = p;
		fl[i] = n;
		p += n + (p[n] == ' ');
	}
	if (*p && strcmp(p, "\n") != 0)
		return err_set(err, ERR_INVALID, "bad pre-push line '%.100s'", line);
	if (fl[0] >= sizeof(u->local_ref) || fl[2] >= sizeof(u->remote_ref) || fl[1] != GIT_OID_HEXSZ ||
	    fl[3] != GIT_OID_HEXSZ)
		return err_set(err, ERR_INVALID, "bad pre-push line '%.100s'", line);
	memcpy(u->local_ref, f[0], fl[0]);
	memcpy(u->remote_ref, f[2], fl[2]);
	memcpy(lsha, f[1], fl[1]);
	lsha[fl[1]] = '\0';
	memcpy(rsha, f[3], fl[3]);
	rsha[fl[3]] = '\0';
	if (git_oid_fromstr(&u->local, lsha) < 0 || git_oid_fromstr(&u->remote, rsha) < 0) {
		git_error_clear();
		return err_set(err, ERR_INVALID, "bad object name in pre-push line '%.100s'", line);
	}
	u->is_delete = is_zero(&u->local);
	u->remote_is_new = is_zero(&u->remote);
	return 0;
}

/* A configured remote's name (not a URL): its tracking refs tell what it
 * has.  (Not git_remote_lookup(): libgit2 1.5 leaks a regex there.)
 * Returns 1 or 0, or a negative code with err filled. */
static int is_remote_name(struct lfsrepo *r, const char *remote, struct err *err)
{
	char *key = NULL, *url = NULL;
	int rc;

	if (strchr(remote, '/') || strchr(remote, ':'))
		return 0;
	if (asprintf(&key, "remote.%s.url", remote) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = lfsrepo_config_get(&url, r, key, err);
	free(key);
	if (rc < 0)
		return rc;
	rc = url != NULL;
	free(url);
	return rc;
}

static int upload(struct lfsrepo *r, const char *remote, struct scan *s, const char *ref, struct err *err)
{
	struct objlist objs = OBJLIST_INIT;
	struct scan_collect c = { &objs, "; pushed as it is", err };
	struct lfsapi *api = NULL;
	int rc;

	rc = scan_commits(s, scan_collect_cb, &c, err);
	if (rc == 0 && objs.n > 0) {
		rc = lfsapi_open(&api, r, remote, true, err);
		if (rc == 0)
			rc = tq_run(api, true, &objs, ref, err);
	}
	lfsapi_close(api);
	objlist_release(&objs);
	return rc;
}

static int hide_remote(struct lfsrepo *r, struct scan *s, const char *remote, struct err *err)
{
	char glob[512];
	int rc = is_remote_name(r, remote, err);

	if (rc <= 0)
		return rc;
	snprintf(glob, sizeof(glob), "refs/remotes/%s/*", remote);
	return scan_exclude_glob(s, glob, err);
}

int push_pre_push(struct lfsrepo *r, const char *remote, FILE *in, struct err *err)
{
	struct scan *s = NULL;
	char line[4096], ref[1024] = "";
	int rc;

	if (util_env_true("GIT_LFS_SKIP_PUSH")) {
		while (fgets(line, sizeof(line), in))
			;
		return 0;
	}
	if ((rc = scan_new(&s, r, err)) < 0)
		return rc;
	while (rc == 0 && fgets(line, sizeof(line), in)) {
		struct push_update u;
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		if ((rc = push_parse_line(&u, line, err)) < 0)
			break;
		if (u.is_delete)
			continue;
		if (!ref[0])
			snprintf(ref, sizeof(ref), "%s", u.remote_ref);
		rc = scan_include(s, &u.local, err);
		if (rc == 0 && !u.remote_is_new)
			rc = scan_exclude(s, &u.remote, err);
	}
	/* A read error is not the end of git's list: refs after it would
	 * go out without their objects. */
	if (rc == 0 && ferror(in))
		rc = err_set_errno(err, ERR_IO, "cannot read the ref updates from git");
	if (rc == 0)
		rc = hide_remote(r, s, remote, err);
	if (rc == 0)
		rc = upload(r, remote, s, ref[0] ? ref : NULL, err);
	scan_free(s);
	return rc;
}

int push_refs(struct lfsrepo *r, const char *remote, char *const *refs, int n, bool all, struct err *err)
{
	struct scan *s = NULL;
	char refname[1024] = "";
	int rc;

	if ((rc = scan_new(&s, r, err)) < 0)
		return rc;
	if (all) {
		rc = scan_include_refs(s, "refs/heads/*", err);
		if (rc == 0)
			rc = scan_include_refs(s, "refs/tags/*", err);
	} else {
		const char *head[] = { "HEAD" };
		char *const *list = n > 0 ? refs : (char *const *)head;
		int count = n > 0 ? n : 1;
		for (int i = 0; i < count && rc == 0; i++) {
			git_object *obj = NULL;
			git_reference *dref = NULL;
			if (git_revparse_single(&obj, r->git, list[i]) < 0) {
				rc = err_set(err, ERR_INVALID, "unknown revision '%s'", list[i]);
				break;
			}
			if (!refname[0] && git_reference_dwim(&dref, r->git, list[i]) == 0) {
				git_reference *res = NULL;
				if (git_reference_resolve(&res, dref) == 0)
					snprintf(refname, sizeof(refname), "%s", git_reference_name(res));
				git_reference_free(res);
			}
			git_reference_free(dref);
			git_error_clear();
			{
				git_object *c = NULL;
				if (git_object_peel(&c, obj, GIT_OBJECT_COMMIT) < 0)
					rc = err_set(err, ERR_INVALID, "'%s' is not a commit", list[i]);
				else
					rc = scan_include(s, git_object_id(c), err);
				git_object_free(c);
			}
			git_object_free(obj);
		}
		if (rc == 0)
			rc = hide_remote(r, s, remote, err);
	}
	if (rc == 0)
		rc = upload(r, remote, s, refname[0] ? refname : NULL, err);
	scan_free(s);
	return rc;
}
