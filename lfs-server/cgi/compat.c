/* compat: keeps lfs-cgi's oldest glibc at 2.34 rather than 2.36.
 * Debian's static libxcrypt calls arc4random_buf, which glibc gained only
 * in 2.36 (2022); university web hosts often run older ones (RHEL 9 and
 * Ubuntu 22.04 have 2.34 and 2.35).  Defined here, the link takes this
 * one instead of glibc's: the same bytes from the kernel, by getrandom(2)
 * (glibc 2.25). */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

void arc4random_buf(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			abort(); /* no randomness at all: nothing safe to return */
		p += got;
		n -= (size_t)got;
	}
}
