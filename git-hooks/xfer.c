/* xfer: parallel transfers on a libcurl multi handle (see xfer.h).
 *
 * Each running item owns a slot: its easy handle, its header list, and
 * either a cache writer (download) or an open object file (upload).  An
 * upload with a verify action runs a second request in the same slot. */
#include "xfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "lfscache.h"

enum phase { PHASE_TRANSFER, PHASE_VERIFY };

struct slot {
	bool busy;
	CURL *c;
	struct xfer_item *it;
	enum phase phase;
	struct curl_slist *hdrs;
	struct lfscache_writer *w; /* download target */
	struct err werr;
	bool write_failed;
	FILE *f;                   /* upload source */
	char *post;                /* verify body */
	struct buf errbody;        /* body of an error answer, capped */
	long status_seen;          /* status checked on first body byte */
	struct progress *pg;
	struct lfsrepo *repo;
	const struct httpc_opts *opts;
	char errbuf[CURL_ERROR_SIZE];
};

static bool has_header(const struct curl_slist *l, const char *name)
{
	size_t n = strlen(name);

	for (; l; l = l->next)
		if (strncasecmp(l->data, name, n) == 0 && l->data[n] == ':')
			return true;
	return false;
}

/* Copies the action's headers and adds ours; *out may stay NULL (no
 * headers at all).  Returns -1 when memory runs out. */
static int build_headers(struct curl_slist **out, const struct lfsapi_action *a, const char *auth, bool upload,
			 bool json)
{
	struct curl_slist *l = NULL;

	*out = NULL;
	for (const struct curl_slist *h = a->headers; h; h = h->next) {
		struct curl_slist *n = curl_slist_append(l, h->data);
		if (!n) {
			curl_slist_free_all(l); /* curl_slist_append keeps it */
			return -1;
		}
		l = n;
	}
	if (auth && !has_header(a->headers, "Authorization") && !(l = httpc_header(l, "Authorization", auth)))
		return -1;
	if (json) {
		if (!(l = httpc_header(l, "Accept", LFSAPI_MEDIA_TYPE)))
			return -1;
		if (!has_header(a->headers, "Content-Type") && !(l = httpc_header(l, "Content-Type", LFSAPI_MEDIA_TYPE)))
			return -1;
	} else if (upload) {
		if (!has_header(a->headers, "Content-Type") &&
		    !(l = httpc_header(l, "Content-Type", "application/octet-stream")))
			return -1;
		/* No 100-continue round trip: git-lfs never asks for one. */
		struct curl_slist *n = curl_slist_append(l, "Expect:");
		if (!n) {
			curl_slist_free_all(l);
			return -1;
		}
		l = n;
	}
	*out = l;
	return 0;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct slot *s = userdata;
	size_t len = size * nmemb;

	if (s->status_seen == 0)
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status_seen);
	if (s->phase != PHASE_TRANSFER || s->it->kind != XFER_DOWNLOAD || s->status_seen >= 300) {
		if (buf_append(&s->errbody, data, len, NULL) < 0) {
			/* Past the cap: the message keeps its start. */
		}
		return len;
	}
	if (lfscache_writer_size(s->w) + (long long)len > s->it->size) {
		s->write_failed = true;
		err_set(&s->werr, ERR_INVALID, "server sent more than %lld bytes", s->it->size);
		return 0;
	}
	if (lfscache_writer_write(s->w, data, len, &s->werr) < 0) {
		s->write_failed = true;
		return 0;
	}
	progress_bytes(s->pg, (long long)len);
	return len;
}

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *userdata)
{
	struct slot *s = userdata;
	size_t n = fread(buf, 1, size * nmemb, s->f);

	if (n == 0 && ferror(s->f))
		return CURL_READFUNC_ABORT;
	progress_bytes(s->pg, (long long)n);
	return n;
}

