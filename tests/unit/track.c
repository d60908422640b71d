/* Unit tests for git-hooks/track.c: the .gitattributes lines. */
#include <stdlib.h>

#include "tap.h"
#include "track.h"

static void check_escape(const char *in, const char *want)
{
	char *e = track_escape(in);

	is_str(e, want, in);
	free(e);
}

int main(void)
{
	check_escape("*.a", "*.a");
	check_escape("lib dir/*.bin", "lib[[:space:]]dir/*.bin");
	check_escape("#odd", "\\#odd");
	ok(track_line_tracks("*.a filter=lfs diff=lfs merge=lfs -text", "*.a"), "a tracking line");
	ok(track_line_tracks("  *.a   -text filter=lfs", "*.a"), "any attribute order");
	ok(!track_line_tracks("*.a filter=lfsx", "*.a"), "another filter");
	ok(!track_line_tracks("*.ab filter=lfs", "*.a"), "another pattern");
	ok(!track_line_tracks("*.a -filter=lfs", "*.a"), "unset filter");
	ok(!track_line_tracks("*.a text", "*.a"), "no filter");
	return tap_done();
}
