/* lfs-server: the Git LFS HTTP server.  Reads flags and config, opens the
 * data directory, serves until SIGTERM or SIGINT, then drains and exits 0.
 * SIGHUP reopens the access log and reloads users and repo rules. */
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/listen.h"
#include "util.h"
#include "log.h"
#include "server/metrics.h"
#include "server/notify.h"
#include "server/reload.h"
#include "server/server.h"
#include "server/status.h"
#include "version.h"

#define META_POOL 8

static const char usage[] =
	"usage: lfs-server [--config FILE] [--listen HOST:PORT] [--data DIR] [--insecure-anonymous]\n"
	"   or: lfs-server --check-config [--config FILE] [--listen HOST:PORT] [--data DIR]\n";

static void help(void)
{
	printf("%s\n"
	       "A Git LFS server: batch API and basic transfers over HTTP.\n\n"
	       "  --config FILE          git-config syntax settings (see docs/configuration.md)\n"
	       "  --listen HOST:PORT     address to serve on (default 127.0.0.1:8080; port 0 = any free)\n"
	       "  --data DIR             data directory (default ./lfs-data)\n"
	       "  --insecure-anonymous   allow anonymous read/write on a non-loopback address\n"
	       "  --check-config         check the config (keys, values, repo rules, mirrors, users\n"
	       "                         file) and exit: 0 and one line on stdout if it is good\n"
	       "  --help, --version\n\n"
	       "When ready it prints 'listening on http://HOST:PORT' to stderr.  SIGHUP reopens\n"
	       "the access log and reloads the users file and repo rules; SIGTERM stops.\n", usage);
}

static int die(const char *what, const struct err *err)
{
	fprintf(stderr, "lfs-server: %s%s%s\n", what ? what : "", what ? ": " : "", err->msg);
	return 1;
}

/* PEM files: a certificate chain is kilobytes; a megabyte is a mistake. */
static int read_file(char **out, const char *path, struct err *err)
{
	if (util_read_file(path, 1 << 20, out, NULL) < 0)
		return err_set_errno(err, ERR_IO, "cannot read '%s'", path);
	return 0;
}

/* A TLS key others can read is as good as published: refuse it at start,
 * as token_key_load() refuses such a secret. */
static int check_key_private(const char *path, struct err *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return err_set_errno(err, ERR_IO, "cannot read '%s'", path);
	if (st.st_mode & 077)
		return err_set(err, ERR_INVALID, "tls-key '%s' is readable by others (mode %03o); chmod 600 it",
			       path, (unsigned)(st.st_mode & 0777));
	return 0;
}

static void usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "lfs-server: %s%s\n%s", what, arg, usage);
	exit(2);
}

static int parse_args(struct config *cfg, bool *check_only, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "data", required_argument, NULL, 'd' },
		{ "insecure-anonymous", no_argument, NULL, 'i' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *listen = NULL, *data = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'l': listen = optarg; break;
		case 'd': data = optarg; break;
		case 'i': cfg->insecure_anonymous = true; break;
		case 'k': *check_only = true; break;
		case 'h': help(); exit(0);
		case 'V': printf("lfs-server %s\n", LFS_VERSION); exit(0);
		default: usage_error("unknown or incomplete option: ", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument: ", argv[optind]);
	/* A flag value is checked before anything is read: a usage error. */
	if (listen && config_check_listen(listen, err) < 0)
		usage_error("--listen: ", err->msg);
	if (data && !*data)
		usage_error("--data needs a directory", "");
	if (config && !*config)
		usage_error("--config needs a file", "");
	if (config && config_load(cfg, config, err) < 0)
		return -1;
	if ((listen && config_set_str(&cfg->listen, listen, err) < 0) ||
	    (data && config_set_str(&cfg->data, data, err) < 0))
		return -1;
	return 0;
}

static bool repo_mirrored(const char *repo, void *arg)
{
	return acl_mirrored(auth_acl(arg), repo);
}

static int open_state(struct server *srv, struct err *err)
{
	struct config *cfg = srv->cfg;
	char path[4096];
	long long added = 0;

	snprintf(path, sizeof(path), "pid %ld, listening on %s", (long)getpid(), srv->listen_url);
	if (store_open_configured(&srv->store, cfg, path, err) < 0)
		return -1;
	if (meta_open_configured(&srv->meta, cfg, META_POOL, err) < 0)
		return -1;
	/* Servers sharing the metadata share the failed-login counts too. */
	if (meta_shared_by_servers(srv->meta))
		auth_share_throttle(srv->auth, srv->meta);
	/* A repo newly marked mirrored puts its existing objects in the feed. */
	if (meta_feed_catch_up(srv->meta, repo_mirrored, srv->auth, &added, err) < 0) {
		if (err->code != ERR_NOSPACE)
			return -1;
		/* A full disk: serve what we have; the next start catches up. */
		log_warn("mirror feed catch-up postponed: %s", err->msg);
		err_clear(err);
	}
	if (added > 0)
		log_info("mirror feed: %lld existing objects of mirrored repos added", added);
	snprintf(path, sizeof(path), "%s/secret", cfg->data);
	if (token_key_load(&srv->key, cfg->secret_file ? cfg->secret_file : path, true, err) < 0)
		return -1;
	if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL))
		return err_set(err, ERR_INVALID, "server.tls-cert and server.tls-key go together");
	if (cfg->tls_cert && (read_file(&srv->tls_cert_pem, cfg->tls_cert, err) < 0 ||
			      check_key_private(cfg->tls_key, err) < 0 ||
			      read_file(&srv->tls_key_pem, cfg->tls_key, err) < 0))
		return -1;
	return 0;
}

