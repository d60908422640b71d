/* admin_migrate_to_s3: `lfs-admin migrate-store --to s3` (see migrate.h).
 *
 * The local store is walked with store_each and every object is sent
 * through store_s3_ops' own upload: the same hash check and the same
 * "visible only when proven" as a client's upload, so a half-done
 * migration (killed, or the store down) leaves nothing wrong behind and a
 * second run copies only what is missing. */
#include "admin/migrate.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/s3.h"
#include "store/store.h"

#define COPY_BUF (256 * 1024)

struct migrate {
	struct store *from, *to;
	FILE *out;
	struct admin_migrate_result *res;
	char *buf;
	struct err *err; /* a failure that stops the walk */
};

static int copy_one(struct migrate *m, const char *oid, long long size, struct err *err)
{
	struct store_object obj = { -1, NULL, -1 };
	struct store_put *p = NULL;
	long long done = 0;
	int rc;

	if ((rc = store_get(m->from, oid, &obj, err)) < 0)
		return rc;
	if ((rc = store_put_begin(&p, m->to, oid, size, err)) < 0)
		goto out;
	while (done < size) {
		ssize_t n = read(obj.fd, m->buf, COPY_BUF);
		if (n < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot read objects/%.2s/%.2s/%s", oid, oid + 2, oid);
			store_put_abort(p);
			goto out;
		}
		if (n == 0)
			break;
		if ((rc = store_put_write(p, m->buf, (size_t)n, err)) < 0) {
			store_put_abort(p);
			goto out;
		}
		done += n;
	}
	rc = store_put_commit(p, NULL, err);
out:
	if (obj.fd >= 0)
		close(obj.fd);
	return rc;
}

static int each_object(const char *oid, long long size, void *arg)
{
	struct migrate *m = arg;
	struct err err = ERR_INIT;
	long long there = -1;
	int rc;

	rc = store_exists(m->to, oid, &there, &err);
	if (rc == 0 && there == size) {
		m->res->present++;
		return 0;
	}
	if (rc == 0) {
		m->res->problems++;
		fprintf(m->out, "different: %s: %lld bytes here, %lld in the bucket (left as it is)\n", oid,
			size, there);
		return 0;
	}
	if (rc != ERR_NOTFOUND) {
		*m->err = err;
		return rc;
	}
	err_clear(&err);
	rc = copy_one(m, oid, size, &err);
	if (rc == ERR_INVALID) {
		/* The local copy does not hash to its name: not sent. */
		m->res->problems++;
		fprintf(m->out, "corrupt: %s: %s (not copied; run lfs-admin fsck)\n", oid, err.msg);
		return 0;
	}
	if (rc < 0) {
		*m->err = err;
		return rc;
	}
	m->res->copied++;
	m->res->copied_bytes += size;
	return 0;
}

int admin_migrate_to_s3(const struct config *cfg, FILE *out, struct admin_migrate_result *res,
			struct err *err)
{
	struct migrate m = { .out = out, .res = res, .err = err };
	int rc;

	memset(res, 0, sizeof(*res));
	if (!(m.buf = malloc(COPY_BUF)))
		return err_set(err, ERR_NOMEM, "out of memory");
	if ((rc = store_attach(&m.from, cfg->data, err)) < 0 || (rc = store_s3_connect(&m.to, cfg, err)) < 0)
		goto out;
	rc = store_each(m.from, each_object, &m, err);
	if (rc < 0 && err->code == 0)
		err_set(err, rc, "migration stopped");
out:
	store_close(m.to);
	store_close(m.from);
	free(m.buf);
	return rc;
}
