/* mcheck: fetch a mirror's copy of an object and check it (see
 * core/mcheck.h). */
#include "core/mcheck.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "oid.h"
#include "sha256.h"
#include "version.h"

#define CONNECT_TIMEOUT_MS 2000L
/* A mirror that sends less than 1 KiB/s for 30 s is not answering: no
 * verdict about the object, the health poll deals with the mirror. */
#define LOW_SPEED_BYTES 1024L
#define LOW_SPEED_SECONDS 30L

struct fetch {
	struct sha256 *h;
	long long got, want;
	bool too_long, hash_failed;
	const atomic_bool *stop;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch *f = arg;
	size_t n = size * nmemb;

	if (f->got + (long long)n > f->want) {
		f->too_long = true;
		return 0;
	}
	if (sha256_update(f->h, data, n, NULL) < 0) {
		f->hash_failed = true;
		return 0;
	}
	f->got += (long long)n;
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	const struct fetch *f = arg;

	return f->stop && atomic_load(f->stop);
}

int mcheck_object(const char *base_url, const char *oid, long long size, long long rate,
		  const atomic_bool *stop, bool *ok, char *why, size_t whysz, struct err *err)
{
	char url[2048], path[OID_PATH_LEN], hex[OID_HEX_LEN + 1], errbuf[CURL_ERROR_SIZE] = "";
	struct fetch f = { .want = size, .stop = stop };
	long status = 0;
	CURL *c;
	CURLcode cc;
	int rc = 0;

	*ok = false;
	why[0] = '\0';
	oid_path(path, oid);
	if (snprintf(url, sizeof(url), "%s/objects/%s", base_url, path) >= (int)sizeof(url))
		return err_set(err, ERR_INVALID, "mirror URL too long");
	if ((rc = sha256_new(&f.h, err)) < 0)
		return rc;
	if (!(c = curl_easy_init())) {
		sha256_free(f.h);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* Mirror operators can tell these checks from clients in their logs. */
	curl_easy_setopt(c, CURLOPT_USERAGENT, "lfs-server/" LFS_VERSION " (mirror check)");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_SECONDS);
	if (rate > 0)
		curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)rate);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &f);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);

	if (status >= 400 && status < 500) {
		/* The mirror answered: the object is not there for clients. */
		snprintf(why, whysz, "HTTP %ld", status);
	} else if (f.too_long) {
		snprintf(why, whysz, "more than %lld bytes", size);
	} else if (f.hash_failed) {
		rc = err_set(err, ERR_IO, "hashing failed");
	} else if (cc != CURLE_OK) {
		rc = err_set(err, ERR_IO, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (status != 200) {
		rc = err_set(err, ERR_IO, "HTTP %ld", status);
	} else if (f.got != size) {
		snprintf(why, whysz, "%lld bytes, expected %lld", f.got, size);
	} else if ((rc = sha256_final_hex(f.h, hex, err)) == 0) {
		if (strcmp(hex, oid) == 0)
			*ok = true;
		else
			snprintf(why, whysz, "bytes hash to %.12s…", hex);
	}
	sha256_free(f.h);
	return rc;
}

/* Checks each entry and records the verdict; *stopped when the mirror no
 * longer answers (or the server stops). */
static int check_list(struct meta *m, const char *name, const char *base_url,
		      const struct mcheck_opts *o, const struct feed_entry *list, int n,
		      struct mcheck_result *res, bool *stopped, struct err *err)
{
	char why[MCHECK_ERROR_MAX];
	bool ok;
	int rc;

	for (int i = 0; i < n; i++) {
		struct err fetch_err = ERR_INIT;
		if (mcheck_object(base_url, list[i].oid, list[i].size, o->rate, o->stop, &ok, why,
				  sizeof(why), &fetch_err) < 0) {
			*stopped = true;
			return 0;
		}
		if ((rc = meta_mcheck_record(m, name, list[i].seq, ok, why, err)) < 0)
			return rc;
		res->checked++;
		if (ok) {
			res->good++;
		} else {
			res->bad++;
			log_warn("mirror %s: copy of %s (seq %lld) is bad: %s; clients get it elsewhere until it is repaired",
				 name, list[i].oid, list[i].seq, why);
		}
	}
	return 0;
}

static int check_all(struct meta *m, const char *name, const char *base_url,
		     const struct mcheck_opts *o, struct mcheck_result *res, struct err *err)
{
	struct feed_entry list[64];
	long long after = 0;
	int n, more, rc;
	bool stopped = false;

	while (!stopped) {
		if ((rc = meta_feed_list(m, after, 64, list, &n, &more, err)) < 0)
			return rc;
		while (n > 0 && list[n - 1].seq > o->max_seq)
			n--;
		if (n == 0)
			break;
		if ((rc = check_list(m, name, base_url, o, list, n, res, &stopped, err)) < 0)
			return rc;
		after = list[n - 1].seq;
	}
	return 0;
}

int mcheck_run(struct meta *m, const char *name, const char *base_url,
	       const struct mcheck_opts *o, struct mcheck_result *res, struct err *err)
{
	struct feed_entry list[64];
	int n, rc, limit = o->limit;
	bool stopped = false;

	memset(res, 0, sizeof(*res));
	if (o->all)
		return check_all(m, name, base_url, o, res, err);
	/* Unchecked copies first, then those due again.  A verdict recorded
	 * now is not older than either bound (both are at most the current
	 * time), so the second pass ends too. */
	for (int due = 0; due < 2; due++) {
		while (limit > 0 && !stopped) {
			int want = limit < 64 ? limit : 64;
			rc = due ? meta_mcheck_due(m, name, o->max_seq, o->good_before, o->bad_before,
						   want, list, &n, err)
				 : meta_mcheck_unchecked(m, name, o->max_seq, want, list, &n, err);
			if (rc < 0)
				return rc;
			if (n == 0)
				break;
			if ((rc = check_list(m, name, base_url, o, list, n, res, &stopped, err)) < 0)
				return rc;
			limit -= n;
		}
	}
	return 0;
}
