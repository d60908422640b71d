/* config: defaults, git-config file (libgit2) and validation (see config.h).
 *
 * libgit2 parses the file and gives every value; it gives no line numbers
 * outside syntax errors.  locate() below is a small scanner of the same
 * text that only records where each section header and key is, so that
 * every error can name its line.  It is a locator, not a parser: values
 * always come from libgit2. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <git2.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/acl.h"
#include "core/listen.h"

enum kind {
	K_STR,    /* any string */
	K_LIST,   /* whitespace-separated user names, `*` = everyone */
	K_BOOL,   /* git's booleans */
	K_NUM,    /* integer with git's k/m/g suffixes, in [min, max] */
	K_INT,    /* plain integer, in [min, max] */
	K_LISTEN, /* HOST:PORT */
	K_URL,    /* http:// or https:// */
	K_CHOICE, /* one of `choices`; `unbuilt` ones are refused as such */
};

#define NOFIELD ((size_t)-1)
#define F(f) offsetof(struct config, f)
#define DAY 86400LL

/* Every key the server knows, one line each.  "section.*.name" is a key of
 * any [section "SUB"].  field: where the value goes in struct config, or
 * NOFIELD for keys read elsewhere (acl.c, core/mirrors.c) or not used by this
 * build (docs/configuration.md says which).  To add a key: add a line here
 * and a row in docs/configuration.md. */
static const struct key {
	const char *name;
	enum kind kind;
	size_t field;
	long long min, max;
	const char *choices, *unbuilt; /* K_CHOICE: '|'-separated values */
} keys[] = {
	{ "server.listen", K_LISTEN, F(listen), 0, 0, NULL, NULL },
	{ "server.data", K_STR, F(data), 0, 0, NULL, NULL },
	{ "server.public-url", K_URL, F(public_url), 0, 0, NULL, NULL },
	{ "server.behind-proxy", K_BOOL, F(behind_proxy), 0, 0, NULL, NULL },
	{ "server.tls-cert", K_STR, F(tls_cert), 0, 0, NULL, NULL },
	{ "server.tls-key", K_STR, F(tls_key), 0, 0, NULL, NULL },
	{ "server.request-timeout", K_NUM, F(request_timeout), 1, DAY, NULL, NULL },
	{ "server.idle-timeout", K_NUM, F(idle_timeout), 1, DAY, NULL, NULL },
	{ "server.shutdown-grace", K_NUM, F(shutdown_grace), 0, DAY, NULL, NULL },
	{ "server.max-batch-objects", K_NUM, F(max_batch_objects), 1, 1000000, NULL, NULL },
	{ "server.max-json-bytes", K_NUM, F(max_json_bytes), 1024, 1LL << 30, NULL, NULL },
	{ "server.max-object-size", K_NUM, F(max_object_size), 0, 1LL << 50, NULL, NULL },
	{ "server.access-log", K_STR, F(access_log), 0, 0, NULL, NULL },
	{ "auth.users", K_STR, F(users), 0, 0, NULL, NULL },
	{ "auth.secret-file", K_STR, F(secret_file), 0, 0, NULL, NULL },
	{ "auth.token-ttl", K_NUM, F(token_ttl), 60, 7 * DAY, NULL, NULL },
	{ "auth.lockout-failures", K_NUM, F(lockout_failures), 1, 1000000, NULL, NULL },
	{ "auth.lockout-window", K_NUM, F(lockout_window), 1, DAY, NULL, NULL },
	{ "auth.lockout-time", K_NUM, F(lockout_time), 1, DAY, NULL, NULL },
	{ "locks.anonymous-owner", K_STR, F(anonymous_owner), 0, 0, NULL, NULL },
	{ "repo.*.read", K_LIST, NOFIELD, 0, 0, NULL, NULL },
	{ "repo.*.write", K_LIST, NOFIELD, 0, 0, NULL, NULL },
	{ "repo.*.admin", K_LIST, NOFIELD, 0, 0, NULL, NULL },
	{ "repo.*.mirror", K_BOOL, NOFIELD, 0, 0, NULL, NULL },
	{ "mirror.check-interval", K_NUM, F(mirror_check_interval), 1, DAY, NULL, NULL },
	{ "mirror.verify-rate", K_NUM, F(mirror_verify_rate), 0, 1LL << 40, NULL, NULL },
	{ "mirror.recheck-interval", K_NUM, F(mirror_recheck_interval), 60, 366 * DAY, NULL, NULL },
	{ "mirror.*.url", K_URL, NOFIELD, 0, 0, NULL, NULL },
	{ "mirror.*.weight", K_INT, NOFIELD, 0, 1000000, NULL, NULL },
	{ "journal.readers", K_LIST, F(journal_readers), 0, 0, NULL, NULL },
	{ "storage.type", K_CHOICE, F(storage_type), 0, 0, "local", "s3" },
	{ "s3.endpoint", K_URL, NOFIELD, 0, 0, NULL, NULL },
	{ "s3.bucket", K_STR, NOFIELD, 0, 0, NULL, NULL },
	{ "s3.region", K_STR, NOFIELD, 0, 0, NULL, NULL },
	{ "s3.prefix", K_STR, NOFIELD, 0, 0, NULL, NULL },
	{ "s3.path-style", K_BOOL, NOFIELD, 0, 0, NULL, NULL },
	{ "s3.access-key-id", K_STR, NOFIELD, 0, 0, NULL, NULL },
	{ "s3.secret-key-file", K_STR, NOFIELD, 0, 0, NULL, NULL },
	{ "s3.public-url", K_URL, NOFIELD, 0, 0, NULL, NULL },
	{ "s3.presign-ttl", K_NUM, NOFIELD, 1, 7 * DAY, NULL, NULL },
	{ "meta.type", K_CHOICE, F(meta_type), 0, 0, "sqlite|postgresql", NULL },
	{ "meta.url", K_STR, F(meta_url), 0, 0, NULL, NULL },
	{ "metrics.readers", K_LIST, F(metrics_readers), 0, 0, NULL, NULL },
};
#define NKEYS (sizeof(keys) / sizeof(*keys))

