#!/bin/bash
test_description='peak memory: a 1 GiB upload and download keep the server under 64 MiB resident'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# The object is never written to the trash dir: make_file streams it to
# curl (and to the hash) from a deterministic generator.
SIZE=$((1024 * 1024 * 1024))
LIMIT_KB=$((64 * 1024))
gen() { make_file /dev/stdout $SIZE gigabyte; }
vmhwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$LFS_PID/status"; }

start_lfs_server

test_expect_success 'setup: server up, the oid of the 1 GiB object' '
	server_started &&
	gen | openssl dgst -sha256 -r | cut -d" " -f1 >oid &&
	test "$(wc -c <oid)" = 65 &&
	echo "VmHWM after start: $(vmhwm_kb) kB"
'

test_expect_success '1 GiB PUT (chunked, streamed) through the batch token: 200' '
	oid=$(cat oid) &&
	test "$(batch r "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":$SIZE}]}")" = 200 &&
	auth=$(jq -er ".objects[0].actions.upload.header.Authorization" body) &&
	code=$(gen | curl -sS -o body -w "%{http_code}" -H "Authorization: $auth" -T - \
		"$LFS_URL/r/info/lfs/objects/$oid") &&
	test "$code" = 200 &&
	test "$(stat -c %s "$(obj_path "$DATA" $oid)")" = $SIZE &&
	echo "VmHWM after PUT: $(vmhwm_kb) kB"
'

test_expect_success '1 GiB GET streamed into the hash: 200, every byte, the right hash' '
	oid=$(cat oid) &&
	got=$(curl -sS -D headers "$LFS_URL/r/info/lfs/objects/$oid" | openssl dgst -sha256 -r | cut -d" " -f1) &&
	grep -q "^HTTP/1.1 200 " headers &&
	grep -qix "content-length: $SIZE$(printf "\r")" headers &&
	test "$got" = "$oid" &&
	echo "VmHWM after GETs: $(vmhwm_kb) kB"
'

test_expect_success 'peak RSS (VmHWM) stayed under 64 MiB' '
	hwm=$(vmhwm_kb) &&
	echo "VmHWM: $hwm kB, limit $LIMIT_KB kB" &&
	test "$hwm" -gt 0 &&
	test "$hwm" -lt $LIMIT_KB
'

stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_expect_success 'cleanup: the 1 GiB object is deleted' '
	rm -f "$(obj_path "$DATA" "$(cat oid)")" &&
	test -z "$(find "$DATA" -type f -size +100M)"
'

test_done
