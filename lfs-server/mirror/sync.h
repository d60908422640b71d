/* mirror_sync: `lfs-mirror sync`: brings a mirror tree up to date with the
 * server's mirror feed.
 *
 *   refuse a tree inside a server's data dir (mirror_tree_check_place)
 *   lock DIR -> empty DIR/tmp -> last = mirror-state.json's last_seq
 *   for each feed page after last, up to max_entries entries in all:
 *       skip objects present, fetch the rest (hash- and size-checked)
 *       last = the highest seq with every object up to it present
 *       write mirror-state.json (only ever after the objects it covers)
 *
 * A kill at any point leaves complete objects and a state that
 * understates at worst; the next run sweeps the temps and goes on.  A
 * feed that does not advance (a page whose seqs are not all above the
 * previous page's next) stops the run: mirror_json_parse_page checks
 * every page against the seq it was asked to start after. */
#ifndef LFS_MIRROR_SYNC_H
#define LFS_MIRROR_SYNC_H

#include <stdbool.h>

#include "err.h"
#include "mirror/source.h"

/* Feed entries one run reads at most, unless told otherwise: bounds a
 * feed that never ends; a larger feed is finished by the next runs. */
#define MIRROR_SYNC_MAX_ENTRIES 100000LL

struct mirror_sync_opts {
	struct mirror_source_opts src;
	const char *to;          /* the mirror tree */
	long long max_entries;   /* feed entries per run, 0 = MIRROR_SYNC_MAX_ENTRIES */
};

struct mirror_sync_result {
	long long synced, bytes, skipped; /* objects stored, their bytes, already present */
	long long last_seq;               /* what mirror-state.json says now */
	bool capped;                      /* stopped at max_entries with more to come */
};

/* Runs one sync.  ERR_CONFLICT when another sync holds DIR's lock,
 * ERR_DENIED when DIR lies inside a server's data directory.  *res is
 * filled as far as the sync got, also on failure. */
int mirror_sync_run(const struct mirror_sync_opts *o, struct mirror_sync_result *res,
		    struct err *err) __attribute__((warn_unused_result));

#endif
