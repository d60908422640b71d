/* lfs-mirror: the mirror operator's tool.
 *
 *   lfs-mirror sync --from URL|DATA_DIR --to DIR [source options] [--max-entries N]
 *   lfs-mirror verify DIR [--from URL|DATA_DIR [source options] [--repair]]
 *
 * Meant for cron: quiet on success except for one summary line; one line
 * on stderr and exit 1 on failure, 2 on usage, 75 when another sync holds
 * DIR's lock (EX_TEMPFAIL: try again later). */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/mirror_verify.h"
#include "httpc.h"
#include "mirror/repair.h"
#include "mirror/sync.h"
#include "version.h"

#define EXIT_LOCKED 75
#define MAX_JOBS 64
#define MAX_TIMEOUT 86400

static const char usage[] =
	"usage: lfs-mirror sync --from URL|DATA_DIR --to DIR [--netrc FILE] [--cacert FILE] [--jobs N]\n"
	"                       [--limit-rate BYTES] [--timeout SECONDS] [--max-entries N]\n"
	"   or: lfs-mirror verify DIR [--from URL|DATA_DIR [--repair] [--netrc FILE] [--cacert FILE] ...]\n";

static const char help[] =
	"\n"
	"sync    bring the mirror tree DIR up to date with the server's mirror feed:\n"
	"        only objects of repositories marked mirrored, each hash-checked and\n"
	"        written atomically, then DIR/mirror-state.json.  Resumable; safe to\n"
	"        run from cron (a second sync on DIR exits 75).\n"
	"  --from URL|DATA_DIR  the server's base URL (the feed is GET URL/_lfs/journal),\n"
	"                       or the server's data directory on this machine (local\n"
	"                       store only: for storage.type = s3, give the URL)\n"
	"  --to DIR             the mirror tree (created if missing; never inside a\n"
	"                       server's data directory)\n"
	"  --netrc FILE         credentials of a journal reader (netrc format)\n"
	"  --cacert FILE        CA certificates to trust for https (default: $CURL_CA_BUNDLE,\n"
	"                       else $SSL_CERT_FILE / $SSL_CERT_DIR, else the system's)\n"
	"  --jobs N             parallel downloads (default 4)\n"
	"  --limit-rate BYTES   cap each download's speed (suffix k or m)\n"
	"  --timeout SECONDS    connect timeout, deadline for each feed page, and how\n"
	"                       long a download may stay under 1 KiB/s (default 60)\n"
	"  --max-entries N      feed entries read per run (default 100000); the next\n"
	"                       run goes on from where this one stopped\n"
	"verify  re-hash every object under DIR/objects; name each corrupt or\n"
	"        misplaced file and exit 1 if there is any.  With --from, also name\n"
	"        each object of the feed up to DIR's last_seq that DIR lacks; with\n"
	"        --repair, fetch those and the corrupt ones again (under DIR's lock,\n"
	"        hash-checked, renamed into place).  --netrc, --cacert, --jobs,\n"
	"        --limit-rate and --timeout work as for sync.\n";

static int usage_error(const char *msg)
{
	return cli_usage_error("lfs-mirror", usage, msg);
}

