/* Unit tests for lfs-server/core/mirror_json.c: feed pages and mirror-state.json. */
#include <string.h>

#include "core/mirror_json.h"
#include "tap.h"

#define A "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
#define B "b67ce7bceea923d0a335ae0a205edce0935902665ff8be5fe1fcb150ad269726"

static int page(const char *text, long long after, size_t max, struct mirror_entry *e,
		size_t *n, long long *next, struct err *err)
{
	return mirror_json_parse_page(text, strlen(text), after, e, max, n, next, err);
}

static void test_pages(void)
{
	struct mirror_entry e[4];
	struct err err = ERR_INIT;
	long long next = 0;
	size_t n = 99;

	is_int(page("{\"entries\":[{\"seq\":3,\"oid\":\"" A "\",\"size\":10,\"time\":\"2026-11-25T10:00:00Z\"},"
		    "{\"seq\":7,\"oid\":\"" B "\",\"size\":0,\"time\":\"2026-11-25T10:00:01Z\"}],\"next\":7}",
		    0, 4, e, &n, &next, &err), 0, "page with next parses");
	is_int((long long)n, 2, "two entries");
	is_int(e[0].seq, 3, "first seq");
	is_str(e[0].oid, A, "first oid");
	is_int(e[0].size, 10, "first size");
	is_int(e[1].seq, 7, "gaps in seq are fine");
	is_int(e[1].size, 0, "empty object");
	is_int(next, 7, "next is the last seq");

	is_int(page("{\"entries\":[],\"next\":null}", 5, 4, e, &n, &next, &err), 0, "empty last page");
	is_int((long long)n, 0, "no entries");
	is_int(next, -1, "null next is -1");

	is_int(page("{\"entries\":[{\"seq\":1,\"oid\":\"" A "\",\"size\":1}],\"next\":null}",
		    0, 4, e, &n, &next, &err), 0, "time is optional");

	is_int(page("not json", 0, 4, e, &n, &next, &err), ERR_SYNTAX, "garbage is a syntax error");
	is_int(page("{\"next\":null}", 0, 4, e, &n, &next, &err), ERR_INVALID, "entries required");
	is_int(page("{\"entries\":[{\"seq\":1,\"oid\":\"" A "\",\"size\":1}]}", 0, 4, e, &n, &next, &err),
	       ERR_INVALID, "next required");
	is_int(page("{\"entries\":[{\"seq\":2,\"oid\":\"" A "\",\"size\":1}],\"next\":null}",
		    2, 4, e, &n, &next, &err), ERR_INVALID, "seq not after 'after' rejected");
	is_int(page("{\"entries\":[{\"seq\":4,\"oid\":\"" A "\",\"size\":1},{\"seq\":4,\"oid\":\"" B "\",\"size\":1}],"
		    "\"next\":null}", 0, 4, e, &n, &next, &err), ERR_INVALID, "repeated seq rejected");
	is_int(page("{\"entries\":[{\"seq\":1,\"oid\":\"../../etc/passwd\",\"size\":1}],\"next\":null}",
		    0, 4, e, &n, &next, &err), ERR_INVALID, "bad oid rejected");
	is_int(page("{\"entries\":[{\"seq\":1,\"oid\":\"" A "\",\"size\":-1}],\"next\":null}",
		    0, 4, e, &n, &next, &err), ERR_INVALID, "negative size rejected");
	is_int(page("{\"entries\":[{\"seq\":1,\"oid\":\"" A "\",\"size\":1.5}],\"next\":null}",
		    0, 4, e, &n, &next, &err), ERR_INVALID, "fractional size rejected");
	is_int(page("{\"entries\":[{\"seq\":1,\"oid\":\"" A "\",\"size\":1}],\"next\":9}",
		    0, 4, e, &n, &next, &err), ERR_INVALID, "next other than the last seq rejected");
	is_int(page("{\"entries\":[],\"next\":3}", 0, 4, e, &n, &next, &err), ERR_INVALID,
	       "next on an empty page rejected (would loop)");
	ok(strstr(err.msg, "without entries must be the last") != NULL, "the message says why");
	is_int(page("{\"entries\":[{\"seq\":1,\"oid\":\"" A "\",\"size\":1},{\"seq\":2,\"oid\":\"" B "\",\"size\":1}],"
		    "\"next\":2}", 2, 4, e, &n, &next, &err), ERR_INVALID,
	       "a page that starts again at the beginning (does not advance) rejected");
	is_str(err.msg, "feed entry 0: seq 1 is not above 2, where the page was asked to start "
	       "(the feed does not advance)", "the message names the seqs");
	is_int(page("{\"entries\":[{\"seq\":5,\"oid\":\"" A "\",\"size\":1},{\"seq\":3,\"oid\":\"" B "\",\"size\":1}],"
		    "\"next\":null}", 0, 4, e, &n, &next, &err), ERR_INVALID, "decreasing seq rejected");
	is_str(err.msg, "feed entry 1: seq 3 is not above the previous entry's 5", "the message names both");
	is_int(page("{\"entries\":[{\"seq\":1,\"oid\":\"" A "\",\"size\":1},{\"seq\":2,\"oid\":\"" B "\",\"size\":1}],"
		    "\"next\":null}", 0, 1, e, &n, &next, &err), ERR_INVALID, "more entries than asked rejected");
	is_int(page("{\"entries\":[{\"seq\":1,\"oid\":\"" A "\",\"size\":99999999999999999999999}],\"next\":null}",
		    0, 4, e, &n, &next, &err), ERR_SYNTAX, "a number JSON cannot hold is a syntax error");
}

static void test_state(void)
{
	struct err err = ERR_INIT;
	long long seq = -5;
	char buf[256];

	const char *good = "{\"version\":1,\"last_seq\":42,\"updated_at\":\"2026-11-25T10:00:00Z\"}";

	is_int(mirror_json_parse_state(good, strlen(good), &seq, &err), 0, "state parses");
	is_int(seq, 42, "last_seq read");
	is_int(mirror_json_parse_state("{\"version\":2,\"last_seq\":4}", 26, &seq, &err), ERR_INVALID,
	       "other version rejected");
	is_int(mirror_json_parse_state("{\"version\":1,\"last_seq\":-1}", 27, &seq, &err), ERR_INVALID,
	       "negative last_seq rejected");
	is_int(mirror_json_parse_state("{\"version\":1}", 13, &seq, &err), ERR_INVALID, "missing last_seq rejected");
	is_int(mirror_json_parse_state("{\"vers", 6, &seq, &err), ERR_SYNTAX, "truncated file rejected");

	is_int(mirror_json_format_state(buf, sizeof(buf), 17, 1795600800LL, &err), 0, "state formats");
	is_str(buf, "{\"version\":1,\"last_seq\":17,\"updated_at\":\"2026-11-25T10:00:00Z\"}\n",
	       "the documented shape, in order");
	is_int(mirror_json_parse_state(buf, strlen(buf), &seq, &err), 0, "what we write we read");
	is_int(seq, 17, "round trip");
	is_int(mirror_json_format_state(buf, 20, 17, 1795600800LL, &err), ERR_TOOBIG, "short buffer refused");
}

int main(void)
{
	test_pages();
	test_state();
	return tap_done();
}
