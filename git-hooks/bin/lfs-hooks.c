/* lfs-hooks: Git LFS for clones without git-lfs, driven by git hooks and
 * the lfs filter.  This file only parses the command line and hands each
 * command to its module; exit codes follow the contract: 0 success,
 * 1 runtime or config error, 2 usage error. */
#include <git2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkout.h"
#include "util.h"
#include "err.h"
#include "fetch.h"
#include "filter.h"
#include "httpc.h"
#include "inspect.h"
#include "install.h"
#include "lfsrepo.h"
#include "push.h"
#include "say.h"
#include "track.h"
#include "version.h"

static const char *program_path;

static const char usage_line[] = "usage: lfs-hooks <command> [<args>]   (lfs-hooks --help lists the commands)";

static const char help_text[] =
	"usage: lfs-hooks <command> [<args>]\n"
	"\n"
	"Keeps large files as Git LFS pointers without git-lfs: uploads them on push,\n"
	"fetches them on checkout, through git hooks and the lfs filter.\n"
	"\n"
	"Setting up a clone:\n"
	"  install                 configure the lfs filter and the hooks, fetch the files\n"
	"  install --uninstall     undo that (the object cache in .git/lfs stays)\n"
	"  track [PATTERN...]      track files matching PATTERN (list the patterns without one)\n"
	"\n"
	"By hand (the hooks run them when needed):\n"
	"  pull [REMOTE]                 fetch the current checkout's files and put them in place\n"
	"  fetch [--all] [REMOTE]        download the objects of HEAD (of every ref with --all)\n"
	"  push [--all] REMOTE [REF...]  upload the objects of REFs (every ref with --all)\n"
	"  ls-files [-l] [-s] [REF]      list the Git LFS files of REF (default HEAD)\n"
	"  fsck [--pointers] [REF]       check the local objects and the pointers of REF\n"
	"\n"
	"Run by git (installed by 'install'):\n"
	"  clean -- FILE | smudge -- FILE | filter-process\n"
	"  pre-push REMOTE URL | post-checkout OLD NEW FLAG | post-merge SQUASH\n"
	"\n"
	"  --help, --version\n";

static int usage_error(const char *msg)
{
	if (msg)
		say_warn("%s", msg);
	fprintf(stderr, "%s\n", usage_line);
	return 2;
}

static int fail(const char *prefix, const struct err *err)
{
	say_warn("%s%s", prefix ? prefix : "", err->msg[0] ? err->msg : "failed");
	return 1;
}

/* The absolute path of this binary, for the filter and hook commands. */
static char *self_path(const char *argv0)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n > 0) {
		buf[n] = '\0';
		return strdup(buf);
	}
	return realpath(argv0, NULL);
}

/* What a command's arguments said, filled by its parse step before any
 * setup, so a usage error is exit 2 even outside a repository. */
struct args {
	const char *name; /* argv[0]: the command as typed */
	const char *word; /* REMOTE, REF or FILE */
	bool all;	  /* --all, --uninstall, --pointers; clean (vs smudge) */
	int flags;	  /* INSPECT_* */
	char **rest;	  /* patterns, or refs after REMOTE */
	int nrest;
};

/* A command's own steps.  parse returns 0, or a usage error's exit code
 * (usage_error()).  run gets the set-up repository and returns an exit
 * code (>= 0) or a negative code with err filled; the caller reports err
 * and exits 1. */
struct command {
	const char *name;
	unsigned flags;
	const char *fail_prefix; /* before err's message (NULL: none) */
	int (*parse)(struct args *a, int argc, char **argv);
	int (*run)(struct lfsrepo *r, const struct args *a, struct err *err);
};

enum {
	NEED_REPO = 1u << 0,	 /* opens the repository around run */
	SKIP_NO_SMUDGE = 1u << 1 /* nothing to do under GIT_LFS_SKIP_SMUDGE */
};

static int parse_install(struct args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--uninstall") == 0)
			a->all = true;
		else
			return usage_error("install takes only --uninstall");
	}
	return 0;
}

