/* Unit tests for lfs-server/core/reqjson.c: the scan's counts, the shape
 * checks, the budget, and that reqjson_cost really bounds what jansson
 * allocates (measured here with jansson's allocator hooks, which the
 * server itself does not use: they are process-global). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "core/reqjson.h"
#include "tap.h"

/* --- jansson's allocations, counted as glibc's chunks ------------------ */

static long long live, peak;

static size_t chunk(size_t n)
{
	size_t c = (n + 8 + 15) & ~(size_t)15;

	return c < 32 ? 32 : c;
}

static void *count_malloc(size_t n)
{
	size_t *p = malloc(sizeof(size_t) * 2 + n);

	if (!p)
		return NULL;
	p[0] = n;
	live += (long long)chunk(n);
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
	live -= (long long)chunk(p[0]);
	free(p);
}

/* --- bodies ------------------------------------------------------------ */

static char *body;
static size_t blen, bcap;

static void put(const char *s)
{
	size_t n = strlen(s);

	if (blen + n + 1 > bcap) {
		bcap = (blen + n + 1) * 2;
		body = realloc(body, bcap);
		if (!body)
			abort();
	}
	memcpy(body + blen, s, n + 1);
	blen += n;
}

static void reset(void)
{
	blen = 0;
	put("");
}

/* open + n × (item, comma-separated) + close; "#" in item becomes the
 * index, so keys can differ. */
static void repeat(const char *open, const char *item, int n, const char *close)
{
	char num[16];

	reset();
	put(open);
	for (int i = 0; i < n; i++) {
		const char *hash = strchr(item, '#');
		char part[256];

		if (i)
			put(",");
		if (!hash) {
			put(item);
			continue;
		}
		snprintf(part, sizeof(part), "%.*s", (int)(hash - item), item);
		put(part);
		snprintf(num, sizeof(num), "%08d", i);
		put(num);
		put(hash + 1);
	}
	put(close);
}

/* Parses body with counting hooks; checks peak <= cost. */
static void bound(const char *name)
{
	struct reqjson_scan s;
	json_error_t jerr;
	json_t *root;
	long long cost;

	reqjson_scan(body, blen, &s);
	cost = reqjson_cost(&s);
	live = peak = 0;
	root = json_loadb(body, blen, JSON_ALLOW_NUL, &jerr);
	json_decref(root);
	if (!ok(root != NULL, "%s: parses", name))
		printf("# %s\n", jerr.text);
	ok(live == 0, "%s: everything freed", name);
	if (!ok(peak <= cost, "%s: jansson's peak %lld <= cost %lld (%zu bytes of text)", name, peak, cost, blen))
		printf("# containers %lld values %lld strings %lld longest %lld\n", s.containers, s.values,
		       s.string_bytes, s.longest);
	else
		printf("# %s: peak/cost %.2f\n", name, (double)peak / (double)cost);
}

#define A "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
#define A56 "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299"

