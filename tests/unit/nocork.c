/* Unit tests for lfs-server/server/nocork.c: in a process that links it,
 * a request to cork a TCP socket is refused quietly, and every other
 * socket option still reaches the kernel. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/nocork.h"
#include "tap.h"

static int get(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, level, name, &v, &len) == 0 ? v : -1;
}

int main(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1, off = 0;

	ok(nocork_active(), "linked in");
	if (!ok(fd >= 0, "a TCP socket"))
		return tap_done();
	is_int(setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)), 0, "corking answers success");
	is_int(get(fd, IPPROTO_TCP, TCP_CORK), 0, "but the socket is not corked");
	is_int(setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off)), 0, "uncorking passes");
	is_int(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)), 0, "TCP_NODELAY passes");
	ok(get(fd, IPPROTO_TCP, TCP_NODELAY) > 0, "and is set");
	is_int(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)), 0, "SO_KEEPALIVE passes");
	ok(get(fd, SOL_SOCKET, SO_KEEPALIVE) > 0, "and is set");
	errno = 0;
	ok(setsockopt(-1, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == -1 && errno == EBADF,
	   "a failure comes back as -1 with errno (EBADF)");
	close(fd);
	return tap_done();
}
