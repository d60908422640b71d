/* say: sanitized warnings and notes (see say.h). */
#include "say.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void say_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s, *q = p;

	while (*p) {
		if (*p < 0x20 || *p == 0x7f) {
			*q++ = '?';
			p++;
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			*q++ = '?';
			p += 2;
		} else {
			*q++ = *p++;
		}
	}
	*q = '\0';
}

static void emit(FILE *f, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void emit(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs(prefix, f);
		fputs("(out of memory)\n", f);
		return;
	}
	say_sanitize(msg);
	fprintf(f, "%s%s\n", prefix, msg);
	fflush(f);
	free(msg);
}

void say_vwarn(const char *fmt, va_list ap)
{
	emit(stderr, "lfs-hooks: ", fmt, ap);
}

void say_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say_vwarn(fmt, ap);
	va_end(ap);
}

void say_progress(const char *line, int width, const char *tail)
{
	char *s = strdup(line);
	int n;

	if (!s)
		return;
	say_sanitize(s);
	n = (int)strlen(s);
	fprintf(stderr, "\r%s%*s%s", s, width > n ? width - n : 0, "", tail);
	fflush(stderr);
	free(s);
}

void say_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(stdout, "", fmt, ap);
	va_end(ap);
}
