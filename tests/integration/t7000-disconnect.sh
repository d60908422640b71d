#!/bin/bash
test_description='clients that hang up mid-request: nothing stored, temps removed, server serves on'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

SIZE=$((4 * 1024 * 1024))
HALF=$((SIZE / 2))
make_file big.bin $SIZE big
OID=$(sha256_of big.bin)

# Bytes received so far by the (single) upload in flight, wherever the
# store keeps it (test-lib.sh, upload_files).
tmp_has_at_least() { upload_has_at_least "$DATA" "$1"; }
# Nothing of an upload left: no temp name, no anonymous file held open.
tmp_empty() { tmp_is_empty "$DATA" && [ -z "$(upload_files "$DATA")" ]; }
# log_has_aborted N: at least N access-log lines of aborted PUTs.
log_has_aborted() {
	[ "$(grep -c "\"PUT /r/info/lfs/objects/$OID\" .* aborted" "$LFS_LOG")" -ge "$1" ]
}
not_stored() {
	objects_snapshot >"$TRASH/snap.now" &&
	test_cmp empty.snap "$TRASH/snap.now" &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM journal")" = 0 &&
	test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$OID\",\"size\":$SIZE}]}")" = 200 &&
	jq -e ".objects[0].error.code == 404" "$TRASH/body" >/dev/null
}

start_lfs_server
PORT=${LFS_URL##*:}
objects_snapshot >empty.snap

test_expect_success 'setup: server up, an upload token' '
	server_started &&
	test "$(batch r "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$OID\",\"size\":$SIZE}]}")" = 200 &&
	jq -r ".objects[0].actions.upload.header.Authorization" body >auth &&
	test -s auth
'

test_expect_success 'raw socket: headers and half the body, then hang up' '
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
	printf "PUT /r/info/lfs/objects/%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nAuthorization: %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %s\r\n\r\n" \
		"$OID" "$PORT" "$(cat auth)" "$SIZE" >&3 &&
	head -c $HALF big.bin >&3 &&
	test_poll tmp_has_at_least $((HALF / 2)) &&
	exec 3>&- 3<&- &&
	test_poll log_has_aborted 1 &&
	test_poll tmp_empty &&
	not_stored &&
	healthy
'

test_expect_success 'curl --limit-rate killed midway' '
	curl -sS -o /dev/null --limit-rate 256k -H "Authorization: $(cat auth)" -T big.bin \
		"$LFS_URL/r/info/lfs/objects/$OID" 2>/dev/null &
	cpid=$! &&
	test_poll tmp_has_at_least 300000 &&
	kill $cpid && { wait $cpid; true; } &&
	test_poll log_has_aborted 2 &&
	test_poll tmp_empty &&
	not_stored &&
	healthy
'

test_expect_success 'raw socket: a chunked upload cut off mid-chunk' '
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
	printf "PUT /r/info/lfs/objects/%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nAuthorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" \
		"$OID" "$PORT" "$(cat auth)" "$HALF" >&3 &&
	head -c $((HALF / 2)) big.bin >&3 &&
	test_poll tmp_has_at_least 100000 &&
	exec 3>&- 3<&- &&
	test_poll log_has_aborted 3 &&
	test_poll tmp_empty &&
	not_stored &&
	healthy
'

test_expect_success 'raw socket: hang up in the headers, and in a batch body' '
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
	printf "POST /r/info/lfs/objects/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty" >&3 &&
	exec 3>&- 3<&- &&
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
	printf "POST /r/info/lfs/objects/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: 500\r\n\r\n{\"operation\":" "$LFS_TYPE" >&3 &&
	exec 3>&- 3<&- &&
	healthy &&
	tmp_empty
'

test_expect_success 'after all that, a whole upload works' '
	test "$(http_status PUT "$LFS_URL/r/info/lfs/objects/$OID" -H "Authorization: $(cat auth)" -T big.bin)" = 200 &&
	test_cmp big.bin "$(obj_path "$DATA" $OID)" &&
	tmp_empty
'

test_expect_success 'a download cut off midway: the server serves on, the object is intact' '
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
	printf "GET /r/info/lfs/objects/%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n\r\n" "$OID" "$PORT" >&3 &&
	head -c 100000 <&3 >part.bin &&
	exec 3>&- 3<&- &&
	grep -q "^HTTP/1.1 200 " part.bin &&
	# Its line says "aborted" only when the close beat the kernel socket
	# buffers; on loopback they can hold all 4 MiB, so wait for the line,
	# whatever it says.
	test_poll grep -q "\"GET /r/info/lfs/objects/$OID\" 200 " "$LFS_LOG" &&
	healthy &&
	test "$(http_status GET "$LFS_URL/r/info/lfs/objects/$OID")" = 200 &&
	test_cmp big.bin body
'

stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
