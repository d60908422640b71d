/* failsum: failed transfers summed up per source.  An offline clone of a
 * repository with hundreds of LFS files used to print one line per file
 * before the real cause; now each failing source (server, mirror, or the
 * host an href sent us to) gets one line with a count, the first reason,
 * and the first few file names. */
#ifndef LFS_HOOKS_FAILSUM_H
#define LFS_HOOKS_FAILSUM_H

#include <stddef.h>

#include "err.h"

struct failsum_src;

struct failsum {
	struct failsum_src *v;
	size_t n;
	int total;
	struct err first; /* the first failure, as one line */
};

#define FAILSUM_INIT { NULL, 0, 0, ERR_INIT }

/* Records that path (may be NULL: "object <oid>") failed at source for
 * why.  Memory exhaustion only loses detail, never the count. */
void failsum_add(struct failsum *f, const char *source, const char *path, const char *oid, const char *why);

/* One warning per source: "cannot VERB N objects DIR SOURCE (a.a, b.a,
 * c.a and 7 more): reason (8); other reason (2)", with the first three
 * distinct reasons; verb is "download", "upload", ...; dir "from", "to"
 * or "from mirror". */
void failsum_print(const struct failsum *f, const char *verb, const char *dir);

void failsum_release(struct failsum *f);

#endif
