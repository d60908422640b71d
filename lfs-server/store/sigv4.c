/* sigv4: AWS Signature Version 4 presigned URLs and header signatures on
 * OpenSSL's HMAC and SHA-256 (see sigv4.h). */
#include "sigv4.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* A presigned URL travels in JSON and in request lines: keep it short. */
#define URL_MAX (16 * 1024)
/* The canonical request holds the path and headers: a little more room. */
#define TEXT_MAX (64 * 1024)
#define HOST_MAX 300
#define SECRET_MAX 1024
#define AKID_MAX 256
#define SCOPE_PART_MAX 64
#define HEADERS_MAX 64
#define QUERY_PAIRS_MAX 256
#define SECONDS_PER_DAY 86400LL

/* The day's signing key, shared by every thread that signs for that day. */
struct sigv4_cache {
	pthread_mutex_t lock;
	long long day;       /* days since 1970-01-01 UTC; -1: nothing derived yet */
	EVP_MAC_CTX *keyed;  /* HMAC-SHA256 keyed with that day's signing key */
};

struct sigv4_signer {
	char *access_key_id;
	char *access_key_id_enc; /* as the X-Amz-Credential query value carries it */
	char *region;
	char *service;
	unsigned char *secret; /* "AWS4" + secret: the key of the first HMAC */
	size_t secret_len;
	EVP_MAC_CTX *hmac;     /* HMAC-SHA256 with no key, duplicated per use */
	EVP_MD *sha256;
	struct sigv4_cache *cache;
};

/* A URL taken apart as the signature needs it. */
struct url {
	bool https;
	char host[HOST_MAX];     /* the host header: lowercase, port unless the default */
	const char *path;        /* "/" when the URL has none */
	size_t path_len;
	const char *query;       /* after '?'; NULL when there is none */
	size_t query_len;
};

static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static bool is_upper_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static void to_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static bool valid_scope_part(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SCOPE_PART_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_unreserved(c) || c == '~')
			return false;
	}
	return true;
}

static bool valid_access_key_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AKID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '/')
			return false;
	}
	return true;
}

int sigv4_uri_encode(const char *in, size_t len, bool keep_slash, char **out, struct err *err)
{
	static const char digits[] = "0123456789ABCDEF";
	char *o;
	size_t j = 0;

	if (len > (SIZE_MAX - 1) / 3)
		return err_set(err, ERR_TOOBIG, "sigv4: string too long to encode");
	o = malloc(3 * len + 1);
	if (!o)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (is_unreserved(c) || (keep_slash && c == '/')) {
			o[j++] = (char)c;
		} else {
			o[j++] = '%';
			o[j++] = digits[c >> 4];
			o[j++] = digits[c & 15];
		}
	}
	o[j] = '\0';
	*out = o;
	return 0;
}

void sigv4_signer_free(struct sigv4_signer *s)
{
	if (!s)
		return;
	if (s->cache) {
		pthread_mutex_destroy(&s->cache->lock);
		EVP_MAC_CTX_free(s->cache->keyed); /* cleanses the key it holds */
		free(s->cache);
	}
	if (s->secret) {
		OPENSSL_cleanse(s->secret, s->secret_len);
		free(s->secret);
	}
	EVP_MAC_CTX_free(s->hmac);
	EVP_MD_free(s->sha256);
	free(s->access_key_id);
	free(s->access_key_id_enc);
	free(s->region);
	free(s->service);
	free(s);
}

