/* mirrors: mirror health polling and href choice (see core/mirrors.h). */
#include "core/mirrors.h"

#include <curl/curl.h>
#include <git2.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "core/mcheck.h"
#include "core/mirror_json.h"
#include "log.h"
#include "oid.h"

#define CONNECT_TIMEOUT_MS 2000
#define REQUEST_TIMEOUT_MS 5000
/* Objects checked per mirror between two looks at the clock: small, so a
 * health poll is never late by more than a few objects' time. */
#define CHECK_BATCH 16
#define BAD_LIST_MAX 16

/* A bit per feed seq: set = that mirror's copy was checked and is good. */
struct seqbits {
	unsigned char *bits;
	size_t nbytes;
};

struct mirror {
	char *name, *url; /* url without trailing '/' */
	long long weight;
	/* guarded by mirrors.mu */
	bool healthy;
	long long last_seq;
	time_t checked_at;
	char error[256];
	struct seqbits good, bad;    /* verdicts, mirrored from the metadata */
	long long n_good, n_bad;
	struct mirror_check bad_list[BAD_LIST_MAX]; /* the first bad copies, for /healthz */
	int n_bad_list;
	long long loaded_until;      /* verdicts up to this time are in good/bad */
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
	/* verification (core/mcheck.h); meta NULL = never advertise a mirror */
	struct meta *meta;
	long long verify_rate, recheck_interval;
	atomic_bool stopping;
};

static bool seqbits_get(const struct seqbits *b, long long seq)
{
	size_t i = (size_t)seq / 8;

	return seq >= 0 && i < b->nbytes && (b->bits[i] >> (seq % 8)) & 1;
}

/* Sets or clears seq's bit; grows the map (doubling) to hold seq. */
static int seqbits_put(struct seqbits *b, long long seq, bool on)
{
	size_t i = (size_t)seq / 8;

	if (seq < 0)
		return 0;
	if (i >= b->nbytes) {
		size_t n = b->nbytes ? b->nbytes : 1024;
		unsigned char *grown;
		if (!on)
			return 0;
		while (n <= i)
			n *= 2;
		if (!(grown = realloc(b->bits, n)))
			return -1;
		memset(grown + b->nbytes, 0, n - b->nbytes);
		b->bits = grown;
		b->nbytes = n;
	}
	if (on)
		b->bits[i] |= (unsigned char)(1u << (seq % 8));
	else
		b->bits[i] &= (unsigned char)~(1u << (seq % 8));
	return 0;
}

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

/* Applies one verdict to the in-memory maps (under ms->mu). */
static int apply_verdict(const struct mirror_check *c, void *arg)
{
	struct mirror *m = arg;
	bool was_good = seqbits_get(&m->good, c->seq), was_bad = seqbits_get(&m->bad, c->seq);

	if (seqbits_put(&m->good, c->seq, c->ok) < 0 || seqbits_put(&m->bad, c->seq, !c->ok) < 0)
		return -1;
	m->n_good += (c->ok && !was_good) - (!c->ok && was_good);
	m->n_bad += (!c->ok && !was_bad) - (c->ok && was_bad);
	for (int i = 0; i < m->n_bad_list; i++) {
		if (m->bad_list[i].seq == c->seq) {
			m->bad_list[i] = m->bad_list[--m->n_bad_list];
			break;
		}
	}
	if (!c->ok && m->n_bad_list < BAD_LIST_MAX)
		m->bad_list[m->n_bad_list++] = *c;
	return 0;
}

/* Brings m's maps up to date with the verdicts in the metadata, ours and
 * those of `lfs-admin verify-mirrors`.  Verdicts carry whole seconds, so
 * the previous second is read again (applying a verdict twice is fine). */
static void reload_verdicts(struct mirrors *ms, struct mirror *m)
{
	struct err err = ERR_INIT;
	long long now = (long long)time(NULL);

	pthread_mutex_lock(&ms->mu);
	if (meta_mcheck_each(ms->meta, m->name, m->loaded_until - 1, apply_verdict, m, &err) < 0)
		log_warn("mirror %s: cannot read verification state: %s", m->name, err.msg);
	else
		m->loaded_until = now;
	pthread_mutex_unlock(&ms->mu);
}

/* Checks a few objects of each healthy mirror; true if any work was done
 * (then more may be waiting). */
static bool verify_round(struct mirrors *ms)
{
	bool busy = false;
	long long now = (long long)time(NULL);

	for (size_t i = 0; i < ms->n && !atomic_load(&ms->stopping); i++) {
		struct mirror *m = &ms->list[i];
		struct mcheck_result res;
		struct err err = ERR_INIT;
		struct mcheck_opts o = {
			.rate = ms->verify_rate, .limit = CHECK_BATCH, .stop = &ms->stopping,
			.good_before = now - ms->recheck_interval, .bad_before = now - ms->interval,
		};
		bool healthy;

		reload_verdicts(ms, m);
		pthread_mutex_lock(&ms->mu);
		healthy = m->healthy;
		o.max_seq = m->last_seq;
		pthread_mutex_unlock(&ms->mu);
		if (!healthy)
			continue;
		if (mcheck_run(ms->meta, m->name, m->url, &o, &res, &err) < 0)
			log_warn("mirror %s: verification stopped: %s", m->name, err.msg);
		if (res.checked > 0) {
			busy = true;
			reload_verdicts(ms, m);
		}
	}
	return busy;
}