static int cmd_install(struct lfsrepo *r, const struct args *a, struct err *err)
{
	char *self;
	int rc;

	if (a->all)
		return install_uninstall(r, err);
	if (!(self = self_path(program_path)))
		return err_set(err, ERR_IO, "cannot find my own path");
	rc = install_run(r, self, err);
	free(self);
	if (rc == 0 && !util_env_true("GIT_LFS_SKIP_SMUDGE") && checkout_materialize(r, NULL, err) < 0) {
		say_warn("%s", err->msg);
		say_warn("installed, but some files are still pointers; 'lfs-hooks pull' fetches them");
		return 1;
	}
	return rc;
}

static int parse_track(struct args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error("track takes only patterns");
	a->rest = argv + 1;
	a->nrest = argc - 1;
	return 0;
}

static int cmd_track(struct lfsrepo *r, const struct args *a, struct err *err)
{
	return a->nrest > 0 ? track_add(r, a->rest, a->nrest, err) : track_list(r, err);
}

/* clean/smudge [--] [FILE] */
static int parse_filter_one(struct args *a, int argc, char **argv)
{
	int i = 1;

	a->all = strcmp(argv[0], "clean") == 0;
	a->word = "";
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i < argc)
		a->word = argv[i++];
	if (i < argc)
		return usage_error(a->all ? "usage: lfs-hooks clean -- FILE" : "usage: lfs-hooks smudge -- FILE");
	return 0;
}

static int cmd_filter_one(struct lfsrepo *r, const struct args *a, struct err *err)
{
	return a->all ? filter_clean(r, 0, 1, a->word, err) : filter_smudge(r, 0, 1, a->word, err);
}

static int parse_filter_process(struct args *a, int argc, char **argv)
{
	return argc > 1 ? usage_error("filter-process takes no arguments") : 0;
}

static int cmd_filter_process(struct lfsrepo *r, const struct args *a, struct err *err)
{
	return filter_process(r, 0, 1, err);
}

/* post-checkout OLD NEW FLAG, post-merge SQUASH */
static int parse_post(struct args *a, int argc, char **argv)
{
	bool checkout = strcmp(argv[0], "post-checkout") == 0;

	if (checkout ? argc != 4 : argc != 2)
		return usage_error(checkout ? "usage: lfs-hooks post-checkout OLD NEW FLAG"
					    : "usage: lfs-hooks post-merge SQUASH");
	return 0;
}

/* Materializes pointer files.  A file that stays a pointer (server down)
 * is a warning, not a failed checkout: git already did its part. */
static int cmd_post(struct lfsrepo *r, const struct args *a, struct err *err)
{
	if (checkout_materialize(r, NULL, err) < 0)
		say_warn("%s; 'lfs-hooks pull' fetches them", err->msg);
	return 0;
}

/* pull [REMOTE] */
static int parse_pull(struct args *a, int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return usage_error("usage: lfs-hooks pull [REMOTE]");
	a->word = argc == 2 ? argv[1] : NULL;
	return 0;
}

static int cmd_pull(struct lfsrepo *r, const struct args *a, struct err *err)
{
	return checkout_materialize(r, a->word, err);
}

/* fetch [--all] [REMOTE] */
static int parse_fetch(struct args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			a->all = true;
		else if (argv[i][0] != '-' && !a->word)
			a->word = argv[i];
		else
			return usage_error("usage: lfs-hooks fetch [--all] [REMOTE]");
	}
	return 0;
}

static int cmd_fetch(struct lfsrepo *r, const struct args *a, struct err *err)
{
	return fetch_refs(r, a->word, a->all, err);
}

/* ls-files [-l] [-s] [-n] [REF] */
static int parse_ls_files(struct args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--long") == 0)
			a->flags |= INSPECT_LONG;
		else if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--size") == 0)
			a->flags |= INSPECT_SIZE;
		else if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--name-only") == 0)
			a->flags |= INSPECT_NAME_ONLY;
		else if (argv[i][0] != '-' && !a->word)
			a->word = argv[i];
		else
			return usage_error("usage: lfs-hooks ls-files [-l] [-s] [-n] [REF]");
	}
	return 0;
}

static int cmd_ls_files(struct lfsrepo *r, const struct args *a, struct err *err)
{
	return inspect_ls_files(r, a->word, a->flags, err);
}

/* fsck [--pointers] [REF] */
static int parse_fsck(struct args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pointers") == 0)
			a->all = true;
		else if (argv[i][0] != '-' && !a->word)
			a->word = argv[i];
		else
			return usage_error("usage: lfs-hooks fsck [--pointers] [REF]");
	}
	return 0;
}