/* One section header or key of the file, in file order. */
struct loc {
	char *key;   /* "section.name" / "section.sub.name"; headers: "section" / "section.sub" */
	char *sub;   /* headers only: the subsection, NULL if none */
	int line;
	bool header;
};

struct config_locs {
	struct loc *v;
	size_t n, cursor;
};

int config_set_str(char **slot, const char *value, struct err *err)
{
	char *copy = NULL;

	if (value && !(copy = strdup(value)))
		return err_set(err, ERR_NOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

int config_init(struct config *cfg, struct err *err)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->request_timeout = 30;
	cfg->idle_timeout = 60;
	cfg->shutdown_grace = 10;
	cfg->max_batch_objects = 1000;
	cfg->max_json_bytes = 1 << 20;
	cfg->max_object_size = 0;
	cfg->token_ttl = 3600;
	cfg->lockout_failures = 10;
	cfg->lockout_window = 60;
	cfg->lockout_time = 300;
	cfg->mirror_check_interval = 30;
	/* 1 MiB/s: a 150 MB toolchain release is checked on a mirror in under
	 * three minutes, while a university web server barely notices. */
	cfg->mirror_verify_rate = 1024 * 1024;
	/* A week: rot or tampering on a static host is caught within days,
	 * and a 10 GB store costs a mirror 10 GB of reads a week. */
	cfg->mirror_recheck_interval = 7 * DAY;
	if (config_set_str(&cfg->listen, "127.0.0.1:8080", err) < 0 ||
	    config_set_str(&cfg->data, "./lfs-data", err) < 0 ||
	    config_set_str(&cfg->anonymous_owner, "anonymous", err) < 0)
		return ERR_NOMEM;
	return 0;
}

static void locs_free(struct config_locs *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].sub);
	}
	free(l->v);
	free(l);
}

