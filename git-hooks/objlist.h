/* objlist: a list of Git LFS objects (oid, size, the first path seen
 * with it) without duplicate oids, in the order they were added. */
#ifndef LFS_HOOKS_OBJLIST_H
#define LFS_HOOKS_OBJLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "oid.h"

struct lfsobj {
	char oid[OID_HEX_LEN + 1];
	long long size;
	char *path; /* owned; may be NULL */
};

struct objlist {
	struct lfsobj *items;
	size_t n, cap;
	size_t *slots; /* open addressing over items, index + 1, 0 = empty */
	size_t nslots;
};

#define OBJLIST_INIT { NULL, 0, 0, NULL, 0 }

/* Adds an object unless its oid is already listed (then only *added is
 * false).  path is copied.  ERR_NOMEM on allocation failure. */
int objlist_add(struct objlist *l, const char *oid, long long size, const char *path, bool *added,
		struct err *err) __attribute__((warn_unused_result));

/* The listed object with this oid, or NULL (borrowed; valid until the
 * next add or release). */
struct lfsobj *objlist_find(const struct objlist *l, const char *oid);

/* Frees the contents; the list is empty and reusable. */
void objlist_release(struct objlist *l);

#endif
