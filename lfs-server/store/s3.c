/* s3: the object store in an S3-compatible bucket (storage.type = s3; the
 * seam is store.h).  Keys are PREFIX/objects/ab/cd/<oid>, the local
 * store's layout.
 *
 * An upload is streamed, hashed and sent on in parts of a bounded buffer
 * (memory per upload: one part, whatever the object's size).  The parts
 * go straight to the object's final key as a multipart upload: S3 shows
 * nothing under a key before CompleteMultipartUpload, and that call is
 * only made once the size and SHA-256 are proven, so the store's own
 * "link" is the Complete (invariant 2 of store.h).  An object that fits
 * in one part is sent as one PutObject, also only after it is proven.
 * Any failure, mismatch or abandoned upload ends in AbortMultipartUpload;
 * stragglers of a killed server are for the bucket's lifecycle rule
 * (docs/scale-out.md).
 *
 * Never overwriting: before making an object visible its key is checked
 * (HEAD) and the write carries If-None-Match: * (stores that know it
 * refuse to replace; the others ignore it).  Two uploads of one oid racing
 * between the HEAD and the write of a store without If-None-Match can both
 * write: both hold the same proven bytes, so the object stays right.
 *
 * The server's own requests are signed by libcurl (CURLOPT_AWS_SIGV4);
 * download URLs are presigned by sigv4.c.  The credentials never reach a
 * log line or an error message. */
#include "store/store.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "core/config.h"
#include "log.h"
#include "sha256.h"
#include "store/s3.h"
#include "store/sigv4.h"

/* S3's smallest part but the last: five of these per 8 concurrent
 * uploads is what keeps the server's memory flat (docs/security.md). */
#define S3_PART_MIN (5LL * 1024 * 1024)
#define S3_MAX_PARTS 10000
#define S3_ANSWER_MAX (4 << 20) /* an XML answer (a list page is ~250 KB) */
#define S3_ETAG_MAX 130

struct s3 {
	struct store base;
	struct store *data; /* DATA (lock, tmp/) stays local: store.h */
	char *endpoint;     /* scheme://host[:port][/path], no trailing slash */
	char *bucket;
	char *prefix;       /* "" or "…/" */
	char *objects;      /* the URL of PREFIX/objects/ (objects_url) */
	size_t objects_len;
	bool path_style;
	char *userpwd;      /* "KEY:SECRET" for libcurl; secret */
	char sigv4[256];    /* "aws:amz:REGION:s3" */
	long long ttl;
	struct sigv4_signer *signer;
	/* s3.public-url: where publicly readable repos' objects are also
	 * written (a bucket or prefix on the same endpoint), and the cache of
	 * oids known to be there; all NULL without it. */
	char *pub_url;      /* the public base, for plain hrefs */
	char *pub_bucket;
	char *pub_objects;  /* the S3 URL of its objects/ (writes, HEAD) */
	struct pub_cache *pub_cache;
	struct url_cache *url_cache;
	long long window;   /* seconds a signing time is shared (url_cache) */
};

/* Presigned URLs, signed with a time rounded down to the window (so
 * every answer within one window hands out the same URL for an object,
 * which a CDN can cache too) and reused within it: direct-mapped, a
 * collision forgets the older one.  A URL then lives between ttl - window
 * and ttl seconds, and expires_in says which. */
#define URL_CACHE_SLOTS 4096
struct url_cache {
	pthread_mutex_t lock;
	struct url_slot {
		unsigned char oid[OID_HEX_LEN / 2];
		time_t signed_at; /* 0: empty */
		char *url;
	} slot[URL_CACHE_SLOTS];
};

/* Oids known to be in the public location: direct-mapped (a collision
 * forgets the older one), so a batch answer HEADs an object at most
 * once per eviction instead of once per answer. */
#define PUB_CACHE_SLOTS 65536
struct pub_cache {
	pthread_mutex_t lock;
	unsigned char oid[PUB_CACHE_SLOTS][OID_HEX_LEN / 2];
	bool used[PUB_CACHE_SLOTS];
};

struct s3_put {
	struct store_put base; /* base.received: bytes so far */
	struct s3 *s;
	CURL *h;
	char oid[OID_HEX_LEN + 1];
	char *url;          /* the object's URL */
	long long expected; /* < 0: unknown */
	struct sha256 *hash;
	char *part;         /* the bounded buffer */
	size_t part_len, part_size;
	char *upload_id;    /* NULL until the first full part */
	char (*etags)[S3_ETAG_MAX];
	size_t nparts;
	int failed;         /* sticky error code, 0 = none */
	char failed_msg[sizeof(((struct err *)0)->msg)];
	/* Streaming (the size is known and over one part): each part goes
	 * to the store while its bytes arrive, through a libcurl transfer
	 * paused whenever the client's bytes run out.  No part buffer. */
	bool streaming;
	CURLM *multi;
	CURL *ph;
	struct call *pc;    /* the part in flight's request */
	struct curl_slist *part_hdrs;
	char part_err[CURL_ERROR_SIZE];
	char *part_url;
	bool running, paused;
	long long part_left; /* bytes of the part in flight not handed to libcurl yet */
	long long streamed;  /* bytes handed to parts so far */
	const char *feed;    /* the client's bytes not handed on yet */
	size_t feed_len;
};

static struct s3 *s3_of(struct store *s)
{
	return (struct s3 *)s;
}

/* --- names --------------------------------------------------------------- */

/* Appends s to b, percent-encoded as S3 keys and query values want it
 * (RFC 3986 unreserved kept; '/' kept when keep_slash). */
