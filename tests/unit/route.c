/* Unit tests for lfs-server/core/route.c. */
#include <string.h>

#include "core/route.h"
#include "tap.h"

#define OID "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"

static int parse(const char *path, struct route *r)
{
	struct err err = ERR_INIT;
	return route_parse(r, path, &err);
}

int main(void)
{
	struct route r;
	char repo[REPO_MAX + 1];
	char longpath[600];

	ok(parse("/healthz", &r) == 0 && r.kind == ROUTE_HEALTHZ, "healthz");
	ok(parse("/tock/libtock-c.git/info/lfs/objects/batch", &r) == 0 && r.kind == ROUTE_BATCH,
	   "batch with .git");
	is_str(r.repo, "tock/libtock-c", ".git is dropped");
	ok(parse("/tock/libtock-c/info/lfs/objects/batch", &r) == 0, "batch without .git");
	is_str(r.repo, "tock/libtock-c", "same repo without .git");
	ok(parse("/a/info/lfs/objects/" OID, &r) == 0 && r.kind == ROUTE_OBJECT, "object");
	is_str(r.oid, OID, "object oid");
	ok(parse("/a/info/lfs/objects/verify", &r) == 0 && r.kind == ROUTE_VERIFY, "verify");
	ok(parse("/a/info/lfs/locks", &r) == 0 && r.kind == ROUTE_LOCKS, "locks");
	ok(parse("/a/info/lfs/locks/verify", &r) == 0 && r.kind == ROUTE_LOCKS_VERIFY, "locks verify");
	ok(parse("/a/info/lfs/locks/abc-123/unlock", &r) == 0 && r.kind == ROUTE_LOCK_UNLOCK, "unlock");
	is_str(r.lock_id, "abc-123", "lock id");
	ok(parse("/a/info/lfs/locks/a%2f/unlock", &r) < 0, "lock id with odd chars refused");
	ok(parse("/_lfs/journal", &r) == 0 && r.kind == ROUTE_JOURNAL, "journal");
	ok(parse("/_lfs/objects/" OID, &r) == 0 && r.kind == ROUTE_FEED_OBJECT, "feed object");
	ok(parse("/metrics", &r) == 0 && r.kind == ROUTE_METRICS, "metrics");
	ok(parse("/_lfs/status", &r) == 0 && r.kind == ROUTE_STATUS, "status page");
	ok(parse("/metrics/", &r) < 0 && parse("/_lfs/status/x", &r) < 0, "nothing below them");
	ok(route_method_ok(ROUTE_METRICS, "GET") && !route_method_ok(ROUTE_STATUS, "POST"),
	   "metrics and status answer GET only");
	is_str(route_name(ROUTE_STATUS), "status", "route name of the status page");
	is_str(route_name(ROUTE_NONE), "none", "route name of an unknown path");

	ok(parse("/a/info/lfs/objects/" OID "0", &r) < 0, "65-char oid refused");
	ok(parse("/a/info/lfs/objects/a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a44", &r) < 0,
	   "63-char oid refused");
	ok(parse("/a/info/lfs/objects/A948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447", &r) < 0,
	   "uppercase oid refused");
	ok(parse("/a/info/lfs/objects/../../../etc/passwd", &r) < 0, "../ in oid refused");
	ok(parse("/../info/lfs/objects/batch", &r) < 0, ".. repo refused");
	ok(parse("/a/./b/info/lfs/objects/batch", &r) < 0, ". segment refused");
	ok(parse("/a//b/info/lfs/objects/batch", &r) < 0, "empty segment refused");
	ok(parse("/_x/info/lfs/objects/batch", &r) < 0, "segment starting with _ refused");
	ok(parse("/.git/info/lfs/objects/batch", &r) < 0, "bare .git refused");
	ok(parse("/a b/info/lfs/objects/batch", &r) < 0, "space refused");
	ok(parse("/a/info/lfs/objects/batch/x", &r) < 0, "trailing junk refused");
	ok(parse("/a/info/lfs/other", &r) < 0, "unknown endpoint refused");
	ok(parse("/", &r) < 0, "root refused");
	/* Found by fuzzing: an empty repo part read before the path. */
	ok(parse("/info/lfs/objects/batch", &r) < 0, "no repo before /info/lfs refused");
	ok(parse("relative", &r) < 0, "relative path refused");
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	strcpy(longpath + 400, "/info/lfs/objects/batch");
	ok(parse(longpath, &r) < 0, "over-long repo refused");

	ok(route_repo(repo, "x.git", 5, NULL) == 0 && strcmp(repo, "x") == 0, "route_repo drops .git");
	ok(route_method_ok(ROUTE_OBJECT, "PUT"), "PUT allowed on objects");
	ok(route_method_ok(ROUTE_OBJECT, "HEAD"), "HEAD allowed on objects");
	ok(!route_method_ok(ROUTE_OBJECT, "DELETE"), "DELETE refused on objects");
	ok(!route_method_ok(ROUTE_BATCH, "GET"), "GET refused on batch");
	ok(!route_method_ok(ROUTE_BATCH, "POS"), "prefix of a method refused");
	is_str(route_allow(ROUTE_BATCH), "POST", "Allow for batch");
	return tap_done();
}
