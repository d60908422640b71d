/* acl: repository rights from repo.PATTERN.* config keys (see acl.h). */
#include "acl.h"

#include <fnmatch.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>

struct rule {
	char *pattern;
	unsigned right; /* RIGHT_* for read/write/admin, 0 for mirror */
	bool mirror;
	char *names;    /* whitespace-separated */
};

struct acl {
	struct rule *rules;
	size_t n;
	struct err *err;
	int rc;
};

void acl_free(struct acl *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->rules[i].pattern);
		free(a->rules[i].names);
	}
	free(a->rules);
	free(a);
}

static int add_entry(const git_config_entry *e, void *payload)
{
	struct acl *a = payload;
	const char *name = e->name + 5, *dot = strrchr(e->name, '.');
	struct rule r = { 0 };
	void *grown;
	int b;

	/* Filtered here, not with git_config_foreach_match: libgit2 1.5's regex
	 * path leaks its pcre2 match data on every call. */
	if (strncmp(e->name, "repo.", 5) != 0 || dot <= name)
		return 0;
	if (strcmp(dot, ".read") == 0)
		r.right = RIGHT_READ;
	else if (strcmp(dot, ".write") == 0)
		r.right = RIGHT_WRITE;
	else if (strcmp(dot, ".admin") == 0)
		r.right = RIGHT_ADMIN;
	else if (strcmp(dot, ".mirror") == 0) {
		if (git_config_parse_bool(&b, e->value) < 0) {
			a->rc = err_set(a->err, ERR_INVALID, "bad value for '%s': want a boolean", e->name);
			return -1;
		}
		r.mirror = b;
	} else {
		return 0;
	}
	r.pattern = strndup(name, (size_t)(dot - name));
	r.names = strdup(e->value ? e->value : "");
	grown = realloc(a->rules, (a->n + 1) * sizeof(*a->rules));
	if (!r.pattern || !r.names || !grown) {
		free(r.pattern);
		free(r.names);
		if (grown)
			a->rules = grown;
		a->rc = err_set(a->err, ERR_NOMEM, "out of memory");
		return -1;
	}
	a->rules = grown;
	a->rules[a->n++] = r;
	return 0;
}

int acl_load(struct acl **out, struct git_config *cfg, struct err *err)
{
	struct acl *a = calloc(1, sizeof(*a));

	if (!a)
		return err_set(err, ERR_NOMEM, "out of memory");
	a->err = err;
	if (cfg && git_config_foreach(cfg, add_entry, a) < 0) {
		int rc = a->rc ? a->rc : err_set(err, ERR_INVALID, "cannot read repo rules");
		acl_free(a);
		return rc;
	}
	a->err = NULL;
	*out = a;
	return 0;
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

static bool matches(const struct rule *r, const char *repo)
{
	return fnmatch(r->pattern, repo, FNM_PATHNAME) == 0;
}

unsigned acl_rights(const struct acl *a, const char *user, const char *repo)
{
	unsigned rights = 0;

	for (size_t i = 0; a && i < a->n; i++)
		if (a->rules[i].right && matches(&a->rules[i], repo) && acl_list_has(a->rules[i].names, user))
			rights |= a->rules[i].right;
	if (rights & RIGHT_ADMIN)
		rights |= RIGHT_WRITE;
	if (rights & RIGHT_WRITE)
		rights |= RIGHT_READ;
	return rights;
}

bool acl_mirrored(const struct acl *a, const char *repo)
{
	for (size_t i = 0; a && i < a->n; i++)
		if (!a->rules[i].right && a->rules[i].mirror && matches(&a->rules[i], repo))
			return true;
	return false;
}
