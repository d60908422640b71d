/* mirror_fetch: feed pages and objects over HTTP (see mirror/fetch.h). */
#include "mirror/fetch.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fault.h"
#include "httpc.h"
#include "version.h"

#define PAGE_BODY_MAX (16 << 20) /* a 10000-entry page is about 1.5 MB */
#define ERROR_BODY_MAX 4096      /* enough for a {"message": …} */

struct mirror_fetch {
	char *base;  /* as given, without trailing slashes */
	char *shown; /* base without user:password, for messages */
	struct mirror_fetch_opts o;
	long long stored; /* objects stored by this process */
	CURLM *multi;
};

/* One object download in flight. */
struct xfer {
	struct mirror_fetch *f;
	CURL *c;
	struct store_put *put;
	size_t idx;
	long status;
	bool write_failed;
	struct buf errbody; /* the body of a non-200 answer */
	struct err err;
	char errbuf[CURL_ERROR_SIZE];
};

void mirror_fetch_free(struct mirror_fetch *f)
{
	if (!f)
		return;
	if (f->multi)
		curl_multi_cleanup(f->multi);
	free(f->base);
	free(f->shown);
	free(f);
}

/* The URL with any user:password removed, parsed by libcurl itself. */
static char *redact(const char *url)
{
	CURLU *u = curl_url();
	char *got = NULL, *out = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &got, 0) == CURLUE_OK) {
		size_t len = strlen(got);
		while (len > 0 && got[len - 1] == '/')
			got[--len] = '\0';
		out = strdup(got);
	}
	curl_free(got);
	curl_url_cleanup(u);
	return out;
}

int mirror_fetch_new(struct mirror_fetch **out, const char *base,
		     const struct mirror_fetch_opts *o, struct err *err)
{
	struct mirror_fetch *f = calloc(1, sizeof(*f));
	size_t len;

	if (!f)
		return err_set(err, ERR_NOMEM, "out of memory");
	f->o = *o;
	if (!(f->base = strdup(base)) || !(f->multi = curl_multi_init())) {
		mirror_fetch_free(f);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	len = strlen(f->base);
	while (len > 0 && f->base[len - 1] == '/')
		f->base[--len] = '\0';
	if (!(f->shown = redact(f->base))) {
		mirror_fetch_free(f);
		return err_set(err, ERR_INVALID, "'%.200s' is not a valid URL", base);
	}
	*out = f;
	return 0;
}

/* An easy handle for BASE<path>.  A feed page must arrive whole within
 * the timeout; an object, whatever its size, must keep arriving faster
 * than the low-speed limit (half of --limit-rate when that is lower). */
static CURL *handle(struct mirror_fetch *f, const char *path, bool page, char *errbuf)
{
	struct httpc_opts ho = { 0 };
	char url[4096];
	CURL *c;

	ho.user_agent = "lfs-mirror/" LFS_VERSION;
	ho.connect_timeout = f->o.timeout;
	ho.cainfo = f->o.cacert;
	ho.capath = f->o.capath;
	if (page) {
		ho.total_timeout = f->o.timeout;
	} else {
		ho.stall_timeout = f->o.timeout;
		ho.low_speed_limit = MIRROR_FETCH_LOW_SPEED;
		if (f->o.max_rate > 0 && f->o.max_rate / 2 < ho.low_speed_limit)
			ho.low_speed_limit = f->o.max_rate / 2 > 0 ? (long)(f->o.max_rate / 2) : 1L;
	}
	if (!(c = httpc_easy(&ho)))
		return NULL;
	snprintf(url, sizeof(url), "%s%s", f->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	if (f->o.netrc) {
		curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		curl_easy_setopt(c, CURLOPT_NETRC_FILE, f->o.netrc);
	}
	if (f->o.max_rate > 0)
		curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)f->o.max_rate);
	errbuf[0] = '\0';
	return c;
}

/* ": <message>" from an error body {"message": "..."}, or "". */
static void server_message(char *out, size_t outsz, const struct buf *body)
{
	json_t *root = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(root, "message"));

	snprintf(out, outsz, "%s%.200s", msg ? ": " : "", msg ? msg : "");
	json_decref(root);
}

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	/* A short count aborts the transfer: the body outgrew its cap. */
	return buf_append(arg, data, size * nmemb, NULL) < 0 ? 0 : size * nmemb;
}

int mirror_fetch_page(struct mirror_fetch *f, long long after, size_t max,
		      struct mirror_entry *out, size_t *n_out, long long *next_out,
		      struct err *err)
{
	char path[128], errbuf[CURL_ERROR_SIZE], msg[256];
	struct err perr = ERR_INIT;
	struct buf body;
	long status = 0;
	CURL *c;
	CURLcode cc;
	int rc = 0;

	snprintf(path, sizeof(path), "/_lfs/journal?after=%lld&limit=%zu", after, max);
	if (!(c = handle(f, path, true, errbuf)))
		return err_set(err, ERR_NOMEM, "out of memory");
	buf_init(&body, PAGE_BODY_MAX);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		rc = err_set(err, ERR_IO, "%s%s: %s", f->shown, path, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (status != 200) {
		server_message(msg, sizeof(msg), &body);
		rc = err_set(err, status == 401 ? ERR_AUTH : status == 403 ? ERR_DENIED : ERR_IO,
			     "%s%s: HTTP %ld%s", f->shown, path, status, msg);
	} else if (mirror_json_parse_page(body.data ? body.data : "", body.len, after, out, max,
					  n_out, next_out, &perr) < 0) {
		rc = err_set(err, ERR_INVALID, "%s%s: %s", f->shown, path, perr.msg);
	}
	buf_release(&body);
	curl_easy_cleanup(c);
	return rc;
}

static size_t receive(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb;

	if (x->status == 0)
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status != 200) {
		/* Keep the start of an error body for the message, drop the rest. */
		size_t room = x->errbody.max - x->errbody.len;
		if (buf_append(&x->errbody, data, len < room ? len : room, NULL) < 0) {
			/* Only the message's detail is lost. */
		}
		return len;
	}
	if (store_put_write(x->put, data, len, &x->err) < 0) {
		x->write_failed = true;
		return 0;
	}
	/* For crash tests: dies with one object stored and one half-written. */
	if (x->f->stored > 0)
		fault_point("mirror-partial");
	return len;
}

