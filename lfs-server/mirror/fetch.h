/* mirror_fetch: the HTTP side of `lfs-mirror sync --from URL`, on libcurl:
 * pages of the server's mirror feed (GET BASE/_lfs/journal) and the
 * objects themselves (GET BASE/_lfs/objects/<oid>), several at once on
 * one multi handle, each streamed through the store's put life cycle so
 * memory stays flat whatever an object's size.
 *
 * Credentials come only from a netrc file (libcurl's own parser), sent as
 * Basic auth on the first request: the server's 401 carries
 * LFS-Authenticate, not WWW-Authenticate, so there is no negotiation.
 * Messages name URLs without any user:password part.
 *
 * Crash tests: with LFS_FAULT=mirror-partial the process SIGKILLs itself
 * on the first bytes it receives once it has stored an object, leaving
 * one object stored and one half-written temp (common/fault.h). */
#ifndef LFS_MIRROR_FETCH_H
#define LFS_MIRROR_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mirror_json.h"
#include "err.h"
#include "store/store.h"

struct mirror_fetch;

/* A transfer that sends less than this many bytes per second over the
 * timeout is abandoned (a trickling server must not hold a cron job). */
#define MIRROR_FETCH_LOW_SPEED 1024L

struct mirror_fetch_opts {
	const char *netrc;  /* netrc file, or NULL for anonymous requests */
	const char *cacert; /* CA bundle for https, or NULL for the system's */
	const char *capath; /* directory of hashed CA certificates, or NULL */
	long long max_rate; /* bytes per second per transfer, 0 = no cap */
	long timeout;       /* seconds: to connect, for a whole feed page, and
	                     * the window of the low-speed limit on objects */
};

/* base is the server's base URL (http or https; trailing slashes are
 * dropped).  The caller has run curl_global_init.  o's strings must
 * outlive the handle.  Caller frees with mirror_fetch_free. */
int mirror_fetch_new(struct mirror_fetch **out, const char *base,
		     const struct mirror_fetch_opts *o, struct err *err) __attribute__((warn_unused_result));
void mirror_fetch_free(struct mirror_fetch *f);

/* One feed page after seq `after`, at most max entries (see
 * mirror_json_parse_page for *n_out and *next_out), within the timeout.
 * A status other than 200 is an error naming the URL, the status and the
 * server's message. */
int mirror_fetch_page(struct mirror_fetch *f, long long after, size_t max,
		      struct mirror_entry *out, size_t *n_out, long long *next_out,
		      struct err *err) __attribute__((warn_unused_result));

/* Downloads every entries[i] with !done[i] into store, up to jobs at a
 * time, and sets done[i] and adds to *bytes for each one stored.  After
 * the first failure no new download starts; those in flight finish.
 * Returns 0 when all were stored, else the first failure (naming the oid,
 * the URL and the HTTP status or the reason). */
int mirror_fetch_objects(struct mirror_fetch *f, struct store *store,
			 const struct mirror_entry *entries, size_t n, bool *done,
			 int jobs, long long *bytes, struct err *err) __attribute__((warn_unused_result));

#endif
