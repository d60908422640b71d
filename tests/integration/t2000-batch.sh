#!/bin/bash
test_description='batch API by curl: answer shape, actions, hrefs, duplicates'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# "hello world\n": 12 bytes
H=a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447
# the empty object
E=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# an oid nobody uploads
M=0000000000000000000000000000000000000000000000000000000000000001
printf 'hello world\n' >hello.txt

# post_batch REPO CONTENT-TYPE JSON [curl args]: like batch, with the
# request Content-Type given.
post_batch() {
	local repo="$1" ct="$2" json="$3"
	shift 3
	http_status POST "$LFS_URL/$repo/info/lfs/objects/batch" \
		-H "Accept: $LFS_TYPE" -H "Content-Type: $ct" --data-binary "$json" "$@"
}

one() {
	printf '{"operation":"%s","objects":[{"oid":"%s","size":%s}]}' "$1" "$2" "$3"
}

# The whole-answer invariants of a successful batch.
batch_ok() {
	grep -q "^HTTP/1.1 200 " "$TRASH/headers" &&
	grep -qix "content-type: application/vnd.git-lfs+json$(printf '\r')" "$TRASH/headers" &&
	jq -e '.transfer == "basic" and .hash_algo == "sha256" and (.objects | type) == "array"' "$TRASH/body" >/dev/null &&
	grep -q '"transfer":"basic"' "$TRASH/body"
}

start_lfs_server

test_expect_success 'setup: server is up' '
	server_started
'

test_expect_success 'download of a missing object: per-object 404 in error' '
	test "$(batch r "$(one download $H 12)")" = 200 &&
	batch_ok &&
	jq -e --arg h $H ".objects | length == 1 and .[0].oid == \$h and .[0].size == 12" body &&
	jq -e ".objects[0].error.code == 404 and (.objects[0].error.message | type) == \"string\"" body &&
	jq -e ".objects[0] | has(\"actions\") | not" body
'

test_expect_success 'upload of a new object: an upload action with a token' '
	test "$(batch r "$(one upload $H 12)")" = 200 &&
	batch_ok &&
	jq -e --arg h $H ".objects | length == 1 and .[0].oid == \$h and .[0].size == 12" body &&
	jq -e ".objects[0].authenticated == true" body &&
	jq -e ".objects[0] | has(\"error\") | not" body &&
	jq -e ".objects[0].actions | keys == [\"upload\"]" body &&
	jq -e --arg u "$LFS_URL/r/info/lfs/objects/$H" ".objects[0].actions.upload.href == \$u" body &&
	jq -e ".objects[0].actions.upload.header.Authorization | startswith(\"Bearer \")" body &&
	jq -e ".objects[0].actions.upload.expires_in | type == \"number\" and . > 0" body &&
	jq -e ".objects[0].actions.upload | has(\"expires_at\") | not" body
'

test_expect_success 'the upload action works: PUT with its header stores the object' '
	test "$(batch r "$(one upload $H 12)")" = 200 &&
	href=$(jq -r ".objects[0].actions.upload.href" body) &&
	auth=$(jq -r ".objects[0].actions.upload.header.Authorization" body) &&
	test "$(http_status PUT "$href" -H "Authorization: $auth" --data-binary @hello.txt)" = 200 &&
	test_cmp hello.txt "$(obj_path "$DATA" $H)"
'

test_expect_success 'upload of a stored object: no actions, no error' '
	test "$(batch r "$(one upload $H 12)")" = 200 &&
	batch_ok &&
	jq -e --arg h $H ".objects | length == 1 and .[0].oid == \$h and .[0].size == 12" body &&
	jq -e ".objects[0] | (has(\"actions\") or has(\"error\")) | not" body
'

