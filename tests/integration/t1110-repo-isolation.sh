#!/bin/bash
test_description='an object uploaded to repo A is not downloadable through repo B until B gets its bytes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# batch_for OP REPO OID SIZE: status of a one-object batch; answer in body.
batch_for() {
	batch "$2" "{\"operation\":\"$1\",\"objects\":[{\"oid\":\"$3\",\"size\":$4}]}"
}

# forge OP REPO OID SIZE: a transfer token signed with DATA/secret, as the
# server makes them (lfs-server/core/token.h).  The batch API may answer
# downloads without a token when anonymous may read, so the download
# tokens these tests need are made here; a control test checks that the
# server accepts them where they belong.
forge() {
	local payload
	payload=$(printf 't1\ntransfer\n\n%s\n%s\n%s\n%s\n%s' "$2" "$3" "$4" "$1" "$(($(date +%s) + 3600))" | b64url)
	printf 'Bearer %s.%s' "$payload" "$(printf '%s' "$payload" |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(od -An -v -tx1 "$DATA/secret" | tr -d ' \n')" -binary |
		b64url)"
}

make_file secret.bin 50000 secret
OID=$(sha256_of secret.bin)
SIZE=50000
make_file other.bin 50000 other

start_lfs_server

test_expect_success 'setup: the object is uploaded to repo team/a' '
	server_started &&
	test "$(batch_for upload team/a $OID $SIZE)" = 200 &&
	jq -r ".objects[0].actions.upload.header.Authorization" body >auth.up.a &&
	test "$(http_status PUT "$LFS_URL/team/a/info/lfs/objects/$OID" -H "Authorization: $(cat auth.up.a)" -T secret.bin)" = 200 &&
	test "$(batch_for download team/a $OID $SIZE)" = 200 &&
	jq -e ".objects[0].actions.download.href" body
'

test_expect_success "control: a download token for A works on A's URL" '
	forge download team/a $OID $SIZE >auth.down.a &&
	test "$(http_status GET "$LFS_URL/team/a/info/lfs/objects/$OID" -H "Authorization: $(cat auth.down.a)")" = 200 &&
	test_cmp secret.bin body
'

test_expect_success 'batch download through repo B: per-object 404' '
	for repo in team/b team/a/b team a team/a.git/x
	do
		test "$(batch_for download $repo $OID $SIZE)" = 200 &&
		jq -e ".objects[0].error.code == 404 and (.objects[0] | has(\"actions\") | not)" body || return 1
	done
'

test_expect_success "GET on B's URL with A's token: 403" '
	test "$(http_status GET "$LFS_URL/team/b/info/lfs/objects/$OID" -H "Authorization: $(cat auth.down.a)")" = 403 &&
	jq -e ".message" body &&
	! cmp -s secret.bin body
'

test_expect_success "GET on B's URL without a token: 404" '
	test "$(http_status GET "$LFS_URL/team/b/info/lfs/objects/$OID")" = 404 &&
	jq -e ".message" body &&
	code=$(curl -sS -o /dev/null -w "%{http_code}" --head "$LFS_URL/team/b/info/lfs/objects/$OID") &&
	test "$code" = 404
'

test_expect_success "Range GET on B's URL: 404 too" '
	test "$(http_status GET "$LFS_URL/team/b/info/lfs/objects/$OID" -H "Range: bytes=0-")" = 404
'

test_expect_success "verify on B: 404" '
	test "$(http_status POST "$LFS_URL/team/b/info/lfs/objects/verify" -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"oid\":\"$OID\",\"size\":$SIZE}")" = 404
'

test_expect_success "PUT on B's URL with A's upload token: 403" '
	test "$(http_status PUT "$LFS_URL/team/b/info/lfs/objects/$OID" -H "Authorization: $(cat auth.up.a)" -T secret.bin)" = 403 &&
	test "$(batch_for download team/b $OID $SIZE)" = 200 &&
	jq -e ".objects[0].error.code == 404" body
'

test_expect_success 'upload batch on B asks for the bytes (knowing the oid is not enough)' '
	test "$(batch_for upload team/b $OID $SIZE)" = 200 &&
	jq -e ".objects[0].actions.upload.href" body &&
	jq -r ".objects[0].actions.upload.header.Authorization" body >auth.up.b
'

test_expect_success 'wrong bytes of the right size to B: 422, B still lacks it' '
	test "$(http_status PUT "$LFS_URL/team/b/info/lfs/objects/$OID" -H "Authorization: $(cat auth.up.b)" -T other.bin)" = 422 &&
	test "$(batch_for download team/b $OID $SIZE)" = 200 &&
	jq -e ".objects[0].error.code == 404" body &&
	test_cmp secret.bin "$(obj_path "$DATA" $OID)"
'

test_expect_success 'a short body to B: refused, B still lacks it' '
	head -c 1000 secret.bin >short.bin &&
	code=$(http_status PUT "$LFS_URL/team/b/info/lfs/objects/$OID" -H "Authorization: $(cat auth.up.b)" \
		-H "Transfer-Encoding: chunked" -T short.bin) &&
	test "$code" = 422 &&
	test "$(batch_for download team/b $OID $SIZE)" = 200 &&
	jq -e ".objects[0].error.code == 404" body
'

test_expect_success 'the full bytes to B: 200, then downloadable from B' '
	test "$(http_status PUT "$LFS_URL/team/b/info/lfs/objects/$OID" -H "Authorization: $(cat auth.up.b)" -T secret.bin)" = 200 &&
	test "$(batch_for download team/b $OID $SIZE)" = 200 &&
	href=$(jq -er ".objects[0].actions.download.href" body) &&
	auth=$(jq -r ".objects[0].actions.download.header.Authorization // empty" body) &&
	test "$(http_status GET "$href" ${auth:+-H "Authorization: $auth"})" = 200 &&
	test_cmp secret.bin body &&
	test "$(http_status GET "$LFS_URL/team/b/info/lfs/objects/$OID" -H "Authorization: $(forge download team/b $OID $SIZE)")" = 200 &&
	test_cmp secret.bin body
'

test_expect_success 'one copy on disk, one journal row per repo' '
	test "$(objects_snapshot | grep -c "$OID")" = 1 &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT repo FROM journal WHERE oid = \"$OID\" ORDER BY repo" | tr "\n" " ")" = "team/a team/b " &&
	tmp_emptied "$DATA"
'

test_expect_success "B's token does not open A's neighbour C" '
	test "$(http_status GET "$LFS_URL/team/c/info/lfs/objects/$OID" -H "Authorization: $(forge download team/b $OID $SIZE)")" = 403
'

stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
