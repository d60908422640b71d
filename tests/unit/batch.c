/* Unit tests for lfs-server/core/batch.c: request parsing and the decisions. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch.h"
#include "tap.h"

#define A "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
#define B "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int parse(const char *body, struct batch_req *req, struct err *err)
{
	return batch_parse(req, body, strlen(body), 1000, 0, NULL, err);
}

static int code_of(const char *body)
{
	struct batch_req req;
	struct err err = ERR_INIT;
	int rc = parse(body, &req, &err);

	batch_req_release(&req);
	return rc;
}

static int item_code(const char *body, size_t i, long long max_size)
{
	struct batch_req req;
	struct err err = ERR_INIT;
	int code = -1;

	if (batch_parse(&req, body, strlen(body), 1000, max_size, NULL, &err) == 0 && i < req.n)
		code = req.items[i].code;
	batch_req_release(&req);
	return code;
}

static const char *err_msg_of(const char *body)
{
	static struct err err;
	struct batch_req req;

	err_clear(&err);
	parse(body, &req, &err);
	batch_req_release(&req);
	return err.msg;
}

/* A download batch of n objects: item as given, or (item NULL) objects
 * whose oids share 56 digits and end in the index (halved when dup). */
static char *many(const char *item, int n, int dup)
{
	size_t cap = 64 + (size_t)n * 100, len;
	char *b = malloc(cap);

	if (!b)
		return NULL;
	len = (size_t)snprintf(b, cap, "{\"operation\":\"download\",\"objects\":[");
	for (int i = 0; i < n; i++) {
		if (item)
			len += (size_t)snprintf(b + len, cap - len, "%s%s", i ? "," : "", item);
		else
			len += (size_t)snprintf(b + len, cap - len, "%s{\"oid\":\"%.56s%08x\",\"size\":1}",
						i ? "," : "", A, dup ? (unsigned)(i % (n / 2)) : (unsigned)i);
	}
	snprintf(b + len, cap - len, "]}");
	return b;
}

static int fake_mirror(void *arg, long long seq, const char *oid, char *out, size_t outsz)
{
	(void)arg;
	if (seq > 5)
		return ERR_NOTFOUND;
	snprintf(out, outsz, "http://mirror/objects/%.2s/%.2s/%s", oid, oid + 2, oid);
	return 0;
}

/* batch_response's text as a tree, after checking that the text is what
 * json_dumps prints for that tree (same members, same order, same
 * escapes): the answer's bytes are those of the jansson-built answer
 * before it.  NULL when batch_response fails. */
static json_t *respond(const struct batch_req *req, const long long *stored,
		       const struct batch_ctx *ctx, struct err *err)
{
	struct buf text;
	json_t *tree = NULL;
	char *again = NULL;

	if (batch_response(&text, req, stored, ctx, err) < 0)
		return NULL;
	tree = json_loadb(text.data, text.len, JSON_ALLOW_NUL, NULL);
	again = tree ? json_dumps(tree, JSON_COMPACT) : NULL;
	ok(again && strlen(again) == text.len && memcmp(again, text.data, text.len) == 0,
	   "answer text is what json_dumps prints (%zu bytes)", text.len);
	if (!(again && strcmp(again, text.data) == 0))
		fprintf(stderr, "# got:  %s\n# want: %s\n", text.data, again ? again : "(none)");
	free(again);
	buf_release(&text);
	return tree;
}

