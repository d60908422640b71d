/* install: filter settings and hook scripts (see install.h). */
#include "install.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lfscache.h"
#include "say.h"
#include "util.h"

static const char *const our_hooks[] = { "pre-push", "post-checkout", "post-merge" };
/* git-lfs also installs post-commit: its presence means git-lfs too. */
static const char *const lfs_hooks_checked[] = { "pre-push", "post-checkout", "post-merge", "post-commit" };
static const char *const filter_keys[] = { "process", "clean", "smudge" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

char *install_shell_quote(const char *word)
{
	size_t n = strlen(word), extra = 0;
	bool plain = n > 0;
	char *out, *o;

	for (const char *s = word; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("/._+-,:@%", c)))
			plain = false;
		if (c == '\'')
			extra += 3;
	}
	if (plain)
		return strdup(word);
	out = malloc(n + extra + 3);
	if (!out)
		return NULL;
	o = out;
	*o++ = '\'';
	for (const char *s = word; *s; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *s;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

int install_is_git_lfs(const char *text)
{
	return text && !strstr(text, "lfs-hooks") && (strstr(text, "git-lfs") || strstr(text, "git lfs"));
}

#define CHAINED "\"$0" INSTALL_CHAINED_SUFFIX "\""

char *install_hook_script(const char *hook, const char *binary)
{
	char *q = install_shell_quote(binary ? binary : ""), *body = NULL, *s = NULL;
	int rc;

	if (!q)
		return NULL;
	if (strcmp(hook, "pre-push") == 0)
		/* Both hooks read the refs on stdin: each gets a copy. */
		rc = asprintf(&body,
			      "if [ -x " CHAINED " ]; then\n"
			      "\tinput=$(cat)\n"
			      "\tprintf '%%s\\n' \"$input\" | " CHAINED " \"$@\" || exit $?\n"
			      "\tprintf '%%s\\n' \"$input\" | \"$lfs_hooks\" %s \"$@\"\n"
			      "\texit $?\n"
			      "fi\n"
			      "exec \"$lfs_hooks\" %s \"$@\"\n",
			      hook, hook);
	else
		rc = asprintf(&body,
			      "\"$lfs_hooks\" %s \"$@\"\n"
			      "status=$?\n"
			      "if [ -x " CHAINED " ]; then\n"
			      "\t" CHAINED " \"$@\" || status=$?\n"
			      "fi\n"
			      "exit $status\n",
			      hook);
	if (rc >= 0)
		rc = asprintf(&s,
			      "#!/bin/sh\n"
			      INSTALL_MARKER ": Git LFS files without git-lfs.\n"
			      "# 'lfs-hooks install --uninstall' removes this hook and puts back the one\n"
			      "# it replaced, if any (kept as %s" INSTALL_CHAINED_SUFFIX " and run by this one).\n"
			      "lfs_hooks=%s\n"
			      "[ -x \"$lfs_hooks\" ] || lfs_hooks=$(command -v lfs-hooks) || {\n"
			      "\techo >&2 \"This repository keeps its large files with Git LFS through lfs-hooks,\"\n"
			      "\techo >&2 \"which is not installed (or not on PATH). Install it, or remove $0.\"\n"
			      "\texit 2\n"
			      "}\n"
			      "%s",
			      hook, q, body);
	else
		body = NULL;
	free(body);
	free(q);
	return rc < 0 ? NULL : s;
}

/* The first 64 KiB of the hook at path into *out, NULL when there is
 * none.  A hook that cannot be read is an error, never "no hook": the
 * caller would write over it.  A dangling symlink reads as empty, so it
 * is kept like any other hook. */
static int read_small_file(char **out, const char *path, struct err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	size_t n;
	char *buf;

	*out = NULL;
	if (!f) {
		if (errno != ENOENT)
			return err_set_errno(err, ERR_IO, "cannot read '%s'", path);
		if (lstat(path, &st) < 0)
			return 0;
		return (*out = strdup("")) ? 0 : err_set(err, ERR_NOMEM, "out of memory");
	}
	if (!(buf = calloc(1, 65537))) {
		fclose(f);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	n = fread(buf, 1, 65536, f);
	if (ferror(f)) {
		err_set_errno(err, ERR_IO, "cannot read '%s'", path);
		fclose(f);
		free(buf);
		return ERR_IO;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static char *hooks_dir(struct lfsrepo *r, struct err *err)
{
	git_config *cfg = NULL;
	git_buf buf = { 0 };
	char *dir = NULL;

	if (lfsrepo_config(&cfg, r, err) < 0)
		return NULL;
	if (git_config_get_path(&buf, cfg, "core.hooksPath") == 0 && buf.ptr && *buf.ptr) {
		if (buf.ptr[0] == '/')
			dir = strdup(buf.ptr);
		else if (asprintf(&dir, "%s%s%s", r->workdir ? r->workdir : r->gitdir, r->workdir ? "" : "/",
				  buf.ptr) < 0)
			dir = NULL;
	} else if (asprintf(&dir, "%s/hooks", r->gitdir) < 0) {
		dir = NULL;
	}
	git_error_clear();
	git_buf_dispose(&buf);
	git_config_free(cfg);
	if (!dir)
		err_set(err, ERR_NOMEM, "out of memory");
	return dir;
}

static const char *level_name(git_config_level_t level)
{
	switch (level) {
	case GIT_CONFIG_LEVEL_LOCAL: return "the repository's config";
	case GIT_CONFIG_LEVEL_GLOBAL:
	case GIT_CONFIG_LEVEL_XDG: return "your global config";
	case GIT_CONFIG_LEVEL_SYSTEM:
	case GIT_CONFIG_LEVEL_PROGRAMDATA: return "the system config";
	default: return "the config";
	}
}

static const char *level_flag(git_config_level_t level)
{
	switch (level) {
	case GIT_CONFIG_LEVEL_LOCAL: return " --local";
	case GIT_CONFIG_LEVEL_SYSTEM:
	case GIT_CONFIG_LEVEL_PROGRAMDATA: return " --system";
	default: return "";
	}
}

struct conflicts {
	int n;
	unsigned lfs_levels;    /* bit per config level where git-lfs was reported */
	unsigned noted_levels;  /* bit per overridden level already mentioned */
	struct err *err;
};

__attribute__((format(printf, 2, 3))) static void conflict(struct conflicts *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	say_warn("%s", line);
	c->n++;
	err_set(c->err, ERR_CONFLICT, "nothing was changed: this repository is set up for another lfs filter");
}

static int filter_entry_cb(const git_config_entry *e, void *payload)
{
	struct conflicts *c = payload;
	const char *key = e->name + strlen("filter.lfs.");
	bool is_cmd = false;

	/* git_config_foreach_match() would do, but libgit2 1.5 leaks its
	 * compiled regex: filter by hand. */
	if (strncasecmp(e->name, "filter.lfs.", strlen("filter.lfs.")) != 0)
		return 0;

	for (size_t i = 0; i < NELEM(filter_keys); i++)
		if (strcasecmp(key, filter_keys[i]) == 0)
			is_cmd = true;
	if (!is_cmd || !e->value || strstr(e->value, "lfs-hooks"))
		return 0;
	/* System and global settings (Debian's git-lfs package writes its
	 * filter into /etc/gitconfig, `git lfs install` into ~/.gitconfig)
	 * are overridden by the repository's own keys, which install
	 * writes: nothing to uninstall, no root needed. */
	if (e->level < GIT_CONFIG_LEVEL_LOCAL) {
		if (!(c->noted_levels & (1u << e->level))) {
			c->noted_levels |= 1u << e->level;
			say_warn("note: %s sets %s; this repository's own filter settings take precedence",
				 level_name(e->level), e->name);
		}
		return 0;
	}
	if (install_is_git_lfs(e->value)) {
		if (c->lfs_levels & (1u << e->level))
			return 0;
		c->lfs_levels |= 1u << e->level;
		conflict(c, "git-lfs is set up in %s (%s); run 'git lfs uninstall%s' first", level_name(e->level),
			 e->name, level_flag(e->level));
	} else {
		conflict(c, "%s is set to '%s' in %s; unset it first", e->name, e->value, level_name(e->level));
	}
	return 0;
}

/* Finds git-lfs (or anything else) already driving the lfs filter or
 * the hooks; reports each on stderr.  Returns the number found, or a
 * negative code with err filled. */
static int find_conflicts(struct lfsrepo *r, const char *dir, struct err *err)
{
	struct conflicts c = { 0, 0, 0, err };
	git_config *cfg = NULL;
	int rc;

	if ((rc = lfsrepo_config(&cfg, r, err)) < 0)
		return rc;
	rc = git_config_foreach(cfg, filter_entry_cb, &c);
	if (rc < 0)
		rc = lfsrepo_git_error(err, ERR_IO, "cannot read the git config");
	git_config_free(cfg);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < NELEM(lfs_hooks_checked); i++) {
		char *path = NULL, *text;
		if (asprintf(&path, "%s/%s", dir, lfs_hooks_checked[i]) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
		if ((rc = read_small_file(&text, path, err)) < 0) {
			free(path);
			return rc;
		}
		if (text && !strstr(text, INSTALL_MARKER) && install_is_git_lfs(text))
			conflict(&c, "the %s hook (%s) belongs to git-lfs; run 'git lfs uninstall --local' first",
				 lfs_hooks_checked[i], path);
		free(text);
		free(path);
	}
	return c.n;
}

static int write_hook(const char *path, const char *text, struct err *err)
{
	char *tmp = NULL;
	int fd, rc = 0;
	size_t len = strlen(text);

	if (asprintf(&tmp, "%s.lfs-hooks-tmp", path) < 0)
		return err_set(err, ERR_NOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot create '%s'", tmp);
		goto out;
	}
	if (util_write_all(fd, text, len) < 0 || fchmod(fd, 0755) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot write '%s'", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot write '%s'", tmp);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot install '%s'", path);
		unlink(tmp);
	}
out:
	free(tmp);
	return rc;
}

static int install_hooks(const char *dir, const char *binary, struct err *err)
{
	{
		char *p = NULL;
		if (asprintf(&p, "%s/x", dir) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
		if (lfscache_mkdirs_for(p, err) < 0) {
			free(p);
			return ERR_IO;
		}
		free(p);
	}
	for (size_t i = 0; i < NELEM(our_hooks); i++) {
		char *path = NULL, *chained = NULL, *text = NULL, *script = NULL;
		struct stat st;
		int rc = 0;

		if (asprintf(&path, "%s/%s", dir, our_hooks[i]) < 0 ||
		    asprintf(&chained, "%s%s", path, INSTALL_CHAINED_SUFFIX) < 0)
			return err_set(err, ERR_NOMEM, "out of memory");
		if ((rc = read_small_file(&text, path, err)) < 0) {
			free(path);
			free(chained);
			return rc;
		}
		/* A shipped template (core.hooksPath into the work tree) finds
		 * lfs-hooks on PATH by itself: leave the committed file alone. */
		if (text && strstr(text, INSTALL_MARKER) && strstr(text, "\nlfs_hooks=''\n")) {
			free(text);
			free(path);
			free(chained);
			continue;
		}
		if (text && !strstr(text, INSTALL_MARKER)) {
			if (lstat(chained, &st) == 0) {
				rc = err_set(err, ERR_CONFLICT, "both '%s' and '%s' exist; keep one", path, chained);
			} else if (rename(path, chained) < 0) {
				rc = err_set_errno(err, ERR_IO, "cannot keep '%s' as '%s'", path, chained);
			} else {
				say_info("Kept the existing %s hook as %s; it runs with lfs-hooks.", our_hooks[i],
					 chained);
			}
		}
		if (rc == 0) {
			script = install_hook_script(our_hooks[i], binary);
			rc = script ? write_hook(path, script, err) : err_set(err, ERR_NOMEM, "out of memory");
		}
		free(script);
		free(text);
		free(path);
		free(chained);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int local_config(git_config **out, struct lfsrepo *r, struct err *err)
{
	git_config *cfg = NULL;
	int rc;

	if (git_repository_config(&cfg, r->git) < 0)
		return lfsrepo_git_error(err, ERR_IO, "cannot open git config");
	rc = git_config_open_level(out, cfg, GIT_CONFIG_LEVEL_LOCAL);
	git_config_free(cfg);
	if (rc < 0)
		return lfsrepo_git_error(err, ERR_IO, "cannot open the repository's config");
	return 0;
}

static int set_filters(struct lfsrepo *r, const char *binary, struct err *err)
{
	git_config *local = NULL;
	char *q = install_shell_quote(binary), *clean = NULL, *smudge = NULL, *process = NULL;
	int rc = 0;

	if (!q || asprintf(&clean, "%s clean -- %%f", q) < 0 || asprintf(&smudge, "%s smudge -- %%f", q) < 0 ||
	    asprintf(&process, "%s filter-process", q) < 0) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = local_config(&local, r, err)) < 0)
		goto out;
	if (git_config_set_string(local, "filter.lfs.clean", clean) < 0 ||
	    git_config_set_string(local, "filter.lfs.smudge", smudge) < 0 ||
	    git_config_set_string(local, "filter.lfs.process", process) < 0 ||
	    git_config_set_bool(local, "filter.lfs.required", 1) < 0)
		rc = lfsrepo_git_error(err, ERR_IO, "cannot write the repository's config");
out:
	git_config_free(local);
	free(q);
	free(clean);
	free(smudge);
	free(process);
	return rc;
}

int install_run(struct lfsrepo *r, const char *binary, struct err *err)
{
	char *dir = hooks_dir(r, err);
	int rc, n;

	if (!dir)
		return ERR_NOMEM;
	n = find_conflicts(r, dir, err);
	if (n != 0) {
		free(dir);
		return n < 0 ? n : ERR_CONFLICT;
	}
	rc = install_hooks(dir, binary, err);
	if (rc == 0)
		rc = set_filters(r, binary, err);
	if (rc == 0)
		say_info("Updated git hooks (pre-push, post-checkout, post-merge) in %s.", dir);
	free(dir);
	return rc;
}

int install_uninstall(struct lfsrepo *r, struct err *err)
{
	git_config *local = NULL, *snap = NULL;
	char *dir = hooks_dir(r, err);
	int rc = 0;

	if (!dir)
		return ERR_NOMEM;
	for (size_t i = 0; i < NELEM(our_hooks) && rc == 0; i++) {
		char *path = NULL, *chained = NULL, *text;
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, our_hooks[i]) < 0 ||
		    asprintf(&chained, "%s%s", path, INSTALL_CHAINED_SUFFIX) < 0) {
			free(dir);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
		if ((rc = read_small_file(&text, path, err)) < 0) {
			free(path);
			free(chained);
			break;
		}
		if (text && strstr(text, INSTALL_MARKER) && !strstr(text, "\nlfs_hooks=''\n")) {
			if (unlink(path) < 0)
				rc = err_set_errno(err, ERR_IO, "cannot remove '%s'", path);
			else if (lstat(chained, &st) == 0 && rename(chained, path) < 0)
				rc = err_set_errno(err, ERR_IO, "cannot restore '%s'", path);
			else if (lstat(path, &st) == 0)
				say_info("Restored the %s hook that lfs-hooks had chained.", our_hooks[i]);
		}
		free(text);
		free(path);
		free(chained);
	}
	free(dir);
	if (rc < 0)
		return rc;
	if ((rc = local_config(&local, r, err)) < 0)
		return rc;
	if (git_config_snapshot(&snap, local) < 0) {
		git_config_free(local);
		return lfsrepo_git_error(err, ERR_IO, "cannot read the repository's config");
	}
	{
		bool ours = false;
		for (size_t i = 0; i < NELEM(filter_keys); i++) {
			char key[32];
			const char *v = NULL;
			snprintf(key, sizeof(key), "filter.lfs.%s", filter_keys[i]);
			if (git_config_get_string(&v, snap, key) == 0 && v && strstr(v, "lfs-hooks")) {
				ours = true;
				if (git_config_delete_entry(local, key) < 0 && rc == 0)
					rc = lfsrepo_git_error(err, ERR_IO, "cannot edit the repository's config");
			}
		}
		if (ours && rc == 0) {
			int d = git_config_delete_entry(local, "filter.lfs.required");
			if (d < 0 && d != GIT_ENOTFOUND)
				rc = lfsrepo_git_error(err, ERR_IO, "cannot edit the repository's config");
		}
	}
	git_error_clear();
	git_config_free(snap);
	git_config_free(local);
	if (rc == 0)
		say_info("Removed lfs-hooks' hooks and filter settings; the object cache in .git/lfs stays.");
	return rc;
}
