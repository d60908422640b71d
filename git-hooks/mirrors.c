/* mirrors: downloads from the static mirror trees of .lfsmirrors (see
 * mirrors.h). */
#include "mirrors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "failsum.h"
#include "httpc.h"
#include "lfsapi.h"
#include "lfscache.h"
#include "progress.h"
#include "say.h"
#include "version.h"
#include "xfer.h"

char *mirrors_object_url(const char *base, const char *oid)
{
	size_t n = strlen(base);
	char rel[OID_PATH_LEN], *out = NULL;

	while (n > 0 && base[n - 1] == '/')
		n--;
	oid_path(rel, oid);
	if (asprintf(&out, "%.*s/objects/%s", (int)n, base, rel) < 0)
		return NULL;
	return out;
}

struct urls {
	char **v;
	int n;
	bool oom;
};

static int add_url(const git_config_entry *e, void *payload)
{
	struct urls *u = payload;
	char **v;

	if (!e->value || !*e->value)
		return 0;
	if (strncmp(e->value, "http://", 7) != 0 && strncmp(e->value, "https://", 8) != 0) {
		say_warn(".lfsmirrors: ignoring '%s' (not an http(s) URL)", e->value);
		return 0;
	}
	v = realloc(u->v, (size_t)(u->n + 1) * sizeof(*v));
	if (!v) {
		u->oom = true;
		return -1;
	}
	u->v = v;
	if (!(u->v[u->n] = strdup(e->value))) {
		u->oom = true;
		return -1;
	}
	u->n++;
	return 0;
}

int mirrors_list(char ***urls, int *n, struct lfsrepo *r, struct err *err)
{
	struct urls u = { NULL, 0, false };
	git_config *cfg = NULL;
	char *path = NULL;
	struct stat st;
	int rc = 0;

	*urls = NULL;
	*n = 0;
	if (!r->workdir)
		return 0;
	if (asprintf(&path, "%s.lfsmirrors", r->workdir) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	/* libgit2 opens a missing file as an empty config: look first. */
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return 0;
	}
	if (git_config_open_ondisk(&cfg, path) < 0) {
		rc = lfsrepo_git_error(err, ERR_INVALID, ".lfsmirrors");
	} else {
		int g = git_config_get_multivar_foreach(cfg, "mirror.url", NULL, add_url, &u);
		if (u.oom)
			rc = err_set(err, ERR_NOMEM, "out of memory");
		else if (g < 0 && g != GIT_ENOTFOUND)
			rc = lfsrepo_git_error(err, ERR_INVALID, ".lfsmirrors");
	}
	git_error_clear();
	git_config_free(cfg);
	free(path);
	if (rc < 0) {
		for (int i = 0; i < u.n; i++)
			free(u.v[i]);
		free(u.v);
		return rc;
	}
	*urls = u.v;
	*n = u.n;
	return 0;
}

/* One mirror: every object still missing, in parallel. */
static void fetch_from(struct lfsrepo *r, const char *base, const struct objlist *objs,
		       const struct httpc_opts *opts, int concurrency)
{
	struct xfer_item *items = calloc(objs->n, sizeof(*items));
	struct lfsapi_action *acts = calloc(objs->n, sizeof(*acts));
	struct progress pg;
	long long bytes = 0;
	size_t n = 0;
	int failed;
	struct err e = ERR_INIT;
	struct failsum f = FAILSUM_INIT;

	if (!items || !acts)
		goto out;
	for (size_t i = 0; i < objs->n; i++) {
		const struct lfsobj *o = &objs->items[i];
		if (o->size <= 0 || lfscache_has(r, o->oid, o->size))
			continue;
		if (!(acts[n].href = mirrors_object_url(base, o->oid)))
			goto out;
		items[n].kind = XFER_DOWNLOAD;
		memcpy(items[n].oid, o->oid, sizeof(items[n].oid));
		items[n].size = o->size;
		items[n].path = o->path;
		items[n].action = &acts[n];
		bytes += o->size;
		n++;
	}
	if (n == 0)
		goto out;
	progress_start(&pg, "Downloading LFS objects from a mirror", (int)n, bytes);
	failed = xfer_run(r, opts, items, n, concurrency, &pg, &e);
	for (size_t i = 0; failed > 0 && i < n; i++) {
		const char *src = base;
		if (items[i].rc == 0)
			continue;
		if (items[i].source[0] && !lfsapi_same_origin(base, items[i].source))
			src = items[i].source;
		failsum_add(&f, src, items[i].path, items[i].oid, items[i].msg);
	}
	progress_finish(&pg, failed == 0);
	failsum_print(&f, "download", "from mirror");
out:
	failsum_release(&f);
	for (size_t i = 0; acts && i < objs->n; i++)
		free(acts[i].href);
	free(acts);
	free(items);
}

int mirrors_fetch(struct lfsrepo *r, const struct objlist *objs, struct err *err)
{
	struct httpc_opts opts = { 0 };
	char **urls = NULL;
	const char *v;
	int n = 0, missing = 0, rc;

	if ((rc = mirrors_list(&urls, &n, r, err)) < 0)
		return rc;
	opts.user_agent = "lfs-hooks/" LFS_VERSION;
	opts.connect_timeout = 30;
	opts.stall_timeout = lfsrepo_config_int(r, "lfs.activitytimeout", 30);
	v = getenv("GIT_SSL_NO_VERIFY");
	opts.insecure = (v && *v) || !lfsrepo_config_bool(r, "http.sslverify", true);
	for (int i = 0; i < n; i++)
		fetch_from(r, urls[i], objs, &opts, (int)lfsrepo_config_int(r, "lfs.concurrenttransfers", 8));
	for (size_t i = 0; i < objs->n; i++)
		if (objs->items[i].size > 0 && !lfscache_has(r, objs->items[i].oid, objs->items[i].size))
			missing++;
	for (int i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
	return missing;
}
