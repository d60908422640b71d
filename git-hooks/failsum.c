/* failsum: failures summed up per source (see failsum.h). */
#include "failsum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "say.h"

/* File names, and distinct reasons, quoted per source line. */
#define NAMES 3
#define WHYS 3

struct failsum_src {
	char *source;
	char *why[WHYS]; /* the first distinct reasons */
	int why_count[WHYS];
	int other_why;   /* failures for none of those reasons */
	int count;
	char *names[NAMES];
};

static char *name_of(const char *path, const char *oid)
{
	char *s = NULL;

	if (path)
		return strdup(path);
	if (asprintf(&s, "object %.12s", oid ? oid : "?") < 0)
		return NULL;
	return s;
}

void failsum_add(struct failsum *f, const char *source, const char *path, const char *oid, const char *why)
{
	struct failsum_src *s = NULL;

	if (f->total++ == 0)
		err_set(&f->first, ERR_IO, "%s: %s: %s", path ? path : "object", source, why);
	for (size_t i = 0; i < f->n && !s; i++)
		if (strcmp(f->v[i].source, source) == 0)
			s = &f->v[i];
	if (!s) {
		struct failsum_src *grown = realloc(f->v, (f->n + 1) * sizeof(*grown));
		if (!grown)
			return;
		f->v = grown;
		s = &f->v[f->n];
		memset(s, 0, sizeof(*s));
		if (!(s->source = strdup(source)))
			return;
		f->n++;
	}
	for (int k = 0;; k++) {
		if (k == WHYS) {
			s->other_why++;
			break;
		}
		if (!s->why[k] && !(s->why[k] = strdup(why))) {
			s->other_why++;
			break;
		}
		if (strcmp(s->why[k], why) == 0) {
			s->why_count[k]++;
			break;
		}
	}
	if (s->count < NAMES)
		s->names[s->count] = name_of(path, oid);
	s->count++;
}

void failsum_print(const struct failsum *f, const char *verb, const char *dir)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct failsum_src *s = &f->v[i];
		char *line = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&line, &len);

		if (!m) {
			/* Out of memory: the count at least. */
			say_warn("cannot %s %d object%s %s %s", verb, s->count, s->count == 1 ? "" : "s", dir, s->source);
			continue;
		}
		fprintf(m, "cannot %s %d object%s %s %s (", verb, s->count, s->count == 1 ? "" : "s", dir, s->source);
		for (int k = 0; k < NAMES && k < s->count; k++)
			fprintf(m, "%s%s", k ? ", " : "", s->names[k] ? s->names[k] : "?");
		if (s->count > NAMES)
			fprintf(m, " and %d more", s->count - NAMES);
		fputs("):", m);
		for (int k = 0; k < WHYS && s->why[k]; k++) {
			fprintf(m, "%s %s", k ? ";" : "", s->why[k]);
			if (s->why_count[k] != s->count)
				fprintf(m, " (%d)", s->why_count[k]);
		}
		if (s->other_why)
			fprintf(m, "; %d for other reasons", s->other_why);
		if (fclose(m) == 0)
			say_warn("%s", line);
		else
			say_warn("cannot %s %d object%s %s %s", verb, s->count, s->count == 1 ? "" : "s", dir, s->source);
		free(line);
	}
}

void failsum_release(struct failsum *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].source);
		for (int k = 0; k < WHYS; k++)
			free(f->v[i].why[k]);
		for (int k = 0; k < NAMES; k++)
			free(f->v[i].names[k]);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}
