/* admin_access: `lfs-admin --config FILE access REPO`: which [repo] section
 * applies to a repo and what it grants, so an operator can check the rules
 * before going live (see admin.h). */
#include "admin/admin.h"

#include <stdbool.h>
#include <string.h>

#include "core/acl.h"

/* Appends the names of list to out (no duplicates); *star records `*`. */
static void add_names(char *out, size_t outsz, const char *list, bool *star)
{
	const char *p = list;

	while (p && *p) {
		size_t n, have = strlen(out);
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '*') {
			*star = true;
		} else {
			bool dup = false;
			for (const char *q = out; *q && !dup; ) {
				size_t m = strcspn(q, " ");
				dup = m == n && strncmp(q, p, n) == 0;
				q += m + (q[m] == ' ');
			}
			if (!dup && have + n + 2 < outsz) {
				if (have)
					out[have++] = ' ';
				memcpy(out + have, p, n);
				out[have + n] = '\0';
			}
		}
		p += n;
	}
}

/* Prints "NAME: who" for the union of the given lists. */
static void who(FILE *out, const char *name, const char *a, const char *b, const char *c)
{
	char names[4096] = "";
	bool star = false;

	add_names(names, sizeof(names), a, &star);
	add_names(names, sizeof(names), b, &star);
	add_names(names, sizeof(names), c, &star);
	if (star)
		fprintf(out, "%-9s * (everyone, anonymous included)\n", name);
	else
		fprintf(out, "%-9s %s\n", name, names[0] ? names : "nobody");
}

int admin_access(const struct config *cfg, const char *repo, FILE *out, struct err *err)
{
	struct acl *acl = NULL;
	struct acl_view v;
	int rc;

	if ((rc = acl_load(&acl, cfg->git, err)) < 0)
		return rc;
	acl_describe(acl, repo, &v);
	fprintf(out, "%-9s %s\n", "repo:", repo);
	if (v.pattern)
		fprintf(out, "%-9s [repo \"%s\"] (%s:%d)\n", "section:", v.pattern, cfg->path,
			config_section_line(cfg, "repo", v.pattern));
	else
		fprintf(out, "%-9s none matches\n", "section:");
	if (cfg->users)
		fprintf(out, "%-9s on (%s)\n", "auth:", cfg->users);
	else
		fprintf(out, "%-9s off: anyone who can reach the server may read and write; "
			"the lines below apply once auth.users is set\n", "auth:");
	who(out, "read:", v.read, v.write, v.admin);
	who(out, "write:", v.write, v.admin, NULL);
	who(out, "admin:", v.admin, NULL, NULL);
	fprintf(out, "%-9s %s\n", "mirrored:", v.mirror ? "yes (new objects go to the public mirror feed)" : "no");
	acl_free(acl);
	return 0;
}
