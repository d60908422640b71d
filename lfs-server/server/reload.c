/* reload: SIGHUP's log reopen and config reload (see reload.h). */
#include "server/reload.h"

#include "log.h"
#include "server/server.h"

static bool repo_mirrored(const char *repo, void *arg)
{
	return acl_mirrored(auth_acl(arg), repo);
}

void reload_run(struct server *srv)
{
	struct config fresh;
	struct mirrors *mirrors = NULL;
	struct err err = ERR_INIT;
	const char *path = srv->cfg->path;
	char changed[1024];
	size_t users = 0;
	long long added = 0;

	if (log_access_reopen(&err) < 0) {
		log_error("%s", err.msg);
		err_clear(&err);
	}
	if (!path) {
		log_info("reload: access log reopened; no --config file to read");
		return;
	}
	if (config_init(&fresh, &err) < 0) {
		log_error("reload of %s failed, keeping the old configuration: out of memory", path);
		return;
	}
	/* The same checks as a start (and --check-config): keys, values,
	 * rules, mirror sections, then the users file in auth_reload. */
	if (config_load(&fresh, path, &err) < 0 ||
	    mirrors_new(&mirrors, fresh.git, fresh.mirror_check_interval, &err) < 0 ||
	    config_changed_keys(srv->cfg, &fresh, changed, sizeof(changed), &err) < 0 ||
	    auth_reload(srv->auth, &fresh, &users, &err) < 0) {
		log_error("reload of %s failed, keeping the old configuration: %s", path, err.msg);
		goto out;
	}
	if (changed[0])
		log_warn("reload: %s changed; kept as before until a restart", changed);
	/* As at start: a repo switched to mirrored publishes what it holds. */
	if (meta_feed_catch_up(srv->meta, repo_mirrored, srv->auth, &added, &err) < 0)
		log_warn("mirror feed catch-up postponed to the next reload or start: %s", err.msg);
	else if (added > 0)
		log_info("mirror feed: %lld existing objects of mirrored repos added", added);
	/* The last line: the reload is complete. */
	if (auth_enabled(srv->auth))
		log_info("reload of %s: users and repo rules applied (%zu users)", path, users);
	else
		log_info("reload of %s: repo rules applied", path);
out:
	mirrors_free(mirrors);
	config_release(&fresh);
}
