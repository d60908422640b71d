/* acl: repository rights from repo.PATTERN.* config keys (see acl.h). */
#include "core/acl.h"

#include <fnmatch.h>
#include <git2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct section {
	char *pattern;
	char *lists[3];     /* read, write, admin: values joined with ' ' */
	bool mirror;
	bool exact;         /* no wildcard at all */
	size_t literals;    /* characters outside *, ? and [...] */
	size_t order;       /* index of the section's last key in the file */
};

struct acl {
	/* Readers hold it for the whole of one answer, acl_replace writes:
	 * a reload never frees sections a request is looking at. */
	pthread_rwlock_t lock;
	struct section *s;
	size_t n;
	size_t seen;        /* entries visited, for `order` */
	acl_where_fn *where;
	void *where_arg;
	struct err *err;
	int rc;
};

static const char *const list_names[3] = { "read", "write", "admin" };

static void sections_free(struct section *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].pattern);
		for (int k = 0; k < 3; k++)
			free(s[i].lists[k]);
	}
	free(s);
}

void acl_free(struct acl *a)
{
	if (!a)
		return;
	sections_free(a->s, a->n);
	pthread_rwlock_destroy(&a->lock);
	free(a);
}

void acl_replace(struct acl *dst, struct acl *src)
{
	struct section *old;
	size_t n;

	pthread_rwlock_wrlock(&dst->lock);
	old = dst->s;
	n = dst->n;
	dst->s = src->s;
	dst->n = src->n;
	pthread_rwlock_unlock(&dst->lock);
	src->s = old;
	src->n = n;
	acl_free(src);
}

/* Readers take a const acl; the lock is the one part they change. */
static const struct acl *rd_lock(const struct acl *a)
{
	if (a)
		pthread_rwlock_rdlock((pthread_rwlock_t *)&a->lock);
	return a;
}

static void rd_unlock(const struct acl *a)
{
	if (a)
		pthread_rwlock_unlock((pthread_rwlock_t *)&a->lock);
}

/* Counts the literal characters of an fnmatch pattern; *exact tells
 * whether it has no wildcard at all.  A '[' without its ']' is literal,
 * as fnmatch takes it. */
static size_t count_literals(const char *p, bool *exact)
{
	size_t n = 0;

	*exact = true;
	while (*p) {
		if (*p == '*' || *p == '?') {
			*exact = false;
			p++;
		} else if (*p == '[') {
			const char *q = p + 1;
			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			q = strchr(q, ']');
			if (!q) {
				n++;
				p++;
			} else {
				*exact = false;
				p = q + 1;
			}
		} else {
			if (*p == '\\' && p[1])
				p++;
			n++;
			p++;
		}
	}
	return n;
}

static int fail(struct acl *a, const char *key, int code, const char *msg)
{
	char where[512] = "";

	if (a->where && key)
		a->where(where, sizeof(where), key, a->where_arg);
	a->rc = err_set(a->err, code, "%s%s: %s", where, key, msg);
	return -1;
}

static struct section *find_or_add(struct acl *a, const char *pattern, size_t len)
{
	struct section *grown;

	for (size_t i = 0; i < a->n; i++)
		if (strlen(a->s[i].pattern) == len && memcmp(a->s[i].pattern, pattern, len) == 0)
			return &a->s[i];
	grown = realloc(a->s, (a->n + 1) * sizeof(*a->s));
	if (!grown)
		return NULL;
	a->s = grown;
	memset(&a->s[a->n], 0, sizeof(*a->s));
	if (!(a->s[a->n].pattern = strndup(pattern, len)))
		return NULL;
	a->s[a->n].literals = count_literals(a->s[a->n].pattern, &a->s[a->n].exact);
	return &a->s[a->n++];
}

static int append(char **list, const char *value)
{
	size_t old = *list ? strlen(*list) : 0, add = strlen(value);
	char *grown = realloc(*list, old + add + 2);

	if (!grown)
		return -1;
	if (old)
		grown[old++] = ' ';
	memcpy(grown + old, value, add + 1);
	*list = grown;
	return 0;
}

