/* mirror_source: the feed and objects from a URL or a data dir (see mirror/source.h). */
#include "mirror/source.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mirror/fetch.h"
#include "mirror/local.h"

struct mirror_source {
	struct mirror_fetch *http;
	struct mirror_local *local;
	int jobs;
};

bool mirror_source_is_url(const char *from)
{
	return strncasecmp(from, "http://", 7) == 0 || strncasecmp(from, "https://", 8) == 0;
}

int mirror_source_open(struct mirror_source **out, const struct mirror_source_opts *o,
		       struct err *err)
{
	struct mirror_source *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return err_set(err, ERR_NOMEM, "out of memory");
	s->jobs = o->jobs > 0 ? o->jobs : 1;
	if (mirror_source_is_url(o->from)) {
		struct mirror_fetch_opts fo = { o->netrc, o->cacert, o->capath, o->max_rate,
						o->timeout > 0 ? o->timeout : MIRROR_SOURCE_TIMEOUT };
		rc = mirror_fetch_new(&s->http, o->from, &fo, err);
	} else {
		rc = mirror_local_open(&s->local, o->from, err);
	}
	if (rc < 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void mirror_source_free(struct mirror_source *s)
{
	if (!s)
		return;
	mirror_fetch_free(s->http);
	mirror_local_free(s->local);
	free(s);
}

int mirror_source_page(struct mirror_source *s, long long after, size_t max,
		       struct mirror_entry *out, size_t *n, long long *next, struct err *err)
{
	if (s->http)
		return mirror_fetch_page(s->http, after, max, out, n, next, err);
	return mirror_local_page(s->local, after, max, out, n, next, err);
}

static int by_oid(const void *a, const void *b, void *arg)
{
	const struct mirror_entry *e = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(e[i].oid, e[j].oid);

	return c ? c : (i > j) - (i < j);
}

int mirror_source_objects(struct mirror_source *s, struct store *store,
			  const struct mirror_entry *e, size_t n, bool *done, long long *stored,
			  long long *bytes, struct err *err)
{
	size_t *order = malloc((n ? n : 1) * sizeof(*order));
	size_t *rep = malloc((n ? n : 1) * sizeof(*rep));
	size_t m = 0;
	int rc;

	if (!order || !rep) {
		free(order);
		free(rep);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	/* An oid listed twice (a feed lists each object once; a hostile one
	 * may not) is fetched once: the later entries follow the first. */
	for (size_t i = 0; i < n; i++) {
		rep[i] = i;
		if (!done[i])
			order[m++] = i;
	}
	qsort_r(order, m, sizeof(*order), by_oid, (void *)e);
	for (size_t k = 1; k < m; k++) {
		if (strcmp(e[order[k]].oid, e[order[k - 1]].oid) == 0) {
			rep[order[k]] = rep[order[k - 1]];
			done[order[k]] = true;
		}
	}
	if (s->http)
		rc = mirror_fetch_objects(s->http, store, e, n, done, s->jobs, bytes, err);
	else
		rc = mirror_local_objects(s->local, store, e, n, done, bytes, err);
	for (size_t k = 0; k < m; k++) {
		size_t i = order[k];
		if (rep[i] != i)
			done[i] = done[rep[i]];
		else if (done[i])
			(*stored)++;
	}
	free(order);
	free(rep);
	return rc;
}
