/* cred: credentials through `git credential fill|approve|reject`, so the
 * user's credential helpers (and prompts, when allowed) serve lfs-hooks
 * as they serve git.  Secrets live only in struct cred and are wiped by
 * cred_release(). */
#ifndef LFS_HOOKS_CRED_H
#define LFS_HOOKS_CRED_H

#include <stdbool.h>

#include "err.h"

struct cred {
	char *protocol;
	char *host; /* with ":port" when not the default */
	char *path; /* only with credential.useHttpPath */
	char *username;
	char *password;
};

/* Fills protocol, host (and path when use_path) from url; a user named
 * in the URL becomes username.  ERR_INVALID for a URL without a host. */
int cred_from_url(struct cred *c, const char *url, bool use_path, struct err *err) __attribute__((warn_unused_result));

/* The key=value lines git credential reads (with username and password
 * when with_secret); caller frees (wipe it first when with_secret). */
char *cred_format(const struct cred *c, bool with_secret) __attribute__((warn_unused_result));

/* Takes username= and password= from git credential fill's output. */
int cred_parse(struct cred *c, const char *output, struct err *err) __attribute__((warn_unused_result));

/* Asks git for credentials.  ERR_AUTH when none are to be had. */
int cred_fill(struct cred *c, struct err *err) __attribute__((warn_unused_result));

/* Tells git's helpers the credentials worked, or did not. */
void cred_approve(const struct cred *c);
void cred_reject(const struct cred *c);

/* Frees and wipes everything; c is empty and reusable. */
void cred_release(struct cred *c);

#endif
