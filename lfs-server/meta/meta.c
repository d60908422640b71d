/* meta: the backend-independent side of the metadata (see meta.h): the
 * backend table and one indirect call per operation. */
#include "meta/meta.h"

#include <string.h>

#include "core/config.h"

static const struct meta_ops *const backends[] = { &meta_sqlite_ops, &meta_postgresql_ops };

const struct meta_ops *meta_backend(const char *type)
{
	if (!type)
		return backends[0];
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, type) == 0)
			return backends[i];
	return NULL;
}

int meta_open_configured(struct meta **out, const struct config *cfg, int pool_size,
			 struct err *err)
{
	const struct meta_ops *ops = meta_backend(cfg->meta_type);

	if (!ops)
		return err_set(err, ERR_INVALID, "meta.type '%s' is not supported by this build",
			       cfg->meta_type);
	return ops->open(out, cfg, pool_size, err);
}

void meta_close(struct meta *m)
{
	if (m)
		m->ops->close(m);
}

bool meta_shared_by_servers(const struct meta *m)
{
	return m->ops->shared_by_servers;
}

int meta_repo_sizes(struct meta *m, const char *repo, const char *const *oids, size_t n,
		    long long *sizes_out, long long *seqs_out, struct err *err)
{
	return m->ops->repo_sizes(m, repo, oids, n, sizes_out, seqs_out, err);
}

int meta_add_object(struct meta *m, const char *repo, const char *oid, long long size,
		    const char *user, bool mirrored, struct err *err)
{
	return m->ops->add_object(m, repo, oid, size, user, mirrored, err);
}

int meta_stored_totals(struct meta *m, long long *objects, long long *bytes, struct err *err)
{
	return m->ops->stored_totals(m, objects, bytes, err);
}

int meta_feed_last_seq(struct meta *m, long long *seq, struct err *err)
{
	return m->ops->feed_last_seq(m, seq, err);
}

int meta_repo_counts(struct meta *m, int limit,
		     int (*fn)(const char *repo, long long objects, long long bytes, void *arg),
		     void *arg, long long *total, struct err *err)
{
	return m->ops->repo_counts(m, limit, fn, arg, total, err);
}

int meta_uploads_per_day(struct meta *m, const char *since_day,
			 int (*fn)(const char *day, long long count, void *arg), void *arg,
			 struct err *err)
{
	return m->ops->uploads_per_day(m, since_day, fn, arg, err);
}

int meta_feed_catch_up(struct meta *m, bool (*mirrored)(const char *repo, void *arg), void *arg,
		       long long *added, struct err *err)
{
	return m->ops->feed_catch_up(m, mirrored, arg, added, err);
}

int meta_feed_list(struct meta *m, long long after, int limit, struct feed_entry *out, int *n_out,
		   int *more, struct err *err)
{
	return m->ops->feed_list(m, after, limit, out, n_out, more, err);
}

int meta_feed_get(struct meta *m, const char *oid, long long *seq, long long *size,
		  struct err *err)
{
	return m->ops->feed_get(m, oid, seq, size, err);
}

int meta_lock_create(struct meta *m, const char *repo, const char *path, const char *owner,
		     struct lock *out, struct err *err)
{
	return m->ops->lock_create(m, repo, path, owner, out, err);
}

int meta_lock_list(struct meta *m, const char *repo, const char *path, const char *id,
		   const char *after, int limit, struct lock *out, int *n_out, int *more,
		   struct err *err)
{
	return m->ops->lock_list(m, repo, path, id, after, limit, out, n_out, more, err);
}

int meta_lock_delete(struct meta *m, const char *repo, const char *id, const char *owner,
		     struct lock *out, struct err *err)
{
	return m->ops->lock_delete(m, repo, id, owner, out, err);
}

int meta_mcheck_unchecked(struct meta *m, const char *mirror, long long max_seq, int limit,
			  struct feed_entry *out, int *n_out, struct err *err)
{
	return m->ops->mcheck_unchecked(m, mirror, max_seq, limit, out, n_out, err);
}

int meta_mcheck_due(struct meta *m, const char *mirror, long long max_seq, long long good_before,
		    long long bad_before, int limit, struct feed_entry *out, int *n_out,
		    struct err *err)
{
	return m->ops->mcheck_due(m, mirror, max_seq, good_before, bad_before, limit, out, n_out,
				  err);
}

int meta_mcheck_record(struct meta *m, const char *mirror, long long seq, bool ok,
		       const char *error, struct err *err)
{
	return m->ops->mcheck_record(m, mirror, seq, ok, error, err);
}

int meta_mcheck_each(struct meta *m, const char *mirror, long long since,
		     int (*fn)(const struct mirror_check *c, void *arg), void *arg,
		     struct err *err)
{
	return m->ops->mcheck_each(m, mirror, since, fn, arg, err);
}

int meta_mcheck_get(struct meta *m, const char *mirror, long long seq, bool *ok,
		    struct err *err)
{
	return m->ops->mcheck_get(m, mirror, seq, ok, err);
}

int meta_throttle_update(struct meta *m, char kind, const char *key, long long prune_before,
			 bool (*update)(struct meta_throttle_row *row, void *arg), void *arg,
			 struct meta_throttle_row *out, struct err *err)
{
	if (!m->ops->throttle_update)
		return err_set(err, ERR_IO, "the %s metadata backend has no login throttle", m->ops->name);
	return m->ops->throttle_update(m, kind, key, prune_before, update, arg, out, err);
}
