/* lfs-admin: maintainers' read-only queries on a server's data dir.
 *
 *   lfs-admin --data DIR uploads [--since DATE] [--repo R]
 *   lfs-admin --data DIR fsck
 *   lfs-admin --data DIR stats
 *   lfs-admin --data DIR repos
 *   lfs-admin --data DIR backup DEST
 *   lfs-admin --config FILE access REPO
 *   lfs-admin --config FILE verify-mirrors [--mirror NAME]
 *   lfs-admin --config FILE migrate-store --to s3
 *   lfs-admin --config FILE import [--jobs N] [--batch N] REPO PATH...
 *
 * --config FILE reads the data dir (and the rules) from the server's
 * config; --data DIR, if also given, wins.
 *
 * Safe beside a running server: meta.db is opened read-only (WAL lets
 * readers in while the server writes) and nothing in DIR is changed
 * (verify-mirrors records its verdicts; backup writes only into DEST;
 * migrate-store writes only into the bucket).
 * The exception is import, which writes the data dir and so holds
 * DATA/lock like a server: it refuses to run beside one.
 * Exit 0 success, 1 runtime error or (fsck) a problem found, 2 usage. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "admin/admin.h"
#include "admin/import.h"
#include "admin/migrate.h"
#include "core/config.h"
#include "core/mirror_health.h"
#include "core/mirrors.h"
#include "core/route.h"
#include "meta/meta.h"
#include "store/s3.h"
#include "util.h"
#include "version.h"

static const char usage[] =
	"usage: lfs-admin [--config FILE | --data DIR] uploads [--since DATE] [--repo REPO]\n"
	"   or: lfs-admin [--config FILE | --data DIR] fsck\n"
	"   or: lfs-admin [--config FILE | --data DIR] stats\n"
	"   or: lfs-admin [--config FILE | --data DIR] repos\n"
	"   or: lfs-admin [--config FILE | --data DIR] backup DEST\n"
	"   or: lfs-admin --config FILE access REPO\n"
	"   or: lfs-admin --config FILE verify-mirrors [--mirror NAME]\n"
	"   or: lfs-admin --config FILE migrate-store --to s3\n"
	"   or: lfs-admin --config FILE mirrors-check\n"
	"   or: lfs-admin [--config FILE | --data DIR] import [--jobs N] [--batch N] REPO PATH...\n";

static const char help[] =
	"\n"
	"uploads  the upload journal, oldest first, one tab-separated line per\n"
	"         object that joined a repo: seq, time (UTC), repo, user ('-' for\n"
	"         anonymous), size, oid\n"
	"  --since DATE   only rows at or after DATE (YYYY-MM-DD, UTC midnight, or\n"
	"                 an RFC 3339 time such as 2026-11-25T10:00:00+01:00)\n"
	"  --repo REPO    only this repository (REPO and REPO.git are one)\n"
	"fsck     re-hash every object; check every journal and feed row has its\n"
	"         object with the right size; list orphan objects (no row: harmless);\n"
	"         SQLite integrity_check.  Exit 1 when a real problem is found.\n"
	"stats    objects and bytes in the store, repos, journal and feed rows, locks\n"
	"repos    one tab-separated line per repo, sorted by name: repo, objects,\n"
	"         bytes (an object held by two repos counts in each)\n"
	"backup   a consistent copy of the data dir into DEST (new, or an empty\n"
	"         directory), beside a running server: meta.db by SQLite's online\n"
	"         backup, then every object it lists (hard links on the same file\n"
	"         system, else copies), then the secret.  Made in DEST.tmp-XXXXXX,\n"
	"         renamed to DEST when complete.  DEST is a data dir: restore by\n"
	"         copying it to the server's data dir (docs/operations.md).  Exit 1\n"
	"         if DEST is not empty or a listed object is missing from DIR.\n"
	"access   which [repo] section of the config applies to REPO, who may read,\n"
	"         write and administer it, and whether it is mirrored\n"
	"verify-mirrors  check every mirror's copies now (size and SHA-256), at full\n"
	"         speed, instead of waiting for the server's background checks;\n"
	"         verdicts are recorded where the running server reads them.  One\n"
	"         line per bad copy: bad NAME SEQ OID WHY.  Exit 1 if a copy is bad\n"
	"         or a mirror does not answer.  Writes verdicts only (safe beside a\n"
	"         running server); fit for cron.\n"
	"  --mirror NAME  only this mirror\n"
	"migrate-store --to s3  copy the local store (DATA/objects) into the bucket\n"
	"         of the config's s3.* keys, each object hash-checked on the way and\n"
	"         visible there only when proven.  Resumable and idempotent: objects\n"
	"         the bucket holds are skipped, none is replaced.  Then set\n"
	"         storage.type = s3 and restart.  Exit 1 if an object is corrupt\n"
	"         here or of another size there.\n"
	"mirrors-check  for lfs-cgi, from cron (it has no thread): polls every mirror\n"
	"         once, checks the copies that are due at mirror.verify-rate, records\n"
	"         the verdicts, and saves each mirror's state in DATA/mirror-health.json\n"
	"         for the CGI.  Same lines and exit status as verify-mirrors.\n"
	"import   bulk import of existing objects into REPO: every regular file\n"
	"         under each PATH (file or directory, e.g. another server's store\n"
	"         or a .git/lfs/objects tree).  A file named by an oid must hash to\n"
	"         it; any other file is stored under its SHA-256.  Each object is\n"
	"         hashed, written and fsynced like an upload, then recorded (journal,\n"
	"         feed if REPO is mirrored).  Holds DATA/lock: refuses to run while a\n"
	"         server does.  Interrupted, it leaves only complete objects and\n"
	"         whole batches of rows; run it again to finish.  Exit 1 if a file\n"
	"         did not hash to its name (listed as 'bad PATH: why').\n"
	"  --jobs N       objects written at once (default 16)\n"
	"  --batch N      objects per metadata transaction (default 1000)\n"
	"\n  --config FILE  the server's config: the data dir (server.data) and rules\n"
	"  --data DIR     the data dir (wins over the config's)\n"
	"\nEverything else but import only reads DIR: it is safe while the server runs.\n";

static int usage_error(const char *msg)
{
	return cli_usage_error("lfs-admin", usage, msg);
}

static int fail(const struct err *err)
{
	fflush(stdout);
	fprintf(stderr, "lfs-admin: %s\n", err->msg);
	return 1;
}

static int finish(void)
{
	if (fflush(stdout) != 0) {
		fprintf(stderr, "lfs-admin: cannot write the output\n");
		return 1;
	}
	return 0;
}

static int cmd_uploads(const char *data, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "repo", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	char since[ADMIN_TIME_LEN + 1], repo[REPO_MAX + 1];
	const char *since_arg = NULL, *repo_arg = NULL;
	struct err err = ERR_INIT;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': since_arg = optarg; break;
		case 'r': repo_arg = optarg; break;
		default: return usage_error("uploads: unknown option or missing argument");
		}
	}
	if (optind < argc)
		return usage_error("uploads takes no arguments besides --since and --repo");
	if (since_arg && admin_since(since, since_arg, &err) < 0)
		return usage_error(err.msg);
	if (repo_arg && route_repo(repo, repo_arg, strlen(repo_arg), &err) < 0) {
		fprintf(stderr, "lfs-admin: '%.200s' is not a repository path: %s\n", repo_arg, err.msg);
		return usage_error(NULL);
	}
	if (admin_uploads(data, since_arg ? since : NULL, repo_arg ? repo : NULL, stdout, &err) < 0)
		return fail(&err);
	return finish();
}

static int cmd_fsck(struct config *cfg, const char *data, int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct store *s3 = NULL;
	long long problems = 0;
	int rc;

	if (argc > 1)
		return usage_error("fsck takes no arguments");
	/* storage.type = s3: the rows are checked against the bucket. */
	if (cfg->path && cfg->storage_type && strcmp(cfg->storage_type, "s3") == 0) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
			fprintf(stderr, "lfs-admin: cannot initialise libcurl\n");
			return 1;
		}
		if (store_s3_connect(&s3, cfg, &err) < 0)
			return fail(&err);
	}
	rc = admin_fsck_store(data, s3, stdout, &problems, &err);
	store_close(s3);
	if (rc < 0)
		return fail(&err);
	if (finish() != 0)
		return 1;
	if (problems) {
		fprintf(stderr, "lfs-admin: fsck found %lld problem%s in '%s'\n", problems,
			problems == 1 ? "" : "s", data);
		return 1;
	}
	return 0;
}

