/* migrate: `lfs-admin migrate-store --to s3`, copying the local store
 * (DATA/objects) into the bucket the config's s3.* keys name. */
#ifndef LFS_ADMIN_MIGRATE_H
#define LFS_ADMIN_MIGRATE_H

#include <stdio.h>

#include "core/config.h"
#include "err.h"

struct admin_migrate_result {
	long long copied, copied_bytes; /* objects sent to the bucket now */
	long long present;              /* already there with the right size */
	long long problems;             /* corrupt locally, or a different size there */
};

/* Copies every object of cfg->data's local store that the bucket does not
 * hold yet, each streamed through the S3 backend's upload (so each is
 * hash-checked, and made visible only when proven).  Resumable and
 * idempotent: what the bucket already holds with the same size is
 * skipped, nothing there is ever replaced.  Reads DATA only (safe beside
 * a running server).  One line per problem on out; a problem does not
 * stop the copy. */
int admin_migrate_to_s3(const struct config *cfg, FILE *out, struct admin_migrate_result *res,
			struct err *err) __attribute__((warn_unused_result));

#endif
