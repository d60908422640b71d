#!/bin/bash
test_description='an escaped NUL (%00) in an object URL is not an object URL'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# libmicrohttpd unescapes the path before our code sees it, so "%00" ends
# the C string early: "<oid>%00.txt" must not be read as "<oid>".

CASES="$TEST_ROOT/tests/integration/cases"
H=a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447
X=1111111111111111111111111111111111111111111111111111111111111111

# is_404_json: the last answer was a 404 with a JSON message.
is_404_json() {
	[ "$1" = 404 ] || { echo "got $1, want 404" >&2; cat "$TRASH/body" >&2; return 1; }
	jq -e '.message | type == "string"' "$TRASH/body" >/dev/null
}

start_lfs_server

test_expect_success 'setup: hello stored in repo r' '
	server_started &&
	test "$(http_status PUT "$LFS_URL/r/info/lfs/objects/$H" --data-binary @"$CASES/hello.txt")" = 200
'

objects_snapshot >snap.objects

test_expect_success 'GET <oid>%00: 404' '
	is_404_json "$(http_status GET "$LFS_URL/r/info/lfs/objects/$H%00")" &&
	is_404_json "$(http_status GET "$LFS_URL/r/info/lfs/objects/$H%00.txt")"
'

test_expect_success 'PUT <oid>%00...: 404, nothing stored' '
	is_404_json "$(http_status PUT "$LFS_URL/r/info/lfs/objects/$H%00.txt" --data-binary @"$CASES/hello.txt")" &&
	is_404_json "$(http_status PUT "$LFS_URL/s/info/lfs/objects/$H%00" --data-binary @"$CASES/hello.txt")" &&
	is_404_json "$(http_status PUT "$LFS_URL/r/info/lfs/objects/$X%00" --data-binary @"$CASES/hello.txt")" &&
	objects_snapshot >snap.after &&
	test_cmp snap.objects snap.after &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM journal")" = 1
'

test_expect_success 'batch%00: 404' '
	is_404_json "$(http_status POST "$LFS_URL/r/info/lfs/objects/batch%00x" -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"download\",\"objects\":[]}")"
'

stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
