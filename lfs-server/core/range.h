/* range: parses an HTTP Range header for one object (RFC 9110, bytes
 * unit).  Pure.  Multiple ranges are answered with the whole object, which
 * the RFC allows and git-lfs never asks for. */
#ifndef LFS_RANGE_H
#define LFS_RANGE_H

enum range_result {
	RANGE_FULL = 0,       /* no usable Range: send 200 and everything */
	RANGE_PARTIAL = 1,    /* send 206 with [start, start+len) */
	RANGE_UNSATISFIABLE = 2, /* send 416 */
};

/* header may be NULL.  size is the object's size. */
enum range_result range_parse(const char *header, long long size,
			      long long *start, long long *len);

#endif