static int encode(struct buf *b, const char *s, bool keep_slash, struct err *err)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
			rc = buf_append(b, s, 1, err);
		else
			rc = buf_appendf(b, err, "%%%02X", c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The bucket's base URL, no trailing slash: ENDPOINT/BUCKET (path style)
 * or scheme://BUCKET.HOST[:port][/path]. */
static int bucket_url(const struct s3 *s, struct buf *b, struct err *err)
{
	const char *host;

	if (s->path_style)
		return buf_appendf(b, err, "%s/%s", s->endpoint, s->bucket);
	host = strstr(s->endpoint, "://") + 3;
	return buf_appendf(b, err, "%.*s%s.%s", (int)(host - s->endpoint), s->endpoint, s->bucket, host);
}

/* ".../PREFIX/objects/": made once, every URL of a batch starts so. */
static int objects_url(struct s3 *s, struct err *err)
{
	struct buf b;
	int rc;

	buf_init(&b, 8192);
	if ((rc = bucket_url(s, &b, err)) < 0 || (rc = buf_append(&b, "/", 1, err)) < 0 ||
	    (rc = encode(&b, s->prefix, true, err)) < 0 || (rc = buf_appendf(&b, err, "objects/")) < 0) {
		buf_release(&b);
		return rc;
	}
	s->objects = b.data;
	s->objects_len = b.len;
	return 0;
}

/* The URL of oid's object (malloc'd into *out). */
static int object_url(const struct s3 *s, const char *oid, char **out, struct err *err)
{
	size_t n = s->objects_len + 6 + OID_HEX_LEN + 1;

	if (!(*out = malloc(n)))
		return err_set(err, ERR_NOMEM, "out of memory");
	snprintf(*out, n, "%s%.2s/%.2s/%s", s->objects, oid, oid + 2, oid);
	return 0;
}

/* s3.public-url names a bucket (or a prefix of one) on s3.endpoint, in
 * either addressing style: ENDPOINT/BUCKET[/PREFIX] or
 * SCHEME://BUCKET.HOST[/PREFIX].  It must not overlap the main objects:
 * a public view of them would publish private repos' objects. */
static int public_location(struct s3 *s, const char *pub, struct err *err)
{
	const char *host = strstr(s->endpoint, "://") + 3, *rest = NULL, *slash;
	size_t elen = strlen(s->endpoint), hlen = strlen(host), plen;
	char *bucket = NULL, *prefix = NULL;
	struct buf b;
	int rc;

	if (strncmp(pub, s->endpoint, elen) == 0 && pub[elen] == '/' && pub[elen + 1]) {
		rest = pub + elen + 1; /* BUCKET[/PREFIX] */
		slash = strchr(rest, '/');
		bucket = slash ? strndup(rest, (size_t)(slash - rest)) : strdup(rest);
		prefix = strdup(slash ? slash + 1 : "");
	} else if (strncmp(pub, s->endpoint, (size_t)(host - s->endpoint)) == 0) {
		const char *h = pub + (host - s->endpoint), *dot = strchr(h, '.');
		if (dot && strncmp(dot + 1, host, hlen) == 0 && (dot[1 + hlen] == '/' || !dot[1 + hlen])) {
			bucket = strndup(h, (size_t)(dot - h));
			prefix = strdup(dot[1 + hlen] ? dot + 2 + hlen : "");
		}
	}
	if (!bucket || !prefix || !*bucket || strchr(bucket, '/')) {
		free(bucket);
		free(prefix);
		return err_set(err, ERR_INVALID, "s3.public-url must name a bucket on s3.endpoint: "
			       "%s/BUCKET[/PREFIX] or BUCKET.HOST[/PREFIX]", s->endpoint);
	}
	plen = strlen(prefix);
	while (plen > 0 && prefix[plen - 1] == '/')
		prefix[--plen] = '\0';
	/* Same bucket: the two objects/ trees must be apart. */
	if (strcmp(bucket, s->bucket) == 0) {
		char a[4200], m[4200];
		snprintf(a, sizeof(a), "%s%sobjects/", prefix, plen ? "/" : "");
		snprintf(m, sizeof(m), "%sobjects/", s->prefix);
		if (strncmp(a, m, strlen(a)) == 0 || strncmp(a, m, strlen(m)) == 0 || !plen) {
			free(bucket);
			free(prefix);
			return err_set(err, ERR_INVALID, "s3.public-url would show the private objects: "
				       "use another bucket, or a prefix apart from s3.prefix");
		}
	}
	buf_init(&b, 8192);
	if (s->path_style)
		rc = buf_appendf(&b, err, "%s/%s/", s->endpoint, bucket);
	else
		rc = buf_appendf(&b, err, "%.*s%s.%s/", (int)(host - s->endpoint), s->endpoint, bucket, host);
	if (rc == 0 && plen)
		rc = encode(&b, prefix, true, err) < 0 ? ERR_NOMEM : buf_append(&b, "/", 1, err);
	if (rc == 0)
		rc = buf_appendf(&b, err, "objects/");
	free(prefix);
	if (rc < 0 || !(s->pub_url = strdup(pub)) || !(s->pub_cache = calloc(1, sizeof(*s->pub_cache)))) {
		free(bucket);
		buf_release(&b);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&s->pub_cache->lock, NULL);
	s->pub_bucket = bucket;
	s->pub_objects = b.data;
	return 0;
}

static size_t pub_slot(const unsigned char *bin)
{
	return ((size_t)bin[0] << 8 | bin[1]) % PUB_CACHE_SLOTS;
}

static unsigned hex_digit(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* oid is valid (64 lowercase hex digits): every caller's oid is. */
static void oid_bin(const char *oid, unsigned char out[OID_HEX_LEN / 2])
{
	for (size_t i = 0; i < OID_HEX_LEN / 2; i++)
		out[i] = (unsigned char)(hex_digit(oid[2 * i]) << 4 | hex_digit(oid[2 * i + 1]));
}

static bool pub_known(struct s3 *s, const char *oid)
{
	unsigned char bin[OID_HEX_LEN / 2];
	size_t i;
	bool hit;

	oid_bin(oid, bin);
	i = pub_slot(bin);
	pthread_mutex_lock(&s->pub_cache->lock);
	hit = s->pub_cache->used[i] && memcmp(s->pub_cache->oid[i], bin, sizeof(bin)) == 0;
	pthread_mutex_unlock(&s->pub_cache->lock);
	return hit;
}

static void pub_remember(struct s3 *s, const char *oid)
{
	unsigned char bin[OID_HEX_LEN / 2];
	size_t i;

	oid_bin(oid, bin);
	i = pub_slot(bin);
	pthread_mutex_lock(&s->pub_cache->lock);
	memcpy(s->pub_cache->oid[i], bin, sizeof(bin));
	s->pub_cache->used[i] = true;
	pthread_mutex_unlock(&s->pub_cache->lock);
}

/* --- one request ----------------------------------------------------------- */

struct call {
	const char *method;     /* GET, HEAD, PUT, POST, DELETE */
	const char *url;
	const char *body;       /* PUT/POST body, or NULL */
	size_t len, sent;
	bool if_none_match;
	const char *copy_source; /* x-amz-copy-source (CopyObject), or NULL */
	curl_read_callback read;  /* PUT: where the body comes from (NULL: body) */
	void *read_arg;
	long status;
	struct buf answer;      /* the response body, capped */
	char etag[S3_ETAG_MAX]; /* the ETag header, quotes kept */
	long long length;       /* Content-Length, -1 unknown */
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct call *c = arg;

	if (buf_append(&c->answer, data, size * n, NULL) < 0)
		return 0; /* over the cap: libcurl stops with CURLE_WRITE_ERROR */
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct call *c = arg;
	size_t len = size * n;

	if (len > 5 && strncasecmp(data, "ETag:", 5) == 0) {
		const char *v = data + 5;
		size_t vl = len - 5;
		while (vl > 0 && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl < sizeof(c->etag))
			snprintf(c->etag, sizeof(c->etag), "%.*s", (int)vl, v);
	} else if (len > 15 && strncasecmp(data, "Content-Length:", 15) == 0) {
		c->length = strtoll(data + 15, NULL, 10);
	}
	return len;
}

static size_t on_read(char *out, size_t size, size_t n, void *arg)
{
	struct call *c = arg;
	size_t k = c->len - c->sent;

	if (k > size * n)
		k = size * n;
	memcpy(out, c->body + c->sent, k);
	c->sent += k;
	return k;
}

/* The text of <tag>…</tag> after *from in xml (entities &amp; &lt; &gt;
 * &quot; &apos; decoded), into out; *from moves past it.  Only for the
 * few flat fields of S3's answers: the project has no XML parser, and
 * these answers need none. */
static bool xml_field(const char *xml, const char **from, const char *tag, char *out, size_t outsz)
{
	char open[64], close[64];
	const char *a, *b;
	size_t o = 0;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if (!(a = strstr(from ? *from : xml, open)))
		return false;
	a += strlen(open);
	if (!(b = strstr(a, close)))
		return false;
	while (a < b && o + 1 < outsz) {
		static const struct { const char *e; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
		};
		bool hit = false;
		for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]) && *a == '&'; i++) {
			size_t el = strlen(ents[i].e);
			if ((size_t)(b - a) >= el && strncmp(a, ents[i].e, el) == 0) {
				out[o++] = ents[i].c;
				a += el;
				hit = true;
				break;
			}
		}
		if (!hit)
			out[o++] = *a++;
	}
	out[o] = '\0';
	if (from)
		*from = b + strlen(close);
	return a == b;
}

