#!/bin/bash
test_description='lfs-admin migrate-store --to s3 (hash-checked, resumable, idempotent) and lfs-admin fsck on an S3 store, against s3rver'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-s3.sh"

s3_setup || { echo "Bail out! no s3rver"; exit 1; }
s3_config s3.conf
start_lfs_server
for n in 1 2 3; do make_file obj$n.bin $((n * 3000000)) seed$n; done

key() {
	printf 'objects/%s/%s/%s' "$(printf %s "$1" | cut -c1-2)" "$(printf %s "$1" | cut -c3-4)" "$1"
}
in_bucket() {
	s3 get "$S3_BUCKET" "$(key "$(sha256_of "$1")")" "$TRASH/got" && cmp "$1" "$TRASH/got"
}
migrate() { "$BIN/lfs-admin" --config s3.conf --data "$DATA" migrate-store --to s3; }

test_expect_success 'setup: three objects in the local store, in two repos' '
	server_started &&
	put_anon a/one obj1.bin && put_anon a/one obj2.bin && put_anon b/two obj3.bin &&
	put_anon b/two obj1.bin &&
	test "$(objects_snapshot | wc -l)" -eq 3
'

test_expect_success 'migrate-store copies every object into the bucket, same bytes' '
	migrate >out &&
	grep -qx "migrate-store: 3 objects copied (18000000 bytes), 0 already there, 0 problems" out &&
	in_bucket obj1.bin && in_bucket obj2.bin && in_bucket obj3.bin &&
	test "$(s3 ls "$S3_BUCKET" | wc -l)" -eq 3
'

test_expect_success 'a second run copies nothing (idempotent)' '
	migrate >out &&
	grep -qx "migrate-store: 0 objects copied (0 bytes), 3 already there, 0 problems" out
'

test_expect_success 'an object missing from the bucket is copied again (resumable)' '
	s3 rm "$S3_BUCKET" "$(key "$(sha256_of obj2.bin)")" &&
	migrate >out &&
	grep -qx "migrate-store: 1 objects copied (6000000 bytes), 2 already there, 0 problems" out &&
	in_bucket obj2.bin
'

test_expect_success 'fsck against the bucket is clean' '
	"$BIN/lfs-admin" --config s3.conf --data "$DATA" fsck >out &&
	grep -q "^fsck: 3 objects (18000000 bytes), 4 journal rows, .* 0 problems" out
'

test_expect_success 'fsck names an object the bucket lost, exit 1' '
	s3 rm "$S3_BUCKET" "$(key "$(sha256_of obj3.bin)")" &&
	test_expect_code 1 "$BIN/lfs-admin" --config s3.conf --data "$DATA" fsck >out &&
	grep -q "^missing: journal seq .* (repo b/two): objects/$(key "$(sha256_of obj3.bin)" | cut -c9-) is not in the store" out &&
	migrate >out &&
	"$BIN/lfs-admin" --config s3.conf --data "$DATA" fsck >out
'

test_expect_success 'a corrupt local object is not copied: named, exit 1' '
	make_file obj4.bin 1000 seed4 &&
	put_anon a/one obj4.bin &&
	p=$(obj_path "$DATA" "$(sha256_of obj4.bin)") &&
	chmod u+w "$p" && printf X | dd of="$p" conv=notrunc 2>/dev/null &&
	test_expect_code 1 migrate >out &&
	grep -q "^corrupt: $(sha256_of obj4.bin): hash mismatch" out &&
	! s3 ls "$S3_BUCKET" | grep -q "$(sha256_of obj4.bin)"
'

test_expect_success 'migrate-store needs --config and --to s3' '
	test_expect_code 2 "$BIN/lfs-admin" --data "$DATA" migrate-store --to s3 &&
	test_expect_code 2 "$BIN/lfs-admin" --config s3.conf migrate-store --to gcs &&
	test_expect_code 2 "$BIN/lfs-admin" --config s3.conf migrate-store
'

stop_rc
test_expect_success 'the server stopped cleanly' 'stopped_cleanly'

test_done
