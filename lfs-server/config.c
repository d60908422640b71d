/* config: defaults, git-config file (libgit2) and validation (see config.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int config_set_str(char **slot, const char *value, struct err *err)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return err_set(err, ERR_NOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

int config_init(struct config *cfg, struct err *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->request_timeout = 30;
	cfg->idle_timeout = 60;
	cfg->shutdown_grace = 10;
	cfg->max_batch_objects = 1000;
	cfg->max_json_bytes = 1 << 20;
	cfg->max_object_size = 0;
	cfg->token_ttl = 3600;
	cfg->lockout_failures = 10;
	cfg->lockout_window = 60;
	cfg->lockout_time = 300;
	cfg->mirror_check_interval = 30;
	if (config_set_str(&cfg->listen, "127.0.0.1:8080", err) < 0 ||
	    config_set_str(&cfg->data, "./lfs-data", err) < 0 ||
	    config_set_str(&cfg->anonymous_owner, "anonymous", err) < 0)
		return ERR_NOMEM;
	return 0;
}

/* Finds the line of "section.[sub.]name" in the file, for error messages
 * only: libgit2 reports bad values without a position.  This is a locator,
 * not a parser: it tracks section headers and matches variable names. */
static int locate_line(const char *path, const char *key)
{
	const char *dot1 = strchr(key, '.'), *dotn = strrchr(key, '.');
	char line[1024], sect[256] = "";
	FILE *f;
	int lineno = 0, found = 0;

	if (!dot1 || !(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '[') {
			char *q = sect;
			for (p++; *p && *p != ']' && q < sect + sizeof(sect) - 1; p++) {
				if (*p == '"' || (*p == ' ' && q > sect && q[-1] == '.'))
					continue;
				*q++ = *p == ' ' ? '.' : *p;
			}
			*q = '\0';
			continue;
		}
		if ((size_t)(dotn - key) == strlen(sect) && strncasecmp(sect, key, strlen(sect)) == 0) {
			size_t n = strlen(dotn + 1);
			if (strncasecmp(p, dotn + 1, n) == 0 && (p[n] == '=' || isspace((unsigned char)p[n])))
				found = lineno;
		}
	}
	fclose(f);
	return found;
}

static int bad_value(struct config *cfg, const char *key, const char *why, struct err *err)
{
	int line = locate_line(cfg->path, key);

	if (line > 0)
		return err_set(err, ERR_INVALID, "%s:%d: bad value for '%s': %s", cfg->path, line, key, why);
	return err_set(err, ERR_INVALID, "%s: bad value for '%s': %s", cfg->path, key, why);
}

static int get_str(struct config *cfg, const char *key, char **slot, struct err *err)
{
	git_config_entry *e = NULL;
	int rc = git_config_get_entry(&e, cfg->git, key);

	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return bad_value(cfg, key, git_error_last() ? git_error_last()->message : "unreadable", err);
	rc = config_set_str(slot, e->value, err);
	git_config_entry_free(e);
	return rc;
}

static int get_bool(struct config *cfg, const char *key, bool *slot, struct err *err)
{
	int v;
	int rc = git_config_get_bool(&v, cfg->git, key);

	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return bad_value(cfg, key, "want true or false", err);
	*slot = v != 0;
	return 0;
}

static int get_num(struct config *cfg, const char *key, long long *slot,
		   long long min, long long max, struct err *err)
{
	int64_t v;
	int rc = git_config_get_int64(&v, cfg->git, key);

	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return bad_value(cfg, key, git_error_last() ? git_error_last()->message : "not a number", err);
	if (v < min || v > max) {
		char why[96];
		snprintf(why, sizeof(why), "%lld is outside %lld..%lld", (long long)v, min, max);
		return bad_value(cfg, key, why, err);
	}
	*slot = v;
	return 0;
}