int sigv4_signer_new(struct sigv4_signer **out, const char *access_key_id, const char *secret,
		     const char *region, const char *service, struct err *err)
{
	struct sigv4_signer *s;
	EVP_MAC *mac;
	OSSL_PARAM params[2];
	size_t secret_len;

	*out = NULL;
	if (!access_key_id || !valid_access_key_id(access_key_id))
		return err_set(err, ERR_INVALID,
			       "sigv4: access key id must be 1 to %d printable characters, no space or '/'",
			       AKID_MAX);
	if (!secret || !*secret || strlen(secret) > SECRET_MAX)
		return err_set(err, ERR_INVALID, "sigv4: secret key must be 1 to %d bytes", SECRET_MAX);
	if (!region || !valid_scope_part(region))
		return err_set(err, ERR_INVALID,
			       "sigv4: region must be 1 to %d letters, digits, '-', '_' or '.'",
			       SCOPE_PART_MAX);
	if (!service || !valid_scope_part(service))
		return err_set(err, ERR_INVALID,
			       "sigv4: service must be 1 to %d letters, digits, '-', '_' or '.'",
			       SCOPE_PART_MAX);
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(err, ERR_NOMEM, "out of memory");
	secret_len = strlen(secret);
	s->secret_len = 4 + secret_len;
	s->secret = malloc(s->secret_len);
	s->access_key_id = strdup(access_key_id);
	s->region = strdup(region);
	s->service = strdup(service);
	s->cache = calloc(1, sizeof(*s->cache));
	if (!s->secret || !s->access_key_id || !s->region || !s->service || !s->cache) {
		free(s->cache);
		s->cache = NULL;
		sigv4_signer_free(s);
		return err_set(err, ERR_NOMEM, "out of memory");
	}
	memcpy(s->secret, "AWS4", 4);
	memcpy(s->secret + 4, secret, secret_len);
	if (pthread_mutex_init(&s->cache->lock, NULL) != 0) {
		free(s->cache);
		s->cache = NULL;
		sigv4_signer_free(s);
		return err_set(err, ERR_IO, "sigv4: cannot create a mutex");
	}
	s->cache->day = -1;
	if (sigv4_uri_encode(access_key_id, strlen(access_key_id), false, &s->access_key_id_enc,
			     err) < 0) {
		sigv4_signer_free(s);
		return ERR_NOMEM;
	}
	/* Fetched once: a fetch per signature would take OpenSSL's global
	 * provider lock on every URL. */
	s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac) {
		s->hmac = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac);
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!s->sha256 || !s->hmac || EVP_MAC_CTX_set_params(s->hmac, params) != 1) {
		sigv4_signer_free(s);
		return err_set(err, ERR_IO, "sigv4: OpenSSL has no HMAC-SHA256");
	}
	*out = s;
	return 0;
}

/* out = HMAC-SHA256(key, msg). */
static int hmac(const struct sigv4_signer *s, const unsigned char *key, size_t key_len,
		const void *msg, size_t msg_len, unsigned char out[32], struct err *err)
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(s->hmac);
	size_t got = 0;
	int ok;

	ok = ctx && EVP_MAC_init(ctx, key, key_len, NULL) == 1 &&
	     EVP_MAC_update(ctx, msg, msg_len) == 1 &&
	     EVP_MAC_final(ctx, out, &got, 32) == 1 && got == 32;
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : err_set(err, ERR_IO, "sigv4: HMAC failed");
}

/* A fresh HMAC context keyed with the signing key of date (YYYYMMDD). */
static int derive(const struct sigv4_signer *s, const char *date, EVP_MAC_CTX **out,
		  struct err *err)
{
	unsigned char k1[32], k2[32];
	EVP_MAC_CTX *ctx = NULL;
	int rc;

	rc = hmac(s, s->secret, s->secret_len, date, 8, k1, err);
	if (rc == 0)
		rc = hmac(s, k1, 32, s->region, strlen(s->region), k2, err);
	if (rc == 0)
		rc = hmac(s, k2, 32, s->service, strlen(s->service), k1, err);
	if (rc == 0)
		rc = hmac(s, k1, 32, "aws4_request", 12, k2, err);
	if (rc == 0) {
		ctx = EVP_MAC_CTX_dup(s->hmac);
		if (!ctx || EVP_MAC_init(ctx, k2, 32, NULL) != 1) {
			EVP_MAC_CTX_free(ctx);
			ctx = NULL;
			rc = err_set(err, ERR_IO, "sigv4: HMAC failed");
		}
	}
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	*out = ctx;
	return rc;
}

/* signature = hex(HMAC(signing key of now's day, sts)), the key derived
 * only when the day changes. */
static int sign(const struct sigv4_signer *s, time_t now, const char *date, const char *sts,
		size_t sts_len, char signature[65], struct err *err)
{
	struct sigv4_cache *c = s->cache;
	long long day = (long long)now / SECONDS_PER_DAY;
	EVP_MAC_CTX *ctx = NULL;
	unsigned char mac[32];
	size_t got = 0;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (c->day != day || !c->keyed) {
		EVP_MAC_CTX *fresh = NULL;
		rc = derive(s, date, &fresh, err);
		if (rc == 0) {
			EVP_MAC_CTX_free(c->keyed);
			c->keyed = fresh;
			c->day = day;
		}
	}
	if (rc == 0) {
		ctx = EVP_MAC_CTX_dup(c->keyed);
		if (!ctx)
			rc = err_set(err, ERR_NOMEM, "out of memory");
	}
	pthread_mutex_unlock(&c->lock);
	if (rc < 0)
		return rc;
	if (EVP_MAC_update(ctx, (const unsigned char *)sts, sts_len) != 1 || EVP_MAC_final(ctx, mac, &got, 32) != 1 ||
	    got != 32)
		rc = err_set(err, ERR_IO, "sigv4: HMAC failed");
	EVP_MAC_CTX_free(ctx);
	if (rc == 0)
		to_hex(mac, 32, signature);
	return rc;
}

