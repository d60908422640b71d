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

static int fail(const struct err *err)
{
	say_warn("%s", err->msg[0] ? err->msg : "failed");
	return 1;
}

static int open_repo(struct lfsrepo **r, struct err *err)
{
	return lfsrepo_open(r, err);
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

static bool env_true(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
}

static int cmd_install(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	bool uninstall = false;
	char *self = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--uninstall") == 0)
			uninstall = true;
		else
			return usage_error("install takes only --uninstall");
	}
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	if (uninstall) {
		rc = install_uninstall(r, &err);
	} else {
		self = self_path(program_path);
		rc = self ? install_run(r, self, &err) : err_set(&err, ERR_IO, "cannot find my own path");
		if (rc == 0 && !env_true("GIT_LFS_SKIP_SMUDGE") && checkout_materialize(r, NULL, &err) < 0) {
			say_warn("%s", err.msg);
			say_warn("installed, but some files are still pointers; 'lfs-hooks pull' fetches them");
			rc = 1;
		}
	}
	free(self);
	lfsrepo_free(r);
	return rc < 0 ? fail(&err) : rc;
}

static int cmd_track(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	int rc;

	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error("track takes only patterns");
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	rc = argc > 1 ? track_add(r, argv + 1, argc - 1, &err) : track_list(r, &err);
	lfsrepo_free(r);
	return rc < 0 ? fail(&err) : 0;
}

/* clean/smudge [--] [FILE] */
static int cmd_filter_one(int argc, char **argv, bool clean)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	const char *path = "";
	int i = 1, rc;

	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i < argc)
		path = argv[i++];
	if (i < argc)
		return usage_error(clean ? "usage: lfs-hooks clean -- FILE" : "usage: lfs-hooks smudge -- FILE");
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	rc = clean ? filter_clean(r, 0, 1, path, &err) : filter_smudge(r, 0, 1, path, &err);
	lfsrepo_free(r);
	return rc < 0 ? fail(&err) : 0;
}

static int cmd_filter_process(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	int rc;

	(void)argv;
	if (argc > 1)
		return usage_error("filter-process takes no arguments");
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	rc = filter_process(r, 0, 1, &err);
	lfsrepo_free(r);
	return rc < 0 ? fail(&err) : 0;
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static int cmd_clean(int argc, char **argv)
{
	return cmd_filter_one(argc, argv, true);
}

static int cmd_smudge(int argc, char **argv)
{
	return cmd_filter_one(argc, argv, false);
}

/* post-checkout OLD NEW FLAG, post-merge SQUASH: materialize pointer
 * files.  A file that stays a pointer (server down) is a warning, not a
 * failed checkout: git already did its part. */
static int cmd_post(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	bool checkout = strcmp(argv[0], "post-checkout") == 0;

	if (checkout ? argc != 4 : argc != 2)
		return usage_error(checkout ? "usage: lfs-hooks post-checkout OLD NEW FLAG"
					    : "usage: lfs-hooks post-merge SQUASH");
	if (env_true("GIT_LFS_SKIP_SMUDGE"))
		return 0;
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	if (checkout_materialize(r, NULL, &err) < 0)
		say_warn("%s; 'lfs-hooks pull' fetches them", err.msg);
	lfsrepo_free(r);
	return 0;
}

/* pull [REMOTE] */
static int cmd_pull(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	int rc;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return usage_error("usage: lfs-hooks pull [REMOTE]");
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	rc = checkout_materialize(r, argc == 2 ? argv[1] : NULL, &err);
	lfsrepo_free(r);
	return rc < 0 ? fail(&err) : 0;
}

/* fetch [--all] [REMOTE] */
static int cmd_fetch(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	const char *remote = NULL;
	bool all = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = true;
		else if (argv[i][0] != '-' && !remote)
			remote = argv[i];
		else
			return usage_error("usage: lfs-hooks fetch [--all] [REMOTE]");
	}
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	rc = fetch_refs(r, remote, all, &err);
	lfsrepo_free(r);
	return rc < 0 ? fail(&err) : 0;
}

/* ls-files [-l] [-s] [-n] [REF] */
static int cmd_ls_files(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	const char *ref = NULL;
	int flags = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0 || strcmp(argv[i], "--long") == 0)
			flags |= INSPECT_LONG;
		else if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--size") == 0)
			flags |= INSPECT_SIZE;
		else if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--name-only") == 0)
			flags |= INSPECT_NAME_ONLY;
		else if (argv[i][0] != '-' && !ref)
			ref = argv[i];
		else
			return usage_error("usage: lfs-hooks ls-files [-l] [-s] [-n] [REF]");
	}
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	rc = inspect_ls_files(r, ref, flags, &err);
	lfsrepo_free(r);
	return rc < 0 ? fail(&err) : 0;
}

/* fsck [--pointers] [REF] */
static int cmd_fsck(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	const char *ref = NULL;
	bool pointers = false;
	int problems = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pointers") == 0)
			pointers = true;
		else if (argv[i][0] != '-' && !ref)
			ref = argv[i];
		else
			return usage_error("usage: lfs-hooks fsck [--pointers] [REF]");
	}
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	rc = inspect_fsck(r, ref, pointers, &problems, &err);
	lfsrepo_free(r);
	if (rc < 0)
		return fail(&err);
	return problems ? 1 : 0;
}

/* pre-push REMOTE [URL] */
static int cmd_pre_push(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	int rc;

	if (argc < 2 || argc > 3)
		return usage_error("usage: lfs-hooks pre-push REMOTE [URL]");
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	rc = push_pre_push(r, argv[1], stdin, &err);
	lfsrepo_free(r);
	if (rc < 0) {
		say_warn("push refused: %s", err.msg);
		return 1;
	}
	return 0;
}

/* push [--all] REMOTE [REF...] */
static int cmd_push(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct lfsrepo *r = NULL;
	bool all = false;
	int i = 1, rc;

	if (i < argc && strcmp(argv[i], "--all") == 0) {
		all = true;
		i++;
	}
	if (i >= argc || argv[i][0] == '-')
		return usage_error("usage: lfs-hooks push [--all] REMOTE [REF...]");
	if (all && i + 1 < argc)
		return usage_error("push --all takes no refs");
	if (open_repo(&r, &err) < 0)
		return fail(&err);
	rc = push_refs(r, argv[i], argv + i + 1, argc - i - 1, all, &err);
	lfsrepo_free(r);
	return rc < 0 ? fail(&err) : 0;
}

static const struct command commands[] = {
	{ "pre-push", cmd_pre_push },
	{ "push", cmd_push },
	{ "post-checkout", cmd_post },
	{ "post-merge", cmd_post },
	{ "pull", cmd_pull },
	{ "fetch", cmd_fetch },
	{ "ls-files", cmd_ls_files },
	{ "fsck", cmd_fsck },
	{ "install", cmd_install },
	{ "track", cmd_track },
	{ "clean", cmd_clean },
	{ "smudge", cmd_smudge },
	{ "filter-process", cmd_filter_process },
};

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
			return fail(&err);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			rc = commands[i].run(argc - 1, argv + 1);
	if (rc < 0) {
		say_warn("unknown command '%s'", argv[1]);
		rc = usage_error(NULL);
	}
	httpc_global_cleanup();
	lfsrepo_global_shutdown();
	return rc;
}
