/* listen: HOST:PORT to a listening socket, and the descriptor budget
 * (see listen.h). */
#include "core/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

int listen_split(const char *spec, char *host, size_t hostsz, char *port, size_t portsz,
		 struct err *err)
{
	const char *colon, *h = spec;
	size_t hlen;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':')
			return err_set(err, ERR_INVALID, "bad listen address '%s': want [ADDR]:PORT", spec);
		h = spec + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon)
			return err_set(err, ERR_INVALID, "bad listen address '%s': want HOST:PORT", spec);
		hlen = (size_t)(colon - spec);
	}
	if (hlen == 0 || hlen >= hostsz || strlen(colon + 1) == 0 || strlen(colon + 1) >= portsz ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return err_set(err, ERR_INVALID, "bad listen address '%s': want HOST:PORT", spec);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, portsz, "%s", colon + 1);
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

int listen_open(int *fd_out, bool *loopback, const char *spec, struct err *err)
{
	char host[256], port[16];
	struct addrinfo hints, *res = NULL;
	int rc, fd, one = 1;

	if ((rc = listen_split(spec, host, sizeof(host), port, sizeof(port), err)) < 0)
		return rc;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return err_set(err, ERR_INVALID, "cannot listen on %s: %s", spec, gai_strerror(rc));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot listen on %s", spec);
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		rc = err_set_errno(err, ERR_IO, "cannot listen on %s", spec);
		close(fd);
		goto out;
	}
	*loopback = is_loopback(res->ai_addr);
	*fd_out = fd;
	rc = 0;
out:
	freeaddrinfo(res);
	return rc;
}

int listen_url(char *out, size_t outsz, int fd, const char *scheme, struct err *err)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return err_set_errno(err, ERR_IO, "getsockname");
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		snprintf(out, outsz, "%s://[%s]:%u", scheme, addr, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		snprintf(out, outsz, "%s://%s:%u", scheme, addr, ntohs(s4->sin_port));
	}
	return 0;
}

void listen_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("cannot read the file descriptor limit: %s", strerror(errno));
		return;
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("cannot raise the file descriptor limit to %llu: %s",
			 (unsigned long long)rl.rlim_max, strerror(errno));
}

unsigned listen_conn_budget(unsigned want, long long *fd_limit)
{
	struct rlimit rl;
	unsigned long long budget;

	*fd_limit = -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return want;
	*fd_limit = (long long)rl.rlim_cur;
	if (rl.rlim_cur <= LISTEN_FD_RESERVE + LISTEN_FDS_PER_CONN)
		return 1;
	budget = (rl.rlim_cur - LISTEN_FD_RESERVE) / LISTEN_FDS_PER_CONN;
	return budget < want ? (unsigned)budget : want;
}
