/* endpoint: LFS server discovery (see endpoint.h). */
#include "endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* host/path (no scheme, no user) joined as git-lfs does:
 * scheme://host/path + ".git" unless present + "/info/lfs". */
static int join(char **out, const char *scheme, const char *host, size_t host_len, const char *path,
		struct err *err)
{
	size_t plen = strlen(path);
	const char *slash = (plen && path[0] == '/') || !plen ? "" : "/";
	const char *dotgit = plen >= 4 && strcmp(path + plen - 4, ".git") == 0 ? "" : ".git";

	if (host_len == 0)
		return err_set(err, ERR_INVALID, "no host in the remote URL");
	if (asprintf(out, "%s://%.*s%s%s%s/info/lfs", scheme, (int)host_len, host, slash, path, dotgit) < 0) {
		*out = NULL;
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

int endpoint_from_git_url(char **out, const char *url, const char *gitprotocol, struct err *err)
{
	char *u = strdup(url), *p;
	size_t n;
	int rc;

	*out = NULL;
	if (!u)
		return err_set(err, ERR_NOMEM, "out of memory");
	n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		u[--n] = '\0';

	if (has_prefix(u, "http://") || has_prefix(u, "https://")) {
		const char *dotgit = n >= 4 && strcmp(u + n - 4, ".git") == 0 ? "" : ".git";
		rc = asprintf(out, "%s%s/info/lfs", u, dotgit) < 0 ? err_set(err, ERR_NOMEM, "out of memory") : 0;
		if (rc < 0)
			*out = NULL;
	} else if (has_prefix(u, "ssh://") || has_prefix(u, "git+ssh://") || has_prefix(u, "ssh+git://") ||
		   has_prefix(u, "git://")) {
		const char *host = strstr(u, "://") + 3, *end, *at, *colon;
		bool git = has_prefix(u, "git://");
		end = host + strcspn(host, "/");
		at = memchr(host, '@', (size_t)(end - host));
		if (at)
			host = at + 1;
		/* [v6]:port or host:port: the port is dropped. */
		if (*host == '[') {
			const char *rb = memchr(host, ']', (size_t)(end - host));
			colon = rb ? memchr(rb, ':', (size_t)(end - rb)) : NULL;
		} else {
			colon = memchr(host, ':', (size_t)(end - host));
		}
		rc = join(out, git ? (gitprotocol ? gitprotocol : "https") : "https", host,
			  (size_t)((colon ? colon : end) - host), end, err);
	} else if (strstr(u, "://")) {
		rc = err_set(err, has_prefix(u, "file://") ? ERR_NOTFOUND : ERR_INVALID,
			     "no Git LFS server for '%s'; set lfs.url", url);
	} else if ((p = strchr(u, ':')) && !memchr(u, '/', (size_t)(p - u))) {
		/* scp-like [user@]host:path; "C:..." or "./a:b" would be paths. */
		const char *host = u, *at = memchr(u, '@', (size_t)(p - u));
		if (at)
			host = at + 1;
		rc = join(out, "https", host, (size_t)(p - host), p + 1, err);
	} else {
		rc = err_set(err, ERR_NOTFOUND, "no Git LFS server for the local remote '%s'; set lfs.url", url);
	}
	free(u);
	return rc;
}

char *endpoint_rewrite(const char *url, char *const *insteadof, int n_insteadof, char *const *pushinsteadof,
		       int n_pushinsteadof, bool push)
{
	const char *best_base = NULL;
	size_t best_len = 0;

	for (int pass = push ? 0 : 1; pass < 2; pass++) {
		char *const *list = pass == 0 ? pushinsteadof : insteadof;
		int n = pass == 0 ? n_pushinsteadof : n_insteadof;
		for (int i = 0; i < n; i++) {
			const char *tab = strchr(list[i], '\t');
			size_t plen;
			if (!tab)
				continue;
			plen = strlen(tab + 1);
			if (plen > best_len && strncmp(url, tab + 1, plen) == 0) {
				best_len = plen;
				best_base = list[i];
			}
		}
		if (best_base)
			break;
	}
	if (best_base) {
		char *out = NULL;
		const char *tab = strchr(best_base, '\t');
		if (asprintf(&out, "%.*s%s", (int)(tab - best_base), best_base, url + best_len) < 0)
			return NULL;
		return out;
	}
	return strdup(url);
}

char *endpoint_default_remote(struct lfsrepo *r)
{
	git_reference *head = NULL;
	char *remote = NULL;

	if (git_repository_head(&head, r->git) == 0 && git_reference_is_branch(head)) {
		char key[512];
		snprintf(key, sizeof(key), "branch.%s.remote", git_reference_shorthand(head));
		if (lfsrepo_config_get(&remote, r, key, NULL) < 0) {
			git_reference_free(head);
			return NULL;
		}
		/* "." means the local repository: no server there. */
		if (remote && strcmp(remote, ".") == 0) {
			free(remote);
			remote = NULL;
		}
	}
	git_reference_free(head);
	git_error_clear();
	return remote ? remote : strdup("origin");
}

struct rewrites {
	char **v[2];
	int n[2];
	bool oom;
};

static int collect_rewrite(const git_config_entry *e, void *payload)
{
	struct rewrites *rw = payload;
	size_t nlen = strlen(e->name);
	int which = nlen > 14 && strcasecmp(e->name + nlen - 14, ".pushinsteadof") == 0 ? 1 : 0;
	size_t suffix = which ? 14 : 10;
	char **grown, *entry = NULL;

	/* Filtered by hand: libgit2 1.5 leaks the regex of
	 * git_config_foreach_match(). */
	if (strncasecmp(e->name, "url.", 4) != 0 || nlen <= 4 + suffix || !e->value ||
	    (!which && strcasecmp(e->name + nlen - 10, ".insteadof") != 0))
		return 0;
	grown = realloc(rw->v[which], (size_t)(rw->n[which] + 1) * sizeof(char *));
	if (!grown) {
		rw->oom = true;
		return -1;
	}
	rw->v[which] = grown;
	if (asprintf(&entry, "%.*s\t%s", (int)(nlen - 4 - suffix), e->name + 4, e->value) < 0) {
		rw->oom = true;
		return -1;
	}
	rw->v[which][rw->n[which]++] = entry;
	return 0;
}

/* url after url.<base>.insteadOf (and pushInsteadOf when pushing).  A
 * rule that could not be read is an error: the URL without it may name
 * another host. */
static int rewritten(char **out, struct lfsrepo *r, const char *url, bool push, struct err *err)
{
	struct rewrites rw = { { NULL, NULL }, { 0, 0 }, false };
	git_config *cfg = NULL;
	int rc;

	*out = NULL;
	if ((rc = lfsrepo_config(&cfg, r, err)) < 0)
		return rc;
	if (git_config_foreach(cfg, collect_rewrite, &rw) < 0)
		rc = rw.oom ? err_set(err, ERR_NOMEM, "out of memory")
			    : lfsrepo_git_error(err, ERR_IO, "cannot read the url.*.insteadOf settings");
	git_config_free(cfg);
	git_error_clear();
	if (rc == 0 && !(*out = endpoint_rewrite(url, rw.v[0], rw.n[0], rw.v[1], rw.n[1], push)))
		rc = err_set(err, ERR_NOMEM, "out of memory");
	for (int w = 0; w < 2; w++) {
		for (int i = 0; i < rw.n[w]; i++)
			free(rw.v[w][i]);
		free(rw.v[w]);
	}
	return rc;
}

static char *remote_key(const char *remote, const char *var)
{
	char *k = NULL;

	if (asprintf(&k, "remote.%s.%s", remote, var) < 0)
		return NULL;
	return k;
}

/* remote.<remote>.<var> into *out (NULL when unset), unless *out is
 * already set or an earlier step failed (rc < 0): chains of fallbacks
 * stay one line each. */
static int get_remote(int rc, char **out, struct lfsrepo *r, const char *remote, const char *var, struct err *err)
{
	char *k;

	if (rc < 0 || *out)
		return rc;
	if (!(k = remote_key(remote, var)))
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = lfsrepo_config_get(out, r, k, err);
	free(k);
	return rc;
}

/* The same for a whole key. */
static int get_key(int rc, char **out, struct lfsrepo *r, const char *key, struct err *err)
{
	if (rc < 0 || *out)
		return rc;
	return lfsrepo_config_get(out, r, key, err);
}

/* A remote on this machine has no server: its objects are copied
 * (standalone.c).  The endpoint names its absolute path as file://. */
static int local_endpoint(char **out, struct lfsrepo *r, const char *url, struct err *err)
{
	const char *path = strncmp(url, "file://", 7) == 0 ? url + 7 : url;
	char *joined = NULL, *abs;

	if (path[0] == '/')
		joined = strdup(path);
	else if (asprintf(&joined, "%s/%s", r->workdir ? r->workdir : r->gitdir, path) < 0)
		joined = NULL;
	if (!joined)
		return err_set(err, ERR_NOMEM, "out of memory");
	abs = realpath(joined, NULL);
	free(joined);
	if (!abs)
		return err_set_errno(err, ERR_NOTFOUND, "no Git LFS server for the local remote '%s'", url);
	if (asprintf(out, "file://%s", abs) < 0) {
		*out = NULL;
		free(abs);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	free(abs);
	return 0;
}

int endpoint_resolve(char **out, char **git_url, struct lfsrepo *r, const char *remote, bool upload,
		     struct err *err)
{
	char *name = remote ? strdup(remote) : endpoint_default_remote(r);
	char *v = NULL, *url = NULL, *proto = NULL;
	bool is_url;
	int rc = 0;

	*out = NULL;
	if (git_url)
		*git_url = NULL;
	if (!name)
		return err_set(err, ERR_NOMEM, "out of memory");
	/* pre-push gets the URL itself when pushing to a bare URL. */
	is_url = strchr(name, '/') || strchr(name, ':');
	if (is_url) {
		if (!(url = strdup(name))) {
			free(name);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
	} else {
		if (upload)
			rc = get_remote(rc, &url, r, name, "pushurl", err);
		rc = get_remote(rc, &url, r, name, "url", err);
		if (rc < 0) {
			free(url);
			free(name);
			return rc;
		}
	}
	if (url) {
		char *rw;
		rc = rewritten(&rw, r, url, upload, err);
		free(url);
		url = rw;
		if (rc < 0) {
			free(name);
			return rc;
		}
	}

	if (upload)
		rc = get_key(rc, &v, r, "lfs.pushurl", err);
	rc = get_key(rc, &v, r, "lfs.url", err);
	if (!is_url && upload)
		rc = get_remote(rc, &v, r, name, "lfspushurl", err);
	if (!is_url)
		rc = get_remote(rc, &v, r, name, "lfsurl", err);
	if (rc < 0) {
		free(v);
	} else if (v) {
		size_t n = strlen(v);
		while (n > 0 && v[n - 1] == '/')
			v[--n] = '\0';
		*out = v;
	} else if (!url) {
		rc = err_set(err, ERR_NOTFOUND, "no Git LFS server: remote '%s' is not configured and lfs.url is unset",
			     name);
	} else {
		rc = lfsrepo_config_get(&proto, r, "lfs.gitprotocol", err);
		if (rc == 0)
			rc = endpoint_from_git_url(out, url, proto, err);
		if (rc == ERR_NOTFOUND)
			rc = local_endpoint(out, r, url, err);
	}
	if (rc == 0 && git_url) {
		*git_url = url;
		url = NULL;
	}
	free(proto);
	free(url);
	free(name);
	return rc;
}