/* stats, repos: a report of the data dir, no arguments. */
static int cmd_report(const char *data, int argc, char **argv,
		      int (*report)(const char *data_dir, FILE *out, struct err *err))
{
	struct err err = ERR_INIT;

	if (argc > 1) {
		fprintf(stderr, "lfs-admin: %s takes no arguments\n", argv[0]);
		return usage_error(NULL);
	}
	if (report(data, stdout, &err) < 0)
		return fail(&err);
	return finish();
}

static int cmd_backup(const char *data, int argc, char **argv)
{
	struct admin_backup_result r;
	struct err err = ERR_INIT;

	if (argc != 2 || !*argv[1])
		return usage_error("backup takes one destination directory");
	if (admin_backup(data, argv[1], stdout, &r, &err) < 0)
		return fail(&err);
	printf("backup: %s: meta.db (schema %lld, %lld journal rows, %lld locks), %lld objects "
	       "(%lld bytes: %lld hard-linked, %lld copied), %s\n", argv[1], r.schema, r.journal,
	       r.locks, r.objects, r.bytes, r.linked, r.copied, r.secret ? "secret" : "no secret in the data dir");
	if (finish() != 0)
		return 1;
	if (r.problems) {
		fprintf(stderr, "lfs-admin: backup made, but %lld object%s listed in meta.db %s missing "
			"or damaged in '%s' (run lfs-admin fsck)\n", r.problems, r.problems == 1 ? "" : "s",
			r.problems == 1 ? "is" : "are", data);
		return 1;
	}
	return 0;
}

