/* install: lays out PUBLIC_DIR for Apache and records it (see install.h).
 * Everything is checked before anything is written: a refused install
 * leaves the disk as it was. */
#include "cgi/install.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cgi/site.h"
#include "cli.h"
#include "core/config.h"
#include "sha256.h"
#include "util.h"
#include "version.h"

static const char usage[] =
	"usage: lfs-cgi install PUBLIC_DIR --url BASE_URL --config FILE\n"
	"                       [--web-root DIR] [--program FILE]\n";

static const char help[] =
	"Lays out PUBLIC_DIR (a directory inside your public_html) for Apache:\n"
	"  PUBLIC_DIR/lfs-server.cgi   the LFS service (runs this program with --config FILE\n"
	"                              --public-dir PUBLIC_DIR)\n"
	"  PUBLIC_DIR/.htaccess        passes credentials to it, allows PUT, serves objects\n"
	"  PUBLIC_DIR/objects/         publicly readable objects, served by Apache itself\n"
	"and prints the lfs.url of a repository: BASE_URL/lfs-server.cgi/<repo>.git/info/lfs.\n"
	"Files it did not write are never overwritten; run it again to upgrade its own.\n"
	"\n"
	"  --url BASE_URL   the URL Apache serves PUBLIC_DIR at (http:// or https://)\n"
	"  --config FILE    the service's config: auth.users set, server.data an\n"
	"                   absolute path outside the web root\n"
	"  --web-root DIR   the directory Apache serves (default: the public_html\n"
	"                   that holds PUBLIC_DIR, else PUBLIC_DIR)\n"
	"  --program FILE   the lfs-cgi the CGI runs (default: this one)\n"
	"Exit status: 0 installed, 1 refused or failed (nothing changed), 2 usage error.\n";

static const char htaccess[] =
	"# Written by `lfs-cgi install`: running it again upgrades this file, so\n"
	"# do not edit it.  It asks only for what Debian's stock userdir block\n"
	"# allows (AllowOverride FileInfo AuthConfig Limit Indexes); the host must\n"
	"# also allow CGI here (Options +ExecCGI, AddHandler cgi-script .cgi).\n"
	"\n"
	"# The CGI checks credentials itself (anonymous reads and action tokens\n"
	"# need no Apache login), but Apache hands it the Authorization header\n"
	"# only when told: CGIPassAuth from 2.4.13 on, else the SetEnvIf copy.\n"
	"<IfModule mod_version.c>\n"
	"  <IfVersion >= 2.4.13>\n"
	"    CGIPassAuth On\n"
	"  </IfVersion>\n"
	"  <IfVersion < 2.4.13>\n"
	"    <IfModule mod_setenvif.c>\n"
	"      SetEnvIf Authorization \"(.+)\" HTTP_AUTHORIZATION=$1\n"
	"    </IfModule>\n"
	"  </IfVersion>\n"
	"</IfModule>\n"
	"<IfModule !mod_version.c>\n"
	"  <IfModule mod_setenvif.c>\n"
	"    SetEnvIf Authorization \"(.+)\" HTTP_AUTHORIZATION=$1\n"
	"  </IfModule>\n"
	"</IfModule>\n"
	"\n"
	"# Uploads are PUT requests; the stock block allows GET, POST, OPTIONS.\n"
	"Require method GET POST PUT OPTIONS\n"
	"\n"
	"# The install's own bookkeeping and temp files are nobody's business.\n"
	"<FilesMatch \"^\\.lfs-cgi-manifest|\\.tmp-\">\n"
	"  Require all denied\n"
	"</FilesMatch>\n"
	"\n"
	"# objects/ab/cd/<oid>: plain bytes, never a script, never changing; and\n"
	"# no listing of what the tree holds.\n"
	"<FilesMatch \"^[0-9a-f]{64}$\">\n"
	"  ForceType application/octet-stream\n"
	"  SetHandler None\n"
	"  <IfModule mod_headers.c>\n"
	"    Header set Cache-Control \"public, max-age=31536000, immutable\"\n"
	"  </IfModule>\n"
	"</FilesMatch>\n"
	"<If \"-d %{REQUEST_FILENAME} && %{REQUEST_URI} =~ m#/objects(/|$)#\">\n"
	"  Require all denied\n"
	"</If>\n";

struct file {
	const char *rel;  /* relative to PUBLIC_DIR */
	unsigned mode;
	char *text;       /* what the install writes */
	char hash[OID_HEX_LEN + 1];
};

struct manifest_entry {
	char rel[256];
	char hash[OID_HEX_LEN + 1];
};

