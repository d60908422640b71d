#!/bin/bash
test_description='lfs-mirror sync from an HTTPS server with a private CA: --cacert, CURL_CA_BUNDLE, SSL_CERT_FILE'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

test_must_be_empty() {
	[ ! -s "$1" ] || { echo "'$1' is not empty:" >&2; cat "$1" >&2; return 1; }
}

state_seq() {
	jq -e -r 'select(.version == 1) | .last_seq' "$1/mirror-state.json"
}

# A self-signed certificate for 127.0.0.1, and another one nobody trusts.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout key.pem -out cert.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout other-key.pem -out other-cert.pem 2>/dev/null
chmod 600 key.pem

cat >server.cfg <<EOF
[server]
	tls-cert = $TRASH/cert.pem
	tls-key = $TRASH/key.pem
[repo "pub/*"]
	read = *
	mirror = true
[journal]
	readers = *
EOF

make_file p1 5000 p1 && make_file p2 7000 p2
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

test_expect_success 'setup: two mirrored objects over HTTPS' '
	case "$LFS_URL" in https://*) ;; *) false ;; esac &&
	CURL_CA_BUNDLE="$TRASH/cert.pem" lfs_upload pub/a p1 &&
	CURL_CA_BUNDLE="$TRASH/cert.pem" lfs_upload pub/a p2
'

test_expect_success 'without the CA the sync fails in one line naming the URL and the certificate' '
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to m0 >out 2>err &&
	test_must_be_empty out &&
	test $(wc -l <err) = 1 &&
	grep -q "$LFS_URL/_lfs/journal" err &&
	grep -qi "certificate" err &&
	test_path_is_missing m0/mirror-state.json
'

test_expect_success 'a CA that did not sign the certificate fails too' '
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to m0 --cacert other-cert.pem 2>err &&
	grep -qi "certificate" err
'

test_expect_success '--cacert FILE: the sync succeeds' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to m1 --cacert cert.pem >out 2>err &&
	echo "synced 2 objects (12000 bytes), skipped 0, last_seq 2" >expect &&
	test_cmp expect out &&
	test_must_be_empty err &&
	cmp p1 "$(obj_path m1 "$(sha256_of p1)")" &&
	cmp p2 "$(obj_path m1 "$(sha256_of p2)")"
'

test_expect_success 'CURL_CA_BUNDLE: the sync succeeds' '
	CURL_CA_BUNDLE="$TRASH/cert.pem" "$BIN/lfs-mirror" sync --from "$LFS_URL" --to m2 >out 2>err &&
	echo "synced 2 objects (12000 bytes), skipped 0, last_seq 2" >expect &&
	test_cmp expect out &&
	test "$(state_seq m2)" = 2
'

test_expect_success 'SSL_CERT_FILE: the sync succeeds' '
	SSL_CERT_FILE="$TRASH/cert.pem" "$BIN/lfs-mirror" sync --from "$LFS_URL" --to m3 >out 2>err &&
	echo "synced 2 objects (12000 bytes), skipped 0, last_seq 2" >expect &&
	test_cmp expect out
'

test_expect_success 'CURL_CA_BUNDLE wins over SSL_CERT_FILE, and --cacert over both (as for curl)' '
	test_expect_code 1 env CURL_CA_BUNDLE="$TRASH/other-cert.pem" SSL_CERT_FILE="$TRASH/cert.pem" \
		"$BIN/lfs-mirror" sync --from "$LFS_URL" --to m4 2>err &&
	grep -qi "certificate" err &&
	CURL_CA_BUNDLE="$TRASH/other-cert.pem" "$BIN/lfs-mirror" sync --from "$LFS_URL" --to m4 \
		--cacert cert.pem >out &&
	grep -q "^synced 2 objects" out
'

test_expect_success 'verify --from an HTTPS server takes --cacert too' '
	"$BIN/lfs-mirror" verify m1 --from "$LFS_URL" --cacert cert.pem >out 2>err &&
	grep -q "^verified 2 objects (12000 bytes) in m1 up to last_seq 2: all good$" out &&
	test_expect_code 1 "$BIN/lfs-mirror" verify m1 --from "$LFS_URL" 2>err &&
	grep -qi "certificate" err
'

test_expect_success 'an unreadable --cacert file is an error naming it' '
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to m5 --cacert nope.pem 2>err &&
	test $(wc -l <err) = 1 &&
	grep -q "nope.pem" err &&
	test_path_is_missing m5
'

stop_lfs_server 2>stop.err; echo $? >stop.rc

test_expect_success 'the server stopped cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
