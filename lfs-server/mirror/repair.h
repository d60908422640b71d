/* mirror_repair: `lfs-mirror verify DIR --from URL|DATA_DIR [--repair]`:
 * the local checks of mirror_verify plus the feed's view of the tree.
 *
 *   walk objects/, re-hashing (corrupt and misplaced files reported)
 *   for each feed entry up to mirror-state.json's last_seq:
 *       absent from objects/          -> missing
 *       present but corrupt           -> repairable
 *   with repair, under the tree's lock (ERR_CONFLICT when a sync holds it):
 *       missing objects are fetched as a sync does (linked, never replacing);
 *       corrupt ones are fetched into a staging store, hash-checked, and
 *       renamed over the corrupt file (mirror_tree_replace).
 *
 * Without repair nothing is written and no lock is taken.  A corrupt file
 * whose oid is not in the feed up to last_seq is never fetched: the feed
 * is what says an object may be public. */
#ifndef LFS_MIRROR_REPAIR_H
#define LFS_MIRROR_REPAIR_H

#include <stdbool.h>

#include "core/mirror_verify.h"
#include "err.h"
#include "mirror/source.h"

enum mirror_repair_event {
	MIRROR_REPAIR_MISSING,     /* in the feed up to last_seq, not in the tree */
	MIRROR_REPAIR_FIXED,       /* a missing or corrupt object is now in place */
	MIRROR_REPAIR_NOT_IN_FEED, /* corrupt, and the feed cannot say it may be fetched */
};

struct mirror_repair_item {
	enum mirror_repair_event event;
	const char *oid;
	long long seq;    /* its feed seq (NOT_IN_FEED: the last_seq scanned to) */
	bool was_corrupt; /* for FIXED: replaced a corrupt file, not a missing one */
};

typedef int (*mirror_repair_fn)(const struct mirror_repair_item *item, void *arg);

struct mirror_repair_result {
	long long last_seq;      /* mirror-state.json's, the end of the scan */
	long long missing;       /* found missing */
	long long corrupt;       /* found corrupt (well-placed, bad bytes) */
	long long fixed;         /* repaired, both kinds */
	long long not_in_feed;   /* corrupt files that cannot be repaired */
};

/* Checks (and with repair, repairs) the tree dir against the feed of
 * src.  walk_fn sees every file of objects/ (as mirror_verify_walk's
 * callback); fn every event above.  Stops at the first error, returning it. */
int mirror_repair_run(const char *dir, const struct mirror_source_opts *src, bool repair,
		      mirror_verify_fn walk_fn, mirror_repair_fn fn, void *arg,
		      struct mirror_repair_result *res, struct err *err) __attribute__((warn_unused_result));

#endif
