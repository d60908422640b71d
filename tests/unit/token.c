/* Unit tests for lfs-server/core/token.c: signing, checking, and that every
 * single-byte change of a valid token is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/token.h"
#include "tap.h"

#include <openssl/evp.h>

#define OID "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"

int main(void)
{
	struct token_key key, other;
	struct token t, got;
	struct err err = ERR_INIT;
	char tok[TOKEN_MAX], bad[TOKEN_MAX + 8];
	const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
	size_t len;
	int refused = 0, tries = 0;

	{
		unsigned char kb[TOKEN_KEY_LEN], ob[TOKEN_KEY_LEN];
		memset(kb, 7, sizeof(kb));
		memset(ob, 8, sizeof(ob));
		if (token_key_init(&key, kb, &err) < 0)
			abort(); /* setup: nothing to test without it */
		if (token_key_init(&other, ob, &err) < 0)
			abort(); /* setup: nothing to test without it */
	}
	memset(&t, 0, sizeof(t));
	strcpy(t.kind, "transfer");
	strcpy(t.user, "alice");
	strcpy(t.repo, "tock/libtock-c");
	strcpy(t.oid, OID);
	strcpy(t.op, "upload");
	t.size = 12345;
	t.expires = 2000;

	ok(token_sign(tok, sizeof(tok), &t, &key, &err) == 0, "sign");
	ok(token_verify(&got, tok, &key, 1000, &err) == 0, "verify");
	is_str(got.kind, "transfer", "kind survives");
	is_str(got.user, "alice", "user survives");
	is_str(got.repo, "tock/libtock-c", "repo survives");
	is_str(got.oid, OID, "oid survives");
	is_str(got.op, "upload", "op survives");
	is_int(got.size, 12345, "size survives");
	is_int(got.expires, 2000, "expiry survives");
	ok(token_verify(&got, tok, &key, 2000, &err) == ERR_DENIED, "expired at expiry");
	ok(token_verify(&got, tok, &other, 1000, &err) == ERR_DENIED, "other key refused");
	ok(token_verify(&got, "", &key, 1000, &err) == ERR_DENIED, "empty refused");
	ok(token_verify(&got, "abc", &key, 1000, &err) == ERR_DENIED, "no dot refused");
	ok(token_verify(&got, ".", &key, 1000, &err) == ERR_DENIED, "bare dot refused");

	len = strlen(tok);
	for (size_t i = 0; i < len; i++) {
		for (const char *c = alphabet; *c; c++) {
			if (*c == tok[i])
				continue;
			strcpy(bad, tok);
			bad[i] = *c;
			tries++;
			if (token_verify(&got, bad, &key, 1000, &err) == ERR_DENIED)
				refused++;
		}
	}
	is_int(refused, tries, "every single-byte change is refused");
	strcpy(bad, tok);
	bad[len - 1] = '\0';
	ok(token_verify(&got, bad, &key, 1000, &err) == ERR_DENIED, "truncated refused");
	snprintf(bad, sizeof(bad), "%sA", tok);
	ok(token_verify(&got, bad, &key, 1000, &err) == ERR_DENIED, "extended refused");

	strcpy(t.user, "evil\nuser");
	ok(token_sign(tok, sizeof(tok), &t, &key, &err) == ERR_INVALID, "newline in a field refused");
	strcpy(t.user, "");
	ok(token_sign(tok, sizeof(tok), &t, &key, &err) == 0 &&
	   token_verify(&got, tok, &key, 1000, &err) == 0 && got.user[0] == '\0', "anonymous user round-trips");
	/* A signer: the same tokens as token_sign, one after another (each
	 * re-initialises the context it keeps), and a payload of exactly the
	 * old snprintf form. */
	{
		struct token_signer sg;
		char one[TOKEN_MAX], many[TOKEN_MAX], dec[TOKEN_MAX];
		bool same = true;

		ok(token_signer_open(&sg, &key, &err) == 0, "signer opens");
		for (int i = 0; i < 5; i++) {
			t.size = i == 3 ? -1 : 1000 + i;
			same = same && token_sign(one, sizeof(one), &t, &key, &err) == 0 &&
			       token_signer_sign(&sg, many, sizeof(many), &t, &err) == 0 && strcmp(one, many) == 0 &&
			       token_verify(&got, many, &key, 1000, &err) == 0 && got.size == t.size;
		}
		ok(same, "signer: five tokens as token_sign makes them, each verifies");
		token_signer_close(&sg);
		{
			/* base64url of the payload, decoded with the shell's rules */
			const char *dot = strchr(one, '.');
			size_t el = dot ? (size_t)(dot - one) : 0;
			char b64[TOKEN_MAX];
			int dl;
			memcpy(b64, one, el);
			for (size_t i = 0; i < el; i++)
				b64[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
			while (el % 4)
				b64[el++] = '=';
			dl = EVP_DecodeBlock((unsigned char *)dec, (const unsigned char *)b64, (int)el);
			dec[dl > 0 ? dl : 0] = '\0';
			char want[TOKEN_MAX];
			snprintf(want, sizeof(want), "t1\n%s\n%s\n%s\n%s\n%lld\n%s\n%lld", t.kind, t.user, t.repo,
				 t.oid, t.size, t.op, t.expires);
			ok(strcmp(dec, want) == 0, "payload is t1, kind, user, repo, oid, size, op, expires");
		}
	}
	token_key_release(&key);
	token_key_release(&other);
	return tap_done();
}