static void *poll_loop(void *arg)
{
	struct mirrors *ms = arg;
	struct timespec ts;
	time_t next_health = 0;
	bool busy = false;

	pthread_mutex_lock(&ms->mu);
	while (!ms->stop) {
		pthread_mutex_unlock(&ms->mu);
		if (time(NULL) >= next_health) {
			for (size_t i = 0; i < ms->n; i++)
				check(ms, &ms->list[i]);
			next_health = time(NULL) + ms->interval;
		}
		busy = ms->meta && verify_round(ms);
		pthread_mutex_lock(&ms->mu);
		if (busy)
			continue;
		ts.tv_sec = next_health;
		ts.tv_nsec = 0;
		while (!ms->stop && pthread_cond_timedwait(&ms->cv, &ms->mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&ms->mu);
	return NULL;
}

void mirrors_set_verify(struct mirrors *ms, struct meta *meta, long long rate, long long recheck)
{
	ms->meta = meta;
	ms->verify_rate = rate;
	ms->recheck_interval = recheck;
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
		atomic_store(&ms->stopping, true);
		pthread_cond_broadcast(&ms->cv);
		pthread_mutex_unlock(&ms->mu);
		pthread_join(ms->thread, NULL);
	}
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->list[i].name);
		free(ms->list[i].url);
		free(ms->list[i].good.bits);
		free(ms->list[i].bad.bits);
	}
	free(ms->list);
	pthread_mutex_destroy(&ms->mu);
	pthread_cond_destroy(&ms->cv);
	free(ms);
}

/* A client may be sent to m for the object at seq: m answers, holds it,
 * and the server has checked m's copy of it. */
static bool usable(const struct mirror *m, long long seq)
{
	return m->healthy && m->last_seq >= seq && seqbits_get(&m->good, seq);
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
		if (usable(&ms->list[i], seq))
			total += ms->list[i].weight;
	if (total > 0) {
		/* A rotating counter spreads clients by weight, deterministically. */
		pick = (long long)(ms->pick++ % (unsigned long)total);
		for (size_t i = 0; i < ms->n; i++) {
			struct mirror *m = &ms->list[i];
			if (!usable(m, seq))
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
		json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:I, s:I, s:I, s:[]}", "name", m->name,
				      "url", m->url, "weight", (json_int_t)m->weight, "healthy", m->healthy,
				      "last_seq", (json_int_t)m->last_seq, "verified", (json_int_t)m->n_good,
				      "failed", (json_int_t)m->n_bad, "failures");
		for (int k = 0; o && k < m->n_bad_list; k++)
			json_array_append_new(json_object_get(o, "failures"),
					      json_pack("{s:s, s:I, s:s}", "oid", m->bad_list[k].oid,
							"seq", (json_int_t)m->bad_list[k].seq,
							"error", m->bad_list[k].error));
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

struct bad_printer {
	FILE *out;
	const char *name;
};

static int print_bad(const struct mirror_check *c, void *arg)
{
	const struct bad_printer *p = arg;

	if (!c->ok)
		fprintf(p->out, "bad\t%s\t%lld\t%s\t%s\n", p->name, c->seq, c->oid, c->error);
	return 0;
}

/* One round of checks of m (polled now) with o, printing its lines:
 * unreachable, or every bad verdict and then the counts. */
static int verify_one(struct mirrors *ms, struct mirror *m, struct meta *meta,
		      struct mcheck_opts *o, FILE *out, long long *problems, struct err *err)
{
	struct mcheck_result res;
	struct bad_printer bp = { out, m->name };
	int rc;

	check(ms, m);
	if (!m->healthy) {
		fprintf(out, "unreachable\t%s\t%s\n", m->name, m->error);
		(*problems)++;
		return 0;
	}
	if (!meta)
		return 0;
	o->max_seq = m->last_seq;
	if ((rc = mcheck_run(meta, m->name, m->url, o, &res, err)) < 0)
		return rc;
	if (meta == ms->meta)
		reload_verdicts(ms, m);
	if ((rc = meta_mcheck_each(meta, m->name, 0, print_bad, &bp, err)) < 0)
		return rc;
	fprintf(out, "checked\t%s\t%d\tgood %d\tbad %d\tlast_seq %lld\n", m->name, res.checked,
		res.good, res.bad, m->last_seq);
	*problems += res.bad;
	return 0;
}

int mirrors_verify_now(struct mirrors *ms, struct meta *meta, const char *only, FILE *out,
		       long long *problems, struct err *err)
{
	bool found = false;
	int rc;

	*problems = 0;
	for (size_t i = 0; i < ms->n; i++) {
		struct mcheck_opts o = { .rate = 0, .all = true };

		if (only && strcmp(only, ms->list[i].name) != 0)
			continue;
		found = true;
		if ((rc = verify_one(ms, &ms->list[i], meta, &o, out, problems, err)) < 0)
			return rc;
	}
	if (only && !found)
		return err_set(err, ERR_NOTFOUND, "no mirror named '%s' in the config", only);
	return 0;
}

int mirrors_check_once(struct mirrors *ms, FILE *out, long long *problems, struct err *err)
{
	long long now = (long long)time(NULL);
	int rc;

	*problems = 0;
	for (size_t i = 0; i < ms->n; i++) {
		struct mcheck_opts o = {
			.rate = ms->verify_rate, .limit = INT_MAX,
			.good_before = now - ms->recheck_interval, .bad_before = now - ms->interval,
		};

		if ((rc = verify_one(ms, &ms->list[i], ms->meta, &o, out, problems, err)) < 0)
			return rc;
	}
	return 0;
}
