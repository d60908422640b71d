/* cgi/mirrors: core/mirrors.h for lfs-cgi, which has no thread to poll
 * mirrors and links no HTTP client.  `lfs-admin mirrors-check`, run by
 * cron, saves each mirror's state in DATA/mirror-health.json
 * (core/mirror_health.h) and records its copy verdicts in the metadata;
 * the CGI reads both, so a client is sent to a mirror only when the last
 * check found it answering, holding the feed up to the object, and
 * holding a verified copy of it — the daemon's rule. */
#ifndef LFS_CGI_MIRRORS_H
#define LFS_CGI_MIRRORS_H

#include "core/mirrors.h"

/* How old the last check may be: cron runs it every few minutes
 * (docs/university-hosting.md); six missed runs mean it stopped. */
#define CGI_MIRRORS_MAX_AGE (30 * 60)

/* The mirrors as the last check saw them, verdicts read from meta
 * (borrowed: it must outlive *out).  A check older than max_age seconds
 * (cron stopped) counts as none: *out is NULL, and so no mirror href is
 * given.  Free with mirrors_free. */
int cgi_mirrors_load(struct mirrors **out, const char *data, struct meta *meta, long long max_age,
		     struct err *err) __attribute__((warn_unused_result));

#endif