static int add_entry(const git_config_entry *e, void *payload)
{
	struct acl *a = payload;
	const char *name = e->name + 5, *dot = strrchr(e->name, '.');
	struct section *s;
	int k, b;

	a->seen++;
	/* Filtered here, not with git_config_foreach_match: libgit2 1.5's regex
	 * path leaks its pcre2 match data on every call. */
	if (strncmp(e->name, "repo.", 5) != 0)
		return 0;
	if (dot < name)
		return fail(a, e->name, ERR_INVALID, "repo keys belong in a [repo \"PATTERN\"] section");
	for (k = 0; k < 3 && strcmp(dot + 1, list_names[k]) != 0; k++)
		;
	if (k == 3 && strcmp(dot + 1, "mirror") != 0)
		return fail(a, e->name, ERR_INVALID, "unknown key (want read, write, admin or mirror)");
	if (!(s = find_or_add(a, name, (size_t)(dot - name)))) {
		a->rc = err_set(a->err, ERR_NOMEM, "out of memory");
		return -1;
	}
	s->order = a->seen;
	if (strlen(s->pattern) >= 4 && strcmp(s->pattern + strlen(s->pattern) - 4, ".git") == 0)
		return fail(a, e->name, ERR_INVALID,
			    "a repo pattern never ends in .git (repo names are canonical, without it)");
	if (k < 3) {
		if (append(&s->lists[k], e->value ? e->value : "") < 0) {
			a->rc = err_set(a->err, ERR_NOMEM, "out of memory");
			return -1;
		}
		return 0;
	}
	if (git_config_parse_bool(&b, e->value) < 0)
		return fail(a, e->name, ERR_INVALID, "bad value: want true or false");
	s->mirror = b != 0;
	return 0;
}

int acl_load_located(struct acl **out, struct git_config *cfg, acl_where_fn *where, void *arg,
		     struct err *err)
{
	struct acl *a = calloc(1, sizeof(*a));
	int rc = 0;

	if (!a)
		return err_set(err, ERR_NOMEM, "out of memory");
	if (pthread_rwlock_init(&a->lock, NULL) != 0) {
		free(a);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	a->err = err;
	a->where = where;
	a->where_arg = arg;
	if (cfg && git_config_foreach(cfg, add_entry, a) < 0)
		rc = a->rc ? a->rc : err_set(err, ERR_INVALID, "cannot read repo rules");
	/* A mirror is public: its section must say so itself. */
	for (size_t i = 0; rc == 0 && i < a->n; i++) {
		if (a->s[i].mirror && !acl_list_has(a->s[i].lists[0], NULL)) {
			char key[1200];
			snprintf(key, sizeof(key), "repo.%s.mirror", a->s[i].pattern);
			fail(a, key, ERR_INVALID,
			     "mirror = true needs read = * in the same section (a mirror is public)");
			rc = a->rc;
		}
	}
	if (rc < 0) {
		acl_free(a);
		return rc;
	}
	a->err = NULL;
	a->where = NULL;
	*out = a;
	return 0;
}

int acl_load(struct acl **out, struct git_config *cfg, struct err *err)
{
	return acl_load_located(out, cfg, NULL, NULL, err);
}

bool acl_list_has(const char *list, const char *user)
{
	const char *p = list;

	while (p && *p) {
		size_t n;
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		if ((n == 1 && p[0] == '*') || (user && strlen(user) == n && strncmp(p, user, n) == 0))
			return true;
		p += n;
	}
	return false;
}

/* The one section that applies to repo, or NULL. */
static const struct section *applies(const struct acl *a, const char *repo)
{
	const struct section *best = NULL;

	for (size_t i = 0; a && i < a->n; i++) {
		const struct section *s = &a->s[i];
		if (fnmatch(s->pattern, repo, FNM_PATHNAME) != 0)
			continue;
		if (!best || s->exact > best->exact ||
		    (s->exact == best->exact && (s->literals > best->literals ||
						 (s->literals == best->literals && s->order > best->order))))
			best = s;
	}
	return best;
}

unsigned acl_rights(const struct acl *a, const char *user, const char *repo)
{
	const struct section *s = applies(rd_lock(a), repo);
	unsigned rights = 0;

	if (s && acl_list_has(s->lists[2], user))
		rights |= RIGHT_ADMIN | RIGHT_WRITE | RIGHT_READ;
	if (s && acl_list_has(s->lists[1], user))
		rights |= RIGHT_WRITE | RIGHT_READ;
	if (s && acl_list_has(s->lists[0], user))
		rights |= RIGHT_READ;
	rd_unlock(a);
	return rights;
}

bool acl_mirrored(const struct acl *a, const char *repo)
{
	const struct section *s = applies(rd_lock(a), repo);
	bool mirrored = s && s->mirror;

	rd_unlock(a);
	return mirrored;
}

void acl_describe(const struct acl *a, const char *repo, struct acl_view *out)
{
	const struct section *s;

	/* The view points into the sections: valid until an acl_replace,
	 * which only a running server does (lfs-admin describes). */
	s = applies(rd_lock(a), repo);
	rd_unlock(a);
	memset(out, 0, sizeof(*out));
	out->read = out->write = out->admin = "";
	if (!s)
		return;
	out->pattern = s->pattern;
	out->read = s->lists[0] ? s->lists[0] : "";
	out->write = s->lists[1] ? s->lists[1] : "";
	out->admin = s->lists[2] ? s->lists[2] : "";
	out->mirror = s->mirror;
}