static int cmd_fsck(struct lfsrepo *r, const struct args *a, struct err *err)
{
	int problems = 0, rc = inspect_fsck(r, a->word, a->all, &problems, err);

	return rc < 0 ? rc : problems ? 1 : 0;
}

/* pre-push REMOTE [URL] */
static int parse_pre_push(struct args *a, int argc, char **argv)
{
	if (argc < 2 || argc > 3)
		return usage_error("usage: lfs-hooks pre-push REMOTE [URL]");
	a->word = argv[1];
	return 0;
}

static int cmd_pre_push(struct lfsrepo *r, const struct args *a, struct err *err)
{
	return push_pre_push(r, a->word, stdin, err);
}

/* push [--all] REMOTE [REF...] */
static int parse_push(struct args *a, int argc, char **argv)
{
	int i = 1;

	if (i < argc && strcmp(argv[i], "--all") == 0) {
		a->all = true;
		i++;
	}
	if (i >= argc || argv[i][0] == '-')
		return usage_error("usage: lfs-hooks push [--all] REMOTE [REF...]");
	if (a->all && i + 1 < argc)
		return usage_error("push --all takes no refs");
	a->word = argv[i];
	a->rest = argv + i + 1;
	a->nrest = argc - i - 1;
	return 0;
}

static int cmd_push(struct lfsrepo *r, const struct args *a, struct err *err)
{
	return push_refs(r, a->word, a->rest, a->nrest, a->all, err);
}

static const struct command commands[] = {
	{ "pre-push", NEED_REPO, "push refused: ", parse_pre_push, cmd_pre_push },
	{ "push", NEED_REPO, NULL, parse_push, cmd_push },
	{ "post-checkout", NEED_REPO | SKIP_NO_SMUDGE, NULL, parse_post, cmd_post },
	{ "post-merge", NEED_REPO | SKIP_NO_SMUDGE, NULL, parse_post, cmd_post },
	{ "pull", NEED_REPO, NULL, parse_pull, cmd_pull },
	{ "fetch", NEED_REPO, NULL, parse_fetch, cmd_fetch },
	{ "ls-files", NEED_REPO, NULL, parse_ls_files, cmd_ls_files },
	{ "fsck", NEED_REPO, NULL, parse_fsck, cmd_fsck },
	{ "install", NEED_REPO, NULL, parse_install, cmd_install },
	{ "track", NEED_REPO, NULL, parse_track, cmd_track },
	{ "clean", NEED_REPO, NULL, parse_filter_one, cmd_filter_one },
	{ "smudge", NEED_REPO, NULL, parse_filter_one, cmd_filter_one },
	{ "filter-process", NEED_REPO, NULL, parse_filter_process, cmd_filter_process },
};

/* The one setup and teardown path: parse, open what the command's flags
 * ask for, run, report a failure, free. */
static int run_command(const struct command *c, int argc, char **argv)
{
	struct args a = { .name = argv[0] };
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	int rc;

	if ((rc = c->parse(&a, argc, argv)) != 0)
		return rc;
	if ((c->flags & SKIP_NO_SMUDGE) && util_env_true("GIT_LFS_SKIP_SMUDGE"))
		return 0;
	if ((c->flags & NEED_REPO) && lfsrepo_open(&r, &err) < 0)
		return fail(NULL, &err);
	rc = c->run(r, &a, &err);
	lfsrepo_free(r);
	return rc < 0 ? fail(c->fail_prefix, &err) : rc;
}

int main(int argc, char **argv)
{
	int rc = -1;

	program_path = argv[0];
	if (argc < 2)
		return usage_error("no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(help_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("lfs-hooks %s\n", LFS_VERSION);
		return 0;
	}
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help_text, stdout);
			return 0;
		}
	}
	/* A reader that goes away (git killing a filter) is an error return
	 * from write(), not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	lfsrepo_global_init();
	{
		struct err err = ERR_INIT;
		if (httpc_global_init(&err) < 0)
			return fail(NULL, &err);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			rc = run_command(&commands[i], argc - 1, argv + 1);
	if (rc < 0) {
		say_warn("unknown command '%s'", argv[1]);
		rc = usage_error(NULL);
	}
	httpc_global_cleanup();
	lfsrepo_global_shutdown();
	return rc;
}