static int locs_add(struct config_locs *l, bool header, int line, const char *sect, const char *sub,
		    const char *name)
{
	struct loc *grown = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	struct loc *e;
	size_t n = strlen(sect) + (sub ? strlen(sub) + 1 : 0) + (name ? strlen(name) + 1 : 0) + 1;

	if (!grown)
		return -1;
	l->v = grown;
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	if (!(e->key = malloc(n)) || (header && sub && !(e->sub = strdup(sub)))) {
		free(e->key);
		return -1;
	}
	snprintf(e->key, n, "%s%s%s%s%s", sect, sub ? "." : "", sub ? sub : "", name ? "." : "",
		 name ? name : "");
	e->line = line;
	e->header = header;
	l->n++;
	return 0;
}

/* Does the value starting at p continue on the next line (a trailing
 * backslash outside a comment)? */
static bool value_continues(const char *p)
{
	bool quoted = false;

	for (; *p && *p != '\n'; p++) {
		if (*p == '\\') {
			if (p[1] == '\n' || p[1] == '\0' || (p[1] == '\r' && p[2] == '\n'))
				return true;
			p++;
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && (*p == '#' || *p == ';')) {
			return false;
		}
	}
	return false;
}

/* Records every section header and key of text, normalised as libgit2
 * names them (section and key lower case, subsection as written). */
static int locate(struct config_locs *l, const char *text)
{
	char sect[128] = "", sub[1024];
	bool has_sub = false, cont = false;
	int line = 0;

	for (const char *p = text; *p; ) {
		const char *eol = strchr(p, '\n');
		const char *next = eol ? eol + 1 : p + strlen(p);
		line++;
		if (cont) {
			cont = value_continues(p);
			p = next;
			continue;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			size_t n = 0, m = 0;
			for (p++; (isalnum((unsigned char)*p) || *p == '-' || *p == '.') && n < sizeof(sect) - 1; p++)
				sect[n++] = (char)tolower((unsigned char)*p);
			sect[n] = '\0';
			has_sub = false;
			if (strchr(sect, '.')) { /* legacy [section.sub] */
				char *dot = strchr(sect, '.');
				snprintf(sub, sizeof(sub), "%s", dot + 1);
				*dot = '\0';
				has_sub = true;
			}
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '"') {
				for (p++; *p && *p != '"' && *p != '\n' && m < sizeof(sub) - 1; p++) {
					if (*p == '\\' && p[1] && p[1] != '\n')
						p++;
					sub[m++] = *p;
				}
				sub[m] = '\0';
				has_sub = true;
				if (*p == '"')
					p++;
			}
			if (locs_add(l, true, line, sect, has_sub ? sub : NULL, NULL) < 0)
				return -1;
			p = strchr(p, ']');
			if (!p || p > next)
				p = next;
			else
				p++;
			while (*p == ' ' || *p == '\t')
				p++;
		}
		if (isalpha((unsigned char)*p)) {
			char name[128];
			size_t n = 0;
			for (; (isalnum((unsigned char)*p) || *p == '-') && n < sizeof(name) - 1; p++)
				name[n++] = (char)tolower((unsigned char)*p);
			name[n] = '\0';
			if (locs_add(l, false, line, sect, has_sub ? sub : NULL, name) < 0)
				return -1;
			cont = value_continues(p);
		}
		p = next;
	}
	return 0;
}

/* The line of key: the next occurrence at or after the cursor (entries
 * come from libgit2 in file order), else any occurrence; 0 if none. */
static int line_of(struct config_locs *l, const char *key)
{
	if (!l)
		return 0;
	for (size_t i = l->cursor; i < l->n; i++)
		if (!l->v[i].header && strcmp(l->v[i].key, key) == 0) {
			l->cursor = i + 1;
			return l->v[i].line;
		}
	for (size_t i = l->n; i-- > 0; )
		if (!l->v[i].header && strcmp(l->v[i].key, key) == 0)
			return l->v[i].line;
	return 0;
}

/* Optimal string alignment distance (a swap of two letters counts 1). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[64][64];

	if (la >= 64 || lb >= 64)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* Splits "section.sub.name" into its parts (sub empty if none). */
