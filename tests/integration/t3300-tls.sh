#!/bin/bash
test_description='TLS: serving HTTPS directly with server.tls-cert/tls-key; git-lfs and curl verify the certificate'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# Trust comes only from what each test passes: the machine's CA settings
# would win over http.sslCAInfo (git-lfs reads GIT_SSL_CAINFO first).
unset GIT_SSL_CAINFO GIT_SSL_CAPATH GIT_SSL_NO_VERIFY CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR

# A self-signed certificate for 127.0.0.1 (the name clients check), and
# another one that no client trusts.
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
[auth]
	users = $TRASH/users
[repo "tock/*"]
	read = *
	write = alice
EOF
: >users
add_user users alice alice-pw

start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }
printf 'https://alice:alice-pw@%s\n' "${LFS_URL#https://}" >creds-alice
H=a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447

test_expect_success 'the readiness line says https://' '
	server_started &&
	grep -Eq "^listening on https://127\.0\.0\.1:[1-9][0-9]*$" "$LFS_LOG" &&
	case "$LFS_URL" in https://127.0.0.1:*) ;; *) false ;; esac
'

test_expect_success 'curl trusting the certificate gets /healthz' '
	test "$(http_status GET "$LFS_URL/healthz" --cacert cert.pem)" = 200 &&
	jq -e ".status == \"ok\"" body
'

test_expect_success 'curl without the certificate, or trusting another one, is refused' '
	test_expect_code 60 curl -sS -o /dev/null "$LFS_URL/healthz" 2>err &&
	test_expect_code 60 curl -sS -o /dev/null --cacert other-cert.pem "$LFS_URL/healthz" 2>err
'

test_expect_success 'plain HTTP on the TLS port gets no answer' '
	test "$(curl -s -o /dev/null -w "%{http_code}" "http://${LFS_URL#https://}/healthz")" != 200
'

test_expect_success 'over TLS, hrefs are https:// and authentication works as over HTTP' '
	test "$(http_status POST "$LFS_URL/tock/libtock-c/info/lfs/objects/batch" --cacert cert.pem \
		-H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$H\",\"size\":12}]}")" = 401 &&
	grep -qi "^lfs-authenticate: Basic" headers &&
	test "$(http_status POST "$LFS_URL/tock/libtock-c/info/lfs/objects/batch" --cacert cert.pem \
		-u alice:alice-pw -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$H\",\"size\":12}]}")" = 200 &&
	jq -e --arg u "$LFS_URL/tock/libtock-c/info/lfs/objects/$H" ".objects[0].actions.upload.href == \$u" body
'

test_expect_success 'git-lfs pushes over TLS, verifying the certificate through http.sslCAInfo' '
	git lfs install --skip-repo >/dev/null &&
	git init -q --bare origin.git &&
	git init -q work &&
	(
		cd work &&
		git lfs install --local >/dev/null &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LFS_URL/tock/libtock-c.git/info/lfs" &&
		git config http.sslCAInfo "$TRASH/cert.pem" &&
		git config credential.helper "store --file=$TRASH/creds-alice" &&
		test -z "$(git config --get http.sslVerify)" &&
		git lfs track "*.bin" >/dev/null &&
		make_file a.bin 200000 tls-a &&
		make_file b.bin 3000 tls-b &&
		git add .gitattributes a.bin b.bin &&
		git commit -q -m first &&
		git push -q origin main 2>../push.err
	) &&
	for f in a.bin b.bin; do
		cmp work/$f "$(obj_path "$DATA" "$(sha256_of work/$f)")" || return 1
	done &&
	test "$(log_count "\"PUT /tock/libtock-c/info/lfs/objects/")" -eq 2
'

test_expect_success 'an anonymous clone over TLS with the certificate trusted' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q origin.git clone1 &&
	(
		cd clone1 &&
		git lfs install --local >/dev/null &&
		git config lfs.url "$LFS_URL/tock/libtock-c.git/info/lfs" &&
		git config http.sslCAInfo "$TRASH/cert.pem" &&
		git lfs pull
	) &&
	cmp work/a.bin clone1/a.bin &&
	cmp work/b.bin clone1/b.bin
'

test_expect_success 'git-lfs not trusting the certificate fails (verification is on)' '
	gets=$(log_count "\"GET ") &&
	GIT_LFS_SKIP_SMUDGE=1 git clone -q origin.git clone2 &&
	(
		cd clone2 &&
		git lfs install --local >/dev/null &&
		git config lfs.url "$LFS_URL/tock/libtock-c.git/info/lfs" &&
		git config lfs.transfer.maxretries 1 &&
		test_must_fail git lfs pull 2>../untrusted.err &&
		git config http.sslCAInfo "$TRASH/other-cert.pem" &&
		test_must_fail git lfs pull 2>../other.err
	) &&
	grep -qi "certificate" untrusted.err &&
	test "$(log_count "\"GET ")" -eq "$gets" &&
	test_path_is_missing "$(obj_path clone2/.git/lfs "$(sha256_of work/a.bin)")"
'

test_expect_success 'git-lfs-authenticate gives https hrefs when the server serves TLS' '
	port=${LFS_URL##*:} &&
	{ printf "[server]\n\tdata = %s\n\tlisten = 127.0.0.1:%s\n\ttls-cert = %s\n\ttls-key = %s\n" \
		"$DATA" "$port" "$TRASH/cert.pem" "$TRASH/key.pem"; printf "[repo \"tock/*\"]\n\tread = *\n"; } >ssh.cfg &&
	SSH_ORIGINAL_COMMAND="git-lfs-authenticate tock/libtock-c download" \
		"$BIN/git-lfs-authenticate" --config ssh.cfg --user alice >out &&
	jq -e --arg u "$LFS_URL/tock/libtock-c/info/lfs" ".href == \$u" out &&
	test "$(http_status POST "$(jq -r .href out)/objects/batch" --cacert cert.pem \
		-H "Authorization: $(jq -r .header.Authorization out)" -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"download\",\"objects\":[]}")" = 200
'

stop_rc
test_expect_success 'SIGTERM: the TLS server exits 0' '
	stopped_cleanly
'

test_expect_success 'tls-cert without tls-key, or a missing file: exit 1 with one line' '
	printf "[server]\n\ttls-cert = %s\n" "$TRASH/cert.pem" >half.cfg &&
	test_expect_code 1 "$BIN/lfs-server" --config half.cfg --listen 127.0.0.1:0 --data "$TRASH/d1" >out 2>err &&
	test "$(wc -l <err)" -eq 1 &&
	grep -q "tls-key" err &&
	printf "[server]\n\ttls-cert = %s\n\ttls-key = %s\n" "$TRASH/no-cert.pem" "$TRASH/key.pem" >missing.cfg &&
	test_expect_code 1 "$BIN/lfs-server" --config missing.cfg --listen 127.0.0.1:0 --data "$TRASH/d2" >out 2>err &&
	test "$(wc -l <err)" -eq 1 &&
	grep -q "no-cert.pem" err
'

test_expect_success 'a key that does not match the certificate: exit 1, never a listening line' '
	printf "[server]\n\ttls-cert = %s\n\ttls-key = %s\n" "$TRASH/cert.pem" "$TRASH/other-key.pem" >mismatch.cfg &&
	test_expect_code 1 "$BIN/lfs-server" --config mismatch.cfg --listen 127.0.0.1:0 --data "$TRASH/d3" >out 2>err &&
	! grep -q "^listening" err
'

test_done