test_expect_success 'download of a stored object: a download action that works' '
	test "$(batch r "$(one download $H 12)")" = 200 &&
	batch_ok &&
	jq -e ".objects[0].authenticated == true" body &&
	jq -e ".objects[0].actions | keys == [\"download\"]" body &&
	jq -e --arg u "$LFS_URL/r/info/lfs/objects/$H" ".objects[0].actions.download.href == \$u" body &&
	# A header and an expiry are optional for downloads (anonymous read
	# needs no token); when given they must be usable.
	jq -e ".objects[0].actions.download | (has(\"expires_in\") | not) or .expires_in > 0" body &&
	auth=$(jq -r ".objects[0].actions.download.header.Authorization // empty" body) &&
	case "$auth" in ""|"Bearer "?*) ;; *) false ;; esac &&
	curl -sSf ${auth:+-H "Authorization: $auth"} -o got "$LFS_URL/r/info/lfs/objects/$H" &&
	test_cmp hello.txt got
'

test_expect_success 'R and R.git are one repo' '
	test "$(batch r.git "$(one download $H 12)")" = 200 &&
	jq -e ".objects[0].actions.download.href | endswith(\"/r/info/lfs/objects/$H\")" body &&
	test "$(batch r.git "$(one upload $H 12)")" = 200 &&
	jq -e ".objects[0] | has(\"actions\") | not" body
'

test_expect_success 'a stored object asked with another size: per-object 422' '
	test "$(batch r "$(one upload $H 13)")" = 200 &&
	jq -e ".objects[0].error.code == 422 and (.objects[0] | has(\"actions\") | not)" body &&
	test "$(batch r "$(one download $H 11)")" = 200 &&
	jq -e ".objects[0].error.code == 422" body
'

test_expect_success 'request Content-Type with ; charset=utf-8 is accepted' '
	test "$(post_batch r "application/vnd.git-lfs+json; charset=utf-8" "$(one download $H 12)")" = 200 &&
	batch_ok &&
	jq -e ".objects[0].actions.download" body
'

test_expect_success 'request Content-Type application/json is accepted' '
	test "$(post_batch r "application/json" "$(one download $H 12)")" = 200 &&
	batch_ok &&
	test "$(post_batch r "application/json; charset=utf-8" "$(one download $H 12)")" = 200 &&
	batch_ok
'

test_expect_success 'git-lfs 3.3 request shape: transfers, ref, hash_algo' '
	req="{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$M\",\"size\":5}],\"transfers\":[\"lfs-standalone-file\",\"basic\",\"ssh\"],\"ref\":{\"name\":\"refs/heads/main\"},\"hash_algo\":\"sha256\"}" &&
	test "$(post_batch r "application/vnd.git-lfs+json; charset=utf-8" "$req")" = 200 &&
	batch_ok &&
	jq -e ".objects[0].actions.upload.href" body
'

test_expect_success 'transfers absent, ref null or {}, keys in any order: still basic' '
	for req in \
		"{\"objects\":[{\"size\":5,\"oid\":\"$M\"}],\"operation\":\"upload\"}" \
		"{\"operation\":\"upload\",\"ref\":null,\"objects\":[{\"oid\":\"$M\",\"size\":5}]}" \
		"{\"operation\":\"upload\",\"ref\":{},\"objects\":[{\"oid\":\"$M\",\"size\":5}]}" \
		"{\"operation\":\"upload\",\"ref\":{\"name\":\"\"},\"transfers\":[\"tus\"],\"objects\":[{\"oid\":\"$M\",\"size\":5}]}"
	do
		test "$(batch r "$req")" = 200 &&
		batch_ok &&
		jq -e ".objects[0].actions.upload" body || return 1
	done
'

test_expect_success 'a hash_algo other than sha256: per-object 409, answer still sha256' '
	req="{\"operation\":\"download\",\"hash_algo\":\"sha512\",\"objects\":[{\"oid\":\"$H\",\"size\":12}]}" &&
	test "$(batch r "$req")" = 200 &&
	batch_ok &&
	jq -e ".objects[0].error.code == 409 and (.objects[0] | has(\"actions\") | not)" body
'