static void split_key(const char *key, char *sect, size_t ssz, const char **sub, size_t *sublen,
		      const char **name)
{
	const char *dot1 = strchr(key, '.'), *dotn = strrchr(key, '.');

	snprintf(sect, ssz, "%.*s", dot1 ? (int)(dot1 - key) : (int)strlen(key), key);
	*sub = dot1 && dotn > dot1 ? dot1 + 1 : "";
	*sublen = dot1 && dotn > dot1 ? (size_t)(dotn - dot1 - 1) : 0;
	*name = dotn ? dotn + 1 : key;
}

/* The table row for a libgit2 entry name, or NULL. */
static const struct key *known(const char *key)
{
	char sect[128];
	const char *sub, *name;
	size_t sublen;
	bool has_sub = strchr(key, '.') != strrchr(key, '.');

	split_key(key, sect, sizeof(sect), &sub, &sublen, &name);
	for (size_t i = 0; i < NKEYS; i++) {
		char ks[128];
		const char *ksub, *kname;
		size_t kslen;
		split_key(keys[i].name, ks, sizeof(ks), &ksub, &kslen, &kname);
		if (strcmp(ks, sect) == 0 && strcmp(kname, name) == 0 && (kslen > 0) == has_sub)
			return &keys[i];
	}
	return NULL;
}

/* "; did you mean 'X'?" for the known key nearest to key, or "". */
static void suggest(char *out, size_t outsz, const char *key)
{
	char sect[128], best[1200] = "";
	const char *sub, *name;
	size_t sublen, bestd;

	split_key(key, sect, sizeof(sect), &sub, &sublen, &name);
	/* Two edits make "bad" look like "read": short names get one. */
	bestd = strlen(name) <= 4 ? 2 : 3;
	out[0] = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		char cand[1200];
		const char *star = strstr(keys[i].name, ".*.");
		size_t d;
		if (star && strchr(key, '.') != strrchr(key, '.'))
			snprintf(cand, sizeof(cand), "%.*s.%.*s%s", (int)(star - keys[i].name), keys[i].name,
				 (int)sublen, sub, star + 2);
		else
			snprintf(cand, sizeof(cand), "%s", keys[i].name);
		if ((d = distance(key, cand)) < bestd) {
			bestd = d;
			snprintf(best, sizeof(best), "%s", cand);
		}
	}
	if (best[0])
		snprintf(out, outsz, " (did you mean '%s'?)", best);
}

static int fail_at(const struct config *cfg, int line, struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(const struct config *cfg, int line, struct err *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return err_set(err, ERR_INVALID, "%s:%d: %s", cfg->path, line, msg);
	return err_set(err, ERR_INVALID, "%s: %s", cfg->path, msg);
}

int config_check_listen(const char *spec, struct err *err)
{
	char host[256], port[16];
	long v;

	if (listen_split(spec, host, sizeof(host), port, sizeof(port), err) < 0)
		return ERR_INVALID;
	errno = 0;
	v = strtol(port, NULL, 10);
	if (errno || v > 65535 || strlen(port) > 5)
		return err_set(err, ERR_INVALID, "bad listen address '%s': port %s is outside 1-65535 (0 = any free port)",
			       spec, port);
	return 0;
}

static bool in_list(const char *list, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = list; p && *p; ) {
		size_t m = strcspn(p, "|");
		if (m == n && strncmp(p, v, n) == 0)
			return true;
		p += m + (p[m] == '|');
	}
	return false;
}

