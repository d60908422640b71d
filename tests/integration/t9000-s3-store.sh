#!/bin/bash
test_description='storage.type = s3 against s3rver: git-lfs push and clone with download hrefs on the store, objects checked with boto3, a hash mismatch or a killed upload leaves nothing visible, an unreachable store is a 503 and the server recovers'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-s3.sh"

s3_setup || { echo "Bail out! no s3rver"; exit 1; }
s3_config server.conf lfs
start_lfs_server --config server.conf
LFS_ENDPOINT="$LFS_URL/tock/libtock-c.git/info/lfs"

# key OID: where the server keeps an object in the bucket.
key() {
	printf 'lfs/objects/%s/%s/%s' "$(printf %s "$1" | cut -c1-2)" "$(printf %s "$1" | cut -c3-4)" "$1"
}
# in_bucket FILE: the bucket holds FILE's object under its key, same bytes
# (read back by boto3, not by the server).
in_bucket() {
	local oid
	oid=$(sha256_of "$1") &&
	s3 get "$S3_BUCKET" "$(key "$oid")" "$TRASH/got" &&
	cmp "$1" "$TRASH/got"
}
bucket_keys() { s3 ls "$S3_BUCKET" | cut -d" " -f1; }
not_in_bucket() { ! bucket_keys | grep -q "$1"; }

test_expect_success 'setup: a repository with a small and a multipart-sized object' '
	server_started &&
	git lfs install --skip-repo &&
	git init -q --bare origin.git &&
	git init -q wt &&
	(
		cd wt &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git lfs track "*.bin" &&
		make_file small.bin 300000 seed-small &&
		make_file big.bin 12000000 seed-big &&
		git add .gitattributes small.bin big.bin &&
		git commit -q -m first
	)
'

test_expect_success 'git push stores both objects in the bucket under PREFIX/objects/ab/cd/<oid>' '
	(cd wt && git push -q origin main 2>push.err) &&
	in_bucket wt/small.bin &&
	in_bucket wt/big.bin &&
	bucket_keys >keys &&
	test "$(wc -l <keys)" -eq 2 &&
	tmp_emptied "$DATA"
'

test_expect_success 'batch download hrefs are presigned URLs on the store, with expires_in (signed at most a minute ago)' '
	oid=$(sha256_of wt/big.bin) &&
	test "$(batch tock/libtock-c.git "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":12000000}]}")" = 200 &&
	href=$(jq -r ".objects[0].actions.download.href" "$TRASH/body") &&
	case "$href" in "$S3_ENDPOINT/$S3_BUCKET/$(key "$oid")?"*X-Amz-Signature=*) ;; *) echo "href $href" >&2; false ;; esac &&
	jq -e ".objects[0].actions.download.expires_in | . > 540 and . <= 600" "$TRASH/body" >/dev/null &&
	expires=$(printf %s "$href" | sed -n "s/.*X-Amz-Expires=\([0-9]*\).*/\1/p") &&
	test "$expires" = 600 &&
	curl -sS -f -o got.bin "$href" &&
	cmp wt/big.bin got.bin
'

test_expect_success 'git clone downloads from the store: no object GET in the server log' '
	git clone -q -c lfs.url="$LFS_ENDPOINT" origin.git clone 2>clone.err &&
	(cd clone && git config lfs.url "$LFS_ENDPOINT" && git lfs pull) &&
	cmp wt/small.bin clone/small.bin &&
	cmp wt/big.bin clone/big.bin &&
	log_wait "\"POST /tock/libtock-c.git/info/lfs/objects/batch\" 200 " 2 &&
	test "$(log_count "\"GET /tock/libtock-c.git/info/lfs/objects/")" -eq 0
'

test_expect_success 'the object endpoint redirects to the store' '
	oid=$(sha256_of wt/small.bin) &&
	test "$(http_status GET "$LFS_URL/tock/libtock-c.git/info/lfs/objects/$oid")" = 302 &&
	grep -i "^Location: $S3_ENDPOINT/$S3_BUCKET/$(key "$oid")?" "$TRASH/headers"
'

test_expect_success 'a hash mismatch (multipart-sized) is 422 and leaves nothing in the bucket' '
	make_file liar.bin 11000000 liar &&
	fake=$(printf "%064d" 7) &&
	code=$(curl -sS -o body -w "%{http_code}" -X PUT --data-binary @liar.bin \
		"$LFS_URL/tock/libtock-c.git/info/lfs/objects/$fake") &&
	test "$code" = 422 &&
	grep -q "hash mismatch" body &&
	bucket_keys >keys.after &&
	test_cmp keys keys.after
'

test_expect_success 'a short upload (size mismatch) is 422, nothing in the bucket' '
	make_file short.bin 100 short &&
	oid=$(sha256_of short.bin) &&
	test "$(batch tock/libtock-c.git "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":200}]}")" = 200 &&
	auth=$(jq -r ".objects[0].actions.upload.header.Authorization" "$TRASH/body") &&
	code=$(curl -sS -o body -w "%{http_code}" -X PUT -H "Authorization: $auth" --data-binary @short.bin \
		"$LFS_URL/tock/libtock-c.git/info/lfs/objects/$oid") &&
	test "$code" = 422 &&
	not_in_bucket "$oid"
