/* cgi/mirrors: the mirrors a batch answer may send clients to, read from
 * what cron's check saved (see cgi/mirrors.h).  lfs-cgi's link names
 * this file's object before the core library, so core/mirrors.c (thread,
 * libcurl) is never pulled in. */
#include "cgi/mirrors.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/mirror_health.h"
#include "log.h"
#include "meta/meta.h"
#include "oid.h"

struct mirrors {
	json_t *list;          /* mirrors_status()'s array, as saved */
	struct meta *meta;
	unsigned long pick;
};

int cgi_mirrors_load(struct mirrors **out, const char *data, struct meta *meta, long long max_age,
		     struct err *err)
{
	struct mirrors *ms;
	json_t *list = NULL;
	long long written = 0;
	int rc;

	*out = NULL;
	if ((rc = mirror_health_read(data, &list, &written, err)) < 0) {
		if (rc != ERR_NOTFOUND)
			return rc;
		err_clear(err);
		return 0;
	}
	if ((long long)time(NULL) - written > max_age) {
		log_warn("lfs-cgi: the last mirror check is %lld s old (cron's lfs-admin mirrors-check "
			 "stopped?): no client is sent to a mirror", (long long)time(NULL) - written);
		json_decref(list);
		return 0;
	}
	if (!(ms = calloc(1, sizeof(*ms)))) {
		json_decref(list);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	ms->list = list;
	ms->meta = meta;
	/* One process per request: start the rotation somewhere else each
	 * time, or every batch would begin with the same mirror. */
	ms->pick = (unsigned long)getpid();
	*out = ms;
	return 0;
}

void mirrors_free(struct mirrors *ms)
{
	if (!ms)
		return;
	json_decref(ms->list);
	free(ms);
}

size_t mirrors_count(const struct mirrors *ms)
{
	return ms ? json_array_size(ms->list) : 0;
}

/* The saved mirror m may serve feed entry seq: healthy at the last check,
 * holding the feed that far, and its copy verified good. */
static bool usable(struct mirrors *ms, json_t *m, long long seq)
{
	const char *name = json_string_value(json_object_get(m, "name"));
	struct err err = ERR_INIT;
	bool ok = false;

	if (!name || !mirror_health_usable(ms->list, name, seq))
		return false;
	if (meta_mcheck_get(ms->meta, name, seq, &ok, &err) < 0) {
		if (err.code != ERR_NOTFOUND)
			log_warn("lfs-cgi: mirror verdict for %s: %s", name, err.msg);
		return false;
	}
	return ok;
}

int mirrors_href(struct mirrors *ms, long long seq, const char *oid, char *out, size_t outsz)
{
	long long total = 0, pick;
	char path[OID_PATH_LEN];
	size_t i;
	json_t *m;

	if (!ms || seq < 0)
		return ERR_NOTFOUND;
	json_array_foreach(ms->list, i, m)
		if (usable(ms, m, seq))
			total += json_integer_value(json_object_get(m, "weight"));
	if (total <= 0)
		return ERR_NOTFOUND;
	pick = (long long)(ms->pick++ % (unsigned long)total);
	json_array_foreach(ms->list, i, m) {
		long long weight = json_integer_value(json_object_get(m, "weight"));
		const char *url = json_string_value(json_object_get(m, "url"));
		if (!url || !usable(ms, m, seq))
			continue;
		if (pick < weight) {
			oid_path(path, oid);
			snprintf(out, outsz, "%s/objects/%s", url, path);
			return 0;
		}
		pick -= weight;
	}
	return ERR_NOTFOUND;
}

json_t *mirrors_status(struct mirrors *ms)
{
	return ms ? json_incref(ms->list) : json_array();
}
