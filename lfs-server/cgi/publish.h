/* publish: the static tree of publicly readable objects that the web
 * server serves itself, PUBLIC_DIR/objects/ab/cd/<oid> (contract.md, "CGI
 * mode").  Same discipline as the store: a file appears there complete
 * and durable, by link(2), and is never replaced.  Only objects of repos
 * anonymous may read are ever put there (the caller decides). */
#ifndef LFS_CGI_PUBLISH_H
#define LFS_CGI_PUBLISH_H

#include "err.h"

struct publish;

/* The tree PUBLIC_DIR/objects beside DATA/objects.  ERR_NOTFOUND when
 * PUBLIC_DIR has no objects/ directory: there is no static tree then. */
int publish_open(struct publish **out, const char *public_dir, const char *data_dir,
		 struct err *err) __attribute__((warn_unused_result));
void publish_close(struct publish *p);

/* Makes DATA/objects/ab/cd/<oid> readable at PUBLIC_DIR/objects/ab/cd/<oid>:
 * a hard link when both are on one file system, else a copy through a
 * temporary file that is linked into place; world-readable.  Already
 * there: 0, untouched. */
int publish_object(struct publish *p, const char *oid, struct err *err)
	__attribute__((warn_unused_result));

#endif
