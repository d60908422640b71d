/* Unit tests for git-hooks/pktline.c: header framing, and a round trip
 * through a pipe. */
#include <string.h>
#include <unistd.h>

#include "pktline.h"
#include "tap.h"

static char buf[PKTLINE_MAX_PAYLOAD + 1];

int main(void)
{
	struct err err = ERR_INIT;
	char hdr[5] = { 0 };
	size_t len = 99;
	int fds[2];

	is_int(pktline_parse_header("0000", &len, &err), PKTLINE_FLUSH, "0000 is a flush");
	is_int(pktline_parse_header("000e", &len, &err), PKTLINE_DATA, "000e is data");
	is_int((long long)len, 10, "000e carries 10 bytes");
	is_int(pktline_parse_header("0004", &len, &err), PKTLINE_DATA, "0004 is an empty data packet");
	is_int((long long)len, 0, "0004 carries nothing");
	is_int(pktline_parse_header("0001", &len, &err), ERR_INVALID, "0001 (delim) is refused");
	is_int(pktline_parse_header("0003", &len, &err), ERR_INVALID, "0003 is refused");
	is_int(pktline_parse_header("fff0", &len, &err), PKTLINE_DATA, "fff0 is the largest packet");
	is_int((long long)len, PKTLINE_MAX_PAYLOAD, "fff0 carries 65516 bytes");
	is_int(pktline_parse_header("fff1", &len, &err), ERR_INVALID, "fff1 is too long");
	is_int(pktline_parse_header("00g0", &len, &err), ERR_INVALID, "non-hex refused");
	is_int(pktline_parse_header("00A0", &len, &err), PKTLINE_DATA, "uppercase hex read");
	pktline_format_header(hdr, 10);
	is_str(hdr, "000e", "header for 10 bytes");
	pktline_format_header(hdr, PKTLINE_MAX_PAYLOAD);
	is_str(hdr, "fff0", "header for the largest payload");

	if (!ok(pipe(fds) == 0, "pipe"))
		return tap_done();
	{
		static char big[PKTLINE_MAX_PAYLOAD + 100];
		memset(big, 'x', sizeof(big));
		ok(pktline_write_text(fds[1], "version 1", &err) == 0, "write text");
		ok(pktline_flush(fds[1], &err) == 0, "write flush");
		close(fds[1]);
		/* Larger writes would fill the pipe before anyone reads: split. */
		is_int(pktline_read(fds[0], buf, &len, &err), PKTLINE_DATA, "read text packet");
		is_str(buf, "version 1\n", "raw packet keeps its LF");
		is_int(pktline_read(fds[0], buf, &len, &err), PKTLINE_FLUSH, "read flush");
		is_int(pktline_read(fds[0], buf, &len, &err), ERR_NOTFOUND, "end of input");
		close(fds[0]);

		ok(pipe(fds) == 0, "pipe again");
		if (fork() == 0) {
			close(fds[0]);
			if (pktline_write(fds[1], big, sizeof(big), NULL) < 0 || pktline_write(fds[1], "", 0, NULL) < 0 ||
			    pktline_write_text(fds[1], "x=1", NULL) < 0)
				_exit(1);
			_exit(0);
		}
		close(fds[1]);
		is_int(pktline_read(fds[0], buf, &len, &err), PKTLINE_DATA, "first part of a long write");
		is_int((long long)len, PKTLINE_MAX_PAYLOAD, "split at the largest payload");
		is_int(pktline_read(fds[0], buf, &len, &err), PKTLINE_DATA, "second part");
		is_int((long long)len, 100, "remainder");
		is_int(pktline_read_text(fds[0], buf, &len, &err), PKTLINE_DATA, "text after an empty write");
		is_str(buf, "x=1", "text reader strips the LF");
		is_int(pktline_read(fds[0], buf, &len, &err), ERR_NOTFOUND, "nothing else was written");
		close(fds[0]);
	}
	if (ok(pipe(fds) == 0, "pipe for a truncated packet")) {
		ssize_t w = write(fds[1], "0010abc", 7);
		(void)w;
		close(fds[1]);
		is_int(pktline_read(fds[0], buf, &len, &err), ERR_INVALID, "truncated packet is an error");
		close(fds[0]);
	}
	return tap_done();
}
