#!/bin/bash
test_description='an upload in flight is an anonymous file (O_TMPFILE) in its fan-out directory: nothing in DATA/tmp, nothing visible under objects/ until it is complete'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# The body comes through a FIFO: the first part, then (once the test has
# looked) the rest.  The writer is bounded in time: were curl gone before
# opening the FIFO, opening it for writing would wait for ever.
SIZE=$((12 * 1024 * 1024))
HALF=$((6 * 1024 * 1024))
make_file big.bin $SIZE big
OID=$(sha256_of big.bin)
FANOUT="$DATA/objects/${OID:0:2}/${OID:2:2}"

# slow_put REPO NAME: a PUT of big.bin to REPO fed through NAME.fifo, held
# after HALF bytes until NAME.go exists; NAME.code gets the status.
slow_put() {
	local auth
	auth=$(token upload "$1" $OID $SIZE) || return 1
	rm -f "$2.fifo" "$2.go" && mkfifo "$2.fifo" || return 1
	curl -sS --max-time 120 -o "$2.body" -w "%{http_code}" -X PUT -T "$2.fifo" \
		-H "Authorization: $auth" -H "Content-Length: $SIZE" -H "Transfer-Encoding:" \
		"$LFS_URL/$1/info/lfs/objects/$OID" >"$2.code" 2>"$2.err" &
	timeout 120 bash -c "{ head -c $HALF big.bin &&
		while [ ! -e '$2.go' ]; do sleep 0.05; done &&
		tail -c +$((HALF + 1)) big.bin; } >'$2.fifo'" &
}
# The upload's file, held open by the server: an anonymous file in the
# oid's own fan-out directory (test-lib.sh, upload_files).
anon_file() { upload_files "$DATA" $OID | grep -q "^/proc/$LFS_PID/fd/"; }
in_flight() { anon_file && upload_has_at_least "$DATA" $HALF; }
no_upload_file() { [ -z "$(upload_files "$DATA")" ]; }
# Nothing of the upload can be seen by a name.
nothing_visible() {
	tmp_is_empty "$DATA" &&
	test_path_is_missing "$(obj_path "$DATA" $OID)" &&
	test -z "$(find "$DATA/objects" -name "*$OID*")"
}

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
if grep -q "uploads are named temp files in tmp/" "$LFS_LOG"; then
	test_skip "uploads are named temp files here: $(grep -m1 "named temp files" "$LFS_LOG")"
	stop_lfs_server
	test_done
fi

test_expect_success 'a new object in flight: its bytes are in an anonymous file, DATA/tmp is empty, no name' '
	slow_put a put1 &&
	POLL_TRIES=1200 test_poll in_flight &&
	nothing_visible &&
	f=$(upload_files "$DATA" $OID) &&
	test "$(readlink "$f")" = "$(cd "$FANOUT" && pwd -P)/#$(stat -L -c %i "$f") (deleted)" &&
	cmp -n $HALF big.bin "$f"
'

test_expect_success 'once complete: the object in place with its bytes, the file let go' '
	touch put1.go &&
	POLL_TRIES=2400 test_poll test -s put1.code &&
	test "$(cat put1.code)" = 200 &&
	cmp big.bin "$(obj_path "$DATA" $OID)" &&
	test "$(stat -c %h "$(obj_path "$DATA" $OID)")" = 1 &&
	stat -c %i "$(obj_path "$DATA" $OID)" >inode &&
	tmp_is_empty "$DATA" &&
	test_poll no_upload_file
'

test_expect_success 'the same object to another repo: the same path, and the stored file untouched' '
	slow_put b put2 &&
	POLL_TRIES=1200 test_poll in_flight &&
	tmp_is_empty "$DATA" &&
	touch put2.go &&
	POLL_TRIES=2400 test_poll test -s put2.code &&
	test "$(cat put2.code)" = 200 &&
	test "$(stat -c %i "$(obj_path "$DATA" $OID)")" = "$(cat inode)" &&
	cmp big.bin "$(obj_path "$DATA" $OID)" &&
	test_poll no_upload_file
'

# A new oid in a fan-out directory that does not exist yet: the upload
# creates it at its start, and a failed upload leaves it empty.
make_file other.bin 300000 other-5
OTHER=$(sha256_of other.bin)
while [ -d "$DATA/objects/${OTHER:0:2}/${OTHER:2:2}" ]; do
	make_file other.bin 300000 "other-$RANDOM"
	OTHER=$(sha256_of other.bin)
done

test_expect_success 'a failed upload (corrupt bytes) leaves nothing but its empty fan-out directory' '
	auth=$(token upload a $OTHER 300000) &&
	make_file bad.bin 300000 bad &&
	test "$(http_status PUT "$LFS_URL/a/info/lfs/objects/$OTHER" -H "Authorization: $auth" \
		--data-binary @bad.bin)" = 422 &&
	no_upload_file &&
	tmp_is_empty "$DATA" &&
	test_path_is_missing "$(obj_path "$DATA" $OTHER)" &&
	test -d "$DATA/objects/${OTHER:0:2}/${OTHER:2:2}" &&
	test -z "$(ls -A "$DATA/objects/${OTHER:0:2}/${OTHER:2:2}")"
'

test_expect_success 'fsck, stats and mirror verify do not mind an empty fan-out directory' '
	"$BIN/lfs-admin" --data "$DATA" fsck >fsck &&
	grep -q ": 0 problems$" fsck &&
	"$BIN/lfs-admin" --data "$DATA" stats >stats &&
	grep -q "^journal rows: 2$" stats &&
	"$BIN/lfs-mirror" verify "$DATA" >verify &&
	grep -q "^verified 1 objects" verify
'

test_expect_success 'the object is served; the server stops cleanly' '
	test "$(http_status GET "$LFS_URL/a/info/lfs/objects/$OID")" = 200 &&
	cmp big.bin "$TRASH/body" &&
	stop_lfs_server
'
test_done
