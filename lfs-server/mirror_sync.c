/* mirror_sync: one `lfs-mirror sync` run (see mirror_sync.h). */
#include "mirror_sync.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mirror_fetch.h"
#include "mirror_local.h"
#include "mirror_tree.h"

#define PAGE_SIZE 1000

/* Where the feed and the objects come from. */
struct source {
	struct mirror_fetch *http;
	struct mirror_local *local;
	int jobs;
};

int mirror_sync_is_url(const char *from)
{
	return strncasecmp(from, "http://", 7) == 0 || strncasecmp(from, "https://", 8) == 0;
}

static int source_page(struct source *s, long long after, struct mirror_entry *out,
		       size_t *n, long long *next, struct err *err)
{
	if (s->http)
		return mirror_fetch_page(s->http, after, PAGE_SIZE, out, n, next, err);
	return mirror_local_page(s->local, after, PAGE_SIZE, out, n, next, err);
}

static int source_objects(struct source *s, struct store *store, const struct mirror_entry *e,
			  size_t n, bool *done, long long *bytes, struct err *err)
{
	if (s->http)
		return mirror_fetch_objects(s->http, store, e, n, done, s->jobs, bytes, err);
	return mirror_local_objects(s->local, store, e, n, done, bytes, err);
}

/* Syncs one page; *last moves to the end of the run of present objects. */
static int sync_page(struct source *s, struct mirror_tree *t, const struct mirror_entry *e,
		     size_t n, bool *done, struct mirror_sync_result *res, long long *last,
		     struct err *err)
{
	long long present = 0, now_present = 0;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = mirror_tree_has(t, e[i].oid, e[i].size, &done[i], err);
		present += done[i];
	}
	if (rc == 0)
		rc = source_objects(s, mirror_tree_store(t), e, n, done, &res->bytes, err);
	for (size_t i = 0; i < n; i++)
		now_present += done[i];
	res->skipped += present;
	res->synced += now_present - present;
	for (size_t i = 0; i < n && done[i]; i++)
		*last = e[i].seq;
	return rc;
}

int mirror_sync_run(const struct mirror_sync_opts *o, struct mirror_sync_result *res,
		    struct err *err)
{
	struct mirror_entry *page = calloc(PAGE_SIZE, sizeof(*page));
	bool *done = calloc(PAGE_SIZE, sizeof(*done));
	struct source src = { NULL, NULL, o->jobs > 0 ? o->jobs : 1 };
	struct mirror_tree *t = NULL;
	struct err werr = ERR_INIT;
	long long after, written;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!page || !done) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (mirror_sync_is_url(o->from))
		rc = mirror_fetch_new(&src.http, o->from, o->netrc, o->max_rate, err);
	else
		rc = mirror_local_open(&src.local, o->from, err);
	if (rc < 0 || (rc = mirror_tree_open(&t, o->to, err)) < 0 ||
	    (rc = mirror_tree_read_state(t, &res->last_seq, err)) < 0)
		goto out;
	written = after = res->last_seq;
	for (;;) {
		long long next = -1;
		size_t n = 0;

		if ((rc = source_page(&src, after, page, &n, &next, err)) < 0)
			break;
		memset(done, 0, PAGE_SIZE * sizeof(*done));
		rc = sync_page(&src, t, page, n, done, res, &res->last_seq, err);
		if (rc < 0 || next < 0)
			break;
		/* Record progress page by page: a long first sync that dies
		 * late need not start over. */
		if (res->last_seq != written) {
			if ((rc = mirror_tree_write_state(t, res->last_seq, err)) < 0)
				break;
			written = res->last_seq;
		}
		after = next;
	}
	if (rc < 0) {
		/* Keep what was done; the failure is what gets reported. */
		if (res->last_seq != written)
			mirror_tree_write_state(t, res->last_seq, &werr);
		goto out;
	}
	/* Rewritten even when unchanged: updated_at tells the world this
	 * mirror was in step with the server at that time. */
	rc = mirror_tree_write_state(t, res->last_seq, err);
out:
	mirror_tree_close(t);
	mirror_fetch_free(src.http);
	mirror_local_free(src.local);
	free(page);
	free(done);
	return rc;
}
