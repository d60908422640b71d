/* mirror: mirror health polling and href choice (see mirror.h). */
#include "mirror.h"

#include <curl/curl.h>
#include <git2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "mirror_json.h"
#include "oid.h"

#define CONNECT_TIMEOUT_MS 2000
#define REQUEST_TIMEOUT_MS 5000

struct mirror {
	char *name, *url; /* url without trailing '/' */
	long long weight;
	/* guarded by mirrors.mu */
	bool healthy;
	long long last_seq;
	time_t checked_at;
	char error[256];
};

struct mirrors {
	struct mirror *list;
	size_t n;
	long long interval;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, started;
	pthread_t thread;
	unsigned long pick;
	struct err *load_err;
	int load_rc;
};

static struct mirror *find_or_add(struct mirrors *ms, const char *name, size_t len)
{
	struct mirror *grown;

	for (size_t i = 0; i < ms->n; i++)
		if (strlen(ms->list[i].name) == len && strncmp(ms->list[i].name, name, len) == 0)
			return &ms->list[i];
	grown = realloc(ms->list, (ms->n + 1) * sizeof(*ms->list));
	if (!grown)
		return NULL;
	ms->list = grown;
	memset(&ms->list[ms->n], 0, sizeof(*ms->list));
	ms->list[ms->n].weight = 1;
	if (!(ms->list[ms->n].name = strndup(name, len)))
		return NULL;
	snprintf(ms->list[ms->n].error, sizeof(ms->list[ms->n].error), "not checked yet");
	return &ms->list[ms->n++];
}

static int add_entry(const git_config_entry *e, void *payload)
{
	struct mirrors *ms = payload;
	const char *name = e->name + 7, *dot = strrchr(e->name, '.');
	struct mirror *m;
	char *end;

	/* Filtered here, not with git_config_foreach_match: libgit2 1.5's regex
	 * path leaks its pcre2 match data on every call. */
	if (strncmp(e->name, "mirror.", 7) != 0 || dot <= name ||
	    (strcmp(dot, ".url") != 0 && strcmp(dot, ".weight") != 0))
		return 0;
	m = find_or_add(ms, name, (size_t)(dot - name));
	if (!m) {
		ms->load_rc = err_set(ms->load_err, ERR_NOMEM, "out of memory");
		return -1;
	}
	if (strcmp(dot, ".url") == 0) {
		size_t n = strlen(e->value);
		if (strncmp(e->value, "http://", 7) != 0 && strncmp(e->value, "https://", 8) != 0) {
			ms->load_rc = err_set(ms->load_err, ERR_INVALID, "'%s' must be an http(s) URL", e->name);
			return -1;
		}
		free(m->url);
		if (!(m->url = strdup(e->value))) {
			ms->load_rc = err_set(ms->load_err, ERR_NOMEM, "out of memory");
			return -1;
		}
		while (n > 0 && m->url[n - 1] == '/')
			m->url[--n] = '\0';
	} else {
		m->weight = strtoll(e->value, &end, 10);
		if (*end || m->weight < 0 || m->weight > 1000000) {
			ms->load_rc = err_set(ms->load_err, ERR_INVALID, "'%s' must be a whole number from 0", e->name);
			return -1;
		}
	}
	return 0;
}

int mirrors_new(struct mirrors **out, struct git_config *cfg, long long interval, struct err *err)
{
	struct mirrors *ms = calloc(1, sizeof(*ms));

	if (!ms)
		return err_set(err, ERR_NOMEM, "out of memory");
	pthread_mutex_init(&ms->mu, NULL);
	pthread_cond_init(&ms->cv, NULL);
	ms->interval = interval;
	ms->load_err = err;
	if (cfg && git_config_foreach(cfg, add_entry, ms) < 0) {
		int rc = ms->load_rc ? ms->load_rc : err_set(err, ERR_INVALID, "cannot read mirror sections");
		mirrors_free(ms);
		return rc;
	}
	for (size_t i = 0; i < ms->n; i++) {
		if (!ms->list[i].url) {
			int rc = err_set(err, ERR_INVALID, "mirror '%s' has no url", ms->list[i].name);
			mirrors_free(ms);
			return rc;
		}
	}
	ms->load_err = NULL;
	*out = ms;
	return 0;
}

size_t mirrors_count(const struct mirrors *m)
{
	return m ? m->n : 0;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;

	/* Returning short aborts the transfer: a state file is small. */
	return buf_append(b, data, size * nmemb, NULL) < 0 ? 0 : size * nmemb;
}

