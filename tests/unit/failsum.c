/* Unit tests for failsum: one line per source, with counts and reasons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failsum.h"
#include "tap.h"

/* Runs failsum_print with stderr caught; returns what it wrote. */
static char *printed(const struct failsum *f, const char *verb, const char *dir)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *out = calloc(1, 4096);

	if (!tmp || saved < 0 || !out)
		abort();
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	failsum_print(f, verb, dir);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	if (fread(out, 1, 4095, tmp) == 0)
		out[0] = '\0';
	fclose(tmp);
	return out;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int main(void)
{
	struct failsum f = FAILSUM_INIT;
	char path[32], *out;

	for (int i = 0; i < 301; i++) {
		snprintf(path, sizeof(path), "f%03d.a", i);
		failsum_add(&f, "https://lfs.example.org/x", path, "0123456789abcdef", "object not found (404)");
	}
	failsum_add(&f, "http://mirror:8080", "m.a", "0123", "HTTP 500");
	failsum_add(&f, "http://mirror:8080", NULL, "fedcba9876543210", "corrupt");
	is_int(f.total, 303, "every failure counted");
	out = printed(&f, "download", "from");
	is_int(lines(out), 2, "one line per source");
	ok(strstr(out, "lfs-hooks: cannot download 301 objects from https://lfs.example.org/x "
		       "(f000.a, f001.a, f002.a and 298 more): object not found (404)\n") != NULL,
	   "count, first names, the reason once");
	ok(strstr(out, "cannot download 2 objects from http://mirror:8080 (m.a, object fedcba987654): HTTP 500 (1); "
		       "corrupt (1)\n") != NULL,
	   "two reasons, each counted; an object without a path named by its oid");
	is_str(f.first.msg, "f000.a: https://lfs.example.org/x: object not found (404)", "the first failure kept");
	free(out);
	failsum_release(&f);

	failsum_add(&f, "s", "a", "0", "\x1b[2Jone");
	failsum_add(&f, "s", "b", "0", "two");
	failsum_add(&f, "s", "c", "0", "three");
	failsum_add(&f, "s", "d", "0", "four");
	out = printed(&f, "upload", "to");
	ok(strstr(out, "cannot upload 4 objects to s (a, b, c and 1 more): ?[2Jone (1); two (1); three (1); 1 for "
		       "other reasons\n") != NULL,
	   "three reasons at most; control characters replaced");
	free(out);
	failsum_release(&f);
	return tap_done();
}