static int parse_count(const char *s, long long max, long long *out)
{
	char *end;
	long long v, mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno)
		return -1;
	if (*end == 'k' || *end == 'K')
		mult = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024, end++;
	if (*end || v < 1 || v > max / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* A plain number from 1 to max. */
static int parse_plain(const char *s, long long max, long long *out)
{
	return strpbrk(s, "kKmM") ? -1 : parse_count(s, max, out);
}

enum { OPT_CACERT = 256, OPT_TIMEOUT, OPT_MAX_ENTRIES, OPT_REPAIR };

/* Options every command that reads a source takes; 0 when c was one of
 * them, 1 when it is not, 2 after a usage error (already printed). */
static int source_option(int c, struct mirror_source_opts *o)
{
	long long v;

	switch (c) {
	case 'f': o->from = optarg; return 0;
	case 'n': o->netrc = optarg; return 0;
	case OPT_CACERT: o->cacert = optarg; return 0;
	case 'j':
		if (parse_plain(optarg, MAX_JOBS, &v) < 0)
			return usage_error("--jobs wants a number from 1 to 64");
		o->jobs = (int)v;
		return 0;
	case 'r':
		if (parse_count(optarg, 1LL << 50, &v) < 0)
			return usage_error("--limit-rate wants bytes per second, like 500k");
		o->max_rate = v;
		return 0;
	case OPT_TIMEOUT:
		if (parse_plain(optarg, MAX_TIMEOUT, &v) < 0)
			return usage_error("--timeout wants seconds, from 1 to 86400");
		o->timeout = (long)v;
		return 0;
	}
	return 1;
}

#define SOURCE_OPTIONS \
	{ "from", required_argument, NULL, 'f' }, \
	{ "netrc", required_argument, NULL, 'n' }, \
	{ "cacert", required_argument, NULL, OPT_CACERT }, \
	{ "jobs", required_argument, NULL, 'j' }, \
	{ "limit-rate", required_argument, NULL, 'r' }, \
	{ "timeout", required_argument, NULL, OPT_TIMEOUT }

/* Checks what can be checked before any work, fills the CA settings from
 * the environment and initialises libcurl; nonzero is an exit status. */
static int source_ready(struct mirror_source_opts *o)
{
	if (o->netrc && access(o->netrc, R_OK) < 0) {
		fprintf(stderr, "lfs-mirror: cannot read netrc file '%s': %s\n", o->netrc, strerror(errno));
		return 1;
	}
	if (o->cacert && access(o->cacert, R_OK) < 0) {
		fprintf(stderr, "lfs-mirror: cannot read CA file '%s': %s\n", o->cacert, strerror(errno));
		return 1;
	}
	httpc_ca_from_env(&o->cacert, &o->capath);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "lfs-mirror: libcurl failed to initialise\n");
		return 1;
	}
	return 0;
}

static int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		SOURCE_OPTIONS,
		{ "to", required_argument, NULL, 't' },
		{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mirror_sync_opts o;
	struct mirror_sync_result res;
	struct err err = ERR_INIT;
	long long v;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.src.jobs = 4;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((rc = source_option(c, &o.src)) != 1) {
			if (rc)
				return rc;
			continue;
		}
		switch (c) {
		case 't': o.to = optarg; break;
		case OPT_MAX_ENTRIES:
			if (parse_plain(optarg, 1LL << 50, &v) < 0)
				return usage_error("--max-entries wants a number above 0");
			o.max_entries = v;
			break;
		case 'h': printf("%s%s", usage, help); return 0;
		default: return usage_error("sync: unknown option or missing argument");
		}
	}
	if (!o.src.from || !*o.src.from || !o.to || !*o.to || optind < argc)
		return usage_error("sync needs --from and --to, and nothing else");
	if ((rc = source_ready(&o.src)) != 0)
		return rc;
	rc = mirror_sync_run(&o, &res, &err);
	curl_global_cleanup();
	if (rc == ERR_CONFLICT) {
		fprintf(stderr, "lfs-mirror: %s\n", err.msg);
		return EXIT_LOCKED;
	}
	if (rc < 0) {
		fprintf(stderr, "lfs-mirror: %s\n", err.msg);
		return 1;
	}
	printf("synced %lld objects (%lld bytes), skipped %lld, last_seq %lld\n",
	       res.synced, res.bytes, res.skipped, res.last_seq);
	if (fflush(stdout) != 0)
		return 1;
	if (res.capped)
		fprintf(stderr, "lfs-mirror: stopped after %lld feed entries (--max-entries); the next "
			"run goes on after seq %lld\n",
			o.max_entries > 0 ? o.max_entries : MIRROR_SYNC_MAX_ENTRIES, res.last_seq);
	return 0;
}

struct tally {
	const char *dir;
	long long objects, bytes, corrupt, misplaced;
	long long missing, fixed_corrupt, fixed_missing, not_in_feed;
};

static void print_path(const char *what, const struct tally *t, const char *oid)
{
	printf("%s: %s/objects/%.2s/%.2s/%s", what, t->dir, oid, oid + 2, oid);
}

static int report(const struct mirror_verify_item *it, void *arg)
{
	struct tally *t = arg;

	switch (it->status) {
	case MIRROR_VERIFY_OK:
		t->objects++;
		t->bytes += it->size;
		break;
	case MIRROR_VERIFY_CORRUPT:
		t->corrupt++;
		printf("corrupt: %s/%s: content hashes to %s\n", t->dir, it->path, it->actual);
		break;
	case MIRROR_VERIFY_MISPLACED:
		t->misplaced++;
		printf("misplaced: %s/%s: %s\n", t->dir, it->path, it->why);
		break;
	}
	return 0;
}