/* One check of one mirror; no lock held during the request. */
static void check(struct mirrors *ms, struct mirror *m)
{
	char url[2048], errbuf[CURL_ERROR_SIZE] = "", why[256] = "";
	struct buf body;
	struct err err = ERR_INIT;
	long long seq = -1;
	long status = 0;
	CURL *c = curl_easy_init();
	CURLcode rc;

	buf_init(&body, MIRROR_STATE_MAX);
	snprintf(url, sizeof(url), "%s/mirror-state.json", m->url);
	if (!c) {
		snprintf(why, sizeof(why), "out of memory");
		goto record;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		snprintf(why, sizeof(why), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else if (status != 200)
		snprintf(why, sizeof(why), "HTTP %ld", status);
	else if (mirror_json_parse_state(body.data ? body.data : "", body.len, &seq, &err) < 0)
		snprintf(why, sizeof(why), "%s", err.msg);
	curl_easy_cleanup(c);
record:
	buf_release(&body);
	pthread_mutex_lock(&ms->mu);
	if (m->healthy != (why[0] == '\0'))
		log_info("mirror %s is now %s%s%s", m->name, why[0] ? "unhealthy" : "healthy",
			 why[0] ? ": " : "", why);
	m->healthy = why[0] == '\0';
	m->last_seq = m->healthy ? seq : -1;
	m->checked_at = time(NULL);
	snprintf(m->error, sizeof(m->error), "%s", why);
	pthread_mutex_unlock(&ms->mu);
}

static void *poll_loop(void *arg)
{
	struct mirrors *ms = arg;
	struct timespec ts;

	pthread_mutex_lock(&ms->mu);
	while (!ms->stop) {
		pthread_mutex_unlock(&ms->mu);
		for (size_t i = 0; i < ms->n; i++)
			check(ms, &ms->list[i]);
		pthread_mutex_lock(&ms->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ms->interval;
		while (!ms->stop && pthread_cond_timedwait(&ms->cv, &ms->mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&ms->mu);
	return NULL;
}

int mirrors_start(struct mirrors *ms, struct err *err)
{
	if (ms->n == 0)
		return 0;
	if (pthread_create(&ms->thread, NULL, poll_loop, ms) != 0)
		return err_set(err, ERR_IO, "cannot start the mirror thread");
	ms->started = true;
	return 0;
}

void mirrors_free(struct mirrors *ms)
{
	if (!ms)
		return;
	if (ms->started) {
		pthread_mutex_lock(&ms->mu);
		ms->stop = true;
		pthread_cond_broadcast(&ms->cv);
		pthread_mutex_unlock(&ms->mu);
		pthread_join(ms->thread, NULL);
	}
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->list[i].name);
		free(ms->list[i].url);
	}
	free(ms->list);
	pthread_mutex_destroy(&ms->mu);
	pthread_cond_destroy(&ms->cv);
	free(ms);
}

int mirrors_href(struct mirrors *ms, long long seq, const char *oid, char *out, size_t outsz)
{
	long long total = 0, pick;
	char path[OID_PATH_LEN];
	int rc = ERR_NOTFOUND;

	if (!ms || ms->n == 0 || seq < 0)
		return ERR_NOTFOUND;
	pthread_mutex_lock(&ms->mu);
	for (size_t i = 0; i < ms->n; i++)
		if (ms->list[i].healthy && ms->list[i].last_seq >= seq)
			total += ms->list[i].weight;
	if (total > 0) {
		/* A rotating counter spreads clients by weight, deterministically. */
		pick = (long long)(ms->pick++ % (unsigned long)total);
		for (size_t i = 0; i < ms->n; i++) {
			struct mirror *m = &ms->list[i];
			if (!m->healthy || m->last_seq < seq)
				continue;
			if (pick < m->weight) {
				oid_path(path, oid);
				snprintf(out, outsz, "%s/objects/%s", m->url, path);
				rc = 0;
				break;
			}
			pick -= m->weight;
		}
	}
	pthread_mutex_unlock(&ms->mu);
	return rc;
}

json_t *mirrors_status(struct mirrors *ms)
{
	json_t *arr = json_array();

	if (!ms || !arr)
		return arr;
	pthread_mutex_lock(&ms->mu);
	for (size_t i = 0; i < ms->n; i++) {
		struct mirror *m = &ms->list[i];
		json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:I}", "name", m->name, "url", m->url,
				      "weight", (json_int_t)m->weight, "healthy", m->healthy,
				      "last_seq", (json_int_t)m->last_seq);
		if (o && m->checked_at) {
			char t[32];
			struct tm tm;
			gmtime_r(&m->checked_at, &tm);
			strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
			json_object_set_new(o, "checked_at", json_string(t));
		}
		if (o && m->error[0])
			json_object_set_new(o, "error", json_string(m->error));
		if (o)
			json_array_append_new(arr, o);
	}
	pthread_mutex_unlock(&ms->mu);
	return arr;
}
