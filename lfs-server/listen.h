/* listen: turns "HOST:PORT" into a bound, listening socket, so that a busy
 * port or a bad address is one clear error before anything starts. */
#ifndef LFS_LISTEN_H
#define LFS_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Splits "HOST:PORT" or "[V6]:PORT".  host gets the bare address. */
int listen_split(const char *spec, char *host, size_t hostsz, char *port, size_t portsz,
		 struct err *err);

/* Binds and listens; *loopback tells whether the address is a loopback
 * one.  The socket belongs to the caller. */
int listen_open(int *fd_out, bool *loopback, const char *spec, struct err *err);

/* "http://HOST:PORT" of a bound socket, with the actual port (for :0). */
int listen_url(char *out, size_t outsz, int fd, const char *scheme, struct err *err);

#endif
