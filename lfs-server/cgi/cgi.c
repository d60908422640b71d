/* cgi: lfs-cgi's set-up for one request: the config, the refusals the
 * CGI mode needs (contract.md), the data directory without the daemon's
 * lock and start-up sweep, then cgi_serve.  Nothing here outlives the
 * request: no thread, no lock file, no state but the metadata. */
#include "cgi/cgi.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgi/mirrors.h"
#include "cgi/publish.h"
#include "log.h"
#include "server/server.h"

/* An upload writes its temp file as bytes arrive, and the web server
 * kills a CGI that stalls (Apache's Timeout, 300 s on Debian): a temp
 * file untouched for an hour belongs to a dead process. */
#define TMP_STALE_SECONDS 3600
/* How often some request sweeps them (DATA/cgi-sweep's mtime says when
 * the last one did). */
#define SWEEP_EVERY_SECONDS 600

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* path, with symbolic links resolved as far as it exists (the data
 * directory may not exist yet). */
static void resolve(const char *path, char *out, size_t outsz)
{
	char buf[PATH_MAX], *slash;

	if (realpath(path, buf)) {
		snprintf(out, outsz, "%s", buf);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (slash && slash != buf) {
		char parent[PATH_MAX];

		*slash = '\0';
		if (realpath(buf, parent) &&
		    snprintf(out, outsz, "%s/%s", parent, slash + 1) < (int)outsz)
			return;
	}
	snprintf(out, outsz, "%s", path);
}

/* True when data is root or inside it. */
static bool inside(const char *data, const char *root)
{
	char r[PATH_MAX];
	size_t n;

	if (!root)
		return false;
	resolve(root, r, sizeof(r));
	n = strlen(r);
	while (n > 1 && r[n - 1] == '/')
		r[--n] = '\0';
	return strncmp(data, r, n) == 0 && (data[n] == '\0' || data[n] == '/' || n == 1);
}

/* Everything under the web root can be fetched by anyone, or shown by
 * a .htaccess someone else's mistake enables: the secret, user names and
 * private objects must not be there. */
static bool data_is_public(const char *data, const char *public_dir, const char **which)
{
	char d[PATH_MAX];

	resolve(data, d, sizeof(d));
	if (inside(d, env("DOCUMENT_ROOT")))
		*which = "DOCUMENT_ROOT";
	else if (inside(d, env("CONTEXT_DOCUMENT_ROOT")))
		*which = "CONTEXT_DOCUMENT_ROOT";
	else if (inside(d, public_dir))
		*which = "the CGI's public directory";
	else
		return false;
	return true;
}

/* Now and then (not at every request, not only at a start that never
 * comes) temp files of uploads whose process died are removed by age. */
static void sweep_now_and_then(struct store *store, const char *data)
{
	char stamp[PATH_MAX];
	struct stat st;
	struct err err = ERR_INIT;
	long long removed = 0;
	int fd;

	snprintf(stamp, sizeof(stamp), "%s/cgi-sweep", data);
	if (stat(stamp, &st) == 0 && time(NULL) - st.st_mtime < SWEEP_EVERY_SECONDS)
		return;
	fd = open(stamp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || futimens(fd, NULL) < 0) {
		if (fd >= 0)
			close(fd);
		return; /* a full disk: the next request tries again */
	}
	close(fd);
	if (store_sweep_tmp(store, TMP_STALE_SECONDS, &removed, &err) < 0)
		log_warn("lfs-cgi: sweeping stale uploads: %s", err.msg);
	else if (removed)
		log_info("lfs-cgi: removed %lld stale upload temp file(s)", removed);
}

/* The public directory: given, or where the web server found the CGI. */
static char *public_dir_of(const char *given)
{
	const char *script = env("SCRIPT_FILENAME");
	char buf[PATH_MAX], *slash;

	if (given)
		return strdup(given);
	if (!script)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", script);
	slash = strrchr(buf, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return strdup(*buf ? buf : "/");
}

static int open_server(struct server *srv, struct config *cfg, const char *public_dir,
		       struct publish **pub)
{
	struct err err = ERR_INIT;
	struct stat st;
	const char *which = NULL;
	char path[PATH_MAX];

	if (!cfg->users) {
		cgi_refuse("auth.users is not set in %s: the CGI mode serves only with authentication on",
			   cfg->path);
		return -1;
	}
	if (cfg->data[0] != '/') {
		cgi_refuse("server.data '%s' is relative: the CGI mode needs an absolute path", cfg->data);
		return -1;
	}
	if (data_is_public(cfg->data, public_dir, &which)) {
		cgi_refuse("server.data '%s' is under %s, where the web server would serve it", cfg->data,
			   which);
		return -1;
	}
	/* The static tree links from DATA/objects, and a portable binary
	 * links neither an HTTP client (S3) nor libpq (cgi/backends.c). */
	if (cfg->storage_type && strcmp(cfg->storage_type, "local") != 0) {
		cgi_refuse("storage.type '%s': the CGI mode serves local storage only", cfg->storage_type);
		return -1;
	}
	if (cfg->meta_type && strcmp(cfg->meta_type, "sqlite") != 0) {
		cgi_refuse("meta.type '%s': the CGI mode serves sqlite metadata only", cfg->meta_type);
		return -1;
	}
	/* Without suexec a CGI runs as the web server's user, shared by every
	 * account on the host: the data directory's owner is who we must be. */
	if (stat(cfg->data, &st) == 0 && st.st_uid != geteuid()) {
		cgi_refuse("server.data '%s' belongs to uid %ld, but this CGI runs as uid %ld "
			   "(the web server must run it as the directory's owner: suexec)",
			   cfg->data, (long)st.st_uid, (long)geteuid());
		return -1;
	}
	if (store_attach(&srv->store, cfg->data, &err) < 0) {
		cgi_refuse("data directory: %s", err.msg);
		return -1;
	}
	sweep_now_and_then(srv->store, cfg->data);
	if (meta_open_configured(&srv->meta, cfg, 1, &err) < 0) {
		cgi_refuse("metadata: %s", err.msg);
		return -1;
	}
	/* A mirror is handed out on the last cron check's word, while it is
	 * recent (cgi/mirrors.h). */
	if (cgi_mirrors_load(&srv->mirrors, cfg->data, srv->meta, CGI_MIRRORS_MAX_AGE, &err) < 0) {
		log_warn("lfs-cgi: no mirrors: %s", err.msg);
		err_clear(&err);
	}
	snprintf(path, sizeof(path), "%s/secret", cfg->data);
	if (token_key_load(&srv->key, cfg->secret_file ? cfg->secret_file : path, true, &err) < 0) {
		cgi_refuse("%s", err.msg);
		return -1;
	}
	if (auth_new(&srv->auth, cfg, &err) < 0) {
		cgi_refuse("%s", err.msg);
		return -1;
	}
	/* No process lives between requests: the failed-login counts must. */
	auth_share_throttle(srv->auth, srv->meta);
	if (public_dir && publish_open(pub, public_dir, cfg->data, &err) < 0 && err.code != ERR_NOTFOUND)
		log_warn("lfs-cgi: no static tree: %s", err.msg);
	return 0;
}

int cgi_main(const char *config_path, const char *public_dir_given)
{
	struct config cfg;
	struct server srv;
	struct publish *pub = NULL;
	struct err err = ERR_INIT;
	char *public_dir = public_dir_of(public_dir_given);
	int rc = 0;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	/* Files we create are read by the web server's user (static tree). */
	umask(022);
	/* A client that goes away shows as a failed write, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (config_init(&cfg, &err) < 0) {
		cgi_refuse("%s", err.msg);
		free(public_dir);
		return 0;
	}
	if (!config_path)
		cgi_refuse("no --config FILE (the installed wrapper passes it)");
	else if (config_load(&cfg, config_path, &err) < 0)
		cgi_refuse("%s", err.msg);
	else if (open_server(&srv, &cfg, public_dir, &pub) == 0)
		rc = cgi_serve(&srv, pub);
	publish_close(pub);
	mirrors_free(srv.mirrors);
	meta_close(srv.meta);
	auth_free(srv.auth);
	store_close(srv.store);
	token_key_release(&srv.key);
	config_release(&cfg);
	free(public_dir);
	return rc;
}