static void slot_clear(struct slot *s)
{
	if (s->c)
		curl_easy_cleanup(s->c);
	curl_slist_free_all(s->hdrs);
	lfscache_writer_abort(s->w);
	if (s->f)
		fclose(s->f);
	free(s->post);
	buf_release(&s->errbody);
	s->c = NULL;
	s->hdrs = NULL;
	s->w = NULL;
	s->f = NULL;
	s->post = NULL;
	s->busy = false;
}

static void fail(struct xfer_item *it, int rc, bool retryable, const char *text, const char *more)
{
	it->rc = rc;
	it->retryable = retryable;
	snprintf(it->msg, sizeof(it->msg), "%s%s", text, more ? more : "");
}

/* Prepares the slot's request for its item and phase. */
static int slot_start(struct slot *s)
{
	struct xfer_item *it = s->it;
	struct err e = ERR_INIT;

	s->busy = true;
	s->status_seen = 0;
	s->write_failed = false;
	s->errbuf[0] = '\0';
	buf_init(&s->errbody, 4096);
	if (!(s->c = httpc_easy(s->opts)))
		goto nomem;
	curl_easy_setopt(s->c, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(s->c, CURLOPT_WRITEDATA, s);
	if (s->phase == PHASE_VERIFY) {
		if (asprintf(&s->post, "{\"oid\":\"%s\",\"size\":%lld}", it->oid, it->size) < 0) {
			s->post = NULL;
			goto nomem;
		}
		if (build_headers(&s->hdrs, it->verify, it->verify_auth, false, true) < 0)
			goto nomem;
		if (curl_easy_setopt(s->c, CURLOPT_URL, it->verify->href) != CURLE_OK)
			goto nomem; /* libcurl copies the URL */
		curl_easy_setopt(s->c, CURLOPT_POSTFIELDS, s->post);
	} else if (it->kind == XFER_DOWNLOAD) {
		if (lfscache_writer_new(&s->w, s->repo, &e) < 0) {
			fail(it, e.code, false, e.msg, NULL);
			return -1;
		}
		if (build_headers(&s->hdrs, it->action, it->auth, false, false) < 0)
			goto nomem;
		if (curl_easy_setopt(s->c, CURLOPT_URL, it->action->href) != CURLE_OK)
			goto nomem;
	} else {
		int fd = lfscache_open(s->repo, it->oid, it->size, &e);
		if (fd < 0) {
			fail(it, fd, false, e.msg, NULL);
			return -1;
		}
		if (!(s->f = fdopen(fd, "rb"))) {
			close(fd);
			goto nomem;
		}
		if (build_headers(&s->hdrs, it->action, it->auth, true, false) < 0)
			goto nomem;
		if (curl_easy_setopt(s->c, CURLOPT_URL, it->action->href) != CURLE_OK)
			goto nomem;
		curl_easy_setopt(s->c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(s->c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(s->c, CURLOPT_READDATA, s);
		curl_easy_setopt(s->c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)it->size);
	}
	curl_easy_setopt(s->c, CURLOPT_HTTPHEADER, s->hdrs);
	return 0;
nomem:
	fail(it, ERR_NOMEM, false, "out of memory", NULL);
	return -1;
}

/* The server's JSON message, if its error body carries one. */
static void describe_status(struct xfer_item *it, struct slot *s, const char *what)
{
	const char *m = NULL, *end = NULL;
	char detail[200];

	if (s->errbody.len) {
		m = strstr(s->errbody.data, "\"message\"");
		if (m && (m = strchr(m + 9, '"')))
			end = strchr(++m, '"');
	}
	if (m && end)
		snprintf(detail, sizeof(detail), "%s: HTTP %ld: %.*s", what, it->status, (int)(end - m), m);
	else
		snprintf(detail, sizeof(detail), "%s: HTTP %ld", what, it->status);
	fail(it, ERR_IO, true, detail, NULL);
}

/* Remembers who answered: after a redirect, not the href's host. */
static void note_source(struct xfer_item *it, CURL *c)
{
	char *eff = NULL, *origin;

	it->source[0] = '\0';
	if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) != CURLE_OK || !eff)
		return;
	if ((origin = lfsapi_origin(eff)))
		snprintf(it->source, sizeof(it->source), "%s", origin);
	free(origin);
}

