/* nocork: the daemon's connections are never corked.
 *
 * libmicrohttpd (0.9.75, Debian 12) sets TCP_CORK on a connection while
 * it sends a file response with sendfile, and lifts it only for the last
 * 2 MiB piece.  On loopback (a proxy or load balancer in front of the
 * daemon, a mirror on the same host, the benchmark) a corked 1 GiB
 * download ran at 0.6x nginx's rate, the CPUs idle a third of the time;
 * with corking refused the same download ran at 1.0-1.4x nginx's
 * (docs/benchmarks.md).  The library has no option for it, so the
 * daemon's executable defines setsockopt, which the dynamic linker finds
 * ahead of libc's for the library's calls too, and passes every call on
 * to the kernel except a request to cork.  Nothing else in the daemon
 * corks on purpose: libcurl and libpq never do.  Uncorking still passes,
 * so a socket corked before this (none) would be uncorked as asked. */
#include "server/nocork.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	if (level == IPPROTO_TCP && name == TCP_CORK && value && len >= (socklen_t)sizeof(int) &&
	    *(const int *)value != 0)
		return 0;
	return (int)syscall(SYS_setsockopt, fd, level, name, value, len);
}

bool nocork_active(void)
{
	return true;
}
