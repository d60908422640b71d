/* mirror_repair: verify a tree against the feed, and repair it (see mirror/repair.h). */
#include "mirror/repair.h"

#include <stdlib.h>
#include <string.h>

#include "mirror/tree.h"

#define PAGE_SIZE 1000

typedef char oid_hex[OID_HEX_LEN + 1];

struct run {
	mirror_verify_fn walk_fn;
	mirror_repair_fn fn;
	void *arg;
	oid_hex *corrupt; /* sorted once the walk is over */
	bool *in_feed;    /* corrupt[i] was seen in the feed */
	size_t n, cap;
};

static int on_file(const struct mirror_verify_item *it, void *arg)
{
	struct run *r = arg;

	if (it->status == MIRROR_VERIFY_CORRUPT) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 16;
			oid_hex *more = realloc(r->corrupt, cap * sizeof(*more));
			if (!more)
				return ERR_NOMEM;
			r->corrupt = more;
			r->cap = cap;
		}
		memcpy(r->corrupt[r->n++], it->oid, sizeof(oid_hex));
	}
	return r->walk_fn(it, r->arg);
}

static int cmp_oid(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int event(struct run *r, enum mirror_repair_event ev, const char *oid, long long seq,
		 bool was_corrupt)
{
	struct mirror_repair_item it = { ev, oid, seq, was_corrupt };

	return r->fn(&it, r->arg);
}

/* Repairs one page's worth: want_miss[i] / want_fix[i] say what entry i
 * needs; done flags as mirror_source_objects wants them. */
static int repair_page(struct mirror_source *src, struct mirror_tree *t, struct run *r,
		       const struct mirror_entry *e, size_t n, const bool *want_miss, bool *miss_done,
		       const bool *want_fix, bool *fix_done, long long *fixed, struct err *err)
{
	struct store *staging = NULL;
	struct err ferr = ERR_INIT;
	long long bytes = 0, stored = 0;
	int rc, frc = 0;

	rc = mirror_source_objects(src, mirror_tree_store(t), e, n, miss_done, &stored, &bytes, err);
	for (size_t i = 0; i < n; i++) {
		if (want_miss[i] && miss_done[i]) {
			(*fixed)++;
			if (frc == 0)
				frc = event(r, MIRROR_REPAIR_FIXED, e[i].oid, e[i].seq, false);
		}
	}
	if (rc < 0 || frc < 0)
		return rc < 0 ? rc : frc;
	for (size_t i = 0; i < n && !staging; i++) {
		if (want_fix[i] && (rc = mirror_tree_staging(t, &staging, err)) < 0)
			return rc;
	}
	if (!staging)
		return 0;
	rc = mirror_source_objects(src, staging, e, n, fix_done, &stored, &bytes, err);
	/* Whatever arrived whole goes into place, also after a failure. */
	for (size_t i = 0; i < n && frc == 0; i++) {
		bool again = false;

		/* An oid listed twice was fetched, and is renamed, once. */
		for (size_t j = 0; j < i && !again && want_fix[i]; j++)
			again = want_fix[j] && strcmp(e[j].oid, e[i].oid) == 0;
		if (!want_fix[i] || !fix_done[i] || again)
			continue;
		if ((frc = mirror_tree_replace(t, e[i].oid, &ferr)) < 0)
			break;
		(*fixed)++;
		frc = event(r, MIRROR_REPAIR_FIXED, e[i].oid, e[i].seq, true);
	}
	if (rc == 0 && frc < 0) {
		rc = frc;
		if (ferr.code)
			*err = ferr;
	}
	return rc;
}

int mirror_repair_run(const char *dir, const struct mirror_source_opts *so, bool repair,
		      mirror_verify_fn walk_fn, mirror_repair_fn fn, void *arg,
		      struct mirror_repair_result *res, struct err *err)
{
	struct mirror_entry *page = calloc(PAGE_SIZE, sizeof(*page));
	bool *flags = calloc(4 * PAGE_SIZE, sizeof(*flags));
	bool *want_miss = flags, *miss_done = flags + PAGE_SIZE;
	bool *want_fix = flags + 2 * PAGE_SIZE, *fix_done = flags + 3 * PAGE_SIZE;
	struct run r = { walk_fn, fn, arg, NULL, NULL, 0, 0 };
	struct mirror_source *src = NULL;
	struct mirror_tree *t = NULL;
	long long after = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!page || !flags) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (repair)
		rc = mirror_tree_check_place(dir, mirror_source_is_url(so->from) ? NULL : so->from, err);
	else
		rc = 0;
	if (rc < 0 ||
	    (rc = repair ? mirror_tree_open(&t, dir, err) : mirror_tree_open_readonly(&t, dir, err)) < 0 ||
	    (rc = mirror_source_open(&src, so, err)) < 0 ||
	    (rc = mirror_tree_read_state(t, &res->last_seq, err)) < 0)
		goto out;
	if ((rc = mirror_verify_walk(dir, true, on_file, &r, err)) < 0) {
		if (rc == ERR_NOMEM && !err->code)
			err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (r.n && !(r.in_feed = calloc(r.n, sizeof(*r.in_feed)))) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	if (r.n)
		qsort(r.corrupt, r.n, sizeof(*r.corrupt), cmp_oid);
	res->corrupt = (long long)r.n;
	while (after < res->last_seq) {
		long long next = -1;
		size_t n = 0;

		if ((rc = mirror_source_page(src, after, PAGE_SIZE, page, &n, &next, err)) < 0)
			goto out;
		for (size_t i = 0; i < n; i++) {
			oid_hex *c = r.n ? bsearch(page[i].oid, r.corrupt, r.n, sizeof(*r.corrupt), cmp_oid) : NULL;
			bool has = true;

			if (page[i].seq > res->last_seq) {
				n = i; /* past what the tree promises */
				break;
			}
			want_fix[i] = c != NULL;
			if (c)
				r.in_feed[c - r.corrupt] = true;
			else if ((rc = mirror_tree_has(t, page[i].oid, page[i].size, &has, err)) < 0)
				goto out;
			want_miss[i] = !has;
			miss_done[i] = has;
			fix_done[i] = !c;
			if (!has) {
				res->missing++;
				if ((rc = event(&r, MIRROR_REPAIR_MISSING, page[i].oid, page[i].seq, false)) < 0)
					goto out;
			}
		}
		if (repair && (rc = repair_page(src, t, &r, page, n, want_miss, miss_done, want_fix,
						fix_done, &res->fixed, err)) < 0)
			goto out;
		if (next < 0)
			break;
		after = next;
	}
	for (size_t i = 0; i < r.n; i++) {
		if (r.in_feed[i])
			continue;
		res->not_in_feed++;
		if ((rc = event(&r, MIRROR_REPAIR_NOT_IN_FEED, r.corrupt[i], res->last_seq, true)) < 0)
			goto out;
	}
	rc = 0;
out:
	mirror_source_free(src);
	mirror_tree_close(t);
	free(r.corrupt);
	free(r.in_feed);
	free(page);
	free(flags);
	return rc;
}
