/* Unit tests for lfs-server/core/range.c. */
#include <stddef.h>

#include "core/range.h"
#include "tap.h"

static void check(const char *h, long long size, enum range_result want, long long ws, long long wl)
{
	long long s = -1, l = -1;
	enum range_result got = range_parse(h, size, &s, &l);

	if (want == RANGE_PARTIAL)
		ok(got == want && s == ws && l == wl, "'%s' of %lld -> %lld+%lld (got %d %lld+%lld)",
		   h ? h : "(null)", size, ws, wl, got, s, l);
	else
		ok(got == want, "'%s' of %lld -> result %d (got %d)", h ? h : "(null)", size, want, got);
}

int main(void)
{
	check(NULL, 100, RANGE_FULL, 0, 0);
	check("bytes=0-99", 100, RANGE_PARTIAL, 0, 100);
	check("bytes=10-", 100, RANGE_PARTIAL, 10, 90);
	check("bytes=10-19", 100, RANGE_PARTIAL, 10, 10);
	check("bytes=10-1000", 100, RANGE_PARTIAL, 10, 90);
	check("bytes=-5", 100, RANGE_PARTIAL, 95, 5);
	check("bytes=-500", 100, RANGE_PARTIAL, 0, 100);
	check("bytes=99-", 100, RANGE_PARTIAL, 99, 1);
	check("bytes=100-", 100, RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=200-300", 100, RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=-0", 100, RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0);
	check("bytes=20-10", 100, RANGE_FULL, 0, 0);
	check("bytes=0-1,5-6", 100, RANGE_FULL, 0, 0);
	check("items=0-1", 100, RANGE_FULL, 0, 0);
	check("bytes=abc", 100, RANGE_FULL, 0, 0);
	check("bytes=-", 100, RANGE_FULL, 0, 0);
	check("bytes=99999999999999999999999-", 100, RANGE_FULL, 0, 0);
	check("bytes = 5-9", 100, RANGE_PARTIAL, 5, 5);
	check("bytes=5-9x", 100, RANGE_FULL, 0, 0);
	return tap_done();
}
