/* track: edit .gitattributes (see track.h). */
#include "track.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "say.h"

#define TRACK_ATTRS "filter=lfs diff=lfs merge=lfs -text"

char *track_escape(const char *pattern)
{
	size_t n = 0;
	char *out, *o;

	for (const char *s = pattern; *s; s++)
		n += *s == ' ' ? 11 : 1;
	out = malloc(n + 2);
	if (!out)
		return NULL;
	o = out;
	if (pattern[0] == '#')
		*o++ = '\\';
	for (const char *s = pattern; *s; s++) {
		if (*s == ' ') {
			memcpy(o, "[[:space:]]", 11);
			o += 11;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

bool track_line_tracks(const char *line, const char *escaped)
{
	size_t n = strlen(escaped);

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, escaped, n) != 0 || (line[n] != ' ' && line[n] != '\t'))
		return false;
	for (const char *s = line + n; (s = strstr(s, "filter=lfs")); s += 10)
		if ((s[-1] == ' ' || s[-1] == '\t') && (s[10] == '\0' || s[10] == ' ' || s[10] == '\t' ||
						       s[10] == '\n' || s[10] == '\r'))
			return true;
	return false;
}

static char *attrs_path(struct lfsrepo *r, struct err *err)
{
	char *p = NULL;

	if (!r->workdir) {
		err_set(err, ERR_INVALID, "this repository has no work tree");
		return NULL;
	}
	if (asprintf(&p, "%s.gitattributes", r->workdir) < 0) {
		err_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	return p;
}

/* Reads the whole file ("" when missing); caller frees.  A partial read
 * must never happen: the text is written back as the whole file. */
static char *slurp(const char *path, struct err *err)
{
	char *buf = NULL;

	if (util_read_file(path, 64u << 20, &buf, NULL) == 0)
		return buf;
	if (errno != ENOENT) {
		err_set_errno(err, ERR_IO, "cannot read '%s'", path);
		return NULL;
	}
	if (!(buf = strdup("")))
		err_set(err, ERR_NOMEM, "out of memory");
	return buf;
}

static bool tracked_in(const char *text, const char *escaped)
{
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *copy = strndup(line, len);
		bool hit = copy && track_line_tracks(copy, escaped);
		free(copy);
		if (hit)
			return true;
		if (!nl)
			break;
		line = nl + 1;
	}
	return false;
}

int track_add(struct lfsrepo *r, char *const *patterns, int n, struct err *err)
{
	char *path = attrs_path(r, err), *text;
	FILE *f = NULL;
	int rc = 0;

	if (!path)
		return err ? err->code : ERR_IO;
	if (!(text = slurp(path, err))) {
		free(path);
		return err ? err->code : ERR_IO;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		char *esc = track_escape(patterns[i]);
		if (!esc) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			break;
		}
		if (tracked_in(text, esc)) {
			say_info("\"%s\" already supported", patterns[i]);
		} else {
			char *more = NULL;
			size_t tl = strlen(text);
			if (asprintf(&more, "%s%s%s " TRACK_ATTRS "\n", text, tl && text[tl - 1] != '\n' ? "\n" : "",
				     esc) < 0) {
				rc = err_set(err, ERR_NOMEM, "out of memory");
			} else {
				free(text);
				text = more;
				say_info("Tracking \"%s\"", patterns[i]);
			}
		}
		free(esc);
	}
	if (rc == 0) {
		char *tmp = NULL;
		if (asprintf(&tmp, "%s.lfs-hooks-tmp", path) < 0) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
		} else if (!(f = fopen(tmp, "wb")) || fputs(text, f) == EOF || fclose(f) != 0) {
			f = NULL;
			rc = err_set_errno(err, ERR_IO, "cannot write '%s'", tmp);
			unlink(tmp);
		} else if (rename(tmp, path) < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot replace '%s'", path);
			unlink(tmp);
		}
		free(tmp);
	}
	free(text);
	free(path);
	return rc;
}

int track_list(struct lfsrepo *r, struct err *err)
{
	char *path = attrs_path(r, err), *text, *line;

	if (!path)
		return err ? err->code : ERR_IO;
	if (!(text = slurp(path, err))) {
		free(path);
		return err ? err->code : ERR_IO;
	}
	say_info("Listing tracked patterns");
	for (line = text; *line;) {
		char *nl = strchr(line, '\n'), *pat;
		size_t plen;
		if (nl)
			*nl = '\0';
		pat = line + strspn(line, " \t");
		plen = strcspn(pat, " \t\r");
		if (*pat != '#' && plen > 0) {
			char *p = strndup(pat, plen);
			if (!p) {
				free(text);
				free(path);
				return err_set(err, ERR_NOMEM, "out of memory");
			}
			if (track_line_tracks(line, p))
				say_info("    %s (.gitattributes)", p);
			free(p);
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	free(text);
	free(path);
	return 0;
}
