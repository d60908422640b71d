/* libFuzzer target for every parser that reads network or file input:
 * batch bodies, request paths, Range headers, tokens, mirror-state.json,
 * htpasswd files, SSH commands and pointer files.  The first input byte
 * picks the parser, so one corpus and one binary cover them all.  Built
 * and run by `make fuzz` (clang's libFuzzer with ASan and UBSan). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "htpasswd.h"
#include "mirror_json.h"
#include "pointer.h"
#include "range.h"
#include "route.h"
#include "sshcmd.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	char *s;

	if (size < 1)
		return 0;
	/* NUL-terminated copy for the string parsers. */
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 8) {
	case 0: {
		struct batch_req req;
		if (batch_parse(&req, s, size - 1, 1000, 1 << 20, NULL, &err) == 0)
			batch_req_release(&req);
		break;
	}
	case 1: {
		struct route r;
		route_parse(&r, s, &err);
		break;
	}
	case 2: {
		long long start, len;
		range_parse(s, 1000, &start, &len);
		break;
	}
	case 3: {
		static struct token_key key;
		static int ready;
		struct token t;
		if (!ready) {
			unsigned char kb[TOKEN_KEY_LEN];
			memset(kb, 3, sizeof(kb));
			ready = token_key_init(&key, kb, &err) == 0;
		}
		token_verify(&t, s, &key, 0, &err);
		break;
	}
	case 4: {
		long long seq;
		struct mirror_entry page[16];
		size_t n;
		mirror_json_parse_state(s, size - 1, &seq, &err);
		mirror_json_parse_page(s, size - 1, 0, page, 16, &n, &seq, &err);
		break;
	}
	case 5: {
		struct htpasswd *h = NULL;
		if (htpasswd_parse(&h, s, size - 1, "fuzz", &err) == 0)
			htpasswd_free(h);
		break;
	}
	case 6: {
		struct sshcmd c;
		sshcmd_parse(&c, s, &err);
		break;
	}
	case 7: {
		struct pointer p;
		pointer_parse(&p, data + 1, size - 1, &err);
		pointer_looks_like(data + 1, size - 1);
		break;
	}
	}
	free(s);
	return 0;
}
