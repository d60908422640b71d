/* tap: minimal TAP output (see tap.h). */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int count, failed, planned = -1;

void tap_plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
}

static bool vreport(bool cond, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static bool vreport(bool cond, const char *fmt, va_list ap)
{
	count++;
	if (!cond)
		failed++;
	printf("%sok %d - ", cond ? "" : "not ", count);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = vreport(cond, fmt, ap);
	va_end(ap);
	return r;
}

bool tap_is_int(long long got, long long want, const char *name)
{
	bool r = tap_ok(got == want, "%s", name);

	if (!r)
		printf("#   got: %lld\n#  want: %lld\n", got, want);
	return r;
}

bool tap_is_str(const char *got, const char *want, const char *name)
{
	bool same = (got == NULL && want == NULL) ||
		    (got != NULL && want != NULL && strcmp(got, want) == 0);
	bool r = tap_ok(same, "%s", name);

	if (!r)
		printf("#   got: '%s'\n#  want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return r;
}

int tap_done(void)
{
	if (planned < 0)
		printf("1..%d\n", count);
	else if (planned != count)
		printf("# planned %d tests, ran %d\n", planned, count);
	return failed || (planned >= 0 && planned != count) ? 1 : 0;
}
