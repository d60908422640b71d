/* route: maps a request path to a repository and an endpoint.  Pure: no
 * I/O, so every rule is unit-tested.  Repository paths follow contract.md:
 * segments of [A-Za-z0-9._-]+, none "." or "..", none starting with "_";
 * a trailing ".git" is dropped, so "a/b" and "a/b.git" are one repo. */
#ifndef LFS_ROUTE_H
#define LFS_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "oid.h"

#define REPO_MAX 255
#define LOCK_ID_MAX 64

enum route_kind {
	ROUTE_NONE = 0,
	ROUTE_HEALTHZ,      /* /healthz */
	ROUTE_BATCH,        /* <repo>/info/lfs/objects/batch */
	ROUTE_OBJECT,       /* <repo>/info/lfs/objects/<oid> */
	ROUTE_VERIFY,       /* <repo>/info/lfs/objects/verify */
	ROUTE_LOCKS,        /* <repo>/info/lfs/locks */
	ROUTE_LOCKS_VERIFY, /* <repo>/info/lfs/locks/verify */
	ROUTE_LOCK_UNLOCK,  /* <repo>/info/lfs/locks/<id>/unlock */
	ROUTE_JOURNAL,      /* /_lfs/journal */
	ROUTE_FEED_OBJECT,  /* /_lfs/objects/<oid> */
	ROUTE_METRICS,      /* /metrics */
	ROUTE_STATUS,       /* /_lfs/status */
};
#define ROUTE_KINDS (ROUTE_STATUS + 1)

struct route {
	enum route_kind kind;
	char repo[REPO_MAX + 1];      /* canonical, without ".git" */
	char oid[OID_HEX_LEN + 1];
	char lock_id[LOCK_ID_MAX + 1];
};

/* Parses a decoded URL path ("/a/b.git/info/lfs/objects/batch").  Returns
 * 0, or ERR_NOTFOUND with a message for a path that names nothing (which
 * includes an invalid repo path or oid). */
int route_parse(struct route *out, const char *path, struct err *err) __attribute__((warn_unused_result));

/* Canonicalises a repo path of len bytes into out (REPO_MAX + 1 bytes).
 * Returns 0 or ERR_INVALID. */
int route_repo(char *out, const char *in, size_t len, struct err *err) __attribute__((warn_unused_result));

/* The methods an endpoint answers, for 405's Allow header. */
const char *route_allow(enum route_kind kind);
bool route_method_ok(enum route_kind kind, const char *method);
/* A short name of the endpoint ("batch", "object", ...), for metrics. */
const char *route_name(enum route_kind kind);

#endif
