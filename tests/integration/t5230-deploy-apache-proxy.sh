#!/bin/bash
test_description='docs/deploy.md: its Apache reverse proxy VirtualHost (mod_ssl, mod_proxy_http) with git-lfs, and the lockout per client behind it'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-apache.sh"

unset GIT_SSL_CAINFO GIT_SSL_CAPATH GIT_SSL_NO_VERIFY CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
git lfs install --skip-repo >/dev/null || { echo "Bail out! git lfs install failed"; exit 1; }
DOC="$TEST_ROOT/docs/deploy.md"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout proxy-key.pem -out proxy-ca.pem 2>/dev/null || { echo "Bail out! openssl"; exit 1; }
htpasswd -B -C 4 -b -c users alice apw 2>/dev/null

server_cfg() {
	cat >server.cfg <<-EOF
	[server]
		behind-proxy = true
		$1
	[auth]
		users = $TRASH/users
		lockout-failures = 3
	[repo "tock/*"]
		read = *
		write = alice
	EOF
}

# The server first (the proxy's config names its port), then Apache with
# the doc's first VirtualHost on any port, then the server again on the
# same port with public-url naming the proxy.
server_cfg "" && start_lfs_server --config server.cfg ||
	{ echo "Bail out! lfs-server did not start"; exit 1; }
LFS_PORT=${LFS_URL##*:}
APACHE_MODULES="ssl proxy proxy_http reqtimeout"
APACHE_CONF=$(doc_block "$DOC" '^### Apache \(2\.4' | awk '{ print } /^<\/VirtualHost>/ { exit }' |
	sed -e 's|<VirtualHost \*:443>|<VirtualHost *>|' \
	    -e "s|SSLCertificateFile  *[^ ]*|SSLCertificateFile $TRASH/proxy-ca.pem|" \
	    -e "s|SSLCertificateKeyFile  *[^ ]*|SSLCertificateKeyFile $TRASH/proxy-key.pem|" \
	    -e "s|http://127.0.0.1:8080/|$LFS_URL/|g")
case "$APACHE_CONF" in
*"ProxyPass        / $LFS_URL/ nocanon"*"SSLCertificateKeyFile $TRASH/proxy-key.pem"*) ;;
*"SSLCertificateKeyFile $TRASH/proxy-key.pem"*"ProxyPass        / $LFS_URL/ nocanon"*) ;;
*) echo "Bail out! the doc's VirtualHost changed: $APACHE_CONF"; exit 1 ;;
esac
start_apache None proxy || { echo "Bail out! apache did not start"; exit 1; }
PROXY="https://127.0.0.1:$APACHE_PORT"
stop_lfs_server &&
	server_cfg "public-url = $PROXY" &&
	start_lfs_server --config server.cfg --listen "127.0.0.1:$LFS_PORT" ||
	{ echo "Bail out! lfs-server did not restart on its port"; exit 1; }
printf 'https://alice:apw@127.0.0.1:%s\n' "$APACHE_PORT" >creds

test_expect_success 'git-lfs pushes a 3 MB object through Apache, trusting its certificate' '
	git config --global "http.$PROXY/.sslCAInfo" "$TRASH/proxy-ca.pem" &&
	git init -q --bare origin.git &&
	git init -q work &&
	(
		cd work &&
		git config lfs.url "$PROXY/tock/libtock-c.git/info/lfs" &&
		git config credential.helper "store --file=$TRASH/creds" &&
		git lfs track "*.a" >/dev/null &&
		make_file big.a 3000000 aproxy-big &&
		git add . && git commit -qm libs &&
		git remote add origin ../origin.git &&
		git push -q origin main
	) &&
	cmp work/big.a "$(obj_path "$DATA" "$(sha256_of work/big.a)")" &&
	grep -q "\"PUT /tock/libtock-c/info/lfs/objects/$(sha256_of work/big.a) HTTP/1.1\" 200 " "$APACHE_ACCESS_LOG"
'

test_expect_success 'a clone through Apache gets the object' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q origin.git clone &&
	(
		cd clone &&
		git config lfs.url "$PROXY/tock/libtock-c.git/info/lfs" &&
		git lfs pull
	) &&
	cmp work/big.a clone/big.a
'

as() {
	local addr="$1" cred="$2"
	shift 2
	http_status GET "$PROXY/tock/libtock-c.git/info/lfs/locks" --cacert proxy-ca.pem \
		--interface "$addr" -u "$cred" "$@"
}

test_expect_success 'mod_proxy appends X-Forwarded-For by itself: wrong passwords lock out that client only' '
	for i in 1 2 3; do test "$(as 127.0.0.2 alice:wrong)" = 401 || return 1; done &&
	test "$(as 127.0.0.2 alice:apw)" = 429 &&
	test "$(as 127.0.0.3 alice:apw)" = 200 &&
	test "$(as 127.0.0.2 alice:apw -H "X-Forwarded-For: 192.0.2.99")" = 429
'

stop_apache
test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
