#!/bin/bash
test_description='one server per data dir: DATA/lock held for the life of the daemon'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# The start-up sweep of DATA/tmp is what the lock protects: the uploads
# here use named temp files in DATA/tmp (the store's fallback to
# anonymous files; lfs-server/store/local.c), which a second server
# would otherwise remove under the first.
export LFS_STORE_NAMED_TEMPS=1

# second_server: another lfs-server on the same DATA; prints its exit
# status (124: it did not exit, i.e. it started serving).
second_server() {
	timeout 20 "$BIN/lfs-server" --listen 127.0.0.1:0 --data "$DATA" >second.out 2>second.err
	echo $?
}

tmp_busy() { test -n "$(ls -A "$DATA/tmp")"; }

make_file big.bin 3000000 big
BIG=$(sha256_of big.bin)

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
FIRST_PID=$LFS_PID FIRST_URL=$LFS_URL

test_expect_success 'DATA/lock names the running server' '
	grep -q "^pid $FIRST_PID, listening on $FIRST_URL$" "$DATA/lock"
'

# A slow upload is in flight (its temp file in DATA/tmp) while a second
# server tries to start: it must not empty tmp/ under the first one.
test "$(batch r "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$BIG\",\"size\":3000000}]}")" = 200 &&
HREF=$(jq -r ".objects[0].actions.upload.href" "$TRASH/body") &&
AUTH=$(jq -r ".objects[0].actions.upload.header.Authorization" "$TRASH/body")
curl -s -o /dev/null -w '%{http_code}' --limit-rate 500k -X PUT -H "Authorization: $AUTH" \
	--data-binary @big.bin "$HREF" >put.code &
PUT_PID=$!
test_atexit "kill $PUT_PID 2>/dev/null"

test_expect_success 'setup: the upload is in flight' '
	test_poll tmp_busy
'

test_expect_success 'a second server on the same DATA exits 1, naming the lock and the first server' '
	test "$(second_server)" = 1 &&
	! test -s second.out &&
	test "$(wc -l <second.err)" = 1 &&
	grep -q "lfs-server: data directory .$DATA. is in use: .$DATA/lock. is held by pid $FIRST_PID, listening on $FIRST_URL$" second.err
'

test_expect_success 'the upload in flight was left alone and completes' '
	tmp_busy &&
	wait $PUT_PID ;
	test_poll test -s put.code &&
	test "$(cat put.code)" = 200 &&
	cmp big.bin "$(obj_path "$DATA" $BIG)" &&
	tmp_emptied "$DATA"
'

test_expect_success 'read-only lfs-admin commands work while the server holds the lock' '
	"$BIN/lfs-admin" --data "$DATA" stats >stats &&
	grep -q "^journal rows: 1$" stats &&
	"$BIN/lfs-admin" --data "$DATA" fsck >fsck &&
	grep -q ": 0 problems$" fsck
'

test_expect_success 'the first server still serves' '
	test "$(http_status GET "$LFS_URL/r/info/lfs/objects/$BIG")" = 200 &&
	cmp big.bin "$TRASH/body"
'

test_expect_success 'the first server stops cleanly' 'stop_lfs_server'

start_lfs_server || { echo "Bail out! no start after a clean stop"; exit 1; }
test_expect_success 'after a clean stop the lock is free: the next server starts and rewrites it' '
	grep -q "^pid $LFS_PID, listening on $LFS_URL$" "$DATA/lock" &&
	test "$(wc -l <"$DATA/lock")" = 1
'

test_expect_success 'setup: a temp file left by a crash' '
	echo partial >"$DATA/tmp/stale-upload"
'
kill9_lfs_server
start_lfs_server || { echo "Bail out! no start after kill -9 (a stale lock file must not block)"; exit 1; }
test_expect_success 'after kill -9 the kernel released the lock: the next server starts, sweeps tmp' '
	grep -q "^pid $LFS_PID, " "$DATA/lock" &&
	test_path_is_missing "$DATA/tmp/stale-upload" &&
	test "$(http_status GET "$LFS_URL/r/info/lfs/objects/$BIG")" = 200
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
