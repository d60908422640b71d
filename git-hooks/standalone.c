/* standalone: object copies between two local repositories (see
 * standalone.h). */
#include "standalone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failsum.h"
#include "lfscache.h"
#include "progress.h"

char *standalone_path(const char *url)
{
	if (strncmp(url, "file://", 7) != 0)
		return NULL;
	return strdup(url + 7);
}

static int copy_object(struct lfsrepo *from, struct lfsrepo *to, const struct lfsobj *o, struct progress *pg,
		       struct err *err)
{
	struct lfscache_writer *w = NULL;
	char buf[1 << 16];
	int fd, rc;

	if (lfscache_has(to, o->oid, o->size))
		return 0;
	if ((fd = lfscache_open(from, o->oid, o->size, err)) < 0)
		return fd;
	if ((rc = lfscache_writer_new(&w, to, err)) < 0) {
		close(fd);
		return rc;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set_errno(err, ERR_IO, "cannot read object %.12s", o->oid);
			break;
		}
		if (n == 0)
			break;
		if ((rc = lfscache_writer_write(w, buf, (size_t)n, err)) < 0)
			break;
		progress_bytes(pg, n);
	}
	close(fd);
	if (rc < 0) {
		lfscache_writer_abort(w);
		return rc;
	}
	return lfscache_writer_commit(w, o->oid, o->size, NULL, NULL, err);
}

int standalone_transfer(struct lfsrepo *r, const char *path, bool upload, const struct objlist *objs,
			struct err *err)
{
	struct lfsrepo *other = NULL;
	struct progress pg;
	long long bytes = 0;
	struct failsum f = FAILSUM_INIT;
	int failed = 0, rc;

	if ((rc = lfsrepo_open_path(&other, path, err)) < 0)
		return rc;
	for (size_t i = 0; i < objs->n; i++)
		bytes += objs->items[i].size;
	progress_start(&pg, upload ? "Copying LFS objects" : "Fetching LFS objects", (int)objs->n, bytes);
	for (size_t i = 0; i < objs->n; i++) {
		const struct lfsobj *o = &objs->items[i];
		struct err e = ERR_INIT;
		if (copy_object(upload ? r : other, upload ? other : r, o, &pg, &e) < 0) {
			failsum_add(&f, path, o->path, o->oid, e.msg);
			failed++;
			continue;
		}
		progress_file_done(&pg);
	}
	progress_finish(&pg, failed == 0);
	failsum_print(&f, upload ? "copy" : "fetch", upload ? "to" : "from");
	failsum_release(&f);
	lfsrepo_free(other);
	if (failed)
		return err_set(err, ERR_IO, "%d of %zu objects could not be %s %s", failed, objs->n,
			       upload ? "copied to" : "fetched from", path);
	return 0;
}
