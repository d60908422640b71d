/* site: what `lfs-cgi install` recorded about the web side of a CGI
 * service, so that the CGI and the other lfs-cgi commands find it from the
 * config alone: the public directory (PUBLIC_DIR, which holds the static
 * tree PUBLIC_DIR/objects) and the base URL it is served at.  It lives in
 * the data directory (DATA/cgi-site.json), outside the web root, written
 * by the install as the account that runs the CGI. */
#ifndef LFS_CGI_SITE_H
#define LFS_CGI_SITE_H

#include "err.h"

struct cgi_site {
	char *public_dir;   /* absolute, no trailing '/' */
	char *base_url;     /* no trailing '/' */
};

#define CGI_SITE_FILE "cgi-site.json"

/* Reads DATA/cgi-site.json.  ERR_NOTFOUND when the install never ran
 * for this data directory.  Free with cgi_site_release. */
int cgi_site_read(const char *data, struct cgi_site *out, struct err *err)
	__attribute__((warn_unused_result));
/* Writes it (temp file, fsync, rename: never half-written), mode 0600. */
int cgi_site_write(const char *data, const struct cgi_site *site, struct err *err)
	__attribute__((warn_unused_result));
void cgi_site_release(struct cgi_site *site);

/* Writes len bytes to path through a temp file in the same directory
 * (fsync, rename, fsync of the directory), with the given mode: readers
 * see the old file or the new one, never a part. */
int cgi_site_replace_file(const char *path, const void *data, size_t len, unsigned mode,
			  struct err *err) __attribute__((warn_unused_result));

#endif
