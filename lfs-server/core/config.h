/* config: the server's settings, from a git-config syntax file read with
 * libgit2, then overridden by command-line flags.  Every key is documented
 * in docs/configuration.md and listed once, with its kind, in the table at
 * the top of config.c: a key not in it, a section nobody reads, or a value
 * that does not parse stops the start with the file, line and key. */
#ifndef LFS_CONFIG_H
#define LFS_CONFIG_H

#include <stdbool.h>

#include "err.h"

struct git_config;

struct config {
	char *path;          /* the --config file, or NULL */
	char *listen;        /* HOST:PORT */
	char *data;          /* data directory */
	char *public_url;    /* base for hrefs, no trailing slash; NULL = Host */
	char *tls_cert, *tls_key;
	long long request_timeout, idle_timeout, shutdown_grace;
	long long max_batch_objects, max_json_bytes, max_object_size;
	char *users;         /* htpasswd file; NULL = auth off */
	char *secret_file;   /* NULL = DATA/secret */
	long long token_ttl;
	long long lockout_failures, lockout_window, lockout_time;
	char *anonymous_owner;
	long long mirror_check_interval;
	long long mirror_verify_rate;      /* bytes/s for checking mirror copies, 0 = no limit */
	long long mirror_recheck_interval; /* seconds between checks of a good copy */
	char *journal_readers; /* who may read the mirror feed; NULL = nobody */
	char *metrics_readers; /* who may read /metrics and /_lfs/status; NULL = nobody */
	bool insecure_anonymous;
	char *access_log;    /* server.access-log; NULL = the request lines go to stderr */
	char *storage_type;  /* storage.type: the store backend; NULL = local */
	char *meta_type;     /* meta.type: the metadata backend; NULL = sqlite */
	char *meta_url;      /* meta.url: libpq connection string (postgresql) */
	bool behind_proxy;   /* take the client address from X-Forwarded-For */
	struct git_config *git; /* the parsed file, for section queries; may be NULL */
	struct config_locs *locs; /* where each key and section is in the file */
};

/* Fills cfg with the defaults of contract.md. */
int config_init(struct config *cfg, struct err *err) __attribute__((warn_unused_result));

/* Reads path over the defaults and checks all of it: unknown sections and
 * keys (with the nearest known key), values that do not parse, the repo
 * rules (acl.h) and mirror sections.  A missing or unreadable file, a
 * syntax error or any of these is an error naming the file, line and key;
 * nothing is half-read. */
int config_load(struct config *cfg, const char *path, struct err *err) __attribute__((warn_unused_result));

/* Checks a HOST:PORT (or [V6]:PORT) value: port 0 (any free port) or
 * 1..65535.  The message names the value, not where it came from. */
int config_check_listen(const char *spec, struct err *err) __attribute__((warn_unused_result));

/* The line of the first block of [section "sub"] (sub NULL: none) in the
 * loaded file, 0 if unknown. */
int config_section_line(const struct config *cfg, const char *section, const char *sub);

/* Replaces a string setting (flags override the file). */
int config_set_str(char **slot, const char *value, struct err *err) __attribute__((warn_unused_result));

/* For a reload: the keys whose values differ between old and fresh,
 * except the repo rules and the users file (which a reload applies),
 * comma-separated into out ("" when none).  auth.users counts when it is
 * set in one and unset in the other. */
int config_changed_keys(const struct config *old, const struct config *fresh, char *out,
			size_t outsz, struct err *err) __attribute__((warn_unused_result));

/* Frees everything cfg owns. */
void config_release(struct config *cfg);

#endif