static int cmd_access(const struct config *cfg, int argc, char **argv)
{
	char repo[REPO_MAX + 1];
	struct err err = ERR_INIT;

	if (!cfg->path)
		return usage_error("access needs --config FILE (the rules live there)");
	if (argc != 2)
		return usage_error("access takes one repository");
	if (route_repo(repo, argv[1], strlen(argv[1]), &err) < 0) {
		fprintf(stderr, "lfs-admin: '%.200s' is not a repository path: %s\n", argv[1], err.msg);
		return usage_error(NULL);
	}
	if (admin_access(cfg, repo, stdout, &err) < 0)
		return fail(&err);
	return finish();
}

static int cmd_verify_mirrors(const struct config *cfg, const char *data, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mirror", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL;
	char path[4096];
	struct mirrors *ms = NULL;
	struct meta *meta = NULL;
	struct err err = ERR_INIT;
	long long problems = 0;
	int c, rc = 0;
	/* The verdicts live in the server's metadata, wherever that is. */
	bool pg = cfg->meta_type && strcmp(cfg->meta_type, "postgresql") == 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': only = optarg; break;
		default: return usage_error("verify-mirrors: unknown option or missing argument");
		}
	}
	if (optind < argc)
		return usage_error("verify-mirrors takes no arguments besides --mirror");
	if (!cfg->path)
		return usage_error("verify-mirrors needs --config FILE (the mirrors live there)");
	if (snprintf(path, sizeof(path), "%s/meta.db", data) >= (int)sizeof(path))
		return usage_error("data dir path too long");
	if (!pg && access(path, F_OK) != 0) {
		fprintf(stderr, "lfs-admin: no data dir at '%s' (no meta.db)\n", data);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "lfs-admin: cannot initialise libcurl\n");
		return 1;
	}
	if (mirrors_new(&ms, cfg->git, cfg->mirror_check_interval, &err) < 0 ||
	    (pg ? meta_open_configured(&meta, cfg, 1, &err) : meta_open(&meta, path, 1, &err)) < 0 ||
	    mirrors_verify_now(ms, meta, only, stdout, &problems, &err) < 0)
		rc = fail(&err);
	else if (finish() != 0)
		rc = 1;
	else if (problems) {
		fprintf(stderr, "lfs-admin: %lld problem%s with mirror copies\n", problems,
			problems == 1 ? "" : "s");
		rc = 1;
	}
	meta_close(meta);
	mirrors_free(ms);
	curl_global_cleanup();
	return rc;
}