/* --check-config: everything a start reads from the config, without
 * opening the data dir or binding the address (a live server may hold
 * both).  The users file is loaded, so weak hashes show up here too. */
static int check_config(struct server *srv, struct err *err)
{
	struct config *cfg = srv->cfg;

	if (mirrors_new(&srv->mirrors, cfg->git, cfg->mirror_check_interval, err) < 0 ||
	    auth_new(&srv->auth, cfg, err) < 0)
		return die(NULL, err);
	printf("%s: ok (auth %s, %zu mirror%s)\n", cfg->path ? cfg->path : "built-in defaults",
	       auth_enabled(srv->auth) ? "on" : "off", mirrors_count(srv->mirrors),
	       mirrors_count(srv->mirrors) == 1 ? "" : "s");
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct server srv;
	struct err err = ERR_INIT;
	sigset_t sigs;
	bool loopback = false, check_only = false;
	int fd = -1, sig = 0, rc = 1;

	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	/* A HUP during a long start (logrotate's) must not kill the server:
	 * held from here, it is taken by the signal loop as a reload. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (config_init(&cfg, &err) < 0)
		return die(NULL, &err);
	if (parse_args(&cfg, &check_only, argc, argv, &err) < 0) {
		rc = die(NULL, &err);
		goto out;
	}
	if (check_only) {
		rc = check_config(&srv, &err);
		goto out;
	}
	/* Uptime and the status page's recent errors start here. */
	metrics_init();
	status_init();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		err_set(&err, ERR_IO, "cannot initialise libcurl");
		rc = die(NULL, &err);
		goto out;
	}
	if (mirrors_new(&srv.mirrors, cfg.git, cfg.mirror_check_interval, &err) < 0 ||
	    auth_new(&srv.auth, &cfg, &err) < 0) {
		rc = die(NULL, &err);
		goto out;
	}
	if (cfg.access_log && log_access_open(cfg.access_log, &err) < 0) {
		rc = die(NULL, &err);
		goto out;
	}
	if (listen_open(&fd, &loopback, cfg.listen, &err) < 0) {
		rc = die(NULL, &err);
		goto out;
	}
	if (!loopback && !auth_enabled(srv.auth) && !cfg.insecure_anonymous) {
		err_set(&err, ERR_INVALID, "refusing anonymous read/write on non-loopback address %s "
			"(set auth.users, or pass --insecure-anonymous)", cfg.listen);
		rc = die(NULL, &err);
		goto out;
	}
	umask(022);
	listen_raise_fd_limit();
	if (listen_url(srv.listen_url, sizeof(srv.listen_url), fd, cfg.tls_cert ? "https" : "http", &err) < 0 ||
	    open_state(&srv, &err) < 0) {
		rc = die(NULL, &err);
		goto out;
	}
	mirrors_set_verify(srv.mirrors, srv.meta, cfg.mirror_verify_rate, cfg.mirror_recheck_interval);
	/* Threads inherit this mask: only the main thread takes signals. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (conns_new(&srv.conns, cfg.request_timeout, cfg.idle_timeout, &err) < 0 ||
	    mirrors_start(srv.mirrors, &err) < 0 ||
	    http_start(&srv, fd, &err) < 0) {
		rc = die(NULL, &err);
		goto out;
	}
	fd = -1; /* the daemon owns it now */
	fprintf(stderr, "listening on %s\n", srv.listen_url);
	fflush(stderr);
	notify_ready();
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			sig = SIGTERM;
		if (sig != SIGHUP)
			break;
		notify_reloading();
		reload_run(&srv);
		notify_ready();
	}
	notify_stopping();
	log_info("signal %d: stopping (grace %llds)", sig, cfg.shutdown_grace);
	http_stop(&srv);
	log_info("stopped");
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	conns_free(srv.conns);
	mirrors_free(srv.mirrors); /* its thread uses meta */
	meta_close(srv.meta);
	auth_free(srv.auth);
	store_close(srv.store);
	token_key_release(&srv.key);
	free(srv.tls_cert_pem);
	free(srv.tls_key_pem);
	config_release(&cfg);
	log_access_close();
	return rc;
}
