/* buf: capped byte buffer (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int buf_append(struct buf *b, const void *data, size_t len, struct err *err)
{
	if (len > b->max - b->len)
		return err_set(err, ERR_TOOBIG, "body larger than %zu bytes", b->max);
	if (b->len + len + 1 > b->cap) {
		size_t want = b->cap ? b->cap : 4096;
		char *p;

		while (want < b->len + len + 1)
			want *= 2;
		if (want > b->max + 1)
			want = b->max + 1;
		p = realloc(b->data, want);
		if (!p)
			return err_set(err, ERR_NOMEM, "out of memory");
		b->data = p;
		b->cap = want;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_appendf(struct buf *b, struct err *err, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return err_set(err, ERR_IO, "cannot format text");
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n, err);
	/* Rare: long text gets a buffer of its own size. */
	if (!(big = malloc((size_t)n + 1)))
		return err_set(err, ERR_NOMEM, "out of memory");
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = buf_append(b, big, (size_t)n, err);
	free(big);
	return rc;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}
