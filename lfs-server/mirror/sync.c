/* mirror_sync: one `lfs-mirror sync` run (see mirror/sync.h). */
#include "mirror/sync.h"

#include <stdlib.h>
#include <string.h>

#include "mirror/tree.h"

#define PAGE_SIZE 1000

/* Syncs one page; *last moves to the end of the run of present objects. */
static int sync_page(struct mirror_source *s, struct mirror_tree *t, const struct mirror_entry *e,
		     size_t n, bool *done, struct mirror_sync_result *res, long long *last,
		     struct err *err)
{
	long long stored = 0, now_present = 0;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = mirror_tree_has(t, e[i].oid, e[i].size, &done[i], err);
	if (rc == 0)
		rc = mirror_source_objects(s, mirror_tree_store(t), e, n, done, &stored, &res->bytes, err);
	for (size_t i = 0; i < n; i++)
		now_present += done[i];
	/* Skipped: entries that needed no download of their own. */
	res->synced += stored;
	res->skipped += now_present - stored;
	for (size_t i = 0; i < n && done[i]; i++)
		*last = e[i].seq;
	return rc;
}

int mirror_sync_run(const struct mirror_sync_opts *o, struct mirror_sync_result *res,
		    struct err *err)
{
	struct mirror_entry *page = calloc(PAGE_SIZE, sizeof(*page));
	bool *done = calloc(PAGE_SIZE, sizeof(*done));
	long long max = o->max_entries > 0 ? o->max_entries : MIRROR_SYNC_MAX_ENTRIES;
	long long seen = 0, after, written;
	struct mirror_source *src = NULL;
	struct mirror_tree *t = NULL;
	struct err werr = ERR_INIT;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!page || !done) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = mirror_tree_check_place(o->to, mirror_source_is_url(o->src.from) ? NULL : o->src.from,
					  err)) < 0 ||
	    (rc = mirror_source_open(&src, &o->src, err)) < 0 ||
	    (rc = mirror_tree_open(&t, o->to, err)) < 0 ||
	    (rc = mirror_tree_read_state(t, &res->last_seq, err)) < 0)
		goto out;
	written = after = res->last_seq;
	for (;;) {
		size_t want = max - seen < PAGE_SIZE ? (size_t)(max - seen) : PAGE_SIZE;
		long long next = -1;
		size_t n = 0;

		if ((rc = mirror_source_page(src, after, want, page, &n, &next, err)) < 0)
			break;
		seen += (long long)n;
		memset(done, 0, PAGE_SIZE * sizeof(*done));
		rc = sync_page(src, t, page, n, done, res, &res->last_seq, err);
		if (rc < 0 || next < 0)
			break;
		/* Record progress page by page: a long first sync that dies
		 * late need not start over. */
		if (res->last_seq != written) {
			if ((rc = mirror_tree_write_state(t, res->last_seq, err)) < 0)
				break;
			written = res->last_seq;
		}
		if (seen >= max) {
			res->capped = true;
			break;
		}
		after = next;
	}
	if (rc < 0) {
		/* Keep what was done; the failure is what gets reported. */
		if (res->last_seq != written && mirror_tree_write_state(t, res->last_seq, &werr) < 0) {
			/* The first failure is the one reported. */
		}
		goto out;
	}
	/* Rewritten even when unchanged: updated_at tells the world this
	 * mirror was in step with the server at that time. */
	rc = mirror_tree_write_state(t, res->last_seq, err);
out:
	mirror_tree_close(t);
	mirror_source_free(src);
	free(page);
	free(done);
	return rc;
}
