/* token: signed, self-contained action tokens.
 *
 * A token says who may do what to which object until when: kind, user,
 * repo, oid, size, operation and expiry, under HMAC-SHA256 with the key in
 * DATA/secret.  It is checked without the database.  Wire form:
 * base64url(payload) "." base64url(hmac(base64url(payload))), where the
 * payload is the fields joined by LF (no field may contain LF). */
#ifndef LFS_TOKEN_H
#define LFS_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/route.h"
#include "err.h"
#include "oid.h"

#define TOKEN_KEY_LEN 32
#define TOKEN_USER_MAX 128
#define TOKEN_MAX 1024

struct token_key {
	unsigned char bytes[TOKEN_KEY_LEN];
	/* An HMAC-SHA256 context keyed once (EVP_MAC_CTX); each token works on a
	 * copy, which saves OpenSSL's per-call algorithm fetch and key setup. */
	void *mac;
};

struct token {
	char kind[16];               /* "transfer" or "api" */
	char user[TOKEN_USER_MAX + 1]; /* "" = anonymous */
	char repo[REPO_MAX + 1];
	char oid[OID_HEX_LEN + 1];   /* "" for api tokens */
	long long size;              /* -1 for api tokens */
	char op[16];                 /* "download", "upload", "verify" */
	long long expires;           /* unix seconds */
};

/* Writes the signed token into out (TOKEN_MAX bytes). */
int token_sign(char *out, size_t outsz, const struct token *t,
	       const struct token_key *key, struct err *err) __attribute__((warn_unused_result));

/* Signs many tokens under one key (a batch answer): the keyed HMAC
 * context is copied once and re-initialised per token, where token_sign
 * copies and frees one per call. */
struct token_signer {
	void *mac; /* EVP_MAC_CTX */
};

int token_signer_open(struct token_signer *s, const struct token_key *key, struct err *err) __attribute__((warn_unused_result));
/* As token_sign, with the signer's key. */
int token_signer_sign(struct token_signer *s, char *out, size_t outsz, const struct token *t,
		      struct err *err) __attribute__((warn_unused_result));
void token_signer_close(struct token_signer *s);

/* Checks the signature (in constant time) and expiry against now, and
 * fills out.  ERR_DENIED for anything wrong, with a message naming what. */
int token_verify(struct token *out, const char *s, const struct token_key *key,
		 time_t now, struct err *err) __attribute__((warn_unused_result));

/* Sets the key to bytes and prepares it; release with token_key_release. */
int token_key_init(struct token_key *key, const unsigned char bytes[TOKEN_KEY_LEN], struct err *err) __attribute__((warn_unused_result));
void token_key_release(struct token_key *key);

/* Loads the key from path (then as token_key_init); with create, makes it first (0600, 32 random
 * bytes, written atomically) when it does not exist. */
int token_key_load(struct token_key *key, const char *path, bool create, struct err *err) __attribute__((warn_unused_result));

#endif