static int cmd_import(const struct config *cfg, const char *data, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct admin_import_opts o = { .jobs = 16, .batch = 1000 };
	struct admin_import_result r;
	char repo[REPO_MAX + 1];
	struct err err = ERR_INIT;
	long long v;
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (util_parse_ll(optarg, 1, 64, &v) < 0)
				return usage_error("import: --jobs takes a number from 1 to 64");
			o.jobs = (int)v;
			break;
		case 'b':
			if (util_parse_ll(optarg, 1, 100000, &v) < 0)
				return usage_error("import: --batch takes a number from 1 to 100000");
			o.batch = (int)v;
			break;
		default: return usage_error("import: unknown option or missing argument");
		}
	}
	if (argc - optind < 2)
		return usage_error("import takes a repository and at least one file or directory");
	if (route_repo(repo, argv[optind], strlen(argv[optind]), &err) < 0) {
		fprintf(stderr, "lfs-admin: '%.200s' is not a repository path: %s\n", argv[optind], err.msg);
		return usage_error(NULL);
	}
	o.repo = repo;
	o.paths = (const char *const *)&argv[optind + 1];
	o.npaths = (size_t)(argc - optind - 1);
	if (admin_import(cfg, data, &o, stdout, &r, &err) < 0)
		return fail(&err);
	printf("import: %s: %lld files, %lld stored (%lld bytes), %lld new to the repo, %lld held "
	       "already, %lld bad%s\n", repo, r.files, r.stored, r.bytes, r.imported, r.held, r.bad,
	       r.mirrored ? "; mirrored repo: new objects joined the feed" : "");
	if (finish() != 0)
		return 1;
	if (r.bad) {
		fprintf(stderr, "lfs-admin: %lld file%s did not hash to %s name\n", r.bad,
			r.bad == 1 ? "" : "s", r.bad == 1 ? "its" : "their");
		return 1;
	}
	return 0;
}

static int cmd_mirrors_check(const struct config *cfg, const char *data, int argc, char **argv)
{
	char path[4096];
	struct mirrors *ms = NULL;
	struct meta *meta = NULL;
	struct err err = ERR_INIT;
	json_t *state = NULL;
	long long problems = 0;
	int rc = 0;

	if (argc != 1)
		return usage_error("mirrors-check takes no arguments");
	if (!cfg->path)
		return usage_error("mirrors-check needs --config FILE (the mirrors live there)");
	if (snprintf(path, sizeof(path), "%s/meta.db", data) >= (int)sizeof(path))
		return usage_error("data dir path too long");
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "lfs-admin: no data dir at '%s' (no meta.db)\n", data);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "lfs-admin: cannot initialise libcurl\n");
		return 1;
	}
	if (mirrors_new(&ms, cfg->git, cfg->mirror_check_interval, &err) < 0 ||
	    meta_open(&meta, path, 1, &err) < 0)
		rc = fail(&err);
	else {
		mirrors_set_verify(ms, meta, cfg->mirror_verify_rate, cfg->mirror_recheck_interval);
		if (mirrors_check_once(ms, stdout, &problems, &err) < 0 ||
		    !(state = mirrors_status(ms)) || mirror_health_write(data, state, &err) < 0)
			rc = err.msg[0] ? fail(&err) : (fprintf(stderr, "lfs-admin: out of memory\n"), 1);
		else if (finish() != 0)
			rc = 1;
		else if (problems) {
			fprintf(stderr, "lfs-admin: %lld problem%s with mirrors\n", problems,
				problems == 1 ? "" : "s");
			rc = 1;
		}
	}
	json_decref(state);
	meta_close(meta);
	mirrors_free(ms);
	curl_global_cleanup();
	return rc;
}

