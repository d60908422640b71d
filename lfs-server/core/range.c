/* range: Range header parsing (see range.h). */
#include "core/range.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Reads a decimal without sign; false on no digits or overflow. */
static bool read_num(const char **p, long long *out)
{
	long long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s)) {
		int d = *s - '0';
		if (v > (__LONG_LONG_MAX__ - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return true;
}

enum range_result range_parse(const char *h, long long size, long long *start, long long *len)
{
	long long a, b;

	if (!h)
		return RANGE_FULL;
	while (*h == ' ')
		h++;
	if (strncasecmp(h, "bytes", 5) != 0)
		return RANGE_FULL;
	h += 5;
	while (*h == ' ')
		h++;
	if (*h++ != '=')
		return RANGE_FULL;
	while (*h == ' ')
		h++;
	if (strchr(h, ','))
		return RANGE_FULL;
	if (*h == '-') {
		h++;
		if (!read_num(&h, &b))
			return RANGE_FULL;
		while (*h == ' ')
			h++;
		if (*h)
			return RANGE_FULL;
		if (b == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		if (b > size)
			b = size;
		*start = size - b;
		*len = b;
		return RANGE_PARTIAL;
	}
	if (!read_num(&h, &a) || *h++ != '-')
		return RANGE_FULL;
	if (*h == '\0' || *h == ' ') {
		b = size - 1;
	} else if (!read_num(&h, &b) || b < a) {
		return RANGE_FULL;
	}
	while (*h == ' ')
		h++;
	if (*h)
		return RANGE_FULL;
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	if (b >= size)
		b = size - 1;
	*start = a;
	*len = b - a + 1;
	return RANGE_PARTIAL;
}
