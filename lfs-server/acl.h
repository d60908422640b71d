/* acl: per-repository rights from `repo.PATTERN.read|write|admin` and
 * `repo.PATTERN.mirror` config keys.  PATTERN is matched with fnmatch(3)
 * and FNM_PATHNAME; rights add up over every matching section; `write`
 * implies `read`, `admin` implies both; `*` names everyone, anonymous
 * included.  Keys may repeat: every value counts. */
#ifndef LFS_ACL_H
#define LFS_ACL_H

#include <stdbool.h>

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
int acl_load(struct acl **out, struct git_config *cfg, struct err *err);
void acl_free(struct acl *a);

/* The rights of user (NULL = anonymous) on repo, closed under the
 * implications (admin => write => read). */
unsigned acl_rights(const struct acl *a, const char *user, const char *repo);
/* True if any section matching repo says mirror = true. */
bool acl_mirrored(const struct acl *a, const char *repo);

/* Whitespace-separated name lists (as in `journal.readers`): does list
 * name user, or `*`?  user NULL = anonymous, matched only by `*`. */
bool acl_list_has(const char *list, const char *user);

#endif
