#!/bin/bash
test_description='an upload of an object the store already holds (another repo) does the same work: bytes written and synced'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# The time an upload takes must not tell whether some other (private)
# repo holds the object.  No timing assertion here: the test shows the
# work itself.  LFS_FAULT=store-synced kills the server right after the
# temp file's fsync; for an object already stored the old code never got
# there (it only hashed the bytes).

make_file obj.bin 300000 obj
OID=$(sha256_of obj.bin)
SIZE=$(stat -c %s obj.bin)

server_gone() { test -s "$LFS_LOG.rc"; }
# The server says when it keeps uploads in named temps in DATA/tmp (forced
# by LFS_STORE_NAMED_TEMPS=1: t1116), not as anonymous files.
named_temps() { grep -q "uploads are named temp files in tmp/" "$LFS_LOG"; }

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
test_expect_success 'setup: repo a holds the object' '
	lfs_upload a obj.bin &&
	stat -c %i "$(obj_path "$DATA" $OID)" >inode
'
test_expect_success 'setup: server stops' 'stop_lfs_server'

LFS_FAULT=store-synced start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
test_expect_success 'an upload of the same object to repo b reaches the fsync of a full temp file' '
	test "$(batch b "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$OID\",\"size\":$SIZE}]}")" = 200 &&
	href=$(jq -r ".objects[0].actions.upload.href" "$TRASH/body") &&
	auth=$(jq -r ".objects[0].actions.upload.header.Authorization" "$TRASH/body") &&
	code=$(curl -s -o /dev/null -w "%{http_code}" -X PUT -H "Authorization: $auth" \
		--data-binary @obj.bin "$href") ;
	test "$code" = 000 &&
	test_poll server_gone &&
	ls "$DATA/tmp" >tmpfiles &&
	if named_temps; then
		test "$(wc -l <tmpfiles)" = 1 &&
		cmp obj.bin "$DATA/tmp/$(cat tmpfiles)"
	else
		# An anonymous file dies with the server: the kill at the
		# fault point is the proof.
		test_must_be_empty tmpfiles
	fi
'
test_expect_success 'the store kept the upload the way LFS_STORE_NAMED_TEMPS asks' '
	if store_named_temps; then named_temps; else true; fi
'
kill9_lfs_server

start_lfs_server || { echo "Bail out! lfs-server did not restart"; exit 1; }
test_expect_success 'after the restart: tmp emptied, the object file untouched, repo b does not hold it' '
	tmp_emptied "$DATA" &&
	test "$(stat -c %i "$(obj_path "$DATA" $OID)")" = "$(cat inode)" &&
	cmp obj.bin "$(obj_path "$DATA" $OID)" &&
	batch b "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$OID\",\"size\":$SIZE}]}" >/dev/null &&
	test "$(jq -r ".objects[0].error.code" "$TRASH/body")" = 404
'

test_expect_success 'the upload to b then succeeds: link finds EEXIST, temp removed, object file never replaced' '
	lfs_upload b obj.bin &&
	tmp_emptied "$DATA" &&
	test "$(stat -c %i "$(obj_path "$DATA" $OID)")" = "$(cat inode)" &&
	batch b "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$OID\",\"size\":$SIZE}]}" >/dev/null &&
	test "$(jq -r ".objects[0].actions.download.href" "$TRASH/body")" != null
'

test_expect_success 'corrupt bytes for a stored oid: 422, the object file untouched' '
	make_file bad.bin $SIZE bad &&
	test "$(batch c "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$OID\",\"size\":$SIZE}]}")" = 200 &&
	href=$(jq -r ".objects[0].actions.upload.href" "$TRASH/body") &&
	auth=$(jq -r ".objects[0].actions.upload.header.Authorization" "$TRASH/body") &&
	test "$(http_status PUT "$href" -H "Authorization: $auth" --data-binary @bad.bin)" = 422 &&
	cmp obj.bin "$(obj_path "$DATA" $OID)" &&
	tmp_emptied "$DATA"
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