/* Checks one value against its kind; *why gets the reason. */
static bool value_ok(const struct key *k, const char *v, char *why, size_t whysz, int64_t *num, int *b)
{
	struct err e = ERR_INIT;
	char *end;

	if (!v && k->kind != K_BOOL) {
		snprintf(why, whysz, "needs a value ('key = value')");
		return false;
	}
	switch (k->kind) {
	case K_STR:
	case K_LIST:
		return true;
	case K_BOOL:
		if (git_config_parse_bool(b, v) == 0)
			return true;
		snprintf(why, whysz, "'%.100s' is not a boolean (want true or false)", v);
		return false;
	case K_NUM:
		if (git_config_parse_int64(num, v) < 0) {
			snprintf(why, whysz, "'%.100s' is not a number (a whole number, optionally with k, m or g)", v);
			return false;
		}
		break;
	case K_INT:
		errno = 0;
		*num = strtoll(v, &end, 10);
		if (errno || end == v || *end) {
			snprintf(why, whysz, "'%.100s' is not a whole number", v);
			return false;
		}
		break;
	case K_LISTEN:
		if (config_check_listen(v, &e) == 0)
			return true;
		snprintf(why, whysz, "%s", e.msg);
		return false;
	case K_URL:
		if (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0)
			return true;
		snprintf(why, whysz, "'%.100s' must start with http:// or https://", v);
		return false;
	case K_CHOICE:
		if (in_list(k->choices, v))
			return true;
		if (in_list(k->unbuilt, v))
			snprintf(why, whysz, "'%.100s' is not supported by this build (only %s)", v, k->choices);
		else
			snprintf(why, whysz, "'%.100s' is not one of %s%s%s", v, k->choices,
				 k->unbuilt ? "|" : "", k->unbuilt ? k->unbuilt : "");
		return false;
	}
	if (*num < k->min || *num > k->max) {
		snprintf(why, whysz, "%lld is outside %lld..%lld", (long long)*num, k->min, k->max);
		return false;
	}
	return true;
}

struct load_ctx {
	struct config *cfg;
	struct err *err;
	int rc;
};

static int check_entry(const git_config_entry *e, void *payload)
{
	struct load_ctx *c = payload;
	struct config *cfg = c->cfg;
	const struct key *k = known(e->name);
	int line = line_of(cfg->locs, e->name), b = 0;
	int64_t num = 0;
	char why[300], hint[1300];

	if (!k) {
		suggest(hint, sizeof(hint), e->name);
		c->rc = fail_at(cfg, line, c->err, "unknown key '%s'%s", e->name, hint);
		return -1;
	}
	if (!value_ok(k, e->value, why, sizeof(why), &num, &b)) {
		c->rc = fail_at(cfg, line, c->err, "bad value for '%s': %s", e->name, why);
		return -1;
	}
	if (strncmp(k->name, "mirror.*.", 9) == 0) {
		/* A mirror without a url: named here, where the line is known. */
		git_config_entry *u = NULL;
		char url[1200];
		snprintf(url, sizeof(url), "%.*s.url", (int)(strrchr(e->name, '.') - e->name), e->name);
		if (git_config_get_entry(&u, cfg->git, url) < 0) {
			c->rc = fail_at(cfg, line, c->err, "'%s' set but '%s' missing: a mirror needs a url", e->name, url);
			return -1;
		}
		git_config_entry_free(u);
	}
	if (k->field == NOFIELD)
		return 0;
	switch (k->kind) {
	case K_BOOL:
		*(bool *)((char *)cfg + k->field) = b != 0;
		break;
	case K_NUM:
	case K_INT:
		*(long long *)((char *)cfg + k->field) = num;
		break;
	default:
		if (config_set_str((char **)((char *)cfg + k->field), e->value, c->err) < 0) {
			c->rc = ERR_NOMEM;
			return -1;
		}
	}
	return 0;
}

/* Section headers nobody reads (`[sever]`, an empty `[include]`) have no
 * keys for check_entry to refuse: they are refused here. */
