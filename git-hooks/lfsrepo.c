/* lfsrepo: open the repository and read its configuration (see lfsrepo.h). */
#include "lfsrepo.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "say.h"

int lfsrepo_git_error(struct err *err, int code, const char *what)
{
	const git_error *e = git_error_last();

	return err_set(err, code, "%s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}

/* git's GIT_CONFIG_NOSYSTEM: set to a true value, no system config. */
static bool no_system_config(void)
{
	const char *nosys = getenv("GIT_CONFIG_NOSYSTEM");
	int b = 0;

	if (nosys && git_config_parse_bool(&b, nosys) == 0 && b)
		return true;
	git_error_clear();
	return false;
}

void lfsrepo_global_init(void)
{
	git_libgit2_init();
	/* libgit2 1.5 knows neither variable: it looks for "gitconfig" in
	 * its system search path (/etc) whatever the environment says.  An
	 * empty search path turns that off; a GIT_CONFIG_SYSTEM file is
	 * then added by hand to every repository opened (system_config()). */
	if (no_system_config() || getenv("GIT_CONFIG_SYSTEM"))
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
	git_error_clear();
}

/* GIT_CONFIG_SYSTEM names the system config file, as for git (unless
 * GIT_CONFIG_NOSYSTEM wins); it joins the repository's config at the
 * system level, below global and local. */
static int system_config(git_repository *repo, struct err *err)
{
	const char *path = getenv("GIT_CONFIG_SYSTEM");
	git_config *cfg = NULL;
	struct stat st;
	int rc = 0;

	if (!path || !*path || no_system_config() || stat(path, &st) < 0)
		return 0;
	if (git_repository_config(&cfg, repo) < 0 ||
	    git_config_add_file_ondisk(cfg, path, GIT_CONFIG_LEVEL_SYSTEM, repo, 0) < 0)
		rc = lfsrepo_git_error(err, ERR_IO, "cannot read GIT_CONFIG_SYSTEM");
	git_config_free(cfg);
	return rc;
}

void lfsrepo_global_shutdown(void)
{
	git_libgit2_shutdown();
}

static char *strip_slash(const char *s)
{
	char *d = strdup(s);
	size_t n;

	if (!d)
		return NULL;
	n = strlen(d);
	while (n > 1 && d[n - 1] == '/')
		d[--n] = '\0';
	return d;
}

static int fill_paths(struct lfsrepo *r, struct err *err)
{
	const char *wd;

	r->gitdir = strip_slash(git_repository_commondir(r->git));
	wd = git_repository_workdir(r->git);
	if (wd)
		r->workdir = strdup(wd);
	if (!r->gitdir || (wd && !r->workdir) || asprintf(&r->lfsdir, "%s/lfs", r->gitdir) < 0) {
		r->lfsdir = NULL;
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

int lfsrepo_open(struct lfsrepo **out, struct err *err)
{
	struct lfsrepo *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return err_set(err, ERR_NOMEM, "out of memory");
	rc = git_repository_open_ext(&r->git, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	if (rc < 0) {
		free(r);
		if (rc == GIT_ENOTFOUND)
			return err_set(err, ERR_NOTFOUND, "not in a git repository");
		return lfsrepo_git_error(err, ERR_IO, "cannot open the repository");
	}
	if ((rc = system_config(r->git, err)) < 0 || (rc = fill_paths(r, err)) < 0) {
		lfsrepo_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int lfsrepo_open_path(struct lfsrepo **out, const char *path, struct err *err)
{
	struct lfsrepo *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (git_repository_open_ext(&r->git, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		free(r);
		return lfsrepo_git_error(err, ERR_NOTFOUND, path);
	}
	if ((rc = system_config(r->git, err)) < 0 || (rc = fill_paths(r, err)) < 0) {
		lfsrepo_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void lfsrepo_free(struct lfsrepo *r)
{
	if (!r)
		return;
	git_repository_free(r->git);
	free(r->gitdir);
	free(r->workdir);
	free(r->lfsdir);
	free(r);
}

int lfsrepo_config(git_config **out, struct lfsrepo *r, struct err *err)
{
	if (git_repository_config_snapshot(out, r->git) < 0)
		return lfsrepo_git_error(err, ERR_IO, "cannot read git config");
	return 0;
}

/* The keys git-lfs reads from .lfsconfig (config/git_fetcher.go safe
 * keys); anything else there is ignored, as git-lfs does. */
static bool lfsconfig_safe(const char *key)
{
	static const char *const exact[] = {
		"lfs.url", "lfs.pushurl", "lfs.gitprotocol", "lfs.fetchinclude", "lfs.fetchexclude",
		"lfs.locksverify", "lfs.skipdownloaderrors", "lfs.allowincompletepush",
	};

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcasecmp(key, exact[i]) == 0)
			return true;
	return fnmatch("remote.*.lfsurl", key, FNM_CASEFOLD) == 0 ||
	       fnmatch("remote.*.lfspushurl", key, FNM_CASEFOLD) == 0 ||
	       fnmatch("lfs.*.access", key, FNM_CASEFOLD) == 0;
}

/* Keys of .lfsconfig whose value is a URL requests go to. */
static bool lfsconfig_url_key(const char *key)
{
	return strcasecmp(key, "lfs.url") == 0 || strcasecmp(key, "lfs.pushurl") == 0 ||
	       fnmatch("remote.*.lfsurl", key, FNM_CASEFOLD) == 0 ||
	       fnmatch("remote.*.lfspushurl", key, FNM_CASEFOLD) == 0;
}

/* An scp-like ssh address, as git tells it from a path: a ':' before any
 * '/', and something before the ':'.  Not git's "<helper>::<address>"
 * remote-helper syntax, nothing with a blank. */
static bool scp_like(const char *v)
{
	const char *colon = strchr(v, ':'), *slash = strchr(v, '/');

	return colon && colon != v && (!slash || colon < slash) && colon[1] != ':' && !strpbrk(v, " \t\r\n");
}

bool lfsrepo_committed_url_ok(const char *v)
{
	return strncasecmp(v, "https://", 8) == 0 || strncasecmp(v, "http://", 7) == 0 ||
	       strncasecmp(v, "ssh://", 6) == 0 || (!strstr(v, "://") && scp_like(v));
}

static int same_value(const git_config_entry *e, void *payload)
{
	return e->value && strcmp(e->value, payload) == 0 ? 1 : 0;
}

/* Whether a committed .lfsconfig value may be used: URLs must be http,
 * https or ssh (as git-lfs accepts there), or be the user's own (the
 * same URL set in their git config); lfs.gitprotocol only http(s).
 * Anything else would let a commit divert pushes to a local path. */
static bool lfsconfig_value_ok(git_config *user, const char *key, const char *v)
{
	static bool warned;
	bool ok;

	if (strcasecmp(key, "lfs.gitprotocol") == 0)
		ok = strcasecmp(v, "http") == 0 || strcasecmp(v, "https") == 0;
	else if (!lfsconfig_url_key(key))
		return true;
	else
		ok = lfsrepo_committed_url_ok(v) || (user && git_config_foreach(user, same_value, (void *)v) == 1);
	git_error_clear();
	if (!ok && !warned) {
		warned = true;
		say_warn(".lfsconfig: ignoring %s = '%s': a committed file may only name http, https or ssh "
			 "URLs (set it in your git config to use it)", key, v);
	}
	return ok;
}

/* key's value in cfg, or NULL when unset; *oom when the copy failed. */
static char *get_from(git_config *cfg, const char *key, bool *oom)
{
	git_config_entry *e = NULL;
	char *v = NULL;

	if (git_config_get_entry(&e, cfg, key) == 0 && e && e->value && !(v = strdup(e->value)))
		*oom = true;
	git_config_entry_free(e);
	return v;
}

/* Reads one single-quoted word at *s (git's sq_quote: '\'' inside);
 * returns it (caller frees) and moves *s past it, or NULL (with *oom
 * when memory ran out). */
static char *sq_word(const char **s, bool *oom)
{
	const char *p = *s;
	char *out, *o;

	if (*p != '\'')
		return NULL;
	out = malloc(strlen(p) + 1);
	if (!out) {
		*oom = true;
		return NULL;
	}
	o = out;
	p++;
	for (;;) {
		if (*p == '\0') {
			free(out);
			return NULL;
		}
		if (*p != '\'') {
			*o++ = *p++;
			continue;
		}
		/* '\'' continues the word with a quote */
		if (p[1] == '\\' && p[2] == '\'' && p[3] == '\'') {
			*o++ = '\'';
			p += 4;
			continue;
		}
		p++;
		break;
	}
	*o = '\0';
	*s = p;
	return out;
}

char *lfsrepo_config_param(const char *params, const char *key, bool *oom)
{
	const char *s = params;
	char *found = NULL;

	while (s && *s) {
		char *k, *v = NULL;
		while (*s == ' ')
			s++;
		if (!*s || !(k = sq_word(&s, oom)))
			break;
		if (*s == '=') {
			s++;
			v = sq_word(&s, oom);
			if (!v) {
				free(k);
				break;
			}
		} else {
			/* old form: 'key=value' in one word */
			char *eq = strchr(k, '=');
			if (eq) {
				*eq = '\0';
				if (!(v = strdup(eq + 1))) {
					*oom = true;
					free(k);
					break;
				}
			}
		}
		if (strcasecmp(k, key) == 0 && v) {
			free(found);
			found = v;
			v = NULL;
		}
		free(k);
		free(v);
	}
	return found;
}

static char *env_override(const char *key, bool *oom)
{
	const char *params = getenv("GIT_CONFIG_PARAMETERS"), *count = getenv("GIT_CONFIG_COUNT");
	char *v = NULL;
	long n = count ? strtol(count, NULL, 10) : 0;

	for (long i = 0; i < n && i < 1000; i++) {
		char name[64];
		const char *k, *val;
		snprintf(name, sizeof(name), "GIT_CONFIG_KEY_%ld", i);
		k = getenv(name);
		snprintf(name, sizeof(name), "GIT_CONFIG_VALUE_%ld", i);
		val = getenv(name);
		if (k && val && strcasecmp(k, key) == 0) {
			free(v);
			if (!(v = strdup(val)))
				*oom = true;
		}
	}
	if (params) {
		char *p = lfsrepo_config_param(params, key, oom);
		if (p) {
			free(v);
			v = p;
		}
	}
	return v;
}

int lfsrepo_config_get(char **out, struct lfsrepo *r, const char *key, struct err *err)
{
	git_config *cfg = NULL, *file = NULL;
	char *v, *path = NULL;
	bool oom = false;
	struct stat st;

	*out = NULL;
	v = env_override(key, &oom);
	if (oom) {
		free(v);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	if (v) {
		*out = v;
		return 0;
	}
	if (git_repository_config_snapshot(&cfg, r->git) == 0)
		v = get_from(cfg, key, &oom);
	git_error_clear();
	if (oom || v || !r->workdir || !lfsconfig_safe(key))
		goto out;
	/* libgit2 opens a missing file as an empty config: check first. */
	if (asprintf(&path, "%s.lfsconfig", r->workdir) < 0) {
		oom = true;
		goto out;
	}
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && git_config_open_ondisk(&file, path) == 0) {
		git_config *snap = NULL;
		if (git_config_snapshot(&snap, file) == 0) {
			v = get_from(snap, key, &oom);
			git_config_free(snap);
		}
		git_config_free(file);
	}
	git_error_clear();
	free(path);
	if (v && !lfsconfig_value_ok(cfg, key, v)) {
		free(v);
		v = NULL;
	}
out:
	git_config_free(cfg);
	if (oom) {
		free(v);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	*out = v;
	return 0;
}

/* Typed reads fall back to the default when the value is unset or does
 * not parse, and when memory ran out reading it: every default is the
 * safe choice (http.sslverify's is true). */
long long lfsrepo_config_int(struct lfsrepo *r, const char *key, long long dflt)
{
	char *v;
	int64_t n;

	if (lfsrepo_config_get(&v, r, key, NULL) < 0 || !v)
		return dflt;
	if (git_config_parse_int64(&n, v) < 0) {
		git_error_clear();
		n = dflt;
	}
	free(v);
	return n;
}

bool lfsrepo_config_bool(struct lfsrepo *r, const char *key, bool dflt)
{
	char *v;
	int b;

	if (lfsrepo_config_get(&v, r, key, NULL) < 0 || !v)
		return dflt;
	if (git_config_parse_bool(&b, v) < 0) {
		git_error_clear();
		b = dflt;
	}
	free(v);
	return b != 0;
}