static int fail(const struct err *err)
{
	fprintf(stderr, "lfs-cgi: %s\n", err->msg);
	return 1;
}

static int hash_text(const char *text, size_t len, char hex[OID_HEX_LEN + 1], struct err *err)
{
	struct sha256 *h = NULL;
	int rc;

	if ((rc = sha256_new(&h, err)) == 0 && (rc = sha256_update(h, text, len, err)) == 0)
		rc = sha256_final_hex(h, hex, err);
	sha256_free(h);
	return rc;
}

/* DIR/NAME into out (PATH_MAX); an error when it does not fit. */
static int join(char *out, const char *dir, const char *name, struct err *err)
{
	if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		return err_set(err, ERR_IO, "path too long: %s/%s", dir, name);
	return 0;
}

/* Is path (resolved) dir itself or inside it? */
static bool within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* realpath() of a path that may not exist yet: the longest existing prefix
 * resolved, the rest appended as written. */
static int resolve(const char *path, char out[PATH_MAX], struct err *err)
{
	char head[PATH_MAX], tail[PATH_MAX] = "";
	char *slash;

	if (snprintf(head, sizeof(head), "%s", path) >= (int)sizeof(head))
		return err_set(err, ERR_IO, "path too long: %s", path);
	for (;;) {
		if (realpath(head[0] ? head : "/", out)) {
			size_t n = strlen(out);
			if (tail[0] && snprintf(out + n, PATH_MAX - n, "%s%s", n > 1 ? "" : "",
						n > 1 ? tail : tail + 1) >= (int)(PATH_MAX - n))
				return err_set(err, ERR_IO, "path too long: %s", path);
			return 0;
		}
		if (errno != ENOENT || !(slash = strrchr(head, '/')))
			return err_set_errno(err, ERR_IO, "cannot resolve %s", path);
		{
			char t[PATH_MAX];
			if (snprintf(t, sizeof(t), "%s%s", slash, tail) >= (int)sizeof(t))
				return err_set(err, ERR_IO, "path too long: %s", path);
			memcpy(tail, t, sizeof(t));
		}
		*slash = '\0';
	}
}

/* The directory Apache serves PUBLIC_DIR from: the nearest public_html
 * above it (as given, then resolved), else PUBLIC_DIR itself. */
static int find_web_root(const char *given, const char *public_real, char out[PATH_MAX],
			 struct err *err)
{
	const char *paths[2] = { given, public_real };

	for (int k = 0; k < 2; k++) {
		char p[PATH_MAX];
		char *s;
		if (snprintf(p, sizeof(p), "%s", paths[k]) >= (int)sizeof(p))
			return err_set(err, ERR_IO, "path too long: %s", paths[k]);
		while ((s = strrchr(p, '/'))) {
			if (strcmp(s + 1, "public_html") == 0)
				return resolve(p, out, err);
			*s = '\0';
		}
	}
	return resolve(public_real, out, err);
}

/* Refuses path (a config value) when relative or under the web root. */
static int check_private(const char *what, const char *path, const char *web_root,
			 struct err *err)
{
	char real[PATH_MAX];
	int rc;

	if (path[0] != '/')
		return err_set(err, ERR_INVALID,
			       "%s is '%s': the CGI needs an absolute path (the web server's "
			       "working directory is not yours)", what, path);
	if ((rc = resolve(path, real, err)) < 0)
		return rc;
	if (within(real, web_root))
		return err_set(err, ERR_INVALID,
			       "%s '%s' is under the web root %s: anyone could download it; "
			       "put it outside public_html", what, path, web_root);
	return 0;
}

/* sh single quotes: ' becomes '\''. */
static int sh_quote(struct buf *b, const char *s, struct err *err)
{
	int rc = buf_append(b, "'", 1, err);

	for (; rc == 0 && *s; s++)
		rc = *s == '\'' ? buf_append(b, "'\\''", 4, err) : buf_append(b, s, 1, err);
	return rc < 0 ? rc : buf_append(b, "'", 1, err);
}

static int make_wrapper(char **out, const char *program, const char *config,
			const char *public_dir, struct err *err)
{
	struct buf b;
	static const char head[] =
		"#!/bin/sh\n"
		"# Written by `lfs-cgi install`: running it again upgrades this file.\n"
		"# Apache runs this (as the account owner, through suexec) for each LFS\n"
		"# request; it runs the service with its config and public directory,\n"
		"# which SetEnv could not pass through suexec.  Nothing of the request\n"
		"# goes on the command line.\n"
		"exec ";
	int rc;

	buf_init(&b, 64 * 1024);
	if ((rc = buf_append(&b, head, strlen(head), err)) < 0 ||
	    (rc = sh_quote(&b, program, err)) < 0 ||
	    (rc = buf_append(&b, " --config ", 10, err)) < 0 ||
	    (rc = sh_quote(&b, config, err)) < 0 ||
	    (rc = buf_append(&b, " --public-dir ", 14, err)) < 0 ||
	    (rc = sh_quote(&b, public_dir, err)) < 0 || (rc = buf_append(&b, "\n", 1, err)) < 0) {
		buf_release(&b);
		return rc;
	}
	*out = b.data;
	return 0;
}

