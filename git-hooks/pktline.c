/* pktline: pkt-line framing over file descriptors (see pktline.h). */
#include "pktline.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pktline_parse_header(const char hdr[4], size_t *payload, struct err *err)
{
	size_t total = 0;

	for (int i = 0; i < 4; i++) {
		int v = hexval(hdr[i]);
		if (v < 0)
			return err_set(err, ERR_INVALID, "bad pkt-line header '%.4s'", hdr);
		total = total * 16 + (size_t)v;
	}
	if (total == 0)
		return PKTLINE_FLUSH;
	if (total < 4)
		return err_set(err, ERR_INVALID, "unexpected special pkt-line '%.4s'", hdr);
	if (total > PKTLINE_MAX_TOTAL)
		return err_set(err, ERR_INVALID, "pkt-line of %zu bytes is too long", total);
	*payload = total - 4;
	return PKTLINE_DATA;
}

void pktline_format_header(char hdr[4], size_t payload)
{
	static const char hex[] = "0123456789abcdef";
	size_t total = payload + 4;

	hdr[0] = hex[(total >> 12) & 15];
	hdr[1] = hex[(total >> 8) & 15];
	hdr[2] = hex[(total >> 4) & 15];
	hdr[3] = hex[total & 15];
}

/* Reads exactly len bytes; returns 0, 1 when EOF came first, or -1. */
static int read_full(int fd, void *buf, size_t len, size_t *got)
{
	char *p = buf;

	*got = 0;
	while (*got < len) {
		ssize_t n = read(fd, p + *got, len - *got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 1;
		*got += (size_t)n;
	}
	return 0;
}

int pktline_read(int fd, char *buf, size_t *len, struct err *err)
{
	char hdr[4];
	size_t got, payload = 0;
	int rc;

	rc = read_full(fd, hdr, 4, &got);
	if (rc < 0)
		return err_set_errno(err, ERR_IO, "cannot read pkt-line");
	if (rc > 0) {
		if (got == 0)
			return err_set(err, ERR_NOTFOUND, "end of input");
		return err_set(err, ERR_INVALID, "truncated pkt-line header");
	}
	rc = pktline_parse_header(hdr, &payload, err);
	if (rc < 0)
		return rc;
	*len = 0;
	buf[0] = '\0';
	if (rc == PKTLINE_FLUSH)
		return PKTLINE_FLUSH;
	rc = read_full(fd, buf, payload, &got);
	if (rc < 0)
		return err_set_errno(err, ERR_IO, "cannot read pkt-line");
	if (rc > 0)
		return err_set(err, ERR_INVALID, "truncated pkt-line: %zu of %zu bytes", got, payload);
	buf[payload] = '\0';
	*len = payload;
	return PKTLINE_DATA;
}

int pktline_read_text(int fd, char *buf, size_t *len, struct err *err)
{
	int rc = pktline_read(fd, buf, len, err);

	if (rc == PKTLINE_DATA && *len > 0 && buf[*len - 1] == '\n')
		buf[--*len] = '\0';
	return rc;
}

static int write_iov(int fd, struct iovec *iov, int cnt, struct err *err)
{
	while (cnt > 0) {
		ssize_t n = writev(fd, iov, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_set_errno(err, ERR_IO, "cannot write pkt-line");
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int pktline_write(int fd, const void *data, size_t len, struct err *err)
{
	const char *p = data;

	while (len > 0) {
		size_t chunk = len > PKTLINE_MAX_PAYLOAD ? PKTLINE_MAX_PAYLOAD : len;
		char hdr[4];
		struct iovec iov[2] = { { hdr, 4 }, { (void *)p, chunk } };

		pktline_format_header(hdr, chunk);
		if (write_iov(fd, iov, 2, err) < 0)
			return ERR_IO;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

int pktline_write_text(int fd, const char *s, struct err *err)
{
	size_t n = strlen(s);
	char hdr[4];
	struct iovec iov[3] = { { hdr, 4 }, { (void *)s, n }, { (void *)"\n", 1 } };

	if (n + 1 > PKTLINE_MAX_PAYLOAD)
		return err_set(err, ERR_TOOBIG, "pkt-line text too long");
	pktline_format_header(hdr, n + 1);
	return write_iov(fd, iov, 3, err);
}

int pktline_flush(int fd, struct err *err)
{
	struct iovec iov[1] = { { (void *)"0000", 4 } };

	return write_iov(fd, iov, 1, err);
}
