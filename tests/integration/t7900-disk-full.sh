#!/bin/bash
test_description='a full disk: 507, nothing half-stored, the server keeps serving, and starts on a full disk'
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
test_atexit "umount -l '$MNT' 2>/dev/null"
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
	tmp_emptied "$DATA"
'

test_expect_success 'the server still serves, and the earlier object is intact' '
	oid=$(sha256_of small.bin) &&
	test "$(http_status GET "$LFS_URL/r/info/lfs/objects/$oid")" = 200 &&
	cmp small.bin "$TRASH/body" &&
	make_file small2.bin 50000 small2 &&
	test "$(upload r small2.bin)" = 200
'

test_expect_success 'server stops cleanly, keeping meta.db-wal and -shm' '
	stop_lfs_server &&
	test -e "$DATA/meta.db-wal" && test -e "$DATA/meta.db-shm"
'

# Fill the file system to the last page, while no server runs.
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
dd if=/dev/zero of="$MNT/filler2" bs=4k 2>/dev/null
test_expect_success 'setup: the disk is full' '
	test "$(df --output=avail -B1 "$MNT" | tail -n 1)" -lt 4096 &&
	test_must_fail dd if=/dev/zero of="$MNT/one-more" bs=4k count=1 2>/dev/null
'

start_lfs_server || { echo "Bail out! lfs-server does not start on a full disk"; cat "$LFS_LOG"; exit 1; }

test_expect_success 'the server starts on a full disk and says so in its log' '
	grep -q "warn.*bytes free: downloads work, uploads and locks fail with 507" "$LFS_LOG"
'

for f in small.bin small2.bin; do
	test_expect_success "full disk: $f is served (batch, then GET)" '
		oid=$(sha256_of $f) && size=$(stat -c %s $f) &&
		test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}")" = 200 &&
		href=$(jq -r ".objects[0].actions.download.href" "$TRASH/body") &&
		test "$(http_status GET "$href")" = 200 &&
		cmp $f "$TRASH/body"
	'
done

test_expect_success 'full disk: a new upload gets 507 with a message, nothing stored' '
	make_file new.bin 20000 new &&
	before=$(objects_snapshot) &&
	test "$(upload r new.bin)" = 507 &&
	jq -e .message "$TRASH/body" &&
	test "$(objects_snapshot)" = "$before" &&
	tmp_emptied "$DATA"
'

test_expect_success 'full disk: uploading an object another repo holds gets 507 too (same work)' '
	test "$(upload other small.bin)" = 507 &&
	tmp_emptied "$DATA"
'

test_expect_success 'full disk: the server stops cleanly' 'stop_lfs_server'
start_lfs_server || { echo "Bail out! no second start on a full disk"; exit 1; }
test_expect_success 'full disk: and starts again, and serves' '
	test "$(http_status GET "$LFS_URL/r/info/lfs/objects/$(sha256_of small.bin)")" = 200 &&
	cmp small.bin "$TRASH/body"
'

test_expect_success 'space freed: uploads work again, without a restart' '
	rm -f "$MNT/filler" "$MNT/filler2" &&
	test "$(upload r new.bin)" = 200 &&
	test "$(upload other small.bin)" = 200
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