static int check_headers(const struct config *cfg, struct err *err)
{
	for (size_t i = 0; i < cfg->locs->n; i++) {
		const struct loc *h = &cfg->locs->v[i];
		char sect[128], best[128] = "", hint[200] = "";
		size_t bestd = 3, n = strcspn(h->key, ".");
		bool found = false, sub_ok = false, plain_ok = false;

		if (!h->header)
			continue;
		snprintf(sect, sizeof(sect), "%.*s", (int)n, h->key);
		for (size_t k = 0; k < NKEYS; k++) {
			size_t kn = strcspn(keys[k].name, "."), d;
			char ks[128];
			snprintf(ks, sizeof(ks), "%.*s", (int)kn, keys[k].name);
			if (strcmp(ks, sect) == 0) {
				found = true;
				if (strstr(keys[k].name, ".*."))
					sub_ok = true;
				else
					plain_ok = true;
			} else if ((d = distance(sect, ks)) < bestd) {
				bestd = d;
				snprintf(best, sizeof(best), "%s", ks);
			}
		}
		if (found && (h->sub ? sub_ok : plain_ok))
			continue;
		if (found)
			return h->sub ? fail_at(cfg, h->line, err, "[%s \"%s\"]: [%s] takes no name", sect, h->sub, sect)
				      : fail_at(cfg, h->line, err, "[%s] needs a name: [%s \"NAME\"]", sect, sect);
		if (best[0])
			snprintf(hint, sizeof(hint), " (did you mean [%s]?)", best);
		return fail_at(cfg, h->line, err, "unknown section [%s]%s", sect, hint);
	}
	return 0;
}

/* acl.c's errors name the key; this names its line. */
static void acl_where(char *buf, size_t bufsz, const char *key, void *arg)
{
	const struct config *cfg = arg;
	int line = 0;

	for (size_t i = cfg->locs->n; i-- > 0; )
		if (!cfg->locs->v[i].header && strcmp(cfg->locs->v[i].key, key) == 0) {
			line = cfg->locs->v[i].line;
			break;
		}
	if (line > 0)
		snprintf(buf, bufsz, "%s:%d: ", cfg->path, line);
	else
		snprintf(buf, bufsz, "%s: ", cfg->path);
}

