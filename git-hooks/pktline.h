/* pktline: git's pkt-line framing, as the long-running filter protocol
 * uses it.  A packet is 4 lowercase hex digits giving the total length
 * (header included) and then the payload; "0000" is a flush packet.
 * Payloads are at most PKTLINE_MAX_PAYLOAD bytes.  Text packets end in
 * LF, which readers strip. */
#ifndef LFS_HOOKS_PKTLINE_H
#define LFS_HOOKS_PKTLINE_H

#include <stddef.h>

#include "err.h"

#define PKTLINE_MAX_TOTAL 65520
#define PKTLINE_MAX_PAYLOAD (PKTLINE_MAX_TOTAL - 4)

enum {
	PKTLINE_FLUSH = 0, /* "0000" */
	PKTLINE_DATA = 1,
};

/* Decodes a 4-byte header: PKTLINE_FLUSH, or PKTLINE_DATA with *payload
 * set to the payload length ("0004" is an empty data packet).  ERR_INVALID
 * for non-hex digits, for the special packets 0001-0003 and for lengths
 * over PKTLINE_MAX_TOTAL. */
int pktline_parse_header(const char hdr[4], size_t *payload, struct err *err) __attribute__((warn_unused_result));

/* Writes the header of a packet carrying payload bytes (<= max). */
void pktline_format_header(char hdr[4], size_t payload);

/* Reads one packet from fd into buf (PKTLINE_MAX_PAYLOAD + 1 bytes; the
 * payload is NUL-terminated for convenience).  Returns PKTLINE_FLUSH or
 * PKTLINE_DATA with *len set, ERR_NOTFOUND on end of input before a
 * header, or ERR_IO / ERR_INVALID. */
int pktline_read(int fd, char *buf, size_t *len, struct err *err) __attribute__((warn_unused_result));

/* Like pktline_read for text packets: strips one trailing LF. */
int pktline_read_text(int fd, char *buf, size_t *len, struct err *err) __attribute__((warn_unused_result));

/* Writes data as as many packets as it takes (nothing for len 0). */
int pktline_write(int fd, const void *data, size_t len, struct err *err) __attribute__((warn_unused_result));

/* Writes one text packet: s plus LF. */
int pktline_write_text(int fd, const char *s, struct err *err) __attribute__((warn_unused_result));

int pktline_flush(int fd, struct err *err) __attribute__((warn_unused_result));

#endif