static int format_time(time_t now, char amz_date[17], struct err *err)
{
	struct tm tm;

	/* The year must have four digits for the X-Amz-Date format. */
	if (now < 0 || (long long)now > 253402300799LL || !gmtime_r(&now, &tm) ||
	    strftime(amz_date, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		return err_set(err, ERR_INVALID, "sigv4: time out of range");
	return 0;
}

static int check_method(const char *method, struct err *err)
{
	size_t n = method ? strlen(method) : 0;

	if (n == 0 || n > 32)
		return err_set(err, ERR_INVALID, "sigv4: bad method");
	for (size_t i = 0; i < n; i++)
		if (method[i] < 'A' || method[i] > 'Z')
			return err_set(err, ERR_INVALID, "sigv4: method must be upper-case letters");
	return 0;
}

/* Bytes of an encoded path (or, with query, of a query string) that are
 * fine as they are: nothing a client or proxy could re-encode. */
static bool valid_encoded(const char *s, size_t len, bool query)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (is_unreserved(c))
			continue;
		if (c == '%') {
			if (i + 2 >= len || !is_upper_hex((unsigned char)s[i + 1]) ||
			    !is_upper_hex((unsigned char)s[i + 2]))
				return false;
			i += 2;
			continue;
		}
		if (query ? (c == '=' || c == '&') : c == '/')
			continue;
		return false;
	}
	return true;
}

static int parse_port(const char *p, size_t len, unsigned *port)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

static int parse_url(const char *url, bool allow_query, struct url *u, struct err *err)
{
	const char *p = url, *auth, *host, *rest;
	size_t alen, hlen, rlen, n;
	unsigned port = 0;

	memset(u, 0, sizeof(*u));
	if (!url)
		return err_set(err, ERR_INVALID, "sigv4: no URL");
	if (strlen(url) > URL_MAX)
		return err_set(err, ERR_TOOBIG, "sigv4: URL longer than %d bytes", URL_MAX);
	if (strncmp(p, "https://", 8) == 0) {
		u->https = true;
		p += 8;
	} else if (strncmp(p, "http://", 7) == 0) {
		p += 7;
	} else {
		return err_set(err, ERR_INVALID, "sigv4: URL must start with http:// or https://");
	}
	auth = p;
	alen = strcspn(auth, "/?#");
	if (alen == 0)
		return err_set(err, ERR_INVALID, "sigv4: URL has no host");
	if (memchr(auth, '@', alen))
		return err_set(err, ERR_INVALID, "sigv4: URL must not carry user info");
	host = auth;
	if (auth[0] == '[') {
		const char *close = memchr(auth, ']', alen);
		if (!close || close == auth + 1)
			return err_set(err, ERR_INVALID, "sigv4: bad IPv6 address in URL");
		hlen = (size_t)(close - auth) + 1;
		for (size_t i = 1; i + 1 < hlen; i++) {
			unsigned char c = (unsigned char)auth[i];
			if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') ||
			      (lower(c) >= 'a' && lower(c) <= 'f')))
				return err_set(err, ERR_INVALID, "sigv4: bad IPv6 address in URL");
		}
	} else {
		const char *colon = memchr(auth, ':', alen);
		hlen = colon ? (size_t)(colon - auth) : alen;
		if (hlen == 0)
			return err_set(err, ERR_INVALID, "sigv4: URL has no host");
		for (size_t i = 0; i < hlen; i++) {
			unsigned char c = (unsigned char)auth[i];
			if (!(is_unreserved(c) && c != '~'))
				return err_set(err, ERR_INVALID, "sigv4: bad character in URL host");
		}
	}
	rest = auth + hlen;
	rlen = alen - hlen;
	if (rlen > 0) {
		if (rest[0] != ':' || parse_port(rest + 1, rlen - 1, &port) < 0)
			return err_set(err, ERR_INVALID, "sigv4: bad port in URL");
		if (port == (u->https ? 443u : 80u))
			port = 0;
	}
	if (hlen >= HOST_MAX - 8)
		return err_set(err, ERR_INVALID, "sigv4: URL host too long");
	for (size_t i = 0; i < hlen; i++)
		u->host[i] = (char)lower((unsigned char)host[i]);
	n = hlen;
	if (port)
		n += (size_t)snprintf(u->host + n, sizeof(u->host) - n, ":%u", port);
	u->host[n] = '\0';

	p = auth + alen;
	if (*p == '/') {
		u->path = p;
		u->path_len = strcspn(p, "?#");
		if (!valid_encoded(u->path, u->path_len, false))
			return err_set(err, ERR_INVALID,
				       "sigv4: URL path must be encoded (unreserved, '/', %%XX upper-case)");
		p += u->path_len;
	} else {
		u->path = "/";
		u->path_len = 1;
	}
	if (*p == '#')
		return err_set(err, ERR_INVALID, "sigv4: URL must not carry a fragment");
	if (*p == '?') {
		if (!allow_query)
			return err_set(err, ERR_INVALID, "sigv4: the URL to presign must have no query");
		u->query = p + 1;
		u->query_len = strcspn(u->query, "#");
		if (u->query[u->query_len] == '#')
			return err_set(err, ERR_INVALID, "sigv4: URL must not carry a fragment");
		if (!valid_encoded(u->query, u->query_len, true))
			return err_set(err, ERR_INVALID, "sigv4: URL query must be encoded");
	}
	return 0;
}

