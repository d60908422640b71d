/* Unit tests for git-hooks/lfsapi.c: batch requests as sent, answers as
 * read (protocol doc 3). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lfsapi.h"
#include "tap.h"

#define HELLO "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
#define OTHER "e3bf3e2af9366a3b704af0c31de5afa64193ebabffde2091936ad237510bc03a"

static int parse(struct lfsapi_batch *b, const char *json, struct err *err)
{
	return lfsapi_parse_response(b, json, strlen(json), err);
}

static void test_request(void)
{
	struct lfsobj objs[2] = { { HELLO, 12, NULL }, { OTHER, 99, NULL } };
	char *s = lfsapi_request_json("upload", objs, 2, "refs/heads/main");
	json_t *j = s ? json_loads(s, 0, NULL) : NULL;

	ok(j != NULL, "request is JSON");
	is_str(json_string_value(json_object_get(j, "operation")), "upload", "operation");
	is_int((long long)json_array_size(json_object_get(j, "objects")), 2, "two objects");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(j, "objects"), 0), "oid")), HELLO,
	       "oid");
	is_int(json_integer_value(json_object_get(json_array_get(json_object_get(j, "objects"), 1), "size")), 99,
	       "size");
	is_str(json_string_value(json_object_get(json_object_get(j, "ref"), "name")), "refs/heads/main", "ref");
	is_str(json_string_value(json_object_get(j, "hash_algo")), "sha256", "hash_algo");
	is_str(json_string_value(json_array_get(json_object_get(j, "transfers"), 0)), "basic", "basic transfer");
	json_decref(j);
	free(s);
}

static void test_answers(void)
{
	struct lfsapi_batch b;
	struct err err = ERR_INIT;
	const struct lfsapi_obj *o;

	ok(parse(&b,
		 "{\"transfer\":\"basic\",\"objects\":["
		 "{\"oid\":\"" HELLO "\",\"size\":12,\"authenticated\":true,\"actions\":{"
		 "\"upload\":{\"href\":\"https://lfs.example.org/o/" HELLO "\",\"header\":{\"Authorization\":\"Bearer t\"},"
		 "\"expires_in\":3600},\"verify\":{\"href\":\"https://lfs.example.org/verify\"}}},"
		 "{\"oid\":\"" OTHER "\",\"size\":99},"
		 "{\"oid\":\"" OTHER "\",\"size\":99,\"error\":{\"code\":422,\"message\":\"bad\"}}]}",
		 &err) == 0,
	   "upload answer parses");
	is_int((long long)b.n, 3, "three entries");
	o = lfsapi_batch_find(&b, HELLO);
	ok(o && o->authenticated && o->upload && o->verify && !o->download, "actions read");
	is_str(o->upload->href, "https://lfs.example.org/o/" HELLO, "href");
	ok(o->upload->has_authorization, "Authorization header noticed");
	is_str(o->upload->headers ? o->upload->headers->data : NULL, "Authorization: Bearer t", "header line");
	ok(!b.objs[1].upload && !b.objs[1].error_code, "already stored: no actions");
	is_int(b.objs[2].error_code, 422, "per-object error code");
	is_str(b.objs[2].error_message, "bad", "per-object error message");
	lfsapi_batch_release(&b);

	ok(parse(&b, "{\"objects\":[{\"oid\":\"" HELLO "\",\"size\":12,\"_links\":{\"download\":{\"href\":\"http://h/x\"}}}]}",
		 &err) == 0 && b.objs[0].download, "legacy _links and no transfer key");
	lfsapi_batch_release(&b);
	is_int(parse(&b, "{\"objects\":[{\"oid\":\"" HELLO "\",\"size\":1,\"error\":{\"message\":\"m\"}}]}", &err), 0,
	       "error without a code");
	is_int(b.objs[0].error_code, 500, "taken as 500");
	lfsapi_batch_release(&b);
	is_int(parse(&b, "not json", &err), ERR_SYNTAX, "not JSON");
	is_int(parse(&b, "{\"message\":\"x\"}", &err), ERR_INVALID, "no objects");
	is_int(parse(&b, "{\"transfer\":\"ssh\",\"objects\":[]}", &err), ERR_INVALID, "ssh transfer refused");
	is_int(parse(&b, "{\"hash_algo\":\"sha512\",\"objects\":[]}", &err), ERR_INVALID, "other hash refused");
	is_int(parse(&b, "{\"objects\":[{\"oid\":\"xyz\",\"size\":1}]}", &err), ERR_INVALID, "bad oid refused");
	is_int(parse(&b, "{\"objects\":[{\"oid\":\"" HELLO "\",\"actions\":{\"download\":{\"href\":\"file:///etc/passwd\"}}}]}",
		     &err),
	       ERR_INVALID, "non-http href refused");
	is_int(parse(&b, "{\"objects\":[{\"oid\":\"" HELLO "\",\"actions\":{\"download\":{\"href\":\"http://h/\","
			 "\"header\":{\"X\":\"a\\r\\nInjected: 1\"}}}}]}",
		     &err),
	       ERR_INVALID, "header with CRLF refused");
}

static void test_same_origin(void)
{
	static const struct {
		const char *a, *b;
		bool same;
	} rows[] = {
		{ "http://h:8080/a", "http://h:8080/b/c", true },
		{ "http://H/a", "http://h/b", true },
		{ "http://h/a", "http://h:80/b", true },
		{ "https://h/a", "https://h:443/b", true },
		{ "http://h:8080/a", "http://h:8081/a", false },
		{ "http://h/a", "https://h/a", false },
		{ "https://h/a", "https://h.evil/a", false },
		{ "http://h/a", "http://user:pw@other/a", false },
		{ "http://h/a", "http://h@other/a", false },
		{ "http://h/a", "not a url", false },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ok(lfsapi_same_origin(rows[i].a, rows[i].b) == rows[i].same, "%s vs %s: %s", rows[i].a, rows[i].b,
		   rows[i].same ? "same origin" : "other origin");
}

int main(void)
{
	test_request();
	test_answers();
	test_same_origin();
	return tap_done();
}
