/* xfer: the basic transfer adapter (protocol doc 4), many objects at once
 * on one libcurl multi handle.  Downloads stream into the cache through
 * lfscache (hash-checked before they are kept); uploads stream from the
 * cache, then POST to the verify action when the batch gave one. */
#ifndef LFS_HOOKS_XFER_H
#define LFS_HOOKS_XFER_H

#include <stdbool.h>

#include "err.h"
#include "httpc.h"
#include "lfsapi.h"
#include "lfsrepo.h"
#include "progress.h"

enum xfer_kind { XFER_DOWNLOAD, XFER_UPLOAD };

struct xfer_item {
	/* in */
	enum xfer_kind kind;
	char oid[OID_HEX_LEN + 1];
	long long size;
	const char *path;                    /* for messages; borrowed */
	const struct lfsapi_action *action;  /* download or upload; borrowed */
	const struct lfsapi_action *verify;  /* uploads only, may be NULL */
	const char *auth;                    /* Authorization for action, or NULL */
	const char *verify_auth;             /* Authorization for verify, or NULL */
	/* out */
	int rc;          /* 0, or negative: this object failed */
	bool retryable;  /* worth a new batch and another try */
	long status;     /* last HTTP status, 0 when none */
	char source[256]; /* scheme://host:port that answered last (after redirects), "" when none */
	char msg[256];
};

/* Runs every item, at most concurrency at a time, and fills each item's
 * results.  Returns the number of failed items, or a negative code when
 * nothing could start (err says why). */
int xfer_run(struct lfsrepo *r, const struct httpc_opts *opts, struct xfer_item *items, size_t n, int concurrency,
	     struct progress *pg, struct err *err) __attribute__((warn_unused_result));

#endif
