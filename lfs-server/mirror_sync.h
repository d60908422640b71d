/* mirror_sync: `lfs-mirror sync`: brings a mirror tree up to date with the
 * server's mirror feed.
 *
 *   lock DIR -> empty DIR/tmp -> last = mirror-state.json's last_seq
 *   for each feed page after last:
 *       skip objects present, fetch the rest (hash- and size-checked)
 *       last = the highest seq with every object up to it present
 *       write mirror-state.json (only ever after the objects it covers)
 *
 * A kill at any point leaves complete objects and a state that
 * understates at worst; the next run sweeps the temps and goes on. */
#ifndef LFS_MIRROR_SYNC_H
#define LFS_MIRROR_SYNC_H

#include "err.h"

struct mirror_sync_opts {
	const char *from;   /* http(s)://… base URL, or a local data dir */
	const char *to;     /* the mirror tree */
	const char *netrc;  /* credentials for a URL, or NULL */
	int jobs;           /* parallel downloads from a URL (>= 1) */
	long long max_rate; /* bytes per second per download, 0 = no cap */
};

struct mirror_sync_result {
	long long synced, bytes, skipped; /* objects stored, their bytes, already present */
	long long last_seq;               /* what mirror-state.json says now */
};

/* True when from names a URL (http:// or https://), not a directory. */
int mirror_sync_is_url(const char *from);

/* Runs one sync.  ERR_CONFLICT when another sync holds DIR's lock.
 * *res is filled as far as the sync got, also on failure. */
int mirror_sync_run(const struct mirror_sync_opts *o, struct mirror_sync_result *res,
		    struct err *err);

#endif
