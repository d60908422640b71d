/* s3: the S3-compatible backend's one entry point besides its store_ops
 * (store_s3_ops, storage.type = s3; see s3.c). */
#ifndef LFS_STORE_S3_H
#define LFS_STORE_S3_H

#include "core/config.h"
#include "err.h"
#include "store/store.h"

/* The bucket cfg's s3.* keys name, without taking DATA/lock (the daemon's
 * open does): for tools beside a running server (lfs-admin migrate-store,
 * fsck).  Sends no request.  Caller frees with store_close. */
int store_s3_connect(struct store **out, const struct config *cfg, struct err *err) __attribute__((warn_unused_result));

#endif
