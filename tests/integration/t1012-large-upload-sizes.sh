#!/bin/bash
test_description='large uploads (written with O_DIRECT where the file system allows, hashed on the side) store exactly their bytes, at every size around the alignment and the ring'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# From 4 MiB on (a known Content-Length), an upload is copied into a
# ring of aligned 1 MiB slots, written with O_DIRECT and hashed on two
# threads of its own (lfs-server/store/direct.c); the last slot goes out
# padded to 4096 bytes and the file is cut back.  Each row is one size:
# the stored object must hold exactly the bytes sent.
MiB=$((1024 * 1024))
SIZES="$((4 * MiB)) $((4 * MiB + 1)) $((4 * MiB + 4095)) $((4 * MiB + 4096)) $((5 * MiB - 1)) $((9 * MiB + 12345))"

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }

for size in $SIZES; do
	test_expect_success "an upload of $size bytes is stored byte for byte" '
		make_file obj-'"$size"'.bin '"$size"' seed-'"$size"' &&
		lfs_upload r obj-'"$size"'.bin &&
		oid=$(sha256_of obj-'"$size"'.bin) &&
		p=$(obj_path "$DATA" "$oid") &&
		test "$(stat -c %s "$p")" -eq '"$size"' &&
		cmp obj-'"$size"'.bin "$p"
	'
done

test_expect_success 'a large upload whose bytes do not match its oid: 422, nothing stored, no temp file left' '
	size=$((6 * MiB + 7)) &&
	make_file good.bin $size good &&
	make_file bad.bin $size bad &&
	oid=$(sha256_of good.bin) &&
	test "$(batch r "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}")" = 200 &&
	href=$(jq -r ".objects[0].actions.upload.href" "$TRASH/body") &&
	auth=$(jq -r ".objects[0].actions.upload.header.Authorization" "$TRASH/body") &&
	code=$(curl -sS --max-time 60 -o resp -w "%{http_code}" -X PUT -H "Authorization: $auth" \
		--data-binary @bad.bin "$href") &&
	test "$code" = 422 &&
	grep -q "not to the object id" resp &&
	test_path_is_missing "$(obj_path "$DATA" "$oid")" &&
	tmp_emptied "$DATA"
'

test_expect_success 'a large upload cut short by the client: nothing stored, the server keeps serving' '
	size=$((8 * MiB)) &&
	make_file cut.bin $size cut &&
	oid=$(sha256_of cut.bin) &&
	test "$(batch r "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}")" = 200 &&
	href=$(jq -r ".objects[0].actions.upload.href" "$TRASH/body") &&
	auth=$(jq -r ".objects[0].actions.upload.header.Authorization" "$TRASH/body") &&
	head -c $((5 * MiB + 3)) cut.bin >half.bin &&
	{ printf "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n" \
		"${href#"$LFS_URL"}" "$auth" $size; cat half.bin; } >request &&
	hostport=${LFS_URL#http://} &&
	(exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" && cat request >&3) &&
	log_wait "PUT .*/objects/$oid" &&
	test_path_is_missing "$(obj_path "$DATA" "$oid")" &&
	tmp_emptied "$DATA" &&
	lfs_upload r cut.bin &&
	cmp cut.bin "$(obj_path "$DATA" "$oid")"
'

test_expect_success 'a stored large object downloads byte for byte' '
	size=$((9 * MiB + 12345)) &&
	oid=$(sha256_of obj-$size.bin) &&
	test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}")" = 200 &&
	href=$(jq -r ".objects[0].actions.download.href" "$TRASH/body") &&
	auth=$(jq -r ".objects[0].actions.download.header.Authorization // empty" "$TRASH/body") &&
	if [ -n "$auth" ]; then
		curl -sS -f --max-time 60 -H "Authorization: $auth" -o got.bin "$href"
	else
		curl -sS -f --max-time 60 -o got.bin "$href"
	fi &&
	cmp obj-$size.bin got.bin
'

test_expect_success 'the server stops cleanly' 'stop_lfs_server'

# The same sizes through the page cache (a file system that refuses
# O_DIRECT): hashed from a mapping of what was written, on a thread.
rm -rf "$DATA"
LFS_STORE_BUFFERED=1 start_lfs_server || { echo "Bail out! lfs-server did not restart"; exit 1; }
for size in $SIZES; do
	test_expect_success "buffered: an upload of $size bytes is stored byte for byte" '
		lfs_upload r obj-'"$size"'.bin &&
		p=$(obj_path "$DATA" "$(sha256_of obj-'"$size"'.bin)") &&
		test "$(stat -c %s "$p")" -eq '"$size"' &&
		cmp obj-'"$size"'.bin "$p"
	'
done
test_expect_success 'buffered: the server stops cleanly' 'stop_lfs_server'
test_done
