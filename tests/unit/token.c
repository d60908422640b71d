/* Unit tests for lfs-server/core/token.c: signing, checking, and that every
 * single-byte change of a valid token is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/token.h"
#include "tap.h"

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
	token_key_release(&key);
	token_key_release(&other);
	return tap_done();
}
