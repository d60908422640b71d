/* Unit tests for git-hooks/progress.c: byte counts as the meter shows them. */
#include "progress.h"
#include "tap.h"

static void test_bytes(void)
{
	char s[32];

	progress_format_bytes(s, sizeof(s), 512);
	is_str(s, "512 B", "bytes");
	progress_format_bytes(s, sizeof(s), 12000000);
	is_str(s, "12.0 MB", "megabytes");
	progress_format_bytes(s, sizeof(s), 1500000000);
	is_str(s, "1.5 GB", "gigabytes");
	progress_format_bytes(s, sizeof(s), 150000);
	is_str(s, "150 KB", "three digits, no decimals");
}

int main(void)
{
	test_bytes();
	return tap_done();
}