int main(void)
{
	struct reqjson_scan s;
	struct reqjson_shape shape = { 3, 10, 40 };
	struct reqjson_budget budget = { 1000, 0 };
	struct reqjson_hold h1 = { &budget, 0 }, h2 = { &budget, 0 }, none = { NULL, 0 };
	struct err err = ERR_INIT;
	json_t *root;
	char deep[2100];

	reqjson_scan("{\"a\":[1,2,{\"b\":\"x,{[\\\"\"}]}", strlen("{\"a\":[1,2,{\"b\":\"x,{[\\\"\"}]}"), &s);
	is_int(s.containers, 3, "scan: brackets inside strings are not counted");
	is_int(s.depth, 3, "scan: depth");
	is_int(s.values, 3 + 2 + 1, "scan: values bound = commas + containers + 1");
	is_int(s.longest, 6, "scan: longest token (escapes counted raw)");
	reqjson_scan("", 0, &s);
	is_int(s.containers, 0, "scan: empty body");
	reqjson_scan("]]]}}}[", 7, &s);
	is_int(s.depth, 1, "scan: stray closers do not go below zero");

	reqjson_scan("{\"a\":{\"b\":{\"c\":{}}}}", 21, &s);
	is_int(reqjson_fits(&s, &shape, &err), ERR_INVALID, "too deep: 422");
	reqjson_scan("[{},{},{},{},{},{},{},{},{},{},{}]", 34, &s);
	is_int(reqjson_fits(&s, &shape, &err), ERR_TOOBIG, "too many containers: 413");
	repeat("[", "%d", 50, "]");
	reqjson_scan(body, blen, &s);
	is_int(reqjson_fits(&s, &shape, &err), ERR_TOOBIG, "too many values: 413");
	repeat("[", "%d", 30, "]");
	reqjson_scan(body, blen, &s);
	is_int(reqjson_fits(&s, &shape, &err), 0, "within the shape");

	is_int(reqjson_take(&h1, 600, &err), 0, "budget: first take");
	is_int(reqjson_take(&h2, 500, &err), ERR_BUSY, "budget: over it is ERR_BUSY (503)");
	is_int(reqjson_take(&h2, 1001, &err), ERR_TOOBIG, "budget: more than all of it is ERR_TOOBIG (413)");
	is_int(reqjson_take(&h2, 400, &err), 0, "budget: up to the limit");
	is_int(budget.used, 1000, "budget: used is the sum");
	reqjson_release(&h1);
	is_int(budget.used, 400, "budget: release gives back what one request held");
	is_int(h1.held, 0, "budget: a hold is empty after release");
	reqjson_release(&h1);
	is_int(budget.used, 400, "budget: a second release gives nothing");
	reqjson_release(&h2);
	is_int(reqjson_take(&none, 1 << 30, &err), 0, "no budget: nothing counted");

	repeat("[", "{}", 349, "]");
	is_int(reqjson_parse(&root, body, blen, &shape, &h1, &err), ERR_TOOBIG, "parse: refused before building");
	ok(root == NULL && budget.used == 0, "parse: nothing built, nothing taken");
	is_int(reqjson_parse(&root, "[1,", 3, &shape, NULL, &err), ERR_SYNTAX, "parse: malformed is ERR_SYNTAX");
	reqjson_release(&h1);
	budget.max = 1 << 20;
	is_int(reqjson_parse(&root, "{\"a\":\"\\u0000\"}", 14, &shape, &h1, &err), 0, "parse: NUL allowed");
	ok(h1.held > 0 && budget.used == h1.held, "parse: the cost is held");
	json_decref(root);
	reqjson_release(&h1);
	memset(deep, '[', 2050);
	is_int(reqjson_parse(&root, deep, 2050, &shape, NULL, &err), ERR_INVALID, "parse: deep nesting 422");

	/* The cost model against jansson's real allocations. */
	json_set_alloc_funcs(count_malloc, count_free);
	repeat("[", "{}", 20000, "]");
	bound("empty objects");
	repeat("[", "[]", 20000, "]");
	bound("empty arrays");
	repeat("{", "\"k#\":0", 20000, "}");
	bound("distinct keys");
	repeat("{", "\"a\":0", 20000, "}");
	bound("duplicate keys");
	repeat("[", "1", 50000, "]");
	bound("integers");
	repeat("[", "0.5", 50000, "]");
	bound("reals");
	repeat("[", "\"\"", 50000, "]");
	bound("empty strings");
	repeat("[", "true", 50000, "]");
	bound("literals");
	repeat("[", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9}", 5000, "]");
	bound("nine-member objects");
	repeat("[", "{\"a\":[1]}", 10000, "]");
	bound("objects holding arrays");
	reset();
	put("[\"");
	for (int i = 0; i < 20000; i++)
		put("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	put("\"]");
	bound("one long string");
	reset();
	put("{\"");
	for (int i = 0; i < 20000; i++)
		put("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");
	put("\":1}");
	bound("one long key");
	repeat("[", "\"\\u00e9\\u00e9\\u00e9\\u00e9\"", 10000, "]");
	bound("escaped strings");
	reset();
	for (int i = 0; i < 1000; i++)
		put("{\"a\":");
	put("1");
	for (int i = 0; i < 1000; i++)
		put("}");
	bound("1000 levels deep");
	repeat("{\"operation\":\"download\",\"transfers\":[\"basic\"],\"ref\":{\"name\":\"refs/heads/main\"},"
	       "\"objects\":[", "{\"oid\":\"" A "\",\"size\":1}", 1000, "]}");
	bound("a batch of 1000 objects");
	{
		/* A 1000-object upload answer, a token in every action, on a
		 * long base URL: its text within batch_answer_cost. */
		struct batch_req req;
		struct token_key key;
		unsigned char kb[TOKEN_KEY_LEN];
		long long stored[1000];
		const char *url = "https://lfs.a-rather-long-university-host-name.example.org:8443/prefix";
		struct batch_ctx ctx = { .base_url = url, .repo = "tock/libtock-c/and/a/deep/path", .user = "alice",
					 .key = &key, .now = 1000, .ttl = 3600 };
		struct buf answer;

		memset(kb, 2, sizeof(kb));
		if (token_key_init(&key, kb, &err) < 0)
			abort(); /* setup: nothing to test without it */
		ctx.key = &key;
		repeat("{\"operation\":\"upload\",\"objects\":[", "{\"oid\":\"" A56 "#\",\"size\":1}", 1000, "]}");
		ok(batch_parse(&req, body, blen, 1000, 0, NULL, &err) == 0 && req.n == 1000 && req.items[999].code == 0,
		   "1000-object upload parses, every oid valid");
		for (int i = 0; i < 1000; i++)
			stored[i] = -1;
		ok(batch_response(&answer, &req, stored, &ctx, &err) == 0, "answer written");
		ok((long long)answer.cap <= batch_answer_cost(req.n, url, ctx.repo) + 1,
		   "batch answer: %zu bytes allocated <= batch_answer_cost %lld", answer.cap,
		   batch_answer_cost(req.n, url, ctx.repo));
		printf("# batch answer: %zu bytes of text per object\n", answer.len / 1000);
		buf_release(&answer);
		batch_req_release(&req);
		token_key_release(&key);
	}
	json_set_alloc_funcs(malloc, free);
	free(body);
	return tap_done();
}