/* batch_parse (text first) and batch_parse_tree agree on body. */
static void same_reading(const char *body, long long max_objects, long long max_size, const char *name)
{
	struct batch_req a, b;
	struct err ea = ERR_INIT, eb = ERR_INIT;
	int ra = batch_parse(&a, body, strlen(body), max_objects, max_size, NULL, &ea);
	int rb = batch_parse_tree(&b, body, strlen(body), max_objects, max_size, NULL, &eb);
	bool same = ra == rb && strcmp(ea.msg, eb.msg) == 0 && a.n == b.n && (ra < 0 || a.op == b.op);

	for (size_t i = 0; same && ra == 0 && i < a.n; i++)
		same = strcmp(a.items[i].oid, b.items[i].oid) == 0 && a.items[i].size == b.items[i].size &&
		       a.items[i].code == b.items[i].code &&
		       (a.items[i].message == b.items[i].message ||
			(a.items[i].message && b.items[i].message &&
			 strcmp(a.items[i].message, b.items[i].message) == 0));
	ok(same, "same reading either way: %s (rc %d)", name, ra);
	if (!same)
		fprintf(stderr, "# text: rc %d n %zu '%s'; tree: rc %d n %zu '%s'\n", ra, a.n, ea.msg, rb, b.n,
			eb.msg);
	batch_req_release(&a);
	batch_req_release(&b);
}

static const char *action_of(json_t *o)
{
	json_t *acts = json_object_get(o, "actions");
	if (json_object_get(acts, "download"))
		return "download";
	if (json_object_get(acts, "upload"))
		return "upload";
	if (json_object_get(o, "error"))
		return "error";
	return "none";
}

