/* accesslog: the one line a finished request leaves.  Without
 * server.access-log it is an info line on stderr, as it always was
 * (operators and tests grep `"POST /repo/info/lfs/objects/batch" 200`);
 * with it, a line in the combined log format, plus the request id, the
 * duration and how the request ended, goes to that file
 * (docs/architecture.md, "The access log"). */
#ifndef LFS_ACCESSLOG_H
#define LFS_ACCESSLOG_H

#include "server/http.h"

void accesslog_request(const struct req *r, enum MHD_RequestTerminationCode toe);

/* Copies in into out (outsz > 0) with '"', '\', control bytes and bytes
 * over 0x7e written as \xHH, as nginx does: a client cannot end a field
 * or forge a line.  Truncates to fit.  Exposed for the unit test. */
void accesslog_escape(char *out, size_t outsz, const char *in);

#endif
