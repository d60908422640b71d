/* conns: the registry of open connections, for what libmicrohttpd does not
 * do itself.
 *
 *  - A header deadline (CONNS_HEADER_TIMEOUT, at most the request
 *    timeout) and a whole-request deadline (server.request-timeout): the
 *    library's own timeout restarts on every byte, so a client trickling
 *    a byte every few seconds would hold a connection forever.  A
 *    watchdog thread shuts down the socket of any connection past its
 *    deadline; the library then sees EOF and closes it as usual.
 *  - Graceful shutdown: idle keep-alive connections are closed at once,
 *    busy ones get a grace period.
 *
 * A connection's socket is shut down only under the registry lock, and the
 * library removes the entry (conns_remove) before it closes the fd, so the
 * watchdog never touches a reused descriptor. */
#ifndef LFS_CONNS_H
#define LFS_CONNS_H

#include <stdbool.h>

#include "err.h"

struct conns;
struct conn_slot;

int conns_new(struct conns **out, long long request_timeout, long long idle_timeout, struct err *err) __attribute__((warn_unused_result));
/* Stops the watchdog and frees the registry (all slots must be removed). */
void conns_free(struct conns *cs);

/* A new connection on fd; its header deadline starts now.  NULL when out
 * of memory. */
struct conn_slot *conns_add(struct conns *cs, int fd);
void conns_remove(struct conns *cs, struct conn_slot *slot);

/* Seconds from a connection's start (or the end of its previous request
 * plus the idle timeout) until its request headers must be complete. */
#define CONNS_HEADER_TIMEOUT 10

/* A request has started (request line read): its headers are still due
 * by the header deadline. */
void conns_request_begin(struct conns *cs, struct conn_slot *slot);
/* The headers are complete: deadline = request start + request timeout. */
void conns_headers_done(struct conns *cs, struct conn_slot *slot);
/* The request needs no deadline any more (response queued, or an upload
 * accepted: uploads are bounded by the idle timeout only). */
void conns_clear_deadline(struct conns *cs, struct conn_slot *slot);
/* The request is over; the connection idles until the next one. */
void conns_request_end(struct conns *cs, struct conn_slot *slot);

/* Shutdown: closes idle connections now, waits up to grace seconds for
 * busy ones, and returns how many were still busy. */
int conns_drain(struct conns *cs, long long grace_seconds);

#endif
