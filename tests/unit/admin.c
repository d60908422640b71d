/* Unit tests for lfs-server/admin/admin.c: normalising --since dates. */
#include "admin/admin.h"
#include "tap.h"

static void since(const char *in, const char *want)
{
	char out[ADMIN_TIME_LEN + 1] = "";
	struct err err = ERR_INIT;

	if (!want) {
		is_int(admin_since(out, in, &err), ERR_INVALID, in);
		return;
	}
	if (is_int(admin_since(out, in, &err), 0, in))
		is_str(out, want, in);
}

int main(void)
{
	since("2026-11-25", "2026-11-25T00:00:00Z");
	since("2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z");
	since("2026-11-25t10:00:00z", "2026-11-25T10:00:00Z");
	since("2026-11-25 10:00:00Z", "2026-11-25T10:00:00Z");
	since("2026-11-25T10:00:00.999Z", "2026-11-25T10:00:00Z");
	since("2026-11-25T10:00:00+02:00", "2026-11-25T08:00:00Z");
	since("2026-11-25T01:00:00+02:00", "2026-11-24T23:00:00Z");
	since("2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00Z");
	since("2024-02-29", "2024-02-29T00:00:00Z");
	since("2026-02-29", NULL);
	since("2026-02-30", NULL);
	since("2026-13-01", NULL);
	since("2026-11-25T24:00:00Z", NULL);
	since("2026-11-25T10:00:60Z", NULL);
	since("2026-11-25T10:00:00", NULL);
	since("2026-11-25T10:00:00+0200", NULL);
	since("2026-11-25T10:00:00.Z", NULL);
	since("2026-11-25x", NULL);
	since("26-11-25", NULL);
	since("", NULL);
	since("now", NULL);
	since("2026-11-25T10:00Z", NULL);
	return tap_done();
}
