/* tq: batching, transfers and retries (see tq.h). */
#include "tq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "failsum.h"
#include "lfscache.h"
#include "progress.h"
#include "standalone.h"
#include "xfer.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A failure the server itself answered (no transfer happened). */
static void report(struct failsum *f, struct lfsapi *api, const struct lfsobj *o, const char *why)
{
	failsum_add(f, api->display, o->path, o->oid, why);
}

/* A failed transfer, blamed on whoever answered it: the server, or the
 * host its href (or a redirect) sent us to, a mirror say. */
static void report_item(struct failsum *f, struct lfsapi *api, const struct lfsobj *o, const struct xfer_item *it)
{
	const char *src = api->display;

	if (it->source[0] && !lfsapi_same_origin(api->url, it->source))
		src = it->source;
	failsum_add(f, src, o->path, o->oid, it->msg);
}

/* One batch request and its transfers; objects worth another try are
 * added to retry. */
static int run_chunk(struct lfsapi *api, bool upload, const struct lfsobj *chunk, size_t n, const char *ref,
		     int concurrency, struct progress *pg, struct objlist *retry, struct failsum *f, struct err *err)
{
	struct lfsapi_batch b;
	struct xfer_item *items = calloc(n, sizeof(*items));
	char **auths = calloc(2 * n, sizeof(*auths)); /* action's, then verify's */
	size_t ni = 0;
	int rc;

	if (!items || !auths) {
		free(items);
		free(auths);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	rc = lfsapi_batch(api, upload ? "upload" : "download", chunk, n, ref, &b, err);
	if (rc < 0) {
		free(items);
		free(auths);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		const struct lfsobj *o = &chunk[i];
		const struct lfsapi_obj *a = lfsapi_batch_find(&b, o->oid);
		const struct lfsapi_action *act = a ? (upload ? a->upload : a->download) : NULL;
		char why[200];

		if (!a) {
			report(f, api, o, "the server did not answer for it");
			continue;
		}
		if (a->error_code) {
			snprintf(why, sizeof(why), "%s (%d)", a->error_message, a->error_code);
			report(f, api, o, why);
			continue;
		}
		if (!act) {
			if (upload) {
				/* Already on the server. */
				progress_bytes(pg, o->size);
				progress_file_done(pg);
			} else {
				report(f, api, o, "the server gave no download action");
			}
			continue;
		}
		if (upload && !lfscache_has(api->repo, o->oid, o->size)) {
			report(f, api, o, "the server lacks it and it is not in .git/lfs/objects either");
			continue;
		}
		items[ni].kind = upload ? XFER_UPLOAD : XFER_DOWNLOAD;
		memcpy(items[ni].oid, o->oid, sizeof(items[ni].oid));
		items[ni].size = o->size;
		items[ni].path = o->path;
		items[ni].action = act;
		items[ni].verify = upload ? a->verify : NULL;
		auths[2 * ni] = lfsapi_transfer_auth(api, a, act);
		items[ni].auth = auths[2 * ni];
		if (items[ni].verify) {
			auths[2 * ni + 1] = lfsapi_transfer_auth(api, a, items[ni].verify);
			items[ni].verify_auth = auths[2 * ni + 1];
		}
		ni++;
	}
	rc = xfer_run(api->repo, &api->opts, items, ni, concurrency, pg, err);
	if (rc >= 0) {
		for (size_t i = 0; i < ni; i++) {
			const struct lfsobj *o;
			if (items[i].rc == 0)
				continue;
			o = NULL;
			for (size_t k = 0; k < n && !o; k++)
				if (strcmp(chunk[k].oid, items[i].oid) == 0)
					o = &chunk[k];
			if (!o)
				continue; /* xfer only moves what chunk holds */
			/* Not queued for another try (out of memory): reported
			 * as failed, never silently dropped. */
			if (items[i].retryable && retry && objlist_add(retry, o->oid, o->size, o->path, NULL, NULL) == 0)
				continue;
			report_item(f, api, o, &items[i]);
		}
		rc = 0;
	}
	for (size_t i = 0; i < 2 * ni; i++) {
		if (auths[i])
			explicit_bzero(auths[i], strlen(auths[i]));
		free(auths[i]);
	}
	free(auths);
	free(items);
	lfsapi_batch_release(&b);
	return rc;
}

int tq_run(struct lfsapi *api, bool upload, const struct objlist *objs, const char *ref, struct err *err)
{
	struct objlist pending = OBJLIST_INIT, retry = OBJLIST_INIT;
	struct failsum f = FAILSUM_INIT;
	struct progress pg;
	long long bytes = 0;
	int concurrency = (int)lfsrepo_config_int(api->repo, "lfs.concurrenttransfers", 8);
	int maxretries = (int)lfsrepo_config_int(api->repo, "lfs.transfer.maxretries", 8);
	long maxdelay = (long)lfsrepo_config_int(api->repo, "lfs.transfer.maxretrydelay", 10) * 1000;
	int rc = 0;

	char *local = standalone_path(api->url);

	if (local) {
		rc = objs->n ? standalone_transfer(api->repo, local, upload, objs, err) : 0;
		free(local);
		return rc;
	}
	for (size_t i = 0; i < objs->n; i++)
		bytes += objs->items[i].size;
	if (objs->n == 0)
		return 0;
	progress_start(&pg, upload ? "Uploading LFS objects" : "Downloading LFS objects", (int)objs->n, bytes);
	for (size_t i = 0; i < objs->n && rc == 0; i++)
		rc = objlist_add(&pending, objs->items[i].oid, objs->items[i].size, objs->items[i].path, NULL, err);
	for (int attempt = 0; rc == 0 && pending.n > 0; attempt++) {
		bool last = attempt >= maxretries;
		for (size_t off = 0; off < pending.n && rc == 0; off += LFSAPI_BATCH_SIZE) {
			size_t n = pending.n - off < LFSAPI_BATCH_SIZE ? pending.n - off : LFSAPI_BATCH_SIZE;
			rc = run_chunk(api, upload, pending.items + off, n, ref, concurrency, &pg, last ? NULL : &retry,
				       &f, err);
		}
		objlist_release(&pending);
		pending = retry;
		memset(&retry, 0, sizeof(retry));
		if (rc == 0 && pending.n > 0) {
			long delay = 250L << (attempt < 16 ? attempt : 16);
			sleep_ms(delay < maxdelay ? delay : maxdelay);
		}
	}
	objlist_release(&pending);
	objlist_release(&retry);
	progress_finish(&pg, rc == 0 && f.total == 0);
	failsum_print(&f, upload ? "upload" : "download", upload ? "to" : "from");
	if (rc == 0 && f.total > 0)
		rc = err_set(err, ERR_IO, "%d of %zu objects could not be %s %s", f.total, objs->n,
			     upload ? "uploaded to" : "downloaded from", api->display);
	failsum_release(&f);
	return rc;
}
