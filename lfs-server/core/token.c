/* token: HMAC-SHA256 action tokens (see token.h). */
#include "core/token.h"
#include "util.h"

#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAYLOAD_MAX 640

static size_t b64url_encode(char *out, const unsigned char *in, size_t len)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	for (int i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	out[n] = '\0';
	return (size_t)n;
}

/* Returns the decoded length, or -1. */
static int b64url_decode(unsigned char *out, size_t outsz, const char *in, size_t len)
{
	char tmp[PAYLOAD_MAX * 2];
	size_t pad = (4 - len % 4) % 4;
	int n;

	if (len + pad >= sizeof(tmp) || pad == 3 || (len + pad) / 4 * 3 > outsz)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '+' || c == '/' || c == '=')
			return -1;
		tmp[i] = c;
	}
	memset(tmp + len, '=', pad);
	n = EVP_DecodeBlock(out, (const unsigned char *)tmp, (int)(len + pad));
	if (n < 0)
		return -1;
	return n - (int)pad;
}

/* HMAC of data into out (base64url) with c, a keyed context that is
 * re-initialised first (EVP_MAC_init without a key keeps the key). */
static int mac_with(EVP_MAC_CTX *c, char out[64], const char *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;

	if (EVP_MAC_init(c, NULL, 0, NULL) != 1 || EVP_MAC_update(c, (const unsigned char *)data, len) != 1 ||
	    EVP_MAC_final(c, md, &mdlen, sizeof(md)) != 1)
		return -1;
	b64url_encode(out, md, mdlen);
	return 0;
}

static int mac(char out[64], const char *data, size_t len, const struct token_key *key)
{
	EVP_MAC_CTX *c = key->mac ? EVP_MAC_CTX_dup(key->mac) : NULL;
	int rc = c ? mac_with(c, out, data, len) : -1;

	EVP_MAC_CTX_free(c);
	return rc;
}

int token_key_init(struct token_key *key, const unsigned char bytes[TOKEN_KEY_LEN], struct err *err)
{
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	EVP_MAC_free(hmac);
	memcpy(key->bytes, bytes, TOKEN_KEY_LEN);
	key->mac = NULL;
	if (!c || EVP_MAC_init(c, key->bytes, TOKEN_KEY_LEN, params) != 1) {
		EVP_MAC_CTX_free(c);
		return err_set(err, ERR_IO, "cannot set up HMAC-SHA256");
	}
	key->mac = c;
	return 0;
}

void token_key_release(struct token_key *key)
{
	EVP_MAC_CTX_free(key->mac);
	key->mac = NULL;
	OPENSSL_cleanse(key->bytes, sizeof(key->bytes));
}

static bool field_ok(const char *s)
{
	return !strchr(s, '\n');
}

/* Appends s[0..n) to p (cap bytes, *len used); false when it does not fit. */
static bool cat(char *p, size_t cap, size_t *len, const char *s, size_t n)
{
	if (n >= cap - *len)
		return false;
	memcpy(p + *len, s, n);
	*len += n;
	return true;
}

static bool cat_ll(char *p, size_t cap, size_t *len, long long v)
{
	char tmp[24], *q = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--q = '-';
	return cat(p, cap, len, q, (size_t)(tmp + sizeof(tmp) - q));
}

/* The signed form of t with c (see token.h): the payload is built by hand,
 * not with snprintf, which was a fifth of a token's cost. */
static int sign_with(EVP_MAC_CTX *c, char *out, size_t outsz, const struct token *t, struct err *err)
{
	const char *const fields[] = { t->kind, t->user, t->repo, t->oid };
	char payload[PAYLOAD_MAX], sig[64];
	char enc[PAYLOAD_MAX * 2];
	size_t n = 0, elen, slen;
	bool fit = cat(payload, sizeof(payload), &n, "t1", 2);

	if (!field_ok(t->kind) || !field_ok(t->user) || !field_ok(t->repo) ||
	    !field_ok(t->oid) || !field_ok(t->op))
		return err_set(err, ERR_INVALID, "token field contains a newline");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		fit = fit && cat(payload, sizeof(payload), &n, "\n", 1) &&
		      cat(payload, sizeof(payload), &n, fields[i], strlen(fields[i]));
	fit = fit && cat(payload, sizeof(payload), &n, "\n", 1) && cat_ll(payload, sizeof(payload), &n, t->size) &&
	      cat(payload, sizeof(payload), &n, "\n", 1) && cat(payload, sizeof(payload), &n, t->op, strlen(t->op)) &&
	      cat(payload, sizeof(payload), &n, "\n", 1) && cat_ll(payload, sizeof(payload), &n, t->expires);
	if (!fit)
		return err_set(err, ERR_INVALID, "token too long");
	elen = b64url_encode(enc, (const unsigned char *)payload, n);
	if (!c || mac_with(c, sig, enc, elen) < 0)
		return err_set(err, ERR_IO, "hmac failed");
	slen = strlen(sig);
	if (elen + 1 + slen >= outsz)
		return err_set(err, ERR_INVALID, "token too long");
	memcpy(out, enc, elen);
	out[elen] = '.';
	memcpy(out + elen + 1, sig, slen + 1);
	return 0;
}

