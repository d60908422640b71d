/* auth: who is asking, and what may they do.  Combines the htpasswd users
 * (re-read when the file changes), a short cache of successful password
 * checks (bcrypt costs milliseconds per check), the failed-login throttle
 * and the repository rules.  With auth.users unset, authentication is off
 * and everyone has every right (main.c allows that only on loopback). */
#ifndef LFS_AUTH_H
#define LFS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/acl.h"
#include "core/config.h"
#include "err.h"

struct auth;

enum auth_result {
	AUTH_OK = 0,
	AUTH_BAD,       /* wrong or malformed credentials: 401 */
	AUTH_LOCKED,    /* too many failures from this peer: 429 */
};

/* Loads users and rules from cfg.  A refused password hash is an error
 * naming the user.  Caller frees with auth_free. */
int auth_new(struct auth **out, const struct config *cfg, struct err *err) __attribute__((warn_unused_result));
void auth_free(struct auth *a);
bool auth_enabled(const struct auth *a);
/* Keeps the failed-login throttle's counts in m from now on (borrowed:
 * m must outlive a): for lfs-cgi and for servers sharing one metadata
 * store (throttle.h). */
struct meta;
void auth_share_throttle(struct auth *a, struct meta *m);

/* Checks the base64 part of a Basic Authorization header from peer (the
 * client address).  On AUTH_OK, user_out (usz bytes) gets the name; on
 * AUTH_LOCKED, *retry_after the seconds to wait.  A wrong password for an
 * existing user returns AUTH_BAD only after that user's growing delay
 * (throttle.h), slept in the calling thread with no lock held. */
enum auth_result auth_basic(struct auth *a, const char *b64, const char *peer,
			    char *user_out, size_t usz, long long *retry_after);

/* Failed logins and lockouts (addresses locked out) since the start. */
void auth_counters(const struct auth *a, long long *failed_logins, long long *lockouts);
/* SIGHUP: reads the users file cfg names and the repo rules of cfg->git,
 * then swaps both in (each atomically for concurrent requests; a cached
 * password check of the old file no longer counts).  On error nothing
 * changed.  Turning auth on or off is not done here (a restart).  *users
 * gets the new file's count (0 with auth off). */
int auth_reload(struct auth *a, const struct config *cfg, size_t *users, struct err *err) __attribute__((warn_unused_result));

/* Rights (RIGHT_* bits) of user (NULL = anonymous) on repo. */
unsigned auth_rights(const struct auth *a, const char *user, const char *repo);

/* The repository rules (borrowed; valid until auth_free; a reload swaps
 * their contents, not the pointer). */
const struct acl *auth_acl(const struct auth *a);

#endif
