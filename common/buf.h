/* buf: a growable byte buffer with a mandatory cap, for anything filled
 * from the network.  An append past the cap fails with ERR_TOOBIG and
 * leaves the buffer as it was. */
#ifndef LFS_BUF_H
#define LFS_BUF_H

#include <stddef.h>

#include "err.h"

struct buf {
	char *data; /* NUL-terminated after every append */
	size_t len;
	size_t cap; /* allocated */
	size_t max; /* never grows beyond this many bytes of content */
};

/* Initialises an empty buffer that will hold at most max bytes. */
void buf_init(struct buf *b, size_t max);
int buf_append(struct buf *b, const void *data, size_t len, struct err *err) __attribute__((warn_unused_result));
/* Appends printf-style text (any length, within the cap). */
int buf_appendf(struct buf *b, struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) __attribute__((warn_unused_result));
/* Frees the contents; the buffer is empty and reusable afterwards. */
void buf_release(struct buf *b);

#endif
