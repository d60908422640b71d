#!/bin/bash
test_description='storage.type = s3 with virtual-hosted addressing (BUCKET.HOST): uploads, presigned downloads, listing (fsck) against s3rver'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-s3.sh"

# s3rver takes a Host it does not know as the bucket's whole name (its
# CNAME style), and libcurl resolves every *.localhost to loopback: so
# bucket B on endpoint http://localhost:PORT is the s3rver bucket
# "B.localhost", reached as http://B.localhost:PORT/KEY, signatures and
# all.
s3_setup || { echo "Bail out! no s3rver"; exit 1; }
VH=$(printf '%s' "$S3_BUCKET" | cut -c1-40)-vh
s3 mb "$VH.localhost"
PORT=${S3_ENDPOINT##*:}
s3_config server.cfg
sed -i "s|endpoint = .*|endpoint = http://localhost:$PORT|; s|bucket = .*|bucket = $VH|; s|path-style = true|path-style = false|" server.cfg
start_lfs_server --config server.cfg
make_file small 3000 small && make_file big 7000000 big

test_expect_success 'uploads land in the bucket, addressed as BUCKET.HOST' '
	server_started &&
	put_anon r small && put_anon r big &&
	s3 ls "$VH.localhost" >keys &&
	grep -q "^objects/.*/$(sha256_of small) 3000$" keys &&
	grep -q "^objects/.*/$(sha256_of big) 7000000$" keys
'

test_expect_success 'download hrefs are presigned on http://BUCKET.localhost:PORT and work' '
	oid=$(sha256_of big) &&
	test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":7000000}]}")" = 200 &&
	href=$(jq -r ".objects[0].actions.download.href" "$TRASH/body") &&
	case "$href" in "http://$VH.localhost:$PORT/objects/"*X-Amz-Signature=*) ;; *) echo "$href" >&2; false ;; esac &&
	curl -sS -f -o got "$href" && cmp big got
'

test_expect_success 'fsck lists the bucket (ListObjectsV2 on BUCKET.HOST) and finds it clean' '
	"$BIN/lfs-admin" --config server.cfg --data "$DATA" fsck >out &&
	grep -q "^fsck: 2 objects (7003000 bytes)" out
'

stop_rc
test_expect_success 'the server stopped cleanly' 'stopped_cleanly'

test_done
