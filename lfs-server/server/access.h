/* access: who is asking, and may they; between the request layer and
 * the endpoints. */
#ifndef LFS_ACCESS_H
#define LFS_ACCESS_H

#include <stdbool.h>

#include "server/http.h"

/* Who is asking (run once, before the endpoint's begin), and
 * whether they may do what they ask.  Both return false after queueing
 * the refusal (401, 403, 404, 429) into *rc. */
bool access_identify_or_reply(struct req *r, enum MHD_Result *rc);
/* The one 401 the LFS endpoints send: LFS-Authenticate with our realm,
 * so git-lfs asks its credential helper.  Returns what the access handler
 * must return. */
enum MHD_Result access_need_credentials(struct req *r, const char *why);
bool access_require_or_reply(struct req *r, unsigned need, enum MHD_Result *rc);
/* /metrics and /_lfs/status: users in metrics.readers, and loopback
 * clients unless server.behind-proxy.  Else 401 (anonymous, auth on;
 * the status page adds WWW-Authenticate so browsers ask for a login) or
 * 404, as for a repo one may not read. */
bool access_operator_or_reply(struct req *r, enum MHD_Result *rc);

#endif