static int report_repair(const struct mirror_repair_item *it, void *arg)
{
	struct tally *t = arg;

	switch (it->event) {
	case MIRROR_REPAIR_MISSING:
		t->missing++;
		print_path("missing", t, it->oid);
		printf(": feed seq %lld\n", it->seq);
		break;
	case MIRROR_REPAIR_FIXED:
		if (it->was_corrupt)
			t->fixed_corrupt++;
		else
			t->fixed_missing++;
		print_path("repaired", t, it->oid);
		printf(": was %s\n", it->was_corrupt ? "corrupt" : "missing");
		break;
	case MIRROR_REPAIR_NOT_IN_FEED:
		t->not_in_feed++;
		print_path("not repairable", t, it->oid);
		printf(": corrupt, and not in the feed up to last_seq %lld (move it away)\n", it->seq);
		break;
	}
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		SOURCE_OPTIONS,
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tally t;
	struct mirror_source_opts so;
	struct mirror_repair_result res;
	struct err err = ERR_INIT;
	bool repair = false;
	long long left;
	int c, rc;

	memset(&t, 0, sizeof(t));
	memset(&so, 0, sizeof(so));
	so.jobs = 4;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((rc = source_option(c, &so)) != 1) {
			if (rc)
				return rc;
			continue;
		}
		if (c == OPT_REPAIR) {
			repair = true;
			continue;
		}
		if (c == 'h') {
			printf("%s%s", usage, help);
			return 0;
		}
		return usage_error("verify: unknown option or missing argument");
	}
	if (optind != argc - 1 || !*argv[optind])
		return usage_error("verify needs exactly one DIR");
	if ((repair || so.netrc || so.cacert) && (!so.from || !*so.from))
		return usage_error("verify: --repair, --netrc and --cacert need --from");
	t.dir = argv[optind];
	if (!so.from) {
		if (mirror_verify_walk(t.dir, true, report, &t, &err) < 0) {
			fflush(stdout);
			fprintf(stderr, "lfs-mirror: %s: %s\n", t.dir, err.msg);
			return 1;
		}
		if (fflush(stdout) != 0)
			return 1;
		if (t.corrupt || t.misplaced) {
			fprintf(stderr, "lfs-mirror: %s: %lld corrupt and %lld misplaced files\n", t.dir,
				t.corrupt, t.misplaced);
			return 1;
		}
		printf("verified %lld objects (%lld bytes) in %s: all good\n", t.objects, t.bytes, t.dir);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if ((rc = source_ready(&so)) != 0)
		return rc;
	rc = mirror_repair_run(t.dir, &so, repair, report, report_repair, &t, &res, &err);
	curl_global_cleanup();
	if (fflush(stdout) != 0)
		return 1;
	if (rc < 0) {
		fprintf(stderr, "lfs-mirror: %s\n", err.msg);
		return rc == ERR_CONFLICT ? EXIT_LOCKED : 1;
	}
	left = t.misplaced + t.corrupt - t.fixed_corrupt + t.missing - t.fixed_missing;
	if (left) {
		fprintf(stderr, "lfs-mirror: %s: %lld corrupt, %lld missing and %lld misplaced files%s\n",
			t.dir, t.corrupt - t.fixed_corrupt, t.missing - t.fixed_missing, t.misplaced,
			repair ? " left" : "");
		return 1;
	}
	if (t.fixed_corrupt || t.fixed_missing)
		printf("verified %lld objects (%lld bytes) in %s up to last_seq %lld: repaired %lld corrupt "
		       "and %lld missing\n", t.objects, t.bytes, t.dir, res.last_seq, t.fixed_corrupt,
		       t.fixed_missing);
	else
		printf("verified %lld objects (%lld bytes) in %s up to last_seq %lld: all good\n", t.objects,
		       t.bytes, t.dir, res.last_seq);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error(NULL);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("%s%s", usage, help);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("lfs-mirror %s\n", LFS_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "sync") == 0)
		return cmd_sync(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	fprintf(stderr, "lfs-mirror: unknown command '%s'\n", argv[1]);
	return usage_error(NULL);
}
