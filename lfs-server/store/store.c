/* store: the backend-independent side of the store (see store.h): the
 * backend table and one indirect call per operation. */
#include "store/store.h"

#include <string.h>

#include "core/config.h"

static const struct store_ops *const backends[] = { &store_local_ops, &store_s3_ops };

const struct store_ops *store_backend(const char *type)
{
	if (!type)
		return backends[0];
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, type) == 0)
			return backends[i];
	return NULL;
}

int store_open_configured(struct store **out, const struct config *cfg, const char *holder,
			  struct err *err)
{
	const struct store_ops *ops = store_backend(cfg->storage_type);

	if (!ops)
		return err_set(err, ERR_INVALID, "storage.type '%s' is not supported by this build",
			       cfg->storage_type);
	return ops->open(out, cfg, holder, err);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

int store_put_begin(struct store_put **out, struct store *s, const char *oid,
		    long long expected_size, struct err *err)
{
	return s->ops->put_begin(out, s, oid, expected_size, err);
}

int store_put_write(struct store_put *p, const void *data, size_t len, struct err *err)
{
	return p->store->ops->put_write(p, data, len, err);
}

int store_put_commit(struct store_put *p, long long *size_out, struct err *err)
{
	return p->store->ops->put_commit(p, size_out, NULL, err);
}

int store_put_commit_later(struct store_put *p, long long *size_out, struct store_later **later,
			   struct err *err)
{
	return p->store->ops->put_commit(p, size_out, later, err);
}

void store_later_release(struct store_later *later)
{
	if (later)
		later->release(later);
}

void store_put_abort(struct store_put *p)
{
	if (p)
		p->store->ops->put_abort(p);
}

long long store_put_received(const struct store_put *p)
{
	return p->received;
}

int store_get(struct store *s, const char *oid, struct store_object *out, struct err *err)
{
	return s->ops->get(s, oid, out, err);
}

int store_exists(struct store *s, const char *oid, long long *size_out, struct err *err)
{
	return s->ops->exists(s, oid, size_out, err);
}

int store_each(struct store *s, int (*fn)(const char *oid, long long size, void *arg), void *arg,
	       struct err *err)
{
	return s->ops->each(s, fn, arg, err);
}

int store_href(struct store *s, const char *oid, bool public_read, char *out, size_t outsz,
	       long long *expires_in, struct err *err)
{
	if (!s->ops->href)
		return err_set(err, ERR_NOTFOUND, "the %s store has no download URLs of its own", s->ops->name);
	return s->ops->href(s, oid, public_read, out, outsz, expires_in, err);
}

int store_publish(struct store *s, const char *oid, struct err *err)
{
	return s->ops->publish ? s->ops->publish(s, oid, err) : 0;
}