/* Runs c on h.  A store that cannot be reached or answers 5xx is ERR_BUSY
 * (503 + Retry-After to the client: load or an outage, not damage); 404
 * is ERR_NOTFOUND; any other answer but 2xx (and 412 with If-None-Match)
 * is ERR_IO with S3's error code in the message. */
/* Sets h up for c (headers into *hdrs_out, freed by the caller after
 * the transfer; errors into curl_err). */
static int call_setup(struct s3 *s, CURL *h, struct call *c, struct curl_slist **hdrs_out,
		      char *curl_err, struct err *err)
{
	struct curl_slist *hdrs = NULL, *grown;
	const char *extra[5] = { NULL, NULL, NULL, NULL, NULL };
	size_t nextra = 0;
	char copy[2048];

	c->status = 0;
	c->length = -1;
	c->etag[0] = '\0';
	c->sent = 0;
	buf_release(&c->answer);
	buf_init(&c->answer, S3_ANSWER_MAX);
	curl_err[0] = '\0';
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A store that stops answering mid-request: a minute below 1 KB/s. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(h, CURLOPT_USERPWD, s->userpwd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	if (strcmp(c->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(c->method, "PUT") == 0) {
		/* Streamed: libcurl 7.88 computes no payload hash for it. */
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, c->read ? c->read : on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, c->read ? c->read_arg : (void *)c);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->len);
		extra[nextra++] = "Expect:"; /* no 100-continue round trip per part */
	} else if (strcmp(c->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->len);
	} else if (strcmp(c->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	}
	/* S3 wants the header on every request, and libcurl 7.88 sends it on
	 * none (it signs what the header says when there is one).  The bytes
	 * are checked end to end by the object's own hash instead. */
	extra[nextra++] = "x-amz-content-sha256: UNSIGNED-PAYLOAD";
	if (c->if_none_match)
		extra[nextra++] = "If-None-Match: *";
	if (c->copy_source) {
		if ((size_t)snprintf(copy, sizeof(copy), "x-amz-copy-source: %s", c->copy_source) >= sizeof(copy))
			return err_set(err, ERR_INVALID, "copy source too long");
		extra[nextra++] = copy;
	}
	for (size_t i = 0; i < nextra; i++) {
		if (!(grown = curl_slist_append(hdrs, extra[i]))) {
			curl_slist_free_all(hdrs);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
		hdrs = grown;
	}
	if (strcmp(c->method, "POST") == 0) {
		if (!(grown = curl_slist_append(hdrs, "Content-Type: application/xml"))) {
			curl_slist_free_all(hdrs);
			return err_set(err, ERR_NOMEM, "out of memory");
		}
		hdrs = grown;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	*hdrs_out = hdrs;
	return 0;
}

/* What a finished transfer of c on h means (see call_run). */
static int call_finish(struct s3 *s, CURL *h, struct call *c, CURLcode rc, const char *curl_err,
		       struct err *err)
{
	if (rc != CURLE_OK)
		return err_set(err, ERR_BUSY, "object store unreachable (%s %s): %s", c->method, s->bucket,
			       curl_err[0] ? curl_err : curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	if (c->status >= 200 && c->status < 300) {
		/* CompleteMultipartUpload can fail after its 200 has started. */
		if (c->answer.data && strstr(c->answer.data, "<Error>")) {
			char code[64] = "?";
			xml_field(c->answer.data, NULL, "Code", code, sizeof(code));
			return err_set(err, strcmp(code, "InternalError") == 0 || strcmp(code, "SlowDown") == 0 ? ERR_BUSY : ERR_IO,
				       "object store: %s %s failed: %s", c->method, s->bucket, code);
		}
		return 0;
	}
	if (c->status == 404)
		return err_set(err, ERR_NOTFOUND, "not in the object store");
	if (c->status == 412 && c->if_none_match)
		return err_set(err, ERR_EXISTS, "already in the object store");
	/* Two conditional writes of one key at once: the loser retries
	 * (and then finds the object there). */
	if (c->status == 409 && c->if_none_match)
		return err_set(err, ERR_BUSY, "object store: a concurrent write of the same object, retry");
	{
		char code[64] = "";
		if (c->answer.data)
			xml_field(c->answer.data, NULL, "Code", code, sizeof(code));
		return err_set(err, c->status >= 500 || c->status == 429 ? ERR_BUSY : ERR_IO,
			       "object store answered %ld%s%s to %s in bucket %s", c->status, code[0] ? " " : "",
			       code, c->method, s->bucket);
	}
}

static int call_run(struct s3 *s, CURL *h, struct call *c, struct err *err)
{
	struct curl_slist *hdrs = NULL;
	char curl_err[CURL_ERROR_SIZE];
	CURLcode rc;
	int r;

	if ((r = call_setup(s, h, c, &hdrs, curl_err, err)) < 0)
		return r;
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	return call_finish(s, h, c, rc, curl_err, err);
}

static int call_once(struct s3 *s, CURL *h, const char *method, const char *url, long long *length,
		     struct err *err)
{
	struct call c = { .method = method, .url = url };
	int rc;

	buf_init(&c.answer, S3_ANSWER_MAX);
	rc = call_run(s, h, &c, err);
	if (rc == 0 && length)
		*length = c.length;
	buf_release(&c.answer);
	return rc;
}

/* --- open and close ------------------------------------------------------ */

static void s3_close(struct store *st)
{
	struct s3 *s = s3_of(st);

	if (!s)
		return;
	store_close(s->data);
	if (s->userpwd) {
		/* The secret does not outlive the store in freed memory. */
		memset(s->userpwd, 0, strlen(s->userpwd));
		free(s->userpwd);
	}
	sigv4_signer_free(s->signer);
	free(s->endpoint);
	free(s->bucket);
	free(s->prefix);
	free(s->objects);
	free(s->pub_url);
	free(s->pub_bucket);
	free(s->pub_objects);
	if (s->url_cache) {
		for (size_t i = 0; i < URL_CACHE_SLOTS; i++)
			free(s->url_cache->slot[i].url);
		pthread_mutex_destroy(&s->url_cache->lock);
		free(s->url_cache);
	}
	if (s->pub_cache) {
		pthread_mutex_destroy(&s->pub_cache->lock);
		free(s->pub_cache);
	}
	free(s);
}

/* The secret key: the first line of path. */
static int read_secret(char **out, const char *path, struct err *err)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f)
		return err_set_errno(err, ERR_IO, "cannot read s3.secret-key-file '%s'", path);
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return err_set(err, ERR_INVALID, "s3.secret-key-file '%s' is empty", path);
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	*out = strdup(line);
	memset(line, 0, sizeof(line));
	if (!*out)
		return err_set(err, ERR_NOMEM, "out of memory");
	return 0;
}

int store_s3_connect(struct store **out, const struct config *cfg, struct err *err)
{
	struct s3 *s = calloc(1, sizeof(*s));
	const char *key = cfg->s3_access_key_id, *region = cfg->s3_region ? cfg->s3_region : "us-east-1";
	char *secret = NULL;
	size_t n;
	int rc;

	if (!s)
		return err_set(err, ERR_NOMEM, "out of memory");
	s->base.ops = &store_s3_ops;
	s->path_style = cfg->s3_path_style;
	s->ttl = cfg->s3_presign_ttl;
	if (!cfg->s3_endpoint || !cfg->s3_bucket) {
		rc = err_set(err, ERR_INVALID, "storage.type = s3 needs s3.endpoint and s3.bucket");
		goto fail;
	}
	n = strlen(cfg->s3_prefix ? cfg->s3_prefix : "");
	if (!(s->endpoint = strdup(cfg->s3_endpoint)) || !(s->bucket = strdup(cfg->s3_bucket)) ||
	    !(s->prefix = malloc(n + 2))) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	/* "lfs", "lfs/" and "/lfs/" are one prefix: "lfs/". */
	snprintf(s->prefix, n + 2, "%s", cfg->s3_prefix ? cfg->s3_prefix + strspn(cfg->s3_prefix, "/") : "");
	n = strlen(s->prefix);
	if (n > 0 && s->prefix[n - 1] != '/')
		strcat(s->prefix, "/");
	if (key && cfg->s3_secret_key_file) {
		if ((rc = read_secret(&secret, cfg->s3_secret_key_file, err)) < 0)
			goto fail;
	} else if (!key && !cfg->s3_secret_key_file && getenv("AWS_ACCESS_KEY_ID") && getenv("AWS_SECRET_ACCESS_KEY")) {
		key = getenv("AWS_ACCESS_KEY_ID");
		if (!(secret = strdup(getenv("AWS_SECRET_ACCESS_KEY")))) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
	} else {
		rc = err_set(err, ERR_INVALID, "no S3 credentials: set s3.access-key-id and s3.secret-key-file, "
			     "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
		goto fail;
	}
	if (strchr(key, ':')) {
		rc = err_set(err, ERR_INVALID, "s3.access-key-id must not contain ':'");
		goto fail;
	}
	n = strlen(key) + strlen(secret) + 2;
	if (!(s->userpwd = malloc(n))) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	snprintf(s->userpwd, n, "%s:%s", key, secret);
	if ((size_t)snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:s3", region) >= sizeof(s->sigv4)) {
		rc = err_set(err, ERR_INVALID, "s3.region is too long");
		goto fail;
	}
	if ((rc = sigv4_signer_new(&s->signer, key, secret, region, "s3", err)) < 0 ||
	    (rc = objects_url(s, err)) < 0 || (cfg->s3_public_url && (rc = public_location(s, cfg->s3_public_url, err)) < 0))
		goto fail;
	if (!(s->url_cache = calloc(1, sizeof(*s->url_cache)))) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	pthread_mutex_init(&s->url_cache->lock, NULL);
	/* A minute, or a tenth of a short ttl: a URL keeps >= 90% of it. */
	s->window = s->ttl >= 600 ? 60 : s->ttl / 10 > 0 ? s->ttl / 10 : 1;
	memset(secret, 0, strlen(secret));
	free(secret);
	*out = &s->base;
	return 0;
fail:
	if (secret) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	s3_close(&s->base);
	return rc;
}

static int s3_open(struct store **out, const struct config *cfg, const char *holder, struct err *err)
{
	struct store *st = NULL;
	int rc;

	if ((rc = store_s3_connect(&st, cfg, err)) < 0)
		return rc;
	/* DATA keeps its lock (one daemon per data dir) whatever holds the
	 * objects. */
	if ((rc = store_open_daemon(&s3_of(st)->data, cfg->data, holder, err)) < 0) {
		s3_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

/* --- uploads --------------------------------------------------------------- */

static int put_fail(struct s3_put *p, int code, const struct err *why, struct err *err)
{
	if (!p->failed) {
		p->failed = code;
		snprintf(p->failed_msg, sizeof(p->failed_msg), "%s", why ? why->msg : "");
	}
	return err_set(err, p->failed, "%s", p->failed_msg);
}

static int s3_put_begin(struct store_put **out, struct store *st, const char *oid,
			long long expected_size, struct err *err)
{
	struct s3 *s = s3_of(st);
	struct s3_put *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return err_set(err, ERR_NOMEM, "out of memory");
	p->base.store = st;
	p->s = s;
	p->expected = expected_size;
	snprintf(p->oid, sizeof(p->oid), "%s", oid);
	/* At most S3_MAX_PARTS parts: a known large object gets larger parts
	 * (memory grows with such an object only past 48 GiB). */
	p->part_size = S3_PART_MIN;
	if (expected_size > S3_PART_MIN * (S3_MAX_PARTS - 1))
		p->part_size = (size_t)(expected_size / (S3_MAX_PARTS - 1) + 1);
	if ((rc = sha256_new(&p->hash, err)) < 0 || (rc = object_url(s, oid, &p->url, err)) < 0)
		goto fail;
	if (!(p->h = curl_easy_init())) {
		rc = err_set(err, ERR_NOMEM, "cannot start a libcurl handle");
		goto fail;
	}
	/* An object of one part is held until proven (one PutObject); a
	 * larger one of known size streams. */
	p->streaming = expected_size > (long long)p->part_size;
	if (p->streaming && (!(p->multi = curl_multi_init()) || !(p->ph = curl_easy_init()))) {
		rc = err_set(err, ERR_NOMEM, "cannot start a libcurl handle");
		goto fail;
	}
	*out = &p->base;
	return 0;
fail:
	if (p->multi)
		curl_multi_cleanup(p->multi);
	if (p->h)
		curl_easy_cleanup(p->h);
	sha256_free(p->hash);
	free(p->url);
	free(p);
	return rc;
}

/* Sends the buffered part (starting the multipart upload first when it is
 * the first one). */
/* CreateMultipartUpload, once per upload. */
static int ensure_upload_id(struct s3_put *p, struct err *err)
{
	struct call c = { .method = "POST" };
	char id[1024], *url;
	size_t ulen = strlen(p->url) + 16;
	int rc;

	if (p->upload_id)
		return 0;
	if (!(url = malloc(ulen)))
		return err_set(err, ERR_NOMEM, "out of memory");
	snprintf(url, ulen, "%s?uploads", p->url);
	buf_init(&c.answer, S3_ANSWER_MAX);
	c.url = url;
	rc = call_run(p->s, p->h, &c, err);
	free(url);
	if (rc == 0 && (!c.answer.data || !xml_field(c.answer.data, NULL, "UploadId", id, sizeof(id)) || !id[0]))
		rc = err_set(err, ERR_IO, "object store: no UploadId in the CreateMultipartUpload answer");
	if (rc == 0 && !(p->upload_id = strdup(id)))
		rc = err_set(err, ERR_NOMEM, "out of memory");
	buf_release(&c.answer);
	return rc;
}

/* Room for one more part's ETag, and the URL of that part. */
static int next_part(struct s3_put *p, struct buf *u, struct err *err)
{
	int rc;

	if (p->nparts >= S3_MAX_PARTS)
		return err_set(err, ERR_TOOBIG, "object over %d parts of %zu bytes", S3_MAX_PARTS, p->part_size);
	if (p->nparts % 64 == 0) {
		char (*grown)[S3_ETAG_MAX] = realloc(p->etags, (p->nparts + 64) * sizeof(*p->etags));
		if (!grown)
			return err_set(err, ERR_NOMEM, "out of memory");
		p->etags = grown;
	}
	buf_init(u, 16384);
	if ((rc = buf_appendf(u, err, "%s?partNumber=%zu&uploadId=", p->url, p->nparts + 1)) < 0 ||
	    (rc = encode(u, p->upload_id, false, err)) < 0)
		buf_release(u);
	return rc;
}

/* Sends the buffered part (starting the multipart upload first when it is
 * the first one). */
static int flush_part(struct s3_put *p, struct err *err)
{
	struct call c = { .method = "PUT" };
	struct buf u;
	int rc;

	if ((rc = ensure_upload_id(p, err)) < 0 || (rc = next_part(p, &u, err)) < 0)
		return rc;
	c.url = u.data;
	c.body = p->part;
	c.len = p->part_len;
	buf_init(&c.answer, S3_ANSWER_MAX);
	rc = call_run(p->s, p->h, &c, err);
	buf_release(&u);
	if (rc == 0 && !c.etag[0])
		rc = err_set(err, ERR_IO, "object store: no ETag in the UploadPart answer");
	if (rc == 0) {
		memcpy(p->etags[p->nparts++], c.etag, sizeof(c.etag));
		p->part_len = 0;
	}
	buf_release(&c.answer);
	return rc;
}

/* --- streaming parts --------------------------------------------------------- */

static size_t stream_read(char *out, size_t size, size_t n, void *arg)
{
	struct s3_put *p = arg;
	size_t k = p->feed_len;

	if (k == 0) {
		p->paused = true;
		return CURL_READFUNC_PAUSE;
	}
	if (k > size * n)
		k = size * n;
	if ((long long)k > p->part_left)
		k = (size_t)p->part_left;
	memcpy(out, p->feed, k);
	p->feed += k;
	p->feed_len -= k;
	p->part_left -= (long long)k;
	p->streamed += (long long)k;
	return k;
}

static void part_drop(struct s3_put *p)
{
	if (p->running)
		curl_multi_remove_handle(p->multi, p->ph);
	curl_slist_free_all(p->part_hdrs);
	p->part_hdrs = NULL;
	p->running = false;
	if (p->pc) {
		buf_release(&p->pc->answer);
		free(p->pc);
		p->pc = NULL;
	}
	free(p->part_url);
	p->part_url = NULL;
}

/* UploadPart of the next part, its body to come from the client. */
static int part_start(struct s3_put *p, struct err *err)
{
	long long size = p->expected - p->streamed;
	struct buf u;
	int rc;

	if (size > (long long)p->part_size)
		size = (long long)p->part_size;
	if ((rc = ensure_upload_id(p, err)) < 0 || (rc = next_part(p, &u, err)) < 0)
		return rc;
	p->part_url = u.data;
	if (!(p->pc = calloc(1, sizeof(*p->pc)))) {
		part_drop(p);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	*p->pc = (struct call){ .method = "PUT", .url = p->part_url, .len = (size_t)size,
				.read = stream_read, .read_arg = p };
	buf_init(&p->pc->answer, S3_ANSWER_MAX);
	if ((rc = call_setup(p->s, p->ph, p->pc, &p->part_hdrs, p->part_err, err)) < 0) {
		part_drop(p);
		return rc;
	}
	if (curl_multi_add_handle(p->multi, p->ph) != CURLM_OK) {
		part_drop(p);
		return err_set(err, ERR_IO, "libcurl: cannot start a part upload");
	}
	p->running = true;
	p->paused = false;
	p->part_left = size;
	return 0;
}

static int part_done(struct s3_put *p, CURLcode result, struct err *err)
{
	int rc;

	curl_multi_remove_handle(p->multi, p->ph);
	p->running = false;
	rc = call_finish(p->s, p->ph, p->pc, result, p->part_err, err);
	if (rc == 0 && p->part_left > 0)
		rc = err_set(err, ERR_IO, "object store: a part ended %lld bytes early", p->part_left);
	if (rc == 0 && !p->pc->etag[0])
		rc = err_set(err, ERR_IO, "object store: no ETag in the UploadPart answer");
	if (rc == 0)
		memcpy(p->etags[p->nparts++], p->pc->etag, sizeof(p->pc->etag));
	part_drop(p);
	return rc;
}

/* Drives the part in flight until it has taken all of feed and wants
 * more from the client (returns 0), or has finished (its last byte was
 * fed, and the store answered). */
static int pump(struct s3_put *p, struct err *err)
{
	for (;;) {
		int running = 0, queued = 0;
		CURLMsg *m;

		if (p->paused && p->feed_len > 0) {
			p->paused = false;
			curl_easy_pause(p->ph, CURLPAUSE_CONT);
		}
		if (curl_multi_perform(p->multi, &running) != CURLM_OK)
			return err_set(err, ERR_IO, "libcurl: the part upload failed");
		while ((m = curl_multi_info_read(p->multi, &queued)))
			if (m->msg == CURLMSG_DONE)
				return part_done(p, m->data.result, err);
		if (p->feed_len == 0 && p->part_left > 0)
			return 0;
		if (curl_multi_poll(p->multi, NULL, 0, 1000, NULL) != CURLM_OK)
			return err_set(err, ERR_IO, "libcurl: the part upload failed");
	}
}

static int stream_write(struct s3_put *p, const char *data, size_t len, struct err *err)
{
	int rc;

	p->feed = data;
	p->feed_len = len;
	while (p->feed_len > 0) {
		if (!p->running && (rc = part_start(p, err)) < 0)
			return rc;
		if ((rc = pump(p, err)) < 0)
			return rc;
	}
	p->feed = NULL;
	return 0;
}

static int s3_put_write(struct store_put *pp, const void *data, size_t len, struct err *err)
{
	struct s3_put *p = (struct s3_put *)pp;
	const char *d = data;
	struct err why = ERR_INIT;
	int rc;

	if (p->failed)
		return err_set(err, p->failed, "%s", p->failed_msg);
	if (p->expected >= 0 && p->base.received + (long long)len > p->expected)
		return put_fail(p, ERR_INVALID, &(struct err){ ERR_INVALID, "more bytes than the object's size" }, err);
	if ((rc = sha256_update(p->hash, data, len, &why)) < 0)
		return put_fail(p, rc, &why, err);
	p->base.received += (long long)len;
	if (p->streaming) {
		if ((rc = stream_write(p, d, len, &why)) < 0)
			return put_fail(p, rc, &why, err);
		return 0;
	}
	while (len > 0) {
		size_t k;
		/* A small object of known size needs no more than itself. */
		if (!p->part && p->expected >= 0 && p->expected < (long long)p->part_size)
			p->part_size = p->expected > 0 ? (size_t)p->expected : 1;
		if (!p->part && !(p->part = malloc(p->part_size)))
			return put_fail(p, ERR_NOMEM, &(struct err){ ERR_NOMEM, "out of memory" }, err);
		k = p->part_size - p->part_len;
		if (k > len)
			k = len;
		memcpy(p->part + p->part_len, d, k);
		p->part_len += k;
		d += k;
		len -= k;
		/* A full part is sent only when more follows: the last part
		 * (even a full one) waits for the hash. */
		if (p->part_len == p->part_size && len > 0 && (rc = flush_part(p, &why)) < 0)
			return put_fail(p, rc, &why, err);
	}
	if (p->part_len == p->part_size && p->expected > p->base.received && (rc = flush_part(p, &why)) < 0)
		return put_fail(p, rc, &why, err);
	return 0;
}

static void put_free(struct s3_put *p)
{
	part_drop(p);
	if (p->ph)
		curl_easy_cleanup(p->ph);
	if (p->multi)
		curl_multi_cleanup(p->multi);
	if (p->h)
		curl_easy_cleanup(p->h);
	sha256_free(p->hash);
	free(p->part);
	free(p->upload_id);
	free(p->etags);
	free(p->url);
	free(p);
}

static void s3_put_abort(struct store_put *pp)
{
	struct s3_put *p = (struct s3_put *)pp;
	struct err err = ERR_INIT;

	if (!p)
		return;
	part_drop(p); /* the part in flight first: nothing may land after the abort */
	if (p->upload_id) {
		struct buf u;
		buf_init(&u, 16384);
		if (buf_appendf(&u, &err, "%s?uploadId=", p->url) == 0 && encode(&u, p->upload_id, false, &err) == 0 &&
		    call_once(p->s, p->h, "DELETE", u.data, NULL, &err) < 0 && err.code != ERR_NOTFOUND)
			/* The bucket's lifecycle rule takes what is left. */
			log_warn("s3: cannot abort the multipart upload of %s: %s", p->oid, err.msg);
		buf_release(&u);
	}
	put_free(p);
}

/* Makes the proven object visible: the last part and Complete, or one
 * PutObject when it never needed parts.  ERR_EXISTS: already there. */
static int publish(struct s3_put *p, struct err *err)
{
	struct call c = { .if_none_match = true };
	struct buf body, u;
	int rc;

	buf_init(&body, 1 << 20);
	buf_init(&u, 16384);
	buf_init(&c.answer, S3_ANSWER_MAX);
	if (p->streaming && !p->upload_id) {
		rc = err_set(err, ERR_IO, "object store: a streamed upload without parts");
		goto out;
	}
	if (!p->upload_id) {
		c.method = "PUT";
		c.url = p->url;
		c.body = p->part ? p->part : "";
		c.len = p->part_len;
		rc = call_run(p->s, p->h, &c, err);
		goto out;
	}
	if (p->part_len > 0 && (rc = flush_part(p, err)) < 0)
		goto out;
	if ((rc = buf_appendf(&body, err, "<CompleteMultipartUpload>")) < 0)
		goto out;
	for (size_t i = 0; i < p->nparts; i++) {
		char etag[S3_ETAG_MAX * 6];
		size_t o = 0;
		/* An ETag is quoted: the quotes are XML-escaped. */
		for (const char *e = p->etags[i]; *e && o + 7 < sizeof(etag); e++)
			o += (size_t)snprintf(etag + o, sizeof(etag) - o, "%s",
					      *e == '"' ? "&quot;" : *e == '&' ? "&amp;" : (char[2]){ *e, 0 });
		etag[o] = '\0';
		if ((rc = buf_appendf(&body, err, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>",
				      i + 1, etag)) < 0)
			goto out;
	}
	if ((rc = buf_appendf(&body, err, "</CompleteMultipartUpload>")) < 0 ||
	    (rc = buf_appendf(&u, err, "%s?uploadId=", p->url)) < 0 || (rc = encode(&u, p->upload_id, false, err)) < 0)
		goto out;
	c.method = "POST";
	c.url = u.data;
	c.body = body.data;
	c.len = body.len;
	rc = call_run(p->s, p->h, &c, err);
	if (rc == 0) {
		free(p->upload_id); /* completed: nothing to abort any more */
		p->upload_id = NULL;
	}
out:
	buf_release(&c.answer);
	buf_release(&body);
	buf_release(&u);
	return rc;
}

static int s3_put_commit(struct store_put *pp, long long *size_out, struct store_later **later,
			 struct err *err)
{
	struct s3_put *p = (struct s3_put *)pp;
	char hex[OID_HEX_LEN + 1];
	long long there = -1;
	int rc;

	/* Nothing to let go of: the parts are the bucket's. */
	if (later)
		*later = NULL;

	if (p->failed) {
		rc = err_set(err, p->failed, "%s", p->failed_msg);
		goto fail;
	}
	if (p->expected >= 0 && p->base.received != p->expected) {
		rc = err_set(err, ERR_INVALID, "size mismatch: got %lld bytes, expected %lld", p->base.received,
			     p->expected);
		goto fail;
	}
	if ((rc = sha256_final_hex(p->hash, hex, err)) < 0)
		goto fail;
	if (strcmp(hex, p->oid) != 0) {
		rc = err_set(err, ERR_INVALID, "hash mismatch: content hashes to %s", hex);
		goto fail;
	}
	/* Proven.  Never replace what is there (the bytes are the same). */
	rc = call_once(p->s, p->h, "HEAD", p->url, &there, err);
	if (rc == 0)
		goto done;
	if (rc != ERR_NOTFOUND)
		goto fail;
	err_clear(err);
	rc = publish(p, err);
	if (rc == ERR_EXISTS) {
		err_clear(err);
		rc = 0;
	}
	if (rc < 0)
		goto fail;
done:
	if (size_out)
		*size_out = p->base.received;
	s3_put_abort(&p->base); /* aborts the multipart upload if it was not completed */
	return 0;
fail:
	s3_put_abort(&p->base);
	return rc;
}

/* --- reads ----------------------------------------------------------------- */

static int s3_exists(struct store *st, const char *oid, long long *size_out, struct err *err)
{
	struct s3 *s = s3_of(st);
	CURL *h = curl_easy_init();
	char *url = NULL;
	long long len = -1;
	int rc;

	if (!h)
		return err_set(err, ERR_NOMEM, "cannot start a libcurl handle");
	if ((rc = object_url(s, oid, &url, err)) == 0 && (rc = call_once(s, h, "HEAD", url, &len, err)) == 0 &&
	    size_out)
		*size_out = len;
	free(url);
	curl_easy_cleanup(h);
	return rc;
}

static int presign(struct s3 *s, const char *oid, char **out, struct err *err)
{
	char *url = NULL;
	int rc;

	if ((rc = object_url(s, oid, &url, err)) < 0)
		return rc;
	rc = sigv4_presign(s->signer, "GET", url, time(NULL), s->ttl, out, err);
	free(url);
	return rc;
}

/* A redirect to the store: checked first, so that a recorded object the
 * bucket lost is a 500 here, not a 404 from the store. */
static int s3_get(struct store *st, const char *oid, struct store_object *out, struct err *err)
{
	long long size = -1;
	int rc;

	if ((rc = s3_exists(st, oid, &size, err)) < 0)
		return rc;
	out->fd = -1;
	out->size = size;
	return presign(s3_of(st), oid, &out->url, err);
}

/* The public copy's S3 URL (malloc'd). */
static int pub_object_url(const struct s3 *s, const char *oid, char **out, struct err *err)
{
	size_t n = strlen(s->pub_objects) + 6 + OID_HEX_LEN + 1;

	if (!(*out = malloc(n)))
		return err_set(err, ERR_NOMEM, "out of memory");
	snprintf(*out, n, "%s%.2s/%.2s/%s", s->pub_objects, oid, oid + 2, oid);
	return 0;
}

/* Whether the public location holds oid: the cache, else one HEAD. */
static bool pub_in_place(struct s3 *s, const char *oid)
{
	struct err err = ERR_INIT;
	CURL *h;
	char *url = NULL;
	bool there = false;

	if (pub_known(s, oid))
		return true;
	if (!(h = curl_easy_init()))
		return false;
	if (pub_object_url(s, oid, &url, &err) == 0 && call_once(s, h, "HEAD", url, NULL, &err) == 0) {
		pub_remember(s, oid);
		there = true;
	}
	free(url);
	curl_easy_cleanup(h);
	return there;
}

/* Copies a stored object into the public location (server side:
 * CopyObject), unless it is there already. */
static int s3_publish(struct store *st, const char *oid, struct err *err)
{
	struct s3 *s = s3_of(st);
	struct call c = { .method = "PUT", .if_none_match = true };
	struct buf src;
	CURL *h;
	char *url = NULL;
	int rc;

	if (!s->pub_url || pub_known(s, oid))
		return 0;
	if (!(h = curl_easy_init()))
		return err_set(err, ERR_NOMEM, "cannot start a libcurl handle");
	buf_init(&src, 8192);
	buf_init(&c.answer, S3_ANSWER_MAX);
	if ((rc = pub_object_url(s, oid, &url, err)) < 0)
		goto out;
	rc = call_once(s, h, "HEAD", url, NULL, err);
	if (rc == 0)
		goto done;
	if (rc != ERR_NOTFOUND)
		goto out;
	err_clear(err);
	if ((rc = buf_appendf(&src, err, "/%s/", s->bucket)) < 0 || (rc = encode(&src, s->prefix, true, err)) < 0 ||
	    (rc = buf_appendf(&src, err, "objects/%.2s/%.2s/%s", oid, oid + 2, oid)) < 0)
		goto out;
	c.url = url;
	c.copy_source = src.data;
	rc = call_run(s, h, &c, err);
	if (rc == ERR_EXISTS) {
		err_clear(err);
		rc = 0;
	}
	if (rc < 0 && rc != ERR_BUSY && rc != ERR_NOMEM) {
		/* Refused (CopyObject's 5 GiB limit, a policy): the object's
		 * hrefs stay presigned, which is never wrong. */
		log_warn("s3: %s not copied to the public location: %s", oid, err->msg);
		err_clear(err);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
done:
	pub_remember(s, oid);
out:
	buf_release(&c.answer);
	buf_release(&src);
	free(url);
	curl_easy_cleanup(h);
	return rc;
}

static int s3_href(struct store *st, const char *oid, bool public_read, char *out, size_t outsz,
		   long long *expires_in, struct err *err)
{
	struct s3 *s = s3_of(st);
	char *url = NULL;
	int rc;

	/* A public repo's object known to be in the public location: a
	 * plain URL there, which never expires.  Anything else (not there,
	 * the store unreachable for the check) gets a presigned URL. */
	if (public_read && s->pub_url && pub_in_place(s, oid)) {
		if ((size_t)snprintf(out, outsz, "%s/objects/%.2s/%.2s/%s", s->pub_url, oid, oid + 2, oid) >= outsz)
			return err_set(err, ERR_INVALID, "public URL too long");
		*expires_in = 0;
		return 0;
	}
	{
		time_t now = time(NULL), at = now - now % s->window;
		unsigned char bin[OID_HEX_LEN / 2];
		struct url_slot *slot;
		bool hit;

		oid_bin(oid, bin);
		slot = &s->url_cache->slot[((size_t)bin[0] << 8 | bin[1]) % URL_CACHE_SLOTS];
		pthread_mutex_lock(&s->url_cache->lock);
		hit = slot->signed_at == at && memcmp(slot->oid, bin, sizeof(bin)) == 0 && strlen(slot->url) < outsz;
		if (hit)
			memcpy(out, slot->url, strlen(slot->url) + 1);
		pthread_mutex_unlock(&s->url_cache->lock);
		*expires_in = s->ttl - (long long)(now - at);
		if (hit)
			return 0;
		if ((rc = object_url(s, oid, &url, err)) < 0)
			return rc;
		{
			char *signed_url = NULL;
			rc = sigv4_presign(s->signer, "GET", url, at, s->ttl, &signed_url, err);
			free(url);
			if (rc < 0)
				return rc;
			url = signed_url;
		}
		if (strlen(url) >= outsz) {
			free(url);
			return err_set(err, ERR_INVALID, "presigned URL too long");
		}
		memcpy(out, url, strlen(url) + 1);
		pthread_mutex_lock(&s->url_cache->lock);
		free(slot->url);
		slot->url = url; /* the cache owns it now */
		slot->signed_at = at;
		memcpy(slot->oid, bin, sizeof(bin));
		pthread_mutex_unlock(&s->url_cache->lock);
		return 0;
	}
}

/* Walks ListObjectsV2 pages under PREFIX/objects/; keys not of the
 * layout (ab/cd/<oid>) are not objects and are skipped. */
static int s3_each(struct store *st, int (*fn)(const char *oid, long long size, void *arg), void *arg,
		   struct err *err)
{
	struct s3 *s = s3_of(st);
	CURL *h = curl_easy_init();
	char token[2048] = "", truncated[16];
	size_t plen = strlen(s->prefix);
	struct call c = { .method = "GET" };
	int rc = 0;

	if (!h)
		return err_set(err, ERR_NOMEM, "cannot start a libcurl handle");
	buf_init(&c.answer, S3_ANSWER_MAX);
	do {
		struct buf u, pfx;
		const char *at;
		char key[1100], size[32];

		buf_init(&u, 16384);
		buf_init(&pfx, 4096);
		if ((rc = bucket_url(s, &u, err)) < 0 || (rc = buf_appendf(&u, err, "/?list-type=2&prefix=")) < 0 ||
		    (rc = buf_appendf(&pfx, err, "%sobjects/", s->prefix)) < 0 ||
		    (rc = encode(&u, pfx.data, false, err)) < 0 ||
		    (token[0] && ((rc = buf_appendf(&u, err, "&continuation-token=")) < 0 ||
				  (rc = encode(&u, token, false, err)) < 0))) {
			buf_release(&u);
			buf_release(&pfx);
			break;
		}
		buf_release(&pfx);
		c.url = u.data;
		rc = call_run(s, h, &c, err);
		buf_release(&u);
		if (rc < 0)
			break;
		at = c.answer.data ? c.answer.data : "";
		while (xml_field(c.answer.data, &at, "Key", key, sizeof(key))) {
			const char *k = key + plen;
			if (!xml_field(c.answer.data, &at, "Size", size, sizeof(size)))
				break;
			if (strncmp(key, s->prefix, plen) != 0 || strlen(k) != 14 + OID_HEX_LEN ||
			    strncmp(k, "objects/", 8) != 0 || k[10] != '/' || k[13] != '/' || !oid_valid(k + 14) ||
			    strncmp(k + 8, k + 14, 2) != 0 || strncmp(k + 11, k + 16, 2) != 0)
				continue;
			if ((rc = fn(k + 14, strtoll(size, NULL, 10), arg)) != 0) {
				rc = rc < 0 ? rc : -1;
				goto out;
			}
		}
		if (!xml_field(c.answer.data ? c.answer.data : "", NULL, "IsTruncated", truncated, sizeof(truncated)))
			truncated[0] = '\0';
		if (strcmp(truncated, "true") == 0 &&
		    !xml_field(c.answer.data, NULL, "NextContinuationToken", token, sizeof(token))) {
			rc = err_set(err, ERR_IO, "object store: a truncated list without a continuation token");
			break;
		}
	} while (strcmp(truncated, "true") == 0);
out:
	buf_release(&c.answer);
	curl_easy_cleanup(h);
	return rc;
}

const struct store_ops store_s3_ops = {
	.name = "s3",
	.open = s3_open,
	.put_begin = s3_put_begin,
	.put_write = s3_put_write,
	.put_commit = s3_put_commit,
	.put_abort = s3_put_abort,
	.get = s3_get,
	.exists = s3_exists,
	.each = s3_each,
	.href = s3_href,
	.publish = s3_publish,
	.close = s3_close,
};