static int read_text(char **out, const char *path, struct err *err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return err_set_errno(err, ERR_IO, "cannot read config '%s'", path);
	do {
		if (len + 4096 + 1 > cap) {
			char *grown = realloc(buf, cap = cap * 2 + 8192);
			if (!grown) {
				free(buf);
				fclose(f);
				return err_set(err, ERR_NOMEM, "out of memory");
			}
			buf = grown;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return err_set_errno(err, ERR_IO, "cannot read config '%s'", path);
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int config_load(struct config *cfg, const char *path, struct err *err)
{
	struct load_ctx c = { .cfg = cfg, .err = err, .rc = 0 };
	struct acl *acl = NULL;
	git_config *g = NULL;
	char *text = NULL;
	int rc;

	/* libgit2 opens a missing file as an empty config: read it first. */
	if ((rc = read_text(&text, path, err)) < 0)
		return rc;
	if (config_set_str(&cfg->path, path, err) < 0 || !(cfg->locs = calloc(1, sizeof(*cfg->locs))) ||
	    locate(cfg->locs, text) < 0) {
		free(text);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	free(text);
	git_libgit2_init();
	if (git_config_new(&g) < 0 ||
	    git_config_add_file_ondisk(g, path, GIT_CONFIG_LEVEL_APP, NULL, 0) < 0) {
		const git_error *e = git_error_last();
		git_config_free(g);
		return err_set(err, ERR_INVALID, "%s", e ? e->message : "cannot parse config");
	}
	/* A snapshot: a git_config backed by a file re-reads it when it
	 * changes, and what the server runs with must stay what it checked
	 * (a reload compares the file with it). */
	if (git_config_snapshot(&cfg->git, g) < 0) {
		const git_error *e = git_error_last();
		git_config_free(g);
		return err_set(err, ERR_INVALID, "%s", e ? e->message : "cannot parse config");
	}
	git_config_free(g);
	g = cfg->git;
	if ((rc = check_headers(cfg, err)) < 0)
		return rc;
	if (git_config_foreach(g, check_entry, &c) < 0)
		return c.rc ? c.rc : err_set(err, ERR_INVALID, "%s: cannot read the config", path);
	/* The repo rules are checked here too, so every binary that reads the
	 * config (and --check-config) refuses what the server would. */
	if ((rc = acl_load_located(&acl, g, acl_where, cfg, err)) < 0)
		return rc;
	acl_free(acl);
	if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL))
		return fail_at(cfg, 0, err, "server.tls-cert and server.tls-key go together");
	if (cfg->public_url) {
		size_t n = strlen(cfg->public_url);
		while (n > 0 && cfg->public_url[n - 1] == '/')
			cfg->public_url[--n] = '\0';
	}
	return 0;
}

int config_section_line(const struct config *cfg, const char *section, const char *sub)
{
	for (size_t i = 0; cfg->locs && i < cfg->locs->n; i++) {
		const struct loc *h = &cfg->locs->v[i];
		size_t n = strcspn(h->key, ".");
		if (h->header && strlen(section) == n && strncmp(h->key, section, n) == 0 &&
		    (sub ? h->sub && strcmp(h->sub, sub) == 0 : !h->sub))
			return h->line;
	}
	return 0;
}

void config_release(struct config *cfg)
{
	free(cfg->path);
	free(cfg->listen);
	free(cfg->data);
	free(cfg->public_url);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->users);
	free(cfg->secret_file);
	free(cfg->anonymous_owner);
	free(cfg->journal_readers);
	free(cfg->metrics_readers);
	free(cfg->access_log);
	free(cfg->storage_type);
	free(cfg->meta_type);
	free(cfg->meta_url);
	git_config_free(cfg->git);
	locs_free(cfg->locs);
	memset(cfg, 0, sizeof(*cfg));
}

/* --- what a reload cannot apply ------------------------------------------ */

struct entries {
	char **v;
	size_t n;
	bool oom;
};

static int collect_entry(const git_config_entry *e, void *payload)
{
	struct entries *l = payload;
	char **grown;
	size_t len;

	/* What a reload applies: the repo rules and the users file. */
	if (strncmp(e->name, "repo.", 5) == 0 || strcmp(e->name, "auth.users") == 0)
		return 0;
	if (!(grown = realloc(l->v, (l->n + 1) * sizeof(*l->v)))) {
		l->oom = true;
		return -1;
	}
	l->v = grown;
	len = strlen(e->name) + (e->value ? strlen(e->value) : 0) + 2;
	if (!(l->v[l->n] = malloc(len))) {
		l->oom = true;
		return -1;
	}
	/* '\n' cannot be part of a name, so "name\nvalue" sorts by name. */
	snprintf(l->v[l->n++], len, "%s\n%s", e->name, e->value ? e->value : "");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_name(char *out, size_t outsz, const char *entry)
{
	size_t n = strcspn(entry, "\n"), used = strlen(out);

	/* Each key once, however many of its values changed. */
	for (const char *p = out; *p; p += strspn(p, ", ")) {
		size_t k = strcspn(p, ",");
		if (k == n && strncmp(p, entry, n) == 0)
			return;
		p += k;
	}
	if (used + n + 3 >= outsz)
		return;
	snprintf(out + used, outsz - used, "%s%.*s", used ? ", " : "", (int)n, entry);
}

int config_changed_keys(const struct config *old, const struct config *fresh, char *out,
			size_t outsz, struct err *err)
{
	struct entries a = { 0 }, b = { 0 };
	size_t i = 0, j = 0;
	int rc = 0;

	out[0] = '\0';
	if ((old->git && git_config_foreach(old->git, collect_entry, &a) < 0) ||
	    (fresh->git && git_config_foreach(fresh->git, collect_entry, &b) < 0)) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (a.n)
		qsort(a.v, a.n, sizeof(*a.v), cmp_str);
	if (b.n)
		qsort(b.v, b.n, sizeof(*b.v), cmp_str);
	while (i < a.n || j < b.n) {
		int c = i == a.n ? 1 : j == b.n ? -1 : strcmp(a.v[i], b.v[j]);
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			add_name(out, outsz, a.v[i++]);
		} else {
			add_name(out, outsz, b.v[j++]);
		}
	}
	/* Turning authentication on or off is a restart (the loopback check
	 * runs at start); another users file is a reload. */
	if ((old->users != NULL) != (fresh->users != NULL))
		add_name(out, outsz, "auth.users");
out:
	for (i = 0; i < a.n; i++)
		free(a.v[i]);
	for (j = 0; j < b.n; j++)
		free(b.v[j]);
	free(a.v);
	free(b.v);
	return rc;
}