static int start(struct mirror_fetch *f, struct xfer *x, struct store *store,
		 const struct mirror_entry *e, size_t idx, struct err *err)
{
	char path[OID_HEX_LEN + 32];
	struct err serr = ERR_INIT;
	int rc;

	memset(x, 0, sizeof(*x));
	buf_init(&x->errbody, ERROR_BODY_MAX);
	x->f = f;
	x->idx = idx;
	if ((rc = store_put_begin(&x->put, store, e->oid, e->size, &serr)) < 0)
		return err_set(err, rc, "%s: %s", e->oid, serr.msg);
	snprintf(path, sizeof(path), "/_lfs/objects/%s", e->oid);
	if (!(x->c = handle(f, path, false, x->errbuf))) {
		store_put_abort(x->put);
		x->put = NULL;
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, receive);
	curl_easy_setopt(x->c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->c, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(f->multi, x->c) != CURLM_OK) {
		curl_easy_cleanup(x->c);
		store_put_abort(x->put);
		x->c = NULL;
		x->put = NULL;
		return err_set(err, ERR_IO, "cannot start a transfer");
	}
	return 0;
}

/* Ends a transfer: stores the object or says why not.  Frees x's parts. */
static int finish(struct mirror_fetch *f, struct xfer *x, const struct mirror_entry *e,
		  CURLcode cc, struct err *err)
{
	struct err serr = ERR_INIT;
	char msg[256];
	int rc = 0;

	curl_multi_remove_handle(f->multi, x->c);
	if (x->status == 0)
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->write_failed) {
		rc = err_set(err, x->err.code, "%s: %s", e->oid, x->err.msg);
	} else if (cc != CURLE_OK) {
		rc = err_set(err, ERR_IO, "%s: %s/_lfs/objects/%s: %s", e->oid, f->shown, e->oid,
			     x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
	} else if (x->status != 200) {
		server_message(msg, sizeof(msg), &x->errbody);
		rc = err_set(err, ERR_IO, "%s: HTTP %ld from %s/_lfs/objects/%s%s", e->oid, x->status,
			     f->shown, e->oid, msg);
	}
	if (rc < 0) {
		store_put_abort(x->put);
	} else if ((rc = store_put_commit(x->put, NULL, &serr)) < 0) {
		rc = err_set(err, rc, "%s: from %s/_lfs/objects/%s: %s", e->oid, f->shown, e->oid, serr.msg);
	}
	x->put = NULL;
	curl_easy_cleanup(x->c);
	x->c = NULL;
	buf_release(&x->errbody);
	return rc;
}

int mirror_fetch_objects(struct mirror_fetch *f, struct store *store,
			 const struct mirror_entry *entries, size_t n, bool *done,
			 int jobs, long long *bytes, struct err *err)
{
	struct xfer *slots = calloc((size_t)jobs, sizeof(*slots));
	struct err one = ERR_INIT;
	size_t next = 0;
	int active = 0, rc = 0;

	if (!slots)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (;;) {
		CURLMsg *m;
		int running, left;

		/* Fill free slots while nothing has failed. */
		for (int s = 0; rc == 0 && s < jobs; s++) {
			if (slots[s].c)
				continue;
			while (next < n && done[next])
				next++;
			if (next == n)
				break;
			if ((rc = start(f, &slots[s], store, &entries[next], next, err)) < 0)
				break;
			next++;
			active++;
		}
		if (active == 0)
			break;
		if (curl_multi_perform(f->multi, &running) != CURLM_OK) {
			if (rc == 0)
				rc = err_set(err, ERR_IO, "libcurl multi interface failed");
			break;
		}
		while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
			const struct mirror_entry *e;
			struct xfer *x;
			char *priv = NULL;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
			x = (struct xfer *)priv;
			e = &entries[x->idx];
			active--;
			/* finish() frees the easy handle m points into: read m first. */
			if (finish(f, x, e, m->data.result, &one) == 0) {
				f->stored++;
				done[x->idx] = true;
				*bytes += e->size;
			} else if (rc == 0) {
				rc = one.code ? one.code : ERR_IO;
				*err = one;
			}
		}
		if (active > 0 && curl_multi_poll(f->multi, NULL, 0, 1000, NULL) != CURLM_OK) {
			if (rc == 0)
				rc = err_set(err, ERR_IO, "libcurl multi interface failed");
			break;
		}
	}
	/* Only reached with transfers left after a multi failure. */
	for (int s = 0; s < jobs; s++) {
		if (!slots[s].c)
			continue;
		curl_multi_remove_handle(f->multi, slots[s].c);
		curl_easy_cleanup(slots[s].c);
		store_put_abort(slots[s].put);
		buf_release(&slots[s].errbody);
	}
	free(slots);
	return rc;
}
