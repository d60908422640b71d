/* Unit tests for core/mirror_health (the cron check's saved mirror state,
 * read by lfs-cgi) and util_replace_file, which writes it. */
#include <errno.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mirror_health.h"
#include "tap.h"
#include "util.h"

int main(void)
{
	char dir[] = "/tmp/mhealth-XXXXXX", path[256], *text = NULL;
	struct err err = ERR_INIT;
	json_t *in, *out = NULL;
	long long written = 0;
	struct stat st;
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/%s", dir, MIRROR_HEALTH_FILE);

	rc = mirror_health_read(dir, &out, &written, &err);
	is_int(rc, ERR_NOTFOUND, "no check ran yet: ERR_NOTFOUND");
	ok(out == NULL, "and no array");

	in = json_pack("[{s:s, s:b, s:I}, {s:s, s:b, s:I}]", "name", "uni", "healthy", 1,
		       "last_seq", (json_int_t)7, "name", "down", "healthy", 0, "last_seq",
		       (json_int_t)-1);
	is_int(mirror_health_write(dir, in, &err), 0, "write");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "written 0600");
	is_int(mirror_health_read(dir, &out, &written, &err), 0, "read back");
	ok(out && json_equal(in, out), "the same array comes back");
	ok(written > 0 && written <= (long long)time(NULL), "with the time it was written");

	/* One TAP line per row: mirror, seq, usable? */
	static const struct {
		const char *name;
		long long seq;
		bool want;
	} rows[] = {
		{ "uni", 1, true },  { "uni", 7, true },   { "uni", 8, false },
		{ "down", 0, false }, { "other", 1, false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ok(mirror_health_usable(out, rows[i].name, rows[i].seq) == rows[i].want,
		   "usable(%s, seq %lld) is %s", rows[i].name, rows[i].seq,
		   rows[i].want ? "true" : "false");
	json_decref(out);
	out = NULL;

	/* Not ours: refused, never half-believed. */
	is_int(util_replace_file(path, "{\"mirrors\": 3}", 14, 0600), 0, "replace with junk");
	is_int(mirror_health_read(dir, &out, &written, &err), ERR_IO, "a foreign file is ERR_IO");
	ok(out == NULL, "and no array");

	/* util_replace_file leaves no temp file behind, and keeps the mode. */
	is_int(util_replace_file(path, "new", 3, 0640), 0, "replace");
	ok(util_read_file(path, 100, &text, NULL) == 0 && strcmp(text, "new") == 0,
	   "the new bytes are there");
	free(text);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640, "with the mode asked for");
	snprintf(path, sizeof(path), "%s/missing-dir/x", dir);
	ok(util_replace_file(path, "x", 1, 0600) < 0 && errno == ENOENT,
	   "a missing directory fails with ENOENT");
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) = 1", dir);
		ok(system(cmd) == 0, "only the state file is left in the directory");
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	json_decref(in);
	return tap_done();
}