test_expect_success 'an empty objects array: 200 with an empty array' '
	test "$(batch r "{\"operation\":\"download\",\"objects\":[]}")" = 200 &&
	batch_ok &&
	jq -e ".objects == []" body
'

test_expect_success 'size 0 is valid: upload action for the empty object' '
	test "$(batch r "$(one upload $E 0)")" = 200 &&
	jq -e ".objects[0].size == 0 and .objects[0].actions.upload.href" body
'

test_expect_success 'duplicate oids are answered once' '
	req="{\"operation\":\"download\",\"objects\":[{\"oid\":\"$H\",\"size\":12},{\"oid\":\"$M\",\"size\":5},{\"oid\":\"$H\",\"size\":12}]}" &&
	test "$(batch r "$req")" = 200 &&
	batch_ok &&
	jq -e ".objects | length == 2" body &&
	jq -e --arg h $H "[.objects[] | select(.oid == \$h)] | length == 1" body &&
	jq -e --arg m $M "[.objects[] | select(.oid == \$m)] | .[0].error.code == 404" body &&
	req="{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$M\",\"size\":5},{\"oid\":\"$M\",\"size\":5}]}" &&
	test "$(batch r "$req")" = 200 &&
	jq -e ".objects | length == 1" body
'

test_expect_success 'hrefs follow the Host header' '
	test "$(post_batch r "$LFS_TYPE" "$(one download $H 12)" -H "Host: lfs.example.test:8443")" = 200 &&
	jq -e --arg u "http://lfs.example.test:8443/r/info/lfs/objects/$H" ".objects[0].actions.download.href == \$u" body &&
	test "$(post_batch tock/libtock-c.git "$LFS_TYPE" "$(one upload $M 5)" -H "Host: other.example.test")" = 200 &&
	jq -e --arg u "http://other.example.test/tock/libtock-c/info/lfs/objects/$M" ".objects[0].actions.upload.href == \$u" body
'

test_expect_success 'verify: 200 held, 404 not held, 422 other size' '
	v="$LFS_URL/r/info/lfs/objects/verify" &&
	test "$(http_status POST "$v" -H "Content-Type: $LFS_TYPE" --data-binary "{\"oid\":\"$H\",\"size\":12}")" = 200 &&
	test "$(http_status POST "$v" -H "Content-Type: $LFS_TYPE" --data-binary "{\"oid\":\"$M\",\"size\":5}")" = 404 &&
	jq -e ".message | type == \"string\"" body &&
	test "$(http_status POST "$v" -H "Content-Type: $LFS_TYPE" --data-binary "{\"oid\":\"$H\",\"size\":13}")" = 422 &&
	jq -e ".message | type == \"string\"" body
'

stop_rc
test_expect_success 'SIGTERM: the server exits 0' '
	stopped_cleanly
'

cat >public.cfg <<EOF
[server]
	public-url = https://lfs.example.org/
EOF
cat >public-path.cfg <<EOF
[server]
	public-url = https://example.org/git/lfs
EOF

start_lfs_server --config public.cfg
test_expect_success 'server.public-url wins over the Host header' '
	server_started &&
	test "$(batch r "$(one download $H 12)")" = 200 &&
	jq -e --arg u "https://lfs.example.org/r/info/lfs/objects/$H" ".objects[0].actions.download.href == \$u" body &&
	test "$(post_batch r.git "$LFS_TYPE" "$(one upload $M 5)" -H "Host: other.example.test")" = 200 &&
	jq -e --arg u "https://lfs.example.org/r/info/lfs/objects/$M" ".objects[0].actions.upload.href == \$u" body
'
stop_rc
test_expect_success 'SIGTERM: exits 0 (public-url)' '
	stopped_cleanly
'

start_lfs_server --config public-path.cfg
test_expect_success 'server.public-url with a path prefix' '
	server_started &&
	test "$(batch a/b "$(one upload $M 5)")" = 200 &&
	jq -e --arg u "https://example.org/git/lfs/a/b/info/lfs/objects/$M" ".objects[0].actions.upload.href == \$u" body
'
stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
