/* lfs-mirror: the mirror operator's tool.
 *
 *   lfs-mirror sync --from URL|DATA_DIR --to DIR [--netrc FILE] [--jobs N] [--limit-rate R]
 *   lfs-mirror verify DIR
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

#include "mirror_sync.h"
#include "mirror_verify.h"
#include "version.h"

#define EXIT_LOCKED 75
#define MAX_JOBS 64

static const char usage[] =
	"usage: lfs-mirror sync --from URL|DATA_DIR --to DIR [--netrc FILE] [--jobs N] [--limit-rate BYTES]\n"
	"   or: lfs-mirror verify DIR\n";

static const char help[] =
	"\n"
	"sync    bring the mirror tree DIR up to date with the server's mirror feed:\n"
	"        only objects of repositories marked mirrored, each hash-checked and\n"
	"        written atomically, then DIR/mirror-state.json.  Resumable; safe to\n"
	"        run from cron (a second sync on DIR exits 75).\n"
	"  --from URL|DATA_DIR  the server's base URL (the feed is GET URL/_lfs/journal),\n"
	"                       or the server's data directory on this machine\n"
	"  --to DIR             the mirror tree (created if missing)\n"
	"  --netrc FILE         credentials of a journal reader (netrc format)\n"
	"  --jobs N             parallel downloads (default 4)\n"
	"  --limit-rate BYTES   cap each download's speed (suffix k or m)\n"
	"verify  re-hash every object under DIR/objects; name each corrupt or\n"
	"        misplaced file and exit 1 if there is any\n";

static int usage_error(const char *msg)
{
	if (msg)
		fprintf(stderr, "lfs-mirror: %s\n", msg);
	fputs(usage, stderr);
	return 2;
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

static int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "netrc", required_argument, NULL, 'n' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "limit-rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mirror_sync_opts o = { NULL, NULL, NULL, 4, 0 };
	struct mirror_sync_result res;
	struct err err = ERR_INIT;
	long long v;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': o.from = optarg; break;
		case 't': o.to = optarg; break;
		case 'n': o.netrc = optarg; break;
		case 'j':
			if (parse_count(optarg, MAX_JOBS, &v) < 0 || strpbrk(optarg, "kKmM"))
				return usage_error("--jobs wants a number from 1 to 64");
			o.jobs = (int)v;
			break;
		case 'r':
			if (parse_count(optarg, 1LL << 50, &v) < 0)
				return usage_error("--limit-rate wants bytes per second, like 500k");
			o.max_rate = v;
			break;
		case 'h': printf("%s%s", usage, help); return 0;
		default: return usage_error("sync: unknown option or missing argument");
		}
	}
	if (!o.from || !*o.from || !o.to || !*o.to || optind < argc)
		return usage_error("sync needs --from and --to, and nothing else");
	if (o.netrc && access(o.netrc, R_OK) < 0) {
		fprintf(stderr, "lfs-mirror: cannot read netrc file '%s': %s\n", o.netrc, strerror(errno));
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "lfs-mirror: libcurl failed to initialise\n");
		return 1;
	}
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
	return fflush(stdout) == 0 ? 0 : 1;
}

struct tally {
	const char *dir;
	long long objects, bytes, corrupt, misplaced;
};

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

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tally t = { NULL, 0, 0, 0, 0 };
	struct err err = ERR_INIT;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("%s%s", usage, help);
			return 0;
		}
		return usage_error("verify: unknown option");
	}
	if (optind != argc - 1 || !*argv[optind])
		return usage_error("verify needs exactly one DIR");
	t.dir = argv[optind];
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
