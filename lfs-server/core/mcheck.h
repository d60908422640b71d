/* mcheck: the server's own verification of mirror copies.  Before a
 * client is ever sent to a mirror for an object, the server (in the
 * background, never on the batch path) downloads that mirror's copy and
 * checks its size and SHA-256; verdicts are kept in the metadata
 * (meta_mcheck_*).  Used by the server's mirror thread (core/mirrors.c) and by
 * `lfs-admin verify-mirrors`, which forces a check now. */
#ifndef LFS_MIRROR_CHECK_H
#define LFS_MIRROR_CHECK_H

#include <stdatomic.h>
#include <stdbool.h>

#include "err.h"
#include "meta/meta.h"

/* Verdict on one object: 0 with *ok set (why filled when !ok), or a
 * negative code when no verdict could be reached (mirror unreachable,
 * timed out, stopped through *stop): then nothing is recorded. */
int mcheck_object(const char *base_url, const char *oid, long long size, long long rate,
		  const atomic_bool *stop, bool *ok, char *why, size_t whysz, struct err *err)
	__attribute__((warn_unused_result));

struct mcheck_opts {
	long long max_seq;        /* the mirror's last_seq: nothing newer is there yet */
	long long rate;           /* bytes per second, 0 = unlimited */
	long long good_before;    /* good verdicts older than this (unix s) are due */
	long long bad_before;     /* failed ones older than this are due (repairs show) */
	int limit;                /* objects per call at most */
	bool all;                 /* every copy up to max_seq, whatever its verdict */
	const atomic_bool *stop;  /* NULL, or set by another thread to give up */
};

struct mcheck_result {
	int checked, good, bad;
};

/* Checks up to opts->limit objects of one mirror: unchecked ones first,
 * newest first; then failed ones and stale good ones (or, with opts->all,
 * every one in seq order).  Records every
 * verdict and logs one line per bad copy.  Stops early (returning what it
 * did) when the mirror stops answering. */
int mcheck_run(struct meta *m, const char *name, const char *base_url,
	       const struct mcheck_opts *opts, struct mcheck_result *res, struct err *err)
	__attribute__((warn_unused_result));

#endif