/* Handles a finished request.  Returns true when the slot goes on (the
 * verify step of an upload). */
static bool slot_done(struct slot *s, CURLcode cc)
{
	struct xfer_item *it = s->it;
	struct err e = ERR_INIT;

	curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &it->status);
	note_source(it, s->c);
	if (s->write_failed) {
		fail(it, s->werr.code ? s->werr.code : ERR_IO, s->werr.code == ERR_INVALID, s->werr.msg, NULL);
		return false;
	}
	if (cc != CURLE_OK) {
		it->status = 0;
		fail(it, ERR_IO, true, s->errbuf[0] ? s->errbuf : curl_easy_strerror(cc), NULL);
		return false;
	}
	if (s->phase == PHASE_VERIFY) {
		if (it->status >= 400) {
			describe_status(it, s, "verify failed");
			return false;
		}
		it->rc = 0;
		return false;
	}
	if (it->status < 200 || it->status >= 300) {
		describe_status(it, s, it->kind == XFER_DOWNLOAD ? "download failed" : "upload failed");
		/* The server refused the bytes themselves: trying again is pointless. */
		if (it->status == 404 || it->status == 410 || it->status == 422)
			it->retryable = false;
		return false;
	}
	if (it->kind == XFER_DOWNLOAD) {
		int rc = lfscache_writer_commit(s->w, it->oid, it->size, NULL, NULL, &e);
		s->w = NULL;
		if (rc < 0) {
			fail(it, rc, rc == ERR_INVALID, e.msg, NULL);
			return false;
		}
		it->rc = 0;
		return false;
	}
	if (it->verify) {
		curl_slist_free_all(s->hdrs);
		s->hdrs = NULL;
		if (s->f)
			fclose(s->f);
		s->f = NULL;
		curl_easy_cleanup(s->c);
		s->c = NULL;
		buf_release(&s->errbody);
		s->phase = PHASE_VERIFY;
		return slot_start(s) == 0;
	}
	it->rc = 0;
	return false;
}

int xfer_run(struct lfsrepo *r, const struct httpc_opts *opts, struct xfer_item *items, size_t n, int concurrency,
	     struct progress *pg, struct err *err)
{
	struct slot *slots;
	CURLM *m;
	size_t next = 0;
	int active = 0, failed = 0;

	if (n == 0)
		return 0;
	if (concurrency < 1)
		concurrency = 1;
	if ((size_t)concurrency > n)
		concurrency = (int)n;
	slots = calloc((size_t)concurrency, sizeof(*slots));
	m = curl_multi_init();
	if (!slots || !m) {
		free(slots);
		if (m)
			curl_multi_cleanup(m);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		items[i].rc = ERR_IO;
		items[i].retryable = false;
		items[i].status = 0;
		items[i].source[0] = '\0';
		snprintf(items[i].msg, sizeof(items[i].msg), "not attempted");
	}
	while (next < n || active > 0) {
		CURLMsg *msg;
		int running, q;

		for (int k = 0; k < concurrency && next < n; k++) {
			struct slot *s = &slots[k];
			if (s->busy)
				continue;
			memset(s, 0, sizeof(*s));
			s->repo = r;
			s->pg = pg;
			s->opts = opts;
			s->it = &items[next++];
			s->phase = PHASE_TRANSFER;
			if (slot_start(s) < 0 || curl_multi_add_handle(m, s->c) != CURLM_OK) {
				slot_clear(s);
				continue;
			}
			active++;
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &q))) {
			struct slot *s = NULL;
			CURL *c = msg->easy_handle;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&s);
			curl_multi_remove_handle(m, c);
			if (slot_done(s, msg->data.result) && curl_multi_add_handle(m, s->c) == CURLM_OK)
				continue;
			if (s->it->rc == 0)
				progress_file_done(pg);
			slot_clear(s);
			active--;
		}
		if (active > 0)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].rc < 0)
			failed++;
	curl_multi_cleanup(m);
	free(slots);
	return failed;
}
