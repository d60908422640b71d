#!/bin/bash
test_description='lfs-mirror sync from a server with storage.type = s3: by URL (the feed object endpoint redirects to the store), not from its data directory'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-s3.sh"

s3_setup || { echo "Bail out! no s3rver"; exit 1; }
s3_config server.cfg
cat >>server.cfg <<'CFG'
[repo "pub/*"]
	read = *
	mirror = true
[journal]
	readers = *
CFG
make_file p1 1500 p1 && make_file p2 6000000 p2 && make_file s1 2000 s1
start_lfs_server --config server.cfg
M="$TRASH/mirror"

test_expect_success 'setup: objects in a mirrored and a private repo, in the bucket' '
	server_started &&
	lfs_upload pub/a p1 && lfs_upload pub/a p2 && lfs_upload priv/x s1 &&
	test "$(s3 ls "$S3_BUCKET" | wc -l)" -eq 3
'

test_expect_success 'the feed object endpoint redirects to the store' '
	test "$(http_status GET "$LFS_URL/_lfs/objects/$(sha256_of p1)")" = 302 &&
	grep -qi "^Location: $S3_ENDPOINT/$S3_BUCKET/objects/" "$TRASH/headers"
'

test_expect_success 'sync by URL brings exactly the mirrored objects, byte-identical' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out 2>err &&
	grep -q "^synced 2 objects (6001500 bytes)" out &&
	cmp p1 "$(obj_path "$M" "$(sha256_of p1)")" &&
	cmp p2 "$(obj_path "$M" "$(sha256_of p2)")" &&
	test_path_is_missing "$(obj_path "$M" "$(sha256_of s1)")" &&
	log_wait "\"GET /_lfs/objects/$(sha256_of p2)\" 302 "
'

test_expect_success '--from DATA_DIR of an S3-backed server fails and says why' '
	test_must_fail "$BIN/lfs-mirror" sync --from "$DATA" --to "$TRASH/m2" >out 2>err &&
	grep -q "local store only.*storage.type = s3, sync from its URL" err
'

stop_rc
test_expect_success 'the server stopped cleanly' 'stopped_cleanly'

test_done
