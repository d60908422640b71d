/* acl: per-repository rights from `repo.PATTERN.read|write|admin` and
 * `repo.PATTERN.mirror` config keys.  PATTERN is matched with fnmatch(3)
 * and FNM_PATHNAME.  Exactly one section applies to a repo, the most
 * specific one that matches: an exact name (no wildcard) beats any
 * pattern; among patterns the one with more literal characters (outside
 * `*`, `?`, `[...]`) wins; on a tie the later section in the file (a
 * pattern's last block) wins.  Blocks with the same pattern are one
 * section; nothing is inherited from other sections.  `write` implies
 * `read`, `admin` implies both; `*` names everyone, anonymous included.
 * Keys may repeat: every value counts.  Config errors: a pattern ending
 * in `.git`, a key other than read/write/admin/mirror, a bad bool, and
 * `mirror = true` in a section whose own `read` list lacks `*`. */
#ifndef LFS_ACL_H
#define LFS_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct git_config;
struct acl;

enum {
	RIGHT_READ = 1,
	RIGHT_WRITE = 2,
	RIGHT_ADMIN = 4,
};

/* Builds the rules from a parsed config (NULL = no rules).  Caller frees
 * with acl_free. */
int acl_load(struct acl **out, struct git_config *cfg, struct err *err) __attribute__((warn_unused_result));

/* As acl_load; where(key) writes a location prefix ("FILE:LINE: ") for
 * the config key an error is about into buf (config.c knows the lines). */
typedef void acl_where_fn(char *buf, size_t bufsz, const char *key, void *arg);
int acl_load_located(struct acl **out, struct git_config *cfg, acl_where_fn *where, void *arg,
		     struct err *err) __attribute__((warn_unused_result));
void acl_free(struct acl *a);

/* A reload: dst takes src's rules, atomically for every reader (acl_rights
 * and acl_mirrored hold a read lock for their whole answer), and src, with
 * dst's old rules, is freed.  A pointer to dst stays valid throughout. */
void acl_replace(struct acl *dst, struct acl *src);

/* The rights of user (NULL = anonymous) on repo, closed under the
 * implications (admin => write => read). */
unsigned acl_rights(const struct acl *a, const char *user, const char *repo);
/* The mirror flag of the one section that applies to repo. */
bool acl_mirrored(const struct acl *a, const char *repo);

/* The section that applies to repo, for `lfs-admin access`.  The view
 * points into a's rules: valid until acl_free or acl_replace of a. */
struct acl_view {
	const char *pattern;            /* NULL: no section matches */
	const char *read, *write, *admin; /* the lists as written, "" if none */
	bool mirror;
};
void acl_describe(const struct acl *a, const char *repo, struct acl_view *out);

/* Whitespace-separated name lists (as in `journal.readers`): does list
 * name user, or `*`?  user NULL = anonymous, matched only by `*`. */
bool acl_list_has(const char *list, const char *user);

#endif