/* The manifest's entries ("HASH  REL" lines); a missing manifest is empty. */
static int read_manifest(const char *path, struct manifest_entry *ents, int max, int *n,
			 struct err *err)
{
	char *text = NULL, *line, *save = NULL;

	*n = 0;
	if (util_read_file(path, 64 * 1024, &text, NULL) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set_errno(err, ERR_IO, "cannot read %s", path);
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		if (len < OID_HEX_LEN + 3 || line[OID_HEX_LEN] != ' ' || line[OID_HEX_LEN + 1] != ' ' ||
		    len - OID_HEX_LEN - 2 >= sizeof(ents[0].rel) || *n >= max) {
			free(text);
			return err_set(err, ERR_IO, "%s: not a manifest written by lfs-cgi install",
				       path);
		}
		memcpy(ents[*n].hash, line, OID_HEX_LEN);
		ents[*n].hash[OID_HEX_LEN] = '\0';
		memcpy(ents[*n].rel, line + OID_HEX_LEN + 2, len - OID_HEX_LEN - 1);
		(*n)++;
	}
	free(text);
	return 0;
}

/* Whether writing f would overwrite something that is not ours: prints
 * why and returns true. */
static bool foreign(const char *dir, const struct file *f, const struct manifest_entry *ents,
		    int n, struct err *err)
{
	char path[PATH_MAX], hex[OID_HEX_LEN + 1];
	const char *known = NULL;
	struct stat st;
	int fd;

	if (join(path, dir, f->rel, err) < 0)
		return fprintf(stderr, "lfs-cgi: %s\n", err->msg) > 0;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return false;
		fprintf(stderr, "lfs-cgi: %s: %s\n", path, strerror(errno));
		return true;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "lfs-cgi: %s exists and is not a regular file\n", path);
		return true;
	}
	for (int i = 0; i < n; i++)
		if (strcmp(ents[i].rel, f->rel) == 0)
			known = ents[i].hash;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		fprintf(stderr, "lfs-cgi: cannot read %s: %s\n", path, strerror(errno));
		return true;
	}
	if (sha256_fd(fd, hex, NULL, err) < 0) {
		fprintf(stderr, "lfs-cgi: %s\n", err->msg);
		close(fd);
		return true;
	}
	close(fd);
	if (strcmp(hex, f->hash) == 0 || (known && strcmp(hex, known) == 0))
		return false;
	fprintf(stderr, "lfs-cgi: %s %s\n", path,
		known ? "was changed since lfs-cgi install wrote it"
		      : "exists and was not written by lfs-cgi install");
	return true;
}

static int mkdir_owned(const char *path, mode_t mode, struct err *err)
{
	struct stat st;

	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return err_set_errno(err, ERR_IO, "cannot create %s", path);
	if (stat(path, &st) < 0)
		return err_set_errno(err, ERR_IO, "cannot stat %s", path);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ERR_IO, "%s exists and is not a directory", path);
	return 0;
}

/* mkdir -p, each new level with mode. */
static int mkdir_p(const char *path, mode_t mode, struct err *err)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return err_set(err, ERR_IO, "path too long: %s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return err_set_errno(err, ERR_IO, "cannot create %s", p);
		*s = '/';
	}
	return mkdir_owned(p, mode, err);
}

struct opts {
	const char *public_dir, *url, *config, *web_root, *program;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "config", required_argument, NULL, 'c' },
		{ "web-root", required_argument, NULL, 'w' },
		{ "program", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* GNU getopt permutes: PUBLIC_DIR may come before or after the options. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'u': o->url = optarg; break;
		case 'c': o->config = optarg; break;
		case 'w': o->web_root = optarg; break;
		case 'p': o->program = optarg; break;
		case 'h': fputs(usage, stdout); fputs(help, stdout); return 0;
		case 'V': printf("lfs-cgi %s\n", LFS_VERSION); return 0;
		default: return cli_usage_error("lfs-cgi", usage, "install: unknown option or missing argument");
		}
	}
	for (; optind < argc; optind++) {
		if (o->public_dir)
			return cli_usage_error("lfs-cgi", usage, "install takes one PUBLIC_DIR");
		o->public_dir = argv[optind];
	}
	if (!o->public_dir || !o->url || !o->config)
		return cli_usage_error("lfs-cgi", usage, "install needs PUBLIC_DIR, --url and --config");
	if (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0)
		return cli_usage_error("lfs-cgi", usage, "--url must start with http:// or https://");
	return -1;
}

