/* reqjson: bounded-cost JSON request bodies and the in-flight budget (see
 * reqjson.h; the choice against jansson's allocator hooks is explained in
 * docs/architecture.md). */
#include "core/reqjson.h"

#include <stdbool.h>
#include <string.h>

/* Bytes of jansson's tree per container (struct, hash table or entry
 * table, malloc headers) and per value (a member's pair with its share of
 * bucket growth, the value's struct), measured on jansson 2.14 with its
 * allocator hooks (tests/unit/reqjson.c keeps them honest), with slack.
 * String bytes count twice (the copy in the tree, plus the lexer's buffer,
 * which grows by doubling to the longest token). */
#define COST_FIXED (16 * 1024)
#define COST_CONTAINER 320
#define COST_VALUE 224

void reqjson_scan(const char *body, size_t len, struct reqjson_scan *out)
{
	bool in_str = false, esc = false;
	long long depth = 0, commas = 0, run = 0;

	*out = (struct reqjson_scan){ 0 };
	/* Only quotes, backslashes inside strings, brackets and commas
	 * matter: the counts bound the tree, and jansson alone decides
	 * whether the text is valid JSON. */
	for (size_t i = 0; i < len; i++) {
		char c;

		/* The plain run of a string up to its quote or a backslash,
		 * in one go (memchr): oids are most of a batch body. */
		if (in_str && !esc) {
			const char *q = memchr(body + i, '"', len - i);
			size_t end = q ? (size_t)(q - body) : len;
			const char *bs = memchr(body + i, '\\', end - i);
			size_t stop = bs ? (size_t)(bs - body) : end;

			out->string_bytes += (long long)(stop - i);
			run += (long long)(stop - i);
			if ((i = stop) == len)
				break;
		}
		c = body[i];
		if (in_str) {
			out->string_bytes++;
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			if (in_str)
				run++;
			else if (run > out->longest)
				out->longest = run;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			run = 0;
			break;
		case '{':
		case '[':
			out->containers++;
			if (++depth > out->depth)
				out->depth = (int)(depth < 1000000 ? depth : 1000000);
			run = 0;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			run = 0;
			break;
		case ',':
			commas++;
			run = 0;
			break;
		case ' ': case '\t': case '\n': case '\r': case ':':
			run = 0;
			break;
		default:
			/* numbers and literals: the lexer buffers them too */
			if (++run > out->longest)
				out->longest = run;
		}
	}
	if (in_str && run > out->longest)
		out->longest = run;
	/* Every element or member but each container's first follows a
	 * comma; the first ones are at most one per container, plus the root. */
	out->values = commas + out->containers + 1;
}

long long reqjson_cost(const struct reqjson_scan *s)
{
	return COST_FIXED + s->containers * COST_CONTAINER + s->values * COST_VALUE +
	       2 * s->string_bytes + 2 * s->longest;
}

int reqjson_fits(const struct reqjson_scan *s, const struct reqjson_shape *shape, struct err *err)
{
	if (s->depth > shape->max_depth)
		return err_set(err, ERR_INVALID, "JSON nested %d levels deep; this endpoint reads at most %d",
			       s->depth, shape->max_depth);
	if (s->containers > shape->max_containers)
		return err_set(err, ERR_TOOBIG, "%lld JSON objects and arrays in one request; this endpoint "
			       "reads at most %lld", s->containers, shape->max_containers);
	if (s->values > shape->max_values)
		return err_set(err, ERR_TOOBIG, "%lld JSON values in one request; this endpoint reads at "
			       "most %lld", s->values, shape->max_values);
	return 0;
}

int reqjson_take(struct reqjson_hold *h, long long n, struct err *err)
{
	struct reqjson_budget *b = h->budget;
	long long max, cur;

	if (!b || n <= 0)
		return 0;
	max = b->max > 0 ? b->max : REQJSON_INFLIGHT_DEFAULT;
	if (n > max)
		return err_set(err, ERR_TOOBIG, "request needs %lld bytes of memory; the server's JSON "
			       "budget is %lld", n, max);
	cur = __atomic_load_n(&b->used, __ATOMIC_RELAXED);
	do {
		if (cur > max - n)
			return err_set(err, ERR_BUSY, "server busy: too many JSON requests in flight; retry later");
	} while (!__atomic_compare_exchange_n(&b->used, &cur, cur + n, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	h->held += n;
	return 0;
}

void reqjson_release(struct reqjson_hold *h)
{
	if (h->budget && h->held > 0)
		__atomic_sub_fetch(&h->budget->used, h->held, __ATOMIC_ACQ_REL);
	h->held = 0;
}

int reqjson_admit(const char *body, size_t len, const struct reqjson_shape *shape,
		  struct reqjson_hold *h, struct reqjson_scan *scan_out, struct err *err)
{
	int rc;

	reqjson_scan(body, len, scan_out);
	if ((rc = reqjson_fits(scan_out, shape, err)) < 0)
		return rc;
	if (h && (rc = reqjson_take(h, reqjson_cost(scan_out), err)) < 0)
		return rc;
	return 0;
}

int reqjson_load(json_t **out, const char *body, size_t len, struct err *err)
{
	json_error_t jerr;

	*out = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
	if (!*out)
		return err_set(err, ERR_SYNTAX, "malformed JSON at line %d: %s", jerr.line, jerr.text);
	return 0;
}

int reqjson_parse(json_t **out, const char *body, size_t len, const struct reqjson_shape *shape,
		  struct reqjson_hold *h, struct err *err)
{
	struct reqjson_scan s;
	int rc;

	*out = NULL;
	if ((rc = reqjson_admit(body, len, shape, h, &s, err)) < 0)
		return rc;
	return reqjson_load(out, body, len, err);
}