'

SIZE=12000000
make_file killed.bin $SIZE killed
KOID=$(sha256_of killed.bin)
part1_sent() { grep -q "$KOID?partNumber=1&uploadId=.* 200 " "$S3RVER_LOG"; }

test_expect_success 'kill -9 during a multipart upload: no object becomes visible' '
	port=${LFS_URL##*:} &&
	exec 3<>"/dev/tcp/127.0.0.1/$port" &&
	printf "PUT /tock/libtock-c.git/info/lfs/objects/%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nContent-Type: application/octet-stream\r\nContent-Length: %s\r\n\r\n" \
		"$KOID" "$port" "$SIZE" >&3 &&
	head -c 7000000 killed.bin >&3 &&
	POLL_TRIES=1200 test_poll part1_sent &&
	kill9_lfs_server &&
	exec 3>&- 3<&- &&
	not_in_bucket "$KOID"
'

start_lfs_server --config server.conf

test_expect_success 'after the restart the object is not recorded, and a new upload stores it' '
	server_started &&
	test "$(batch tock/libtock-c.git "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$KOID\",\"size\":$SIZE}]}")" = 200 &&
	jq -e ".objects[0].error.code == 404" "$TRASH/body" >/dev/null &&
	lfs_upload tock/libtock-c.git killed.bin &&
	in_bucket killed.bin
'

# An unreachable store: a private s3rver on a port of our choosing, not
# running at first.
DOWN_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed "s|endpoint = .*|endpoint = http://127.0.0.1:$DOWN_PORT|; s|bucket = .*|bucket = down|" server.conf >down.conf
stop_lfs_server
DATA="$TRASH/data-down" start_lfs_server --config down.conf
make_file late.bin 2000000 late
LOID=$(sha256_of late.bin)

test_expect_success 'store unreachable: PUT is 503 with Retry-After and a clear message' '
	server_started &&
	code=$(curl -sS -o body -D headers -w "%{http_code}" -X PUT --data-binary @late.bin \
		"$LFS_URL/r/info/lfs/objects/$LOID") &&
	test "$code" = 503 &&
	grep -qi "^Retry-After: [0-9]" headers &&
	jq -e ".message | test(\"object store unreachable\")" body >/dev/null
'

test_expect_success 'nothing was recorded for the failed upload' '
	test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$LOID\",\"size\":2000000}]}")" = 200 &&
	jq -e ".objects[0].error.code == 404" "$TRASH/body" >/dev/null
'

# The store comes back, on the port the server was configured with.  A
# start that did not come up (seen once in a full parallel run, cause not
# found) is stopped and tried again, at most three times, saying why.
store_back() {
	local try
	for try in 1 2 3; do
		if s3_start_private "$TRASH/s3-down" "$DOWN_PORT" &&
		   test "$S3_ENDPOINT" = "http://127.0.0.1:$DOWN_PORT" && s3 mb down; then
			S3_BUCKET=down
			return 0
		fi
		echo "store_back: try $try failed (S3_ENDPOINT=$S3_ENDPOINT):" >&2
		cat "$TRASH/s3-down/s3rver.log" >&2
		"$S3_SERVICE" stop "$TRASH/s3-down" >/dev/null 2>&1
	done
	return 1
}

test_expect_success 'the store comes back: the same server stores the upload' '
	store_back &&
	put_anon r late.bin &&
	in_bucket late.bin &&
	test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$LOID\",\"size\":2000000}]}")" = 200 &&
	jq -e ".objects[0].actions.download.href" "$TRASH/body" >/dev/null
'

# The store goes away in the middle of a body: the upload streams its
# parts while the bytes arrive (an object over one part), so the failure
# is found mid-body, and must be answered as one found before it.
make_file mid.bin $((12 * 1024 * 1024)) mid
MOID=$(sha256_of mid.bin)
mkfifo mid.fifo

test_expect_success 'the store goes away mid-body: 503 with Retry-After, nothing recorded' '
	curl -sS --max-time 120 -o mid.body -D mid.headers -w "%{http_code}" -X PUT -T mid.fifo \
		-H "Content-Length: $((12 * 1024 * 1024))" -H "Transfer-Encoding:" \
		"$LFS_URL/r/info/lfs/objects/$MOID" >mid.code &
	curl_pid=$! &&
	# Bounded: were curl gone before opening the fifo, opening it for
	# writing would wait for ever.
	timeout 120 bash -c "{ head -c $((8 * 1024 * 1024)) mid.bin &&
		\"\$1\" stop \"\$2\" >/dev/null &&
		tail -c +$((8 * 1024 * 1024 + 1)) mid.bin; } >mid.fifo" - "$S3_SERVICE" "$TRASH/s3-down" &&
	wait $curl_pid &&
	test "$(cat mid.code)" = 503 &&
	grep -qi "^Retry-After: [0-9]" mid.headers &&
	test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$MOID\",\"size\":$((12 * 1024 * 1024))}]}")" = 200 &&
	jq -e ".objects[0].error.code == 404" "$TRASH/body" >/dev/null
'

test_done