/* Everything the install needs, resolved and checked. */
struct plan {
	char public_dir[PATH_MAX], web_root[PATH_MAX], config[PATH_MAX], program[PATH_MAX];
	char data[PATH_MAX];
	char *base_url;
	struct file files[2];
};

static int check_config(const struct opts *o, struct plan *p, struct err *err)
{
	struct config cfg;
	char abs_public[PATH_MAX];
	int rc;

	if (realpath(o->config, p->config) == NULL)
		return err_set_errno(err, ERR_IO, "cannot read the config %s", o->config);
	if ((rc = config_init(&cfg, err)) < 0)
		return rc;
	if ((rc = config_load(&cfg, p->config, err)) < 0)
		goto out;
	if (!cfg.users) {
		rc = err_set(err, ERR_INVALID,
			     "%s: auth.users is not set: the CGI mode needs it (there is no "
			     "loopback to trust on a web host)", p->config);
		goto out;
	}
	/* What lfs-cgi links: the local store and SQLite metadata. */
	if (cfg.storage_type && strcmp(cfg.storage_type, "local") != 0) {
		rc = err_set(err, ERR_INVALID, "%s: storage.type '%s': the CGI mode serves local "
			     "storage only", p->config, cfg.storage_type);
		goto out;
	}
	if (cfg.meta_type && strcmp(cfg.meta_type, "sqlite") != 0) {
		rc = err_set(err, ERR_INVALID, "%s: meta.type '%s': the CGI mode keeps its metadata "
			     "in SQLite only", p->config, cfg.meta_type);
		goto out;
	}
	/* PUBLIC_DIR itself: created (one level) if missing. */
	if (o->public_dir[0] == '/')
		snprintf(abs_public, sizeof(abs_public), "%s", o->public_dir);
	else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd))) {
			rc = err_set_errno(err, ERR_IO, "cannot get the working directory");
			goto out;
		}
		if ((rc = join(abs_public, cwd, o->public_dir, err)) < 0)
			goto out;
	}
	if ((rc = resolve(abs_public, p->public_dir, err)) < 0)
		goto out;
	if (o->web_root) {
		if ((rc = resolve(o->web_root, p->web_root, err)) < 0)
			goto out;
		if (!within(p->public_dir, p->web_root)) {
			rc = err_set(err, ERR_INVALID, "PUBLIC_DIR %s is not under the web root %s",
				     p->public_dir, p->web_root);
			goto out;
		}
	} else if ((rc = find_web_root(abs_public, p->public_dir, p->web_root, err)) < 0)
		goto out;
	if ((rc = check_private("server.data", cfg.data, p->web_root, err)) < 0 ||
	    (rc = check_private("auth.users", cfg.users, p->web_root, err)) < 0 ||
	    (cfg.secret_file &&
	     (rc = check_private("auth.secret-file", cfg.secret_file, p->web_root, err)) < 0) ||
	    (rc = check_private("the config file", p->config, p->web_root, err)) < 0)
		goto out;
	if ((rc = resolve(cfg.data, p->data, err)) < 0)
		goto out;
	if (within(p->public_dir, p->data)) {
		rc = err_set(err, ERR_INVALID, "PUBLIC_DIR %s is inside server.data %s",
			     p->public_dir, p->data);
		goto out;
	}
	if (access(cfg.users, R_OK) != 0) {
		rc = err_set_errno(err, ERR_IO, "%s: auth.users %s cannot be read", p->config,
				   cfg.users);
		goto out;
	}
out:
	config_release(&cfg);
	return rc;
}

