/* libFuzzer target for every parser that reads network or file input:
 * batch bodies, request paths, Range headers, tokens, mirror-state.json,
 * htpasswd files, SSH commands, pointer files and reqjson (whose cost
 * bound is checked against jansson's real allocations: the target counts
 * them through jansson's allocator hooks).  The first input byte picks
 * the parser, so one corpus and one binary cover them all.  Built and run
 * by `make fuzz` (clang's libFuzzer with ASan and UBSan). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authenticate/sshcmd.h"
#include "core/batch.h"
#include "core/htpasswd.h"
#include "core/mirror_json.h"
#include "core/range.h"
#include "core/reqjson.h"
#include "core/route.h"
#include "core/token.h"
#include "pointer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* jansson's live bytes (with a size header per block) and their peak. */
static long long live, peak;

static void *count_malloc(size_t n)
{
	size_t *p = malloc(2 * sizeof(size_t) + n);

	if (!p)
		return NULL;
	p[0] = n;
	live += (long long)n + 16;
	if (live > peak)
		peak = live;
	return p + 2;
}

static void count_free(void *q)
{
	size_t *p = q;

	if (!p)
		return;
	p -= 2;
	live -= (long long)p[0] + 16;
	free(p);
}

/* reqjson: whatever it lets through to jansson costs at most its bound. */
static void fuzz_reqjson(const char *s, size_t len)
{
	static const struct reqjson_shape shape = { 8, 1000, 8000 };
	struct reqjson_scan sc;
	struct err err = ERR_INIT;
	json_t *root;
	long long base = live;

	reqjson_scan(s, len, &sc);
	peak = live;
	if (reqjson_parse(&root, s, len, &shape, NULL, &err) == 0)
		json_decref(root);
	if (peak - base > reqjson_cost(&sc))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = ERR_INIT;
	char *s;

	static int hooked;

	if (!hooked) {
		/* Before jansson's first allocation, so every block it frees
		 * came from count_malloc. */
		json_set_alloc_funcs(count_malloc, count_free);
		hooked = 1;
	}
	if (size < 1)
		return 0;
	/* NUL-terminated copy for the string parsers. */
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 9) {
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
	case 8:
		fuzz_reqjson(s, size - 1);
		break;
	}
	free(s);
	return 0;
}
