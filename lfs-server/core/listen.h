/* listen: turns "HOST:PORT" into a bound, listening socket, so that a busy
 * port or a bad address is one clear error before anything starts; and
 * the file descriptor budget that bounds how many connections we take. */
#ifndef LFS_LISTEN_H
#define LFS_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Splits "HOST:PORT" or "[V6]:PORT".  host gets the bare address. */
int listen_split(const char *spec, char *host, size_t hostsz, char *port, size_t portsz,
		 struct err *err) __attribute__((warn_unused_result));

/* Binds and listens; *loopback tells whether the address is a loopback
 * one.  The socket belongs to the caller. */
int listen_open(int *fd_out, bool *loopback, const char *spec, struct err *err) __attribute__((warn_unused_result));

/* "http://HOST:PORT" of a bound socket, with the actual port (for :0). */
int listen_url(char *out, size_t outsz, int fd, const char *scheme, struct err *err) __attribute__((warn_unused_result));

/* Descriptors kept for everything but connections (SQLite pool, log,
 * listening socket, mirror polls, a commit's directory fd), and what one
 * connection may hold at once (its socket and an object or temp file). */
#define LISTEN_FD_RESERVE 64
#define LISTEN_FDS_PER_CONN 2

/* Raises the soft RLIMIT_NOFILE to the hard limit (the common soft 1024
 * would cap us at a few hundred downloads).  A failure is logged, not
 * fatal: listen_conn_budget then fits the connections to what is left. */
void listen_raise_fd_limit(void);

/* How many connections fit the current descriptor limit, at most want;
 * *fd_limit gets the soft limit (-1 when unlimited). */
unsigned listen_conn_budget(unsigned want, long long *fd_limit);

#endif