int main(void)
{
	struct batch_req req;
	struct err err = ERR_INIT;
	struct token_key key;
	struct batch_ctx ctx;
	long long stored[4];
	json_t *res, *objs;
	char body[512];

	{
		unsigned char kb[TOKEN_KEY_LEN];
		memset(kb, 1, sizeof(kb));
		if (token_key_init(&key, kb, &err) < 0)
			abort(); /* setup: nothing to test without it */
	}
	ctx = (struct batch_ctx){ .base_url = "http://h:1", .repo = "r", .user = "", .key = &key,
				  .now = 1000, .ttl = 60 };

	is_int(code_of("{"), ERR_SYNTAX, "malformed JSON is a syntax error (400)");
	is_int(code_of("{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":99999999999999999999999}]}"),
	       ERR_SYNTAX, "huge integer is a syntax error (400)");
	is_int(code_of("[]"), ERR_INVALID, "non-object body is 422");
	is_int(code_of("{\"operation\":\"delete\",\"objects\":[]}"), ERR_INVALID, "unknown operation is 422");
	is_int(code_of("{\"operation\":\"download\"}"), ERR_INVALID, "missing objects is 422");
	is_int(code_of("{\"operation\":\"download\",\"objects\":{}}"), ERR_INVALID, "non-array objects is 422");
	is_int(code_of("{\"operation\":\"download\",\"objects\":[1]}"), ERR_INVALID, "non-object item is 422");
	ok(batch_parse(&req, "{\"operation\":\"upload\",\"objects\":[{},{}]}",
		       strlen("{\"operation\":\"upload\",\"objects\":[{},{}]}"), 1, 0, NULL, &err) == ERR_TOOBIG,
	   "too many objects is 413");
	batch_req_release(&req);

	is_int(item_code("{\"operation\":\"upload\",\"objects\":[{\"oid\":\"abc\",\"size\":1}]}", 0, 0), 422, "short oid");
	is_int(item_code("{\"operation\":\"upload\",\"objects\":[{\"oid\":\"" A "\\u0000x\",\"size\":1}]}", 0, 0),
	       422, "oid with a NUL after 64 hex digits");
	is_int(item_code("{\"operation\":\"upload\",\"objects\":[{\"oid\":\"" A "\",\"size\":-1}]}", 0, 0), 422, "negative size");
	is_int(item_code("{\"operation\":\"upload\",\"objects\":[{\"oid\":\"" A "\",\"size\":1.5}]}", 0, 0), 422, "fractional size");
	is_int(item_code("{\"operation\":\"upload\",\"objects\":[{\"oid\":\"" A "\",\"size\":\"12\"}]}", 0, 0), 422, "string size");
	is_int(item_code("{\"operation\":\"upload\",\"objects\":[{\"oid\":\"" A "\",\"size\":101}]}", 0, 100), 422, "size over limit");
	is_int(item_code("{\"operation\":\"upload\",\"objects\":[{\"oid\":\"" A "\",\"size\":100}]}", 0, 100), 0, "size at limit");
	is_int(item_code("{\"operation\":\"upload\",\"objects\":[{\"oid\":\"" A "\",\"size\":0}]}", 0, 0), 0, "size 0 is valid");
	is_int(item_code("{\"operation\":\"upload\",\"hash_algo\":\"sha512\",\"objects\":[{\"oid\":\"" A "\",\"size\":1}]}", 0, 0),
	       409, "other hash_algo is 409");
	is_int(item_code("{\"operation\":\"upload\",\"hash_algo\":\"sha256\",\"objects\":[{\"oid\":\"" A "\",\"size\":1}]}", 0, 0),
	       0, "sha256 hash_algo accepted");

	snprintf(body, sizeof(body), "{\"operation\":\"download\",\"ref\":null,\"transfers\":[\"basic\"],\"objects\":["
		 "{\"oid\":\"%s\",\"size\":12},{\"oid\":\"%s\",\"size\":12},{\"oid\":\"%s\",\"size\":0},"
		 "{\"oid\":\"BAD\",\"size\":1}]}", A, A, B);
	ok(parse(body, &req, &err) == 0, "download batch parses");
	is_int((long long)req.n, 3, "duplicate oid answered once");
	stored[0] = 12;
	stored[1] = -1;
	stored[2] = -1;
	res = respond(&req, stored, &ctx, &err);
	objs = json_object_get(res, "objects");
	is_str(json_string_value(json_object_get(res, "transfer")), "basic", "transfer basic");
	is_str(json_string_value(json_object_get(res, "hash_algo")), "sha256", "hash_algo sha256");
	is_str(action_of(json_array_get(objs, 0)), "download", "held object gets a download action");
	ok(json_is_true(json_object_get(json_array_get(objs, 0), "authenticated")), "authenticated true");
	is_str(json_string_value(json_object_get(json_object_get(json_object_get(
		       json_array_get(objs, 0), "actions"), "download"), "href")),
	       "http://h:1/r/info/lfs/objects/" A, "href on the base url");
	is_int(json_integer_value(json_object_get(json_object_get(json_object_get(
		       json_array_get(objs, 0), "actions"), "download"), "expires_in")), 60, "expires_in = ttl");
	is_str(action_of(json_array_get(objs, 1)), "error", "missing object gets an error");
	{
		json_t *dl = json_object_get(json_object_get(json_array_get(objs, 0), "actions"), "download");
		ok(json_object_get(dl, "header") != NULL, "private repo: download carries a token");
	}
	ctx.public_read = true;
	json_decref(res);
	res = respond(&req, stored, &ctx, &err);
	objs = json_object_get(res, "objects");
	{
		json_t *dl = json_object_get(json_object_get(json_array_get(objs, 0), "actions"), "download");
		ok(dl && json_is_object(json_object_get(dl, "header")) &&
		   json_object_size(json_object_get(dl, "header")) == 0 &&
		   json_object_get(dl, "expires_in") == NULL,
		   "public repo: download has an empty header (no token) and does not expire");
		is_str(json_string_value(json_object_get(dl, "href")), "http://h:1/r/info/lfs/objects/" A,
		       "public download href");
	}
	ctx.public_read = false;
	is_int(json_integer_value(json_object_get(json_object_get(json_array_get(objs, 1), "error"), "code")),
	       404, "missing object is 404");
	is_int(json_integer_value(json_object_get(json_object_get(json_array_get(objs, 2), "error"), "code")),
	       422, "invalid oid is 422");
	is_str(json_string_value(json_object_get(json_array_get(objs, 2), "oid")), "BAD", "invalid oid echoed");
	json_decref(res);
	batch_req_release(&req);

	snprintf(body, sizeof(body), "{\"operation\":\"upload\",\"objects\":["
		 "{\"oid\":\"%s\",\"size\":12},{\"oid\":\"%s\",\"size\":5}]}", A, B);
	ok(parse(body, &req, &err) == 0, "upload batch parses");
	stored[0] = 12;
	stored[1] = 6;
	res = respond(&req, stored, &ctx, &err);
	objs = json_object_get(res, "objects");
	is_str(action_of(json_array_get(objs, 0)), "none", "stored object: no actions");
	is_int(json_integer_value(json_object_get(json_object_get(json_array_get(objs, 1), "error"), "code")),
	       422, "stored with another size is 422");
	json_decref(res);
	stored[0] = -1;
	res = respond(&req, stored, &ctx, &err);
	is_str(action_of(json_array_get(json_object_get(res, "objects"), 0)), "upload", "new object: upload action");
	{
		json_t *up = json_object_get(json_object_get(json_array_get(json_object_get(res, "objects"), 0),
							     "actions"), "upload");
		const char *auth = json_string_value(json_object_get(json_object_get(up, "header"), "Authorization"));
		struct token t;
		ok(auth && strncmp(auth, "Bearer ", 7) == 0 && token_verify(&t, auth + 7, &key, 1000, &err) == 0,
		   "upload header carries a valid token");
		ok(t.size == 12 && strcmp(t.op, "upload") == 0 && strcmp(t.repo, "r") == 0 &&
		   strcmp(t.oid, A) == 0, "token names size, op, repo and oid");
	}
	json_decref(res);
	batch_req_release(&req);

	snprintf(body, sizeof(body), "{\"operation\":\"download\",\"objects\":["
		 "{\"oid\":\"%s\",\"size\":12},{\"oid\":\"%s\",\"size\":5}]}", A, B);
	ok(parse(body, &req, &err) == 0, "download batch for mirrors parses");
	{
		long long seqs[2] = { 3, 9 };
		json_t *o0, *o1;
		stored[0] = 12;
		stored[1] = 5;
		ctx.seqs = seqs;
		ctx.mirror_href = fake_mirror;
		res = respond(&req, stored, &ctx, &err);
		o0 = json_object_get(json_object_get(json_array_get(json_object_get(res, "objects"), 0), "actions"), "download");
		o1 = json_object_get(json_object_get(json_array_get(json_object_get(res, "objects"), 1), "actions"), "download");
		is_str(json_string_value(json_object_get(o0, "href")), "http://mirror/objects/a9/48/" A,
		       "object on a healthy mirror gets the mirror href");
		ok(json_is_object(json_object_get(o0, "header")) &&
		   json_object_size(json_object_get(o0, "header")) == 0,
		   "mirror href carries an empty header, no credentials");
		is_str(json_string_value(json_object_get(o1, "href")), "http://h:1/r/info/lfs/objects/" B,
		       "object newer than every mirror comes from the server");
		json_decref(res);
	}
	batch_req_release(&req);

	/* transfers: what the client offers must include basic. */
	is_int(code_of("{\"operation\":\"download\",\"transfers\":[\"tus\",\"ssh\"],\"objects\":[]}"),
	       ERR_INVALID, "transfers without basic is 422");
	ok(strstr(err_msg_of("{\"operation\":\"download\",\"transfers\":[\"tus\"],\"objects\":[]}"), "basic") != NULL,
	   "the 422 names what the server supports");
	is_int(code_of("{\"operation\":\"download\",\"transfers\":[],\"objects\":[]}"), ERR_INVALID,
	       "an empty transfers list offers nothing: 422");
	is_int(code_of("{\"operation\":\"download\",\"transfers\":\"basic\",\"objects\":[]}"), ERR_INVALID,
	       "transfers not an array: 422");
	is_int(code_of("{\"operation\":\"download\",\"transfers\":[\"lfs-standalone-file\",\"basic\",\"ssh\"],\"objects\":[]}"),
	       0, "basic among others is fine");
	is_int(code_of("{\"operation\":\"download\",\"transfers\":null,\"objects\":[]}"), 0, "null transfers means basic");
	is_int(code_of("{\"operation\":\"download\",\"objects\":[]}"), 0, "absent transfers means basic");

	/* Shapes: refused before jansson builds anything. */
	{
		char *big = many("{}", 2000, 0);
		ok(big && code_of(big) == ERR_TOOBIG, "2000 empty objects where 1000 are allowed: 413 before parsing");
		free(big);
	}
	is_int(code_of("{\"operation\":\"download\",\"objects\":[{\"oid\":{\"a\":{\"b\":1}}}]}"),
	       ERR_INVALID, "nested deeper than a batch needs: 422");

	/* Duplicates at scale, answered once each, first occurrence kept, in
	 * order; and the objects cap holds whatever max-batch-objects says. */
	{
		char *body2 = many(NULL, BATCH_MAX_OBJECTS_CAP, 1);
		size_t i;
		bool order = true;

		ok(body2 && batch_parse(&req, body2, strlen(body2), BATCH_MAX_OBJECTS_CAP, 0, NULL, &err) == 0,
		   "%d objects, each oid twice, parse", BATCH_MAX_OBJECTS_CAP);
		is_int((long long)req.n, BATCH_MAX_OBJECTS_CAP / 2, "each duplicate answered once");
		for (i = 0; i < req.n; i++)
			order = order && strtoul(req.items[i].oid + 56, NULL, 16) == i;
		ok(order, "first occurrences kept, in order");
		batch_req_release(&req);
		free(body2);
		body2 = many(NULL, BATCH_MAX_OBJECTS_CAP + 1, 0);
		ok(body2 && batch_parse(&req, body2, strlen(body2), 1000000, 0, NULL, &err) == ERR_TOOBIG,
		   "max-batch-objects 1000000 still caps at %d: 413", BATCH_MAX_OBJECTS_CAP);
		batch_req_release(&req);
		free(body2);
	}

	/* The request is read from its text when it has the plain shape,
	 * else through jansson's tree: both readings must agree on every
	 * body, the plain ones and each way out of the plain subset. */
	{
		static const struct { const char *name, *body; } rows[] = {
			{ "plain download", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":12}]}" },
			{ "plain upload, git-lfs's members",
			  "{\"operation\":\"upload\",\"transfers\":[\"lfs-standalone-file\",\"basic\",\"ssh\"],"
			  "\"ref\":{\"name\":\"refs/heads/main\"},\"objects\":[{\"oid\":\"" A "\",\"size\":12}],"
			  "\"hash_algo\":\"sha256\"}" },
			{ "whitespace everywhere", " \n{ \"operation\" : \"download\" ,\t\"objects\" : [ { \"oid\" : \""
			  A "\" , \"size\" : 3 } , {\"size\":4,\"oid\":\"" B "\"} ] } \r\n" },
			{ "empty objects", "{\"operation\":\"download\",\"objects\":[]}" },
			{ "empty body object", "{}" },
			{ "empty body", "" },
			{ "top-level array", "[]" },
			{ "top-level string", "\"x\"" },
			{ "trailing garbage", "{\"operation\":\"download\",\"objects\":[]}x" },
			{ "trailing comma", "{\"operation\":\"download\",\"objects\":[],}" },
			{ "missing colon", "{\"operation\" \"download\",\"objects\":[]}" },
			{ "unterminated string", "{\"operation\":\"download" },
			{ "operation repeated, last counts",
			  "{\"operation\":\"delete\",\"operation\":\"download\",\"objects\":[]}" },
			{ "operation not a string", "{\"operation\":1,\"objects\":[]}" },
			{ "unknown operation", "{\"operation\":\"delete\",\"objects\":[]}" },
			{ "operation with an escape", "{\"operation\":\"down\\u006coad\",\"objects\":[]}" },
			{ "objects twice", "{\"operation\":\"download\",\"objects\":[],\"objects\":[{\"oid\":\"" A "\",\"size\":1}]}" },
			{ "objects not an array", "{\"operation\":\"download\",\"objects\":{}}" },
			{ "objects null", "{\"operation\":\"download\",\"objects\":null}" },
			{ "item not an object", "{\"operation\":\"download\",\"objects\":[1]}" },
			{ "item without oid", "{\"operation\":\"download\",\"objects\":[{\"size\":1}]}" },
			{ "item without size", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\"}]}" },
			{ "oid repeated, last counts",
			  "{\"operation\":\"download\",\"objects\":[{\"oid\":\"x\",\"oid\":\"" A "\",\"size\":1}]}" },
			{ "oid a number", "{\"operation\":\"download\",\"objects\":[{\"oid\":5,\"size\":1}]}" },
			{ "oid upper case", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"A948904F2F0F479B8F8197694B30184B0D2ED1C1CD2A1EC0FB85D299A192A447\",\"size\":1}]}" },
			{ "oid too short", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"abc\",\"size\":1}]}" },
			{ "oid of 200 characters (echo cut at 128)",
			  "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A A A "abcdefgh\",\"size\":1}]}" },
			{ "oid with an escape", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"\\u0061" A "\",\"size\":1}]}" },
			{ "oid with a NUL", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\\u0000\",\"size\":1}]}" },
			{ "oid non-ASCII", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"\xc3\xa9t\xc3\xa9\",\"size\":1}]}" },
			{ "oid invalid UTF-8", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"\xc3(\",\"size\":1}]}" },
			{ "oid with a raw tab", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"a\tb\",\"size\":1}]}" },
			{ "size 0", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":0}]}" },
			{ "size -0", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":-0}]}" },
			{ "size -5", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":-5}]}" },
			{ "size 18 digits", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":999999999999999999}]}" },
			{ "size 19 digits", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":9223372036854775807}]}" },
			{ "size over int64", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":9223372036854775808}]}" },
			{ "size leading zero", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":012}]}" },
			{ "size fraction", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":1.0}]}" },
			{ "size exponent", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":1e3}]}" },
			{ "size a string", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":\"1\"}]}" },
			{ "size null", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":null}]}" },
			{ "size a bare minus", "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":-}]}" },
			{ "size over the object limit", "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"" A "\",\"size\":1001}]}" },
			{ "item with unknown members",
			  "{\"operation\":\"download\",\"objects\":[{\"x\":[1,{\"y\":null}],\"oid\":\"" A "\",\"t\":true,\"f\":false,\"size\":1}]}" },
			{ "duplicates, first kept",
			  "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" B "\",\"size\":1},{\"oid\":\"" A "\",\"size\":2},"
			  "{\"oid\":\"" B "\",\"size\":3}]}" },
			{ "transfers null", "{\"operation\":\"download\",\"transfers\":null,\"objects\":[]}" },
			{ "transfers empty", "{\"operation\":\"download\",\"transfers\":[],\"objects\":[]}" },
			{ "transfers without basic", "{\"operation\":\"download\",\"transfers\":[\"tus\"],\"objects\":[]}" },
			{ "transfers a string", "{\"operation\":\"download\",\"transfers\":\"basic\",\"objects\":[]}" },
			{ "transfers holding a number", "{\"operation\":\"download\",\"transfers\":[1,\"basic\"],\"objects\":[]}" },
			{ "transfers repeated, last counts",
			  "{\"operation\":\"download\",\"transfers\":[\"basic\"],\"transfers\":[\"tus\"],\"objects\":[]}" },
			{ "hash_algo sha512", "{\"operation\":\"upload\",\"hash_algo\":\"sha512\",\"objects\":[{\"oid\":\"" A "\",\"size\":1}]}" },
			{ "hash_algo null", "{\"operation\":\"upload\",\"hash_algo\":null,\"objects\":[{\"oid\":\"" A "\",\"size\":1}]}" },
			{ "hash_algo a number", "{\"operation\":\"upload\",\"hash_algo\":256,\"objects\":[{\"oid\":\"" A "\",\"size\":1}]}" },
			{ "ref with an escaped name", "{\"operation\":\"download\",\"ref\":{\"name\":\"refs/heads/\\u00e9\"},\"objects\":[]}" },
			{ "unknown member a fraction", "{\"operation\":\"download\",\"v\":1.5,\"objects\":[]}" },
			{ "key with an escape", "{\"operation\":\"download\",\"obj\\u0065cts\":[]}" },
			{ "nested too deep", "{\"operation\":\"download\",\"objects\":[{\"oid\":{\"a\":{\"b\":1}}}]}" },
			{ "more objects than allowed",
			  "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "\",\"size\":1},{\"oid\":\"" B "\",\"size\":1},"
			  "{\"oid\":\"" A "\",\"size\":1},{\"oid\":\"" B "\",\"size\":1}]}" },
			{ "literal misspelt", "{\"operation\":\"download\",\"transfers\":nul,\"objects\":[]}" },
		};
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			same_reading(rows[i].body, 3, 1000, rows[i].name);
	}

	/* Echoed oids: escaped as jansson escapes them, "" when not UTF-8. */
	ctx.seqs = NULL;
	ctx.mirror_href = NULL;
	{
		static const struct { const char *body, *want; } echo[] = {
			{ "{\"operation\":\"download\",\"objects\":[{\"oid\":\"a\\\"b\\\\c\\u0001\\n\\u001f\\u007f\xc3\xa9/\",\"size\":1}]}",
			  "{\"transfer\":\"basic\",\"hash_algo\":\"sha256\",\"objects\":[{\"oid\":\"a\\\"b\\\\c\\u0001\\n\\u001F\x7f\xc3\xa9/\","
			  "\"size\":1,\"error\":{\"code\":422,\"message\":\"invalid object id: want 64 lowercase hex digits\"}}]}" },
			/* cut at 128 bytes inside the 2-byte e-acute */
			{ "{\"operation\":\"download\",\"objects\":[{\"oid\":\"" A "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a44"
			  "\xc3\xa9\",\"size\":1}]}",
			  "{\"transfer\":\"basic\",\"hash_algo\":\"sha256\",\"objects\":[{\"oid\":\"\",\"size\":1,\"error\":"
			  "{\"code\":422,\"message\":\"invalid object id: want 64 lowercase hex digits\"}}]}" },
		};
		for (size_t i = 0; i < sizeof(echo) / sizeof(echo[0]); i++) {
			struct buf text;
			long long none = -1;
			bool got = parse(echo[i].body, &req, &err) == 0 &&
				   batch_response(&text, &req, &none, &ctx, &err) == 0;
			ok(got && strcmp(text.data, echo[i].want) == 0, "echoed oid %zu escaped as jansson does", i);
			if (got && strcmp(text.data, echo[i].want) != 0)
				fprintf(stderr, "# got:  %s\n# want: %s\n", text.data, echo[i].want);
			if (got)
				buf_release(&text);
			batch_req_release(&req);
		}
	}

	/* The exact bytes of a small answer: an upload with a token, one
	 * stored object, one stored with another size. */
	{
		struct buf text;
		char want[2048], tok[TOKEN_MAX];
		struct token t = { .kind = "transfer", .user = "", .repo = "r", .oid = A, .size = 12,
				   .op = "upload", .expires = 1060 };
		bool got;

		snprintf(body, sizeof(body), "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"%s\",\"size\":12},"
			 "{\"oid\":\"%s\",\"size\":5}]}", A, B);
		stored[0] = -1;
		stored[1] = 6;
		got = parse(body, &req, &err) == 0 && token_sign(tok, sizeof(tok), &t, &key, &err) == 0 &&
		      batch_response(&text, &req, stored, &ctx, &err) == 0;
		snprintf(want, sizeof(want), "{\"transfer\":\"basic\",\"hash_algo\":\"sha256\",\"objects\":["
			 "{\"oid\":\"%s\",\"size\":12,\"authenticated\":true,\"actions\":{\"upload\":{\"href\":"
			 "\"http://h:1/r/info/lfs/objects/%s\",\"header\":{\"Authorization\":\"Bearer %s\"},"
			 "\"expires_in\":60}}},{\"oid\":\"%s\",\"size\":5,\"error\":{\"code\":422,\"message\":"
			 "\"size differs from the stored object\"}}]}", A, A, tok, B);
		ok(got && strcmp(text.data, want) == 0, "upload answer, byte for byte");
		if (got && strcmp(text.data, want) != 0)
			fprintf(stderr, "# got:  %s\n# want: %s\n", text.data, want);
		if (got)
			buf_release(&text);
		batch_req_release(&req);
	}
	token_key_release(&key);
	return tap_done();
}