static int plan_files(const struct opts *o, struct plan *p, struct err *err)
{
	char *wrapper = NULL;
	int rc;
	size_t n;

	if (!realpath(o->program ? o->program : "/proc/self/exe", p->program))
		return err_set_errno(err, ERR_IO, "cannot find the program %s",
				     o->program ? o->program : "(this one)");
	if (access(p->program, X_OK) != 0)
		return err_set_errno(err, ERR_IO, "%s is not executable", p->program);
	if (within(p->program, p->web_root))
		fprintf(stderr, "lfs-cgi: warning: %s is under the web root: anyone can download "
			"it (harmless, but keep it beside your data instead)\n", p->program);
	if ((rc = make_wrapper(&wrapper, p->program, p->config, p->public_dir, err)) < 0)
		return rc;
	p->files[0] = (struct file){ ".htaccess", 0644, strdup(htaccess), "" };
	p->files[1] = (struct file){ CGI_INSTALL_SCRIPT, 0755, wrapper, "" };
	if (!p->files[0].text)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (int i = 0; i < 2; i++)
		if ((rc = hash_text(p->files[i].text, strlen(p->files[i].text), p->files[i].hash,
				    err)) < 0)
			return rc;
	p->base_url = strdup(o->url);
	if (!p->base_url)
		return err_set(err, ERR_NOMEM, "out of memory");
	n = strlen(p->base_url);
	while (n > 0 && p->base_url[n - 1] == '/')
		p->base_url[--n] = '\0';
	return 0;
}

static int write_all(struct plan *p, struct err *err)
{
	char path[PATH_MAX];
	struct buf man;
	struct cgi_site site = { p->public_dir, p->base_url };
	struct stat st;
	int rc;

	/* The data dir: the CGI refuses to run unless it owns it. */
	if ((rc = mkdir_p(p->data, 0700, err)) < 0)
		return rc;
	if (stat(p->data, &st) < 0)
		return err_set_errno(err, ERR_IO, "cannot stat %s", p->data);
	if (st.st_uid != geteuid())
		return err_set(err, ERR_DENIED,
			       "server.data %s belongs to uid %u, not to you (uid %u): the CGI "
			       "runs as you (suexec) and must own it", p->data,
			       (unsigned)st.st_uid, (unsigned)geteuid());
	if ((rc = mkdir_owned(p->public_dir, 0755, err)) < 0)
		return rc;
	if ((rc = join(path, p->public_dir, "objects", err)) < 0 ||
	    (rc = mkdir_owned(path, 0755, err)) < 0)
		return rc;
	buf_init(&man, 64 * 1024);
	for (int i = 0; i < 2; i++) {
		if ((rc = join(path, p->public_dir, p->files[i].rel, err)) < 0 ||
		    (rc = cgi_site_replace_file(path, p->files[i].text, strlen(p->files[i].text),
						p->files[i].mode, err)) < 0 ||
		    (rc = buf_appendf(&man, err, "%s  %s\n", p->files[i].hash, p->files[i].rel)) < 0)
			break;
	}
	if (rc == 0 && (rc = join(path, p->public_dir, CGI_INSTALL_MANIFEST, err)) == 0)
		rc = cgi_site_replace_file(path, man.data, man.len, 0644, err);
	buf_release(&man);
	if (rc == 0)
		rc = cgi_site_write(p->data, &site, err);
	return rc;
}

int cgi_install_main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct plan p;
	struct manifest_entry ents[16];
	char path[PATH_MAX];
	struct err err = ERR_INIT;
	struct stat st;
	int rc, n = 0;
	bool refused = false;

	if ((rc = parse(argc, argv, &o)) >= 0)
		return rc;
	memset(&p, 0, sizeof(p));
	if (check_config(&o, &p, &err) < 0 || plan_files(&o, &p, &err) < 0) {
		rc = fail(&err);
		goto out;
	}
	if (join(path, p.public_dir, CGI_INSTALL_MANIFEST, &err) < 0 ||
	    read_manifest(path, ents, 16, &n, &err) < 0) {
		rc = fail(&err);
		goto out;
	}
	for (int i = 0; i < 2; i++)
		refused |= foreign(p.public_dir, &p.files[i], ents, n, &err);
	if (join(path, p.public_dir, "objects", &err) == 0 && lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "lfs-cgi: %s exists and is not a directory\n", path);
		refused = true;
	}
	if (refused) {
		fprintf(stderr, "lfs-cgi: nothing changed: move those files away (or install "
			"into another directory) and run the install again\n");
		rc = 1;
		goto out;
	}
	if (write_all(&p, &err) < 0) {
		rc = fail(&err);
		goto out;
	}
	printf("installed in %s\n"
	       "  the service:     %s/%s (runs %s --config %s --public-dir %s)\n"
	       "  public objects:  %s/objects/\n"
	       "set in each repository's .lfsconfig (or git config):\n"
	       "  lfs.url = %s/%s/<repo>.git/info/lfs\n",
	       p.public_dir, p.base_url, CGI_INSTALL_SCRIPT, p.program, p.config, p.public_dir,
	       p.base_url,
	       p.base_url, CGI_INSTALL_SCRIPT);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	for (int i = 0; i < 2; i++)
		free(p.files[i].text);
	free(p.base_url);
	return rc;
}