static int cmd_migrate_store(struct config *cfg, const char *data, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct admin_migrate_result r;
	struct err err = ERR_INIT;
	const char *to = NULL;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		default: return usage_error("migrate-store: unknown option or missing argument");
		}
	}
	if (optind < argc || !to)
		return usage_error("migrate-store takes --to s3 and nothing else");
	if (strcmp(to, "s3") != 0)
		return usage_error("migrate-store: --to s3 is the only target");
	if (!cfg->path)
		return usage_error("migrate-store needs --config FILE (the s3.* keys live there)");
	if (config_set_str(&cfg->data, data, &err) < 0)
		return fail(&err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "lfs-admin: cannot initialise libcurl\n");
		return 1;
	}
	if (admin_migrate_to_s3(cfg, stdout, &r, &err) < 0)
		rc = fail(&err);
	else
		printf("migrate-store: %lld objects copied (%lld bytes), %lld already there, %lld problems\n",
		       r.copied, r.copied_bytes, r.present, r.problems);
	if (rc == 0 && finish() != 0)
		rc = 1;
	if (rc == 0 && r.problems) {
		fprintf(stderr, "lfs-admin: migrate-store: %lld problem%s\n", r.problems, r.problems == 1 ? "" : "s");
		rc = 1;
	}
	curl_global_cleanup();
	return rc;
}

static int run(struct config *cfg, const char *config, const char *data, int argc, char **argv)
{
	struct err err = ERR_INIT;
	const char *cmd;

	if (optind >= argc)
		return usage_error("no command");
	if (config && (config_init(cfg, &err) < 0 || config_load(cfg, config, &err) < 0))
		return fail(&err);
	if (!data && config)
		data = cfg->data;
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;
	if (strcmp(cmd, "access") == 0)
		return cmd_access(cfg, argc, argv);
	/* The read-only metadata walks (meta.h) are SQLite's: say so rather
	 * than report an empty or missing DATA/meta.db. */
	if (config && cfg->meta_type && strcmp(cfg->meta_type, "sqlite") != 0 &&
	    (strcmp(cmd, "uploads") == 0 || strcmp(cmd, "fsck") == 0 || strcmp(cmd, "stats") == 0 ||
	     strcmp(cmd, "repos") == 0 || strcmp(cmd, "backup") == 0)) {
		fprintf(stderr, "lfs-admin: %s reads SQLite metadata (DATA/meta.db) only, and %s has "
			"meta.type = %s: query the database itself (docs/scale-out.md)\n", cmd, config,
			cfg->meta_type);
		return 1;
	}
	if (!data || !*data)
		return usage_error("--data DIR or --config FILE is required");
	if (strcmp(cmd, "uploads") == 0)
		return cmd_uploads(data, argc, argv);
	if (strcmp(cmd, "fsck") == 0)
		return cmd_fsck(cfg, data, argc, argv);
	if (strcmp(cmd, "stats") == 0)
		return cmd_report(data, argc, argv, admin_stats);
	if (strcmp(cmd, "repos") == 0)
		return cmd_report(data, argc, argv, admin_repos);
	if (strcmp(cmd, "backup") == 0)
		return cmd_backup(data, argc, argv);
	if (strcmp(cmd, "verify-mirrors") == 0)
		return cmd_verify_mirrors(cfg, data, argc, argv);
	if (strcmp(cmd, "migrate-store") == 0)
		return cmd_migrate_store(cfg, data, argc, argv);
	if (strcmp(cmd, "mirrors-check") == 0)
		return cmd_mirrors_check(cfg, data, argc, argv);
	if (strcmp(cmd, "import") == 0)
		return cmd_import(cfg, data, argc, argv);
	fprintf(stderr, "lfs-admin: unknown command '%s'\n", cmd);
	return usage_error(NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *config = NULL;
	struct config cfg;
	int c, rc;

	opterr = 0;
	/* "+": stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data = optarg; break;
		case 'h': printf("%s%s", usage, help); return 0;
		case 'V': printf("lfs-admin %s\n", LFS_VERSION); return 0;
		default: return usage_error("unknown option or missing argument");
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	rc = run(&cfg, config, data, argc, argv);
	config_release(&cfg);
	return rc;
}