int config_load(struct config *cfg, const char *path, struct err *err)
{
	const long long day = 86400, big = (long long)1 << 50;
	git_config *g = NULL;
	FILE *f;
	int rc;

	/* libgit2 opens a missing file as an empty config: check first. */
	f = fopen(path, "r");
	if (!f)
		return err_set_errno(err, ERR_IO, "cannot read config '%s'", path);
	fclose(f);
	if (config_set_str(&cfg->path, path, err) < 0)
		return ERR_NOMEM;
	git_libgit2_init();
	if (git_config_new(&g) < 0 ||
	    git_config_add_file_ondisk(g, path, GIT_CONFIG_LEVEL_APP, NULL, 0) < 0) {
		const git_error *e = git_error_last();
		git_config_free(g);
		return err_set(err, ERR_INVALID, "%s", e ? e->message : "cannot parse config");
	}
	cfg->git = g;
	rc = 0;
	rc = rc ? rc : get_str(cfg, "server.listen", &cfg->listen, err);
	rc = rc ? rc : get_str(cfg, "server.data", &cfg->data, err);
	rc = rc ? rc : get_str(cfg, "server.public-url", &cfg->public_url, err);
	rc = rc ? rc : get_str(cfg, "server.tls-cert", &cfg->tls_cert, err);
	rc = rc ? rc : get_str(cfg, "server.tls-key", &cfg->tls_key, err);
	rc = rc ? rc : get_num(cfg, "server.request-timeout", &cfg->request_timeout, 1, day, err);
	rc = rc ? rc : get_num(cfg, "server.idle-timeout", &cfg->idle_timeout, 1, day, err);
	rc = rc ? rc : get_num(cfg, "server.shutdown-grace", &cfg->shutdown_grace, 0, day, err);
	rc = rc ? rc : get_num(cfg, "server.max-batch-objects", &cfg->max_batch_objects, 1, 1000000, err);
	rc = rc ? rc : get_num(cfg, "server.max-json-bytes", &cfg->max_json_bytes, 1024, 1 << 30, err);
	rc = rc ? rc : get_num(cfg, "server.max-object-size", &cfg->max_object_size, 0, big, err);
	rc = rc ? rc : get_bool(cfg, "server.behind-proxy", &cfg->behind_proxy, err);
	rc = rc ? rc : get_str(cfg, "auth.users", &cfg->users, err);
	rc = rc ? rc : get_str(cfg, "auth.secret-file", &cfg->secret_file, err);
	rc = rc ? rc : get_num(cfg, "auth.token-ttl", &cfg->token_ttl, 60, 7 * day, err);
	rc = rc ? rc : get_num(cfg, "auth.lockout-failures", &cfg->lockout_failures, 1, 1000000, err);
	rc = rc ? rc : get_num(cfg, "auth.lockout-window", &cfg->lockout_window, 1, day, err);
	rc = rc ? rc : get_num(cfg, "auth.lockout-time", &cfg->lockout_time, 1, day, err);
	rc = rc ? rc : get_str(cfg, "locks.anonymous-owner", &cfg->anonymous_owner, err);
	rc = rc ? rc : get_str(cfg, "journal.readers", &cfg->journal_readers, err);
	rc = rc ? rc : get_num(cfg, "mirror.check-interval", &cfg->mirror_check_interval, 1, day, err);
	if (rc == 0 && cfg->public_url) {
		size_t n = strlen(cfg->public_url);
		if (strncmp(cfg->public_url, "http://", 7) != 0 && strncmp(cfg->public_url, "https://", 8) != 0)
			return bad_value(cfg, "server.public-url", "must start with http:// or https://", err);
		while (n > 0 && cfg->public_url[n - 1] == '/')
			cfg->public_url[--n] = '\0';
	}
	return rc;
}

void config_release(struct config *cfg)
{
	free(cfg->path);
	free(cfg->listen);
	free(cfg->data);
	free(cfg->public_url);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->users);
	free(cfg->secret_file);
	free(cfg->anonymous_owner);
	free(cfg->journal_readers);
	git_config_free(cfg->git);
	memset(cfg, 0, sizeof(*cfg));
}
