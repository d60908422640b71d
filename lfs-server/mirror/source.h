/* mirror_source: where `lfs-mirror sync` and `verify --from` get the feed
 * and the objects: the server's HTTP endpoints (mirror_fetch) or its data
 * directory on this machine (mirror_local), behind one interface. */
#ifndef LFS_MIRROR_SOURCE_H
#define LFS_MIRROR_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mirror_json.h"
#include "err.h"
#include "store/store.h"

/* Defaults of the options below. */
#define MIRROR_SOURCE_TIMEOUT 60L /* seconds */

struct mirror_source_opts {
	const char *from;   /* http(s)://… base URL, or a local data dir */
	const char *netrc;  /* credentials for a URL, or NULL */
	const char *cacert; /* CA bundle for https, or NULL (see httpc_ca_from_env) */
	const char *capath; /* directory of hashed CA certificates, or NULL */
	int jobs;           /* parallel downloads from a URL (>= 1) */
	long long max_rate; /* bytes per second per download, 0 = no cap */
	long timeout;       /* seconds, see mirror_fetch_opts; 0 = the default */
};

struct mirror_source;

/* True when from names a URL (http:// or https://), not a directory. */
bool mirror_source_is_url(const char *from);

/* Caller frees with mirror_source_free; o's strings must outlive it. */
int mirror_source_open(struct mirror_source **out, const struct mirror_source_opts *o,
		       struct err *err) __attribute__((warn_unused_result));
void mirror_source_free(struct mirror_source *s);

/* As mirror_fetch_page / mirror_local_page. */
int mirror_source_page(struct mirror_source *s, long long after, size_t max,
		       struct mirror_entry *out, size_t *n, long long *next, struct err *err) __attribute__((warn_unused_result));

/* As mirror_fetch_objects / mirror_local_objects, and adds to *stored
 * the objects stored.  An oid listed more than once is fetched once. */
int mirror_source_objects(struct mirror_source *s, struct store *store,
			  const struct mirror_entry *e, size_t n, bool *done, long long *stored,
			  long long *bytes, struct err *err) __attribute__((warn_unused_result));

#endif
