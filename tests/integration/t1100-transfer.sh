#!/bin/bash
test_description='object transfers by curl: GET, Range, HEAD, PUT'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# header NAME: the value of header NAME in the last answer.
header() {
	grep -i "^$1:" "$TRASH/headers" | head -n1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'
}

SIZE=300007
make_file big.bin $SIZE big
OID=$(sha256_of big.bin)
URL_A=/a/info/lfs/objects/$OID
: >empty.bin
E=$(sha256_of empty.bin)

start_lfs_server

test_expect_success 'setup: upload through the batch API' '
	server_started &&
	auth=$(token upload a $OID $SIZE) &&
	test "$(http_status PUT "$LFS_URL$URL_A" -H "Authorization: $auth" -T big.bin)" = 200 &&
	test_cmp big.bin "$(obj_path "$DATA" $OID)"
'

test_expect_success 'GET through the download action: 200, exact bytes, Content-Length, octet-stream' '
	test "$(batch a "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$OID\",\"size\":$SIZE}]}")" = 200 &&
	href=$(jq -er ".objects[0].actions.download.href" body) &&
	test "$href" = "$LFS_URL$URL_A" &&
	auth=$(jq -r ".objects[0].actions.download.header.Authorization // empty" body) &&
	test "$(http_status GET "$href" ${auth:+-H "Authorization: $auth"})" = 200 &&
	test_cmp big.bin body &&
	test "$(header Content-Length)" = $SIZE &&
	test "$(header Content-Type)" = application/octet-stream
'

test_expect_success 'GET without a token (auth off): the same bytes' '
	test "$(http_status GET "$LFS_URL$URL_A")" = 200 &&
	test_cmp big.bin body
'

test_expect_success 'Range bytes=N-: 206 and the tail' '
	for n in 0 1 4096 $((SIZE - 1))
	do
		test "$(http_status GET "$LFS_URL$URL_A" -H "Range: bytes=$n-")" = 206 &&
		test "$(header Content-Range)" = "bytes $n-$((SIZE - 1))/$SIZE" &&
		test "$(header Content-Length)" = $((SIZE - n)) &&
		tail -c +$((n + 1)) big.bin >want &&
		test_cmp want body || return 1
	done
'

test_expect_success 'Range bytes=-5: the last 5 bytes' '
	test "$(http_status GET "$LFS_URL$URL_A" -H "Range: bytes=-5")" = 206 &&
	test "$(header Content-Range)" = "bytes $((SIZE - 5))-$((SIZE - 1))/$SIZE" &&
	tail -c 5 big.bin >want &&
	test_cmp want body
'

test_expect_success 'Range bytes=a-b: exactly that slice' '
	test "$(http_status GET "$LFS_URL$URL_A" -H "Range: bytes=100-199")" = 206 &&
	test "$(header Content-Range)" = "bytes 100-199/$SIZE" &&
	tail -c +101 big.bin | head -c 100 >want &&
	test_cmp want body &&
	test "$(http_status GET "$LFS_URL$URL_A" -H "Range: bytes=$((SIZE - 10))-$((SIZE + 1000))")" = 206 &&
	test "$(header Content-Range)" = "bytes $((SIZE - 10))-$((SIZE - 1))/$SIZE" &&
	tail -c 10 big.bin >want &&
	test_cmp want body
'

test_expect_success 'unsatisfiable Range: 416 with Content-Range bytes */size' '
	test "$(http_status GET "$LFS_URL$URL_A" -H "Range: bytes=$SIZE-")" = 416 &&
	test "$(header Content-Range)" = "bytes */$SIZE" &&
	test "$(http_status GET "$LFS_URL$URL_A" -H "Range: bytes=$((SIZE + 5))-$((SIZE + 9))")" = 416
'

test_expect_success 'several ranges: the whole object (200)' '
	test "$(http_status GET "$LFS_URL$URL_A" -H "Range: bytes=0-1,5-6")" = 200 &&
	test_cmp big.bin body
'

test_expect_success 'HEAD: 200, Content-Length, no body' '
	out=$(curl -sS -o /dev/null -D headers -w "%{http_code} %{size_download}" --head "$LFS_URL$URL_A") &&
	test "$out" = "200 0" &&
	test "$(header Content-Length)" = $SIZE
'

test_expect_success 'HEAD of an object the repo does not hold: 404' '
	code=$(curl -sS -o /dev/null -D headers -w "%{http_code}" --head "$LFS_URL/b/info/lfs/objects/$OID") &&
	test "$code" = 404
'

test_expect_success 'GET of an object nobody has: 404 with a JSON message' '
	test "$(http_status GET "$LFS_URL/a/info/lfs/objects/$E")" = 404 &&
	jq -e ".message" body
'

test_expect_success 'PUT of an object already stored in that repo: 200, unchanged' '
	test "$(http_status PUT "$LFS_URL$URL_A" -T big.bin)" = 200 &&
	test "$(http_status PUT "$LFS_URL/a.git/info/lfs/objects/$OID" -T big.bin)" = 200 &&
	test_cmp big.bin "$(obj_path "$DATA" $OID)" &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM journal WHERE oid = \"$OID\"")" = 1
'

test_expect_success 'PUT with a chunked body (no Content-Length): stored' '
	make_file chunked.bin 70000 chunked &&
	oid=$(sha256_of chunked.bin) &&
	test "$(http_status PUT "$LFS_URL/a/info/lfs/objects/$oid" -H "Transfer-Encoding: chunked" -T chunked.bin)" = 200 &&
	test_cmp chunked.bin "$(obj_path "$DATA" $oid)" &&
	test "$(http_status GET "$LFS_URL/a/info/lfs/objects/$oid")" = 200 &&
	test_cmp chunked.bin body
'

test_expect_success 'the empty object: PUT, then GET gives 0 bytes' '
	auth=$(token upload a $E 0) &&
	test "$(http_status PUT "$LFS_URL/a/info/lfs/objects/$E" -H "Authorization: $auth" -T empty.bin)" = 200 &&
	test "$(http_status GET "$LFS_URL/a/info/lfs/objects/$E")" = 200 &&
	test "$(header Content-Length)" = 0 &&
	test ! -s body
'

test_expect_success 'DATA/tmp is empty after the transfers' '
	tmp_emptied "$DATA"
'

stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