/* "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256(cr)>" into sts. */
static int string_to_sign(const struct sigv4_signer *s, const char *amz_date,
			  const struct buf *cr, struct buf *sts, struct err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char hex[65];

	if (EVP_Digest(cr->data, cr->len, md, &md_len, s->sha256, NULL) != 1 || md_len != 32)
		return err_set(err, ERR_IO, "sigv4: SHA-256 failed");
	to_hex(md, 32, hex);
	return buf_appendf(sts, err, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s",
			   amz_date, amz_date, s->region, s->service, hex);
}

/* Moves a buffer's contents out as a malloc'd string (never NULL). */
static char *take(struct buf *b)
{
	char *d = b->data;

	if (!d)
		d = strdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void sigv4_parts_free(struct sigv4_parts *p)
{
	if (!p)
		return;
	free(p->canonical_request);
	free(p->string_to_sign);
	free(p->authorization);
	memset(p, 0, sizeof(*p));
}

int sigv4_presign_parts(const struct sigv4_signer *s, const char *method, const char *url,
			time_t now, long long expires, char **out, struct sigv4_parts *parts,
			struct err *err)
{
	struct buf query, cr, sts, res;
	char amz_date[17], signature[65];
	struct url u;
	int rc;

	*out = NULL;
	if (parts)
		memset(parts, 0, sizeof(*parts));
	if ((rc = check_method(method, err)) < 0 || (rc = parse_url(url, false, &u, err)) < 0 ||
	    (rc = format_time(now, amz_date, err)) < 0)
		return rc;
	if (expires < SIGV4_EXPIRES_MIN || expires > SIGV4_EXPIRES_MAX)
		return err_set(err, ERR_INVALID, "sigv4: expiry must be %lld to %lld seconds",
			       SIGV4_EXPIRES_MIN, SIGV4_EXPIRES_MAX);
	buf_init(&query, URL_MAX);
	buf_init(&cr, TEXT_MAX);
	buf_init(&sts, TEXT_MAX);
	buf_init(&res, URL_MAX);
	/* The parameters in sorted order: the URL's query is its canonical
	 * form too. */
	rc = buf_appendf(&query, err,
			 "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s%%2F%.8s%%2F%s%%2F%s"
			 "%%2Faws4_request&X-Amz-Date=%s&X-Amz-Expires=%lld&X-Amz-SignedHeaders=host",
			 s->access_key_id_enc, amz_date, s->region, s->service, amz_date, expires);
	if (rc == 0)
		rc = buf_appendf(&cr, err, "%s\n%.*s\n%s\nhost:%s\n\nhost\n" SIGV4_UNSIGNED_PAYLOAD,
				 method, (int)u.path_len, u.path, query.data, u.host);
	if (rc == 0)
		rc = string_to_sign(s, amz_date, &cr, &sts, err);
	if (rc == 0)
		rc = sign(s, now, amz_date, sts.data, sts.len, signature, err);
	if (rc == 0)
		rc = buf_appendf(&res, err, "%s://%s%.*s?%s&X-Amz-Signature=%s",
				 u.https ? "https" : "http", u.host, (int)u.path_len, u.path,
				 query.data, signature);
	if (rc == 0) {
		*out = take(&res);
		if (!*out)
			rc = err_set(err, ERR_NOMEM, "out of memory");
	}
	if (rc == 0 && parts) {
		parts->canonical_request = take(&cr);
		parts->string_to_sign = take(&sts);
		memcpy(parts->amz_date, amz_date, sizeof(amz_date));
		memcpy(parts->signature, signature, sizeof(signature));
		if (!parts->canonical_request || !parts->string_to_sign) {
			sigv4_parts_free(parts);
			free(*out);
			*out = NULL;
			rc = err_set(err, ERR_NOMEM, "out of memory");
		}
	}
	buf_release(&query);
	buf_release(&cr);
	buf_release(&sts);
	buf_release(&res);
	return rc;
}

int sigv4_presign(const struct sigv4_signer *s, const char *method, const char *url, time_t now,
		  long long expires, char **out, struct err *err)
{
	return sigv4_presign_parts(s, method, url, now, expires, out, NULL, err);
}

/* One header to sign, in canonical form. */
struct hdr {
	char *name;   /* lowercase */
	char *value;  /* trimmed, inner white space runs made one space */
	size_t order; /* position given: repeated names keep their order */
};

struct pair {
	const char *key, *value;
	size_t key_len, value_len;
};

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

static int cmp_hdr(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = cmp_bytes(x->key, x->key_len, y->key, y->key_len);

	return c ? c : cmp_bytes(x->value, x->value_len, y->value, y->value_len);
}

static bool is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Fills h from a name and a value as the caller gave them. */
static int make_hdr(struct hdr *h, const char *name, const char *value, size_t order,
		    struct err *err)
{
	size_t nl = name ? strlen(name) : 0, vl, j = 0;
	bool space = false;

	h->order = order;
	if (nl == 0 || nl > 128)
		return err_set(err, ERR_INVALID, "sigv4: bad header name");
	for (size_t i = 0; i < nl; i++)
		if (!is_tchar((unsigned char)name[i]))
			return err_set(err, ERR_INVALID, "sigv4: bad header name");
	if (!value)
		return err_set(err, ERR_INVALID, "sigv4: header %s has no value", name);
	vl = strlen(value);
	for (size_t i = 0; i < vl; i++) {
		unsigned char c = (unsigned char)value[i];
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return err_set(err, ERR_INVALID,
				       "sigv4: header %s: control or non-ASCII byte in value", name);
	}
	h->name = malloc(nl + 1);
	h->value = malloc(vl + 1);
	if (!h->name || !h->value)
		return err_set(err, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i <= nl; i++)
		h->name[i] = (char)lower((unsigned char)name[i]);
	for (size_t i = 0; i < vl; i++) {
		if (value[i] == ' ' || value[i] == '\t') {
			space = j > 0;
			continue;
		}
		if (space)
			h->value[j++] = ' ';
		space = false;
		h->value[j++] = value[i];
	}
	h->value[j] = '\0';
	return 0;
}

static bool valid_payload_hash(const char *p)
{
	size_t n = p ? strlen(p) : 0;

	if (p && strcmp(p, SIGV4_UNSIGNED_PAYLOAD) == 0)
		return true;
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* The sorted query pairs, "k=v" joined by '&' (botocore's canonical form
 * for a query already in the URL: sorted, not re-encoded). */
static int canonical_query(const struct url *u, struct buf *out, struct err *err)
{
	struct pair pairs[QUERY_PAIRS_MAX];
	size_t n = 0, i = 0;
	int rc = 0;

	if (!u->query || u->query_len == 0)
		return 0;
	while (i <= u->query_len) {
		const char *start = u->query + i;
		const char *amp = memchr(start, '&', u->query_len - i);
		size_t len = amp ? (size_t)(amp - start) : u->query_len - i;
		const char *eq = memchr(start, '=', len);

		if (n == QUERY_PAIRS_MAX)
			return err_set(err, ERR_TOOBIG, "sigv4: more than %d query parameters",
				       QUERY_PAIRS_MAX);
		pairs[n].key = start;
		pairs[n].key_len = eq ? (size_t)(eq - start) : len;
		pairs[n].value = eq ? eq + 1 : start + len;
		pairs[n].value_len = eq ? len - pairs[n].key_len - 1 : 0;
		n++;
		i += len + 1;
	}
	qsort(pairs, n, sizeof(pairs[0]), cmp_pair);
	for (i = 0; i < n && rc == 0; i++)
		rc = buf_appendf(out, err, "%s%.*s=%.*s", i ? "&" : "", (int)pairs[i].key_len,
				 pairs[i].key, (int)pairs[i].value_len, pairs[i].value);
	return rc;
}

int sigv4_sign_headers(const struct sigv4_signer *s, const char *method, const char *url,
		       const struct sigv4_header *headers, size_t n, const char *payload_hash,
		       time_t now, struct sigv4_parts *parts, struct err *err)
{
	struct hdr h[HEADERS_MAX + 3];
	struct buf cr, sts, names, auth;
	char amz_date[17], signature[65];
	bool have_host = false;
	size_t count = 0;
	struct url u;
	int rc;

	memset(parts, 0, sizeof(*parts));
	memset(h, 0, sizeof(h));
	if ((rc = check_method(method, err)) < 0 || (rc = parse_url(url, true, &u, err)) < 0 ||
	    (rc = format_time(now, amz_date, err)) < 0)
		return rc;
	if (!valid_payload_hash(payload_hash))
		return err_set(err, ERR_INVALID,
			       "sigv4: payload hash must be 64 lowercase hex digits or "
			       SIGV4_UNSIGNED_PAYLOAD);
	if (n > HEADERS_MAX)
		return err_set(err, ERR_TOOBIG, "sigv4: more than %d headers", HEADERS_MAX);
	buf_init(&cr, TEXT_MAX);
	buf_init(&sts, TEXT_MAX);
	buf_init(&names, TEXT_MAX);
	buf_init(&auth, TEXT_MAX);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = make_hdr(&h[count], headers[i].name, headers[i].value, i, err);
		if (rc < 0)
			break;
		if (strcmp(h[count].name, "x-amz-date") == 0 ||
		    strcmp(h[count].name, "x-amz-content-sha256") == 0)
			rc = err_set(err, ERR_INVALID, "sigv4: %s is the signer's to set",
				     h[count].name);
		if (strcmp(h[count].name, "host") == 0)
			have_host = true;
		count++;
	}
	if (rc == 0 && !have_host)
		rc = make_hdr(&h[count++], "host", u.host, n, err);
	if (rc == 0)
		rc = make_hdr(&h[count++], "x-amz-content-sha256", payload_hash, n + 1, err);
	if (rc == 0)
		rc = make_hdr(&h[count++], "x-amz-date", amz_date, n + 2, err);
	if (rc == 0) {
		qsort(h, count, sizeof(h[0]), cmp_hdr);
		rc = buf_appendf(&cr, err, "%s\n%.*s\n", method, (int)u.path_len, u.path);
	}
	if (rc == 0)
		rc = canonical_query(&u, &cr, err);
	for (size_t i = 0; i < count && rc == 0; i++) {
		bool first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
		if (first)
			rc = buf_appendf(&cr, err, "\n%s:%s", h[i].name, h[i].value);
		else
			rc = buf_appendf(&cr, err, ",%s", h[i].value);
		if (rc == 0 && first)
			rc = buf_appendf(&names, err, "%s%s", i ? ";" : "", h[i].name);
	}
	if (rc == 0)
		rc = buf_appendf(&cr, err, "\n\n%s\n%s", names.data, payload_hash);
	if (rc == 0)
		rc = string_to_sign(s, amz_date, &cr, &sts, err);
	if (rc == 0)
		rc = sign(s, now, amz_date, sts.data, sts.len, signature, err);
	/* botocore's and curl's form: ", " between the parts. */
	if (rc == 0)
		rc = buf_appendf(&auth, err,
				 "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
				 "SignedHeaders=%s, Signature=%s",
				 s->access_key_id, amz_date, s->region, s->service, names.data,
				 signature);
	if (rc == 0) {
		parts->canonical_request = take(&cr);
		parts->string_to_sign = take(&sts);
		parts->authorization = take(&auth);
		memcpy(parts->amz_date, amz_date, sizeof(amz_date));
		memcpy(parts->signature, signature, sizeof(signature));
		if (!parts->canonical_request || !parts->string_to_sign || !parts->authorization) {
			sigv4_parts_free(parts);
			rc = err_set(err, ERR_NOMEM, "out of memory");
		}
	}
	for (size_t i = 0; i < HEADERS_MAX + 3; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	buf_release(&cr);
	buf_release(&sts);
	buf_release(&names);
	buf_release(&auth);
	return rc;
}
