#!/bin/bash
test_description='a full disk: 507, nothing half-stored, the server keeps serving'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# A small tmpfs as the data dir is the honest way to fill a disk; it needs
# root (CI runs as root).  Elsewhere the script skips.
MNT="$TRASH/small"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=3m tmpfs "$MNT" 2>/dev/null; then
	test_skip "disk-full test needs root to mount a small tmpfs"
	test_done
fi
test_atexit "umount '$MNT' 2>/dev/null"
DATA="$MNT/data"

upload() {
	# upload REPO FILE: batch for the token, then PUT; prints the PUT status
	local oid size tok
	oid=$(sha256_of "$2") && size=$(stat -c %s "$2") &&
	batch "$1" "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}" >/dev/null &&
	tok=$(sed -n 's/.*"Authorization":"\([^"]*\)".*/\1/p' "$TRASH/body") &&
	http_status PUT "$LFS_URL/$1/info/lfs/objects/$oid" -H "Authorization: $tok" --data-binary @"$2"
}

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }

test_expect_success 'an upload that fits is stored' '
	make_file small.bin 100000 small &&
	test "$(upload r small.bin)" = 200
'

test_expect_success 'an upload that does not fit gets 507 and stores nothing' '
	make_file big.bin 5000000 big &&
	before=$(objects_snapshot) &&
	test "$(upload r big.bin)" = 507 &&
	grep -q "\"message\"" "$TRASH/body" &&
	test "$(objects_snapshot)" = "$before" &&
	test_poll test -z "$(ls -A "$DATA/tmp")"
'

test_expect_success 'the server still serves, and the earlier object is intact' '
	oid=$(sha256_of small.bin) &&
	test "$(http_status GET "$LFS_URL/r/info/lfs/objects/$oid")" = 200 &&
	cmp small.bin "$TRASH/body" &&
	make_file small2.bin 50000 small2 &&
	test "$(upload r small2.bin)" = 200
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
