/* mirror_health: the mirrors' state as the last `lfs-admin mirrors-check`
 * saw it, kept in the data directory (DATA/mirror-health.json) for
 * lfs-cgi, which has no thread to poll mirrors and links no HTTP client.
 * cron runs the check; the CGI reads this file and the copy verdicts the
 * check recorded in the metadata (meta_mcheck_*).  The daemon never
 * needs it: its own thread keeps the same state in memory. */
#ifndef LFS_MIRROR_HEALTH_H
#define LFS_MIRROR_HEALTH_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"

#define MIRROR_HEALTH_FILE "mirror-health.json"

/* Writes {"written": UNIX_TIME, "mirrors": MIRRORS} (mirrors as
 * mirrors_status() gives it) atomically, mode 0600. */
int mirror_health_write(const char *data, json_t *mirrors, struct err *err)
	__attribute__((warn_unused_result));

/* Reads it back: *mirrors a new reference to the array, *written when it
 * was written.  ERR_NOTFOUND when no check ever ran. */
int mirror_health_read(const char *data, json_t **mirrors, long long *written, struct err *err)
	__attribute__((warn_unused_result));

/* Whether, in a read array, mirror name answered at its last check and
 * then held the feed up to seq (the copy verdict is a separate matter). */
bool mirror_health_usable(json_t *mirrors, const char *name, long long seq);

#endif