int token_sign(char *out, size_t outsz, const struct token *t,
	       const struct token_key *key, struct err *err)
{
	EVP_MAC_CTX *c = key->mac ? EVP_MAC_CTX_dup(key->mac) : NULL;
	int rc = c ? sign_with(c, out, outsz, t, err) : err_set(err, ERR_IO, "hmac failed");

	EVP_MAC_CTX_free(c);
	return rc;
}

int token_signer_open(struct token_signer *s, const struct token_key *key, struct err *err)
{
	s->mac = key->mac ? EVP_MAC_CTX_dup(key->mac) : NULL;
	return s->mac ? 0 : err_set(err, ERR_NOMEM, "cannot copy the HMAC key");
}

int token_signer_sign(struct token_signer *s, char *out, size_t outsz, const struct token *t,
		      struct err *err)
{
	return sign_with(s->mac, out, outsz, t, err);
}

void token_signer_close(struct token_signer *s)
{
	EVP_MAC_CTX_free(s->mac);
	s->mac = NULL;
}

/* Copies the next LF-terminated field (or the tail) into dst. */
static bool next_field(char **p, char *dst, size_t dstsz)
{
	char *s = *p, *nl;
	size_t n;

	if (!s)
		return false;
	nl = strchr(s, '\n');
	n = nl ? (size_t)(nl - s) : strlen(s);
	if (n >= dstsz)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	*p = nl ? nl + 1 : NULL;
	return true;
}

static bool parse_ll(const char *s, long long *out)
{
	return util_parse_ll(s, LLONG_MIN, LLONG_MAX, out) == 0;
}

int token_verify(struct token *out, const char *s, const struct token_key *key,
		 time_t now, struct err *err)
{
	const char *dot;
	char want[64], payload[PAYLOAD_MAX + 1], num[32], ver[8];
	char *p;
	size_t elen, slen;
	int n;

	if (!s || strlen(s) >= TOKEN_MAX || !(dot = strchr(s, '.')))
		return err_set(err, ERR_DENIED, "malformed token");
	elen = (size_t)(dot - s);
	if (elen == 0 || mac(want, s, elen, key) < 0)
		return err_set(err, ERR_DENIED, "malformed token");
	slen = strlen(dot + 1);
	if (slen != strlen(want) || CRYPTO_memcmp(want, dot + 1, slen) != 0)
		return err_set(err, ERR_DENIED, "token signature does not match");
	n = b64url_decode((unsigned char *)payload, PAYLOAD_MAX, s, elen);
	if (n < 0)
		return err_set(err, ERR_DENIED, "malformed token");
	payload[n] = '\0';
	memset(out, 0, sizeof(*out));
	p = payload;
	if (!next_field(&p, ver, sizeof(ver)) || strcmp(ver, "t1") != 0 ||
	    !next_field(&p, out->kind, sizeof(out->kind)) ||
	    !next_field(&p, out->user, sizeof(out->user)) ||
	    !next_field(&p, out->repo, sizeof(out->repo)) ||
	    !next_field(&p, out->oid, sizeof(out->oid)) ||
	    !next_field(&p, num, sizeof(num)) || !parse_ll(num, &out->size) ||
	    !next_field(&p, out->op, sizeof(out->op)) ||
	    !next_field(&p, num, sizeof(num)) || !parse_ll(num, &out->expires) || p)
		return err_set(err, ERR_DENIED, "malformed token");
	if (out->expires <= (long long)now)
		return err_set(err, ERR_DENIED, "token expired");
	return 0;
}

int token_key_load(struct token_key *key, const char *path, bool create, struct err *err)
{
	char tmp[4096];
	unsigned char bytes[TOKEN_KEY_LEN];
	struct stat st;
	int fd, n;
	ssize_t got;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno != ENOENT || !create))
		return err_set_errno(err, ERR_IO, "cannot open secret '%s'", path);
	if (fd < 0) {
		n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return err_set(err, ERR_INVALID, "secret path too long");
		if (RAND_bytes(bytes, TOKEN_KEY_LEN) != 1)
			return err_set(err, ERR_IO, "no randomness for the secret");
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_set_errno(err, ERR_IO, "cannot create secret '%s'", tmp);
		if (write(fd, bytes, TOKEN_KEY_LEN) != TOKEN_KEY_LEN || fsync(fd) < 0) {
			n = err_set_errno(err, ERR_IO, "cannot write secret '%s'", tmp);
			close(fd);
			unlink(tmp);
			return n;
		}
		close(fd);
		/* link() never replaces: if another process won the race, use its key. */
		if (link(tmp, path) < 0 && errno != EEXIST) {
			n = err_set_errno(err, ERR_IO, "cannot create secret '%s'", path);
			unlink(tmp);
			return n;
		}
		unlink(tmp);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_set_errno(err, ERR_IO, "cannot open secret '%s'", path);
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return err_set_errno(err, ERR_IO, "cannot stat secret '%s'", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return err_set(err, ERR_INVALID, "secret '%s' is readable by others (mode %03o); chmod 600 it",
			       path, (unsigned)(st.st_mode & 0777));
	}
	got = read(fd, bytes, TOKEN_KEY_LEN);
	close(fd);
	if (got != TOKEN_KEY_LEN)
		return err_set(err, ERR_INVALID, "secret '%s' must hold at least %d bytes", path, TOKEN_KEY_LEN);
	n = token_key_init(key, bytes, err);
	OPENSSL_cleanse(bytes, sizeof(bytes));
	return n;
}
