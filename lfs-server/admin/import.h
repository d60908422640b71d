/* import: `lfs-admin import`, the bulk import of existing files (another
 * LFS server's store, a .git/lfs/objects tree, any files) into one repo
 * of a data dir, keeping every invariant of the store and the metadata:
 * each object hashed, written and fsynced through the store (store.h),
 * then recorded (journal, feed when the repo is mirrored) only once its
 * file is durable.  It owns the data dir while it runs (DATA/lock): it
 * refuses to start beside a running server. */
#ifndef LFS_ADMIN_IMPORT_H
#define LFS_ADMIN_IMPORT_H

#include <stdio.h>

#include "core/config.h"
#include "err.h"

struct admin_import_opts {
	const char *repo;          /* canonical (route_repo) */
	const char *const *paths;  /* files and directories (walked, symlinks not followed) */
	size_t npaths;
	int jobs;                  /* objects stored at once (fsyncs overlap); >= 1 */
	int batch;                 /* objects per metadata transaction; >= 1 */
};

struct admin_import_result {
	long long files;     /* regular files found */
	long long stored;    /* written through the store (hashed, fsynced) */
	long long bytes;     /* their bytes */
	long long imported;  /* rows new to the repo */
	long long held;      /* files the repo held already (skipped when named by
			      * their oid, else stored again and left as they were) */
	long long bad;       /* files named by an oid their bytes do not hash to */
	bool mirrored;       /* the repo is mirrored: its objects joined the feed */
};

/* Imports every regular file under o->paths into o->repo of data_dir.  A
 * file named by a 64-hex oid (.git/lfs/objects/ab/cd/<oid>, most LFS
 * servers' stores) is stored under that oid and must hash to it (else it
 * is listed on out as "bad PATH: ..." and counted in res->bad); any other
 * file is hashed first and stored under its SHA-256.  Rows are committed
 * o->batch objects per transaction, each after all of its batch's files
 * are durable, so an interrupted import leaves complete objects and
 * whole batches of rows only (the objects of an unrecorded batch are
 * orphans, harmless and invisible; a rerun records them).  The store must
 * be local (storage.type); the metadata may be any backend (sqlite takes
 * a whole batch per transaction, others one row each).  ERR_CONFLICT
 * when another process (a server) holds DATA/lock. */
int admin_import(const struct config *cfg, const char *data_dir, const struct admin_import_opts *o,
		 FILE *out, struct admin_import_result *res, struct err *err) __attribute__((warn_unused_result));

#endif
