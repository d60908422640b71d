#!/bin/bash
test_description='PUT bodies against max-object-size in every framing: chunked, no token, Content-Length 2^63'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

server_started() {
	[ -n "$LFS_PID" ] && [ -n "$LFS_URL" ] || { echo "server did not start" >&2; return 1; }
}

htpasswd -B -C 4 -b -c users alice alice-pw 2>/dev/null || { echo "Bail out! htpasswd failed"; exit 1; }
cat >server.cfg <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
[server]
	max-object-size = 1m
[auth]
	users = $TRASH/users
[repo "r"]
	write = alice
EOF
make_file big.bin $((4 * 1024 * 1024)) big
make_file ok.bin 1000 ok
BIG=$(sha256_of big.bin)
OK=$(sha256_of ok.bin)

start_lfs_server --config server.cfg

# nothing_stored OID: no object file, no temp file left behind (the abort
# runs when the request completes: poll for it).
no_temps() { tmp_emptied "$DATA"; }
nothing_stored() {
	test_path_is_missing "$(obj_path "$DATA" "$1")" &&
	test_poll no_temps
}

# put ARGS...: a PUT of big.bin's oid with Basic credentials, no token.
put() {
	curl -sS --max-time 20 -o body -D headers -w "%{http_code}" -u alice:alice-pw -X PUT "$@" \
		"$LFS_URL/r/info/lfs/objects/$BIG"
}

test_expect_success 'setup: server up; a 1000-byte object is stored with Basic credentials' '
	server_started &&
	code=$(curl -sS -o body -w "%{http_code}" -u alice:alice-pw -X PUT --data-binary @ok.bin \
		"$LFS_URL/r/info/lfs/objects/$OK") &&
	test "$code" = 200 &&
	test -f "$(obj_path "$DATA" "$OK")"
'

test_expect_success 'chunked PUT of 4 MiB with Basic credentials, no token, limit 1m: 413 JSON, nothing stored' '
	code=$(put -H "Transfer-Encoding: chunked" --data-binary @- <big.bin) &&
	test "$code" = 413 &&
	jq -e ".message | test(\"limit\")" body &&
	nothing_stored "$BIG"
'

test_expect_success 'PUT without any length (HTTP/1.0: the library reads no body): refused, nothing stored' '
	code=$(put -0 -H "Content-Length:" --data-binary @big.bin) &&
	case "$code" in 413|400|422) ;; *) echo "status $code" >&2; false ;; esac &&
	nothing_stored "$BIG"
'

test_expect_success 'Content-Length: 2^63 (past a long long): 413 at once, nothing stored' '
	code=$(put -H "Content-Length: 9223372036854775808" --data-binary @ok.bin) &&
	test "$code" = 413 &&
	jq -e ".message | type == \"string\"" body &&
	nothing_stored "$BIG"
'

test_expect_success 'Content-Length: 2^64 - 1: 413 or refused by the library, nothing stored' '
	code=$(put -H "Content-Length: 18446744073709551615" --data-binary @ok.bin) &&
	case "$code" in 413|400) ;; *) echo "status $code" >&2; false ;; esac &&
	nothing_stored "$BIG"
'

test_expect_success 'declared Content-Length over the limit: 413 before the body' '
	code=$(put --data-binary @big.bin) &&
	test "$code" = 413 &&
	nothing_stored "$BIG"
'

test_expect_success 'the server still serves, and stops cleanly' '
	code=$(curl -sS -o got.bin -w "%{http_code}" -u alice:alice-pw "$LFS_URL/r/info/lfs/objects/$OK") &&
	test "$code" = 200 && cmp ok.bin got.bin &&
	stop_lfs_server
'

# Without max-object-size a Content-Length of 2^63 must not mean "unknown
# length, read until the client stops".
start_lfs_server

test_expect_success 'no limit set: Content-Length 2^63 is still 413 at once, nothing stored' '
	server_started &&
	code=$(curl -sS --max-time 20 -o body -w "%{http_code}" -X PUT -H "Content-Length: 9223372036854775808" \
		--data-binary @ok.bin "$LFS_URL/r/info/lfs/objects/$BIG") &&
	test "$code" = 413 &&
	nothing_stored "$BIG" &&
	stop_lfs_server
'

test_done
