#!/bin/bash
test_description='docs/deploy.md: its nginx reverse proxy block (TLS with a self-signed certificate), its http.sslCAInfo line, and the lockout per client behind it'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

unset GIT_SSL_CAINFO GIT_SSL_CAPATH GIT_SSL_NO_VERIFY CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
git lfs install --skip-repo >/dev/null || { echo "Bail out! git lfs install failed"; exit 1; }
DOC="$TEST_ROOT/docs/deploy.md"

# A self-signed certificate for 127.0.0.1, the name clients use here.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout proxy-key.pem -out proxy-ca.pem 2>/dev/null || { echo "Bail out! openssl"; exit 1; }
htpasswd -B -C 4 -b -c users alice apw 2>/dev/null

# The doc's first nginx server block, with a loopback port, our
# certificate and our server put in for the example's.
mkdir ng
nginx_conf() {
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<-EOC
		daemon off;
		worker_processes 1;
		pid $TRASH/ng/nginx.pid;
		error_log $TRASH/ng/error.log;
		events { worker_connections 64; }
		http {
		    access_log $TRASH/ng/access.log;
		    client_body_temp_path $TRASH/ng/body;
		    proxy_temp_path $TRASH/ng/proxy;
		    fastcgi_temp_path $TRASH/ng/fastcgi;
		    uwsgi_temp_path $TRASH/ng/uwsgi;
		    scgi_temp_path $TRASH/ng/scgi;
		EOC
		doc_block "$DOC" '^### nginx' | awk '{ print } /^}/ { exit }' |
			sed -e "s|listen 443 ssl http2;|listen 127.0.0.1:$1 ssl http2;|" \
			    -e '/listen \[::\]:443/d' \
			    -e "s|ssl_certificate  *[^ ]*;|ssl_certificate $TRASH/proxy-ca.pem;|" \
			    -e "s|ssl_certificate_key  *[^ ]*;|ssl_certificate_key $TRASH/proxy-key.pem;|" \
			    -e "s|proxy_pass http://127.0.0.1:8080;|proxy_pass $LFS_URL;|"
		echo "}"
	} >ng/nginx.conf
}

# The server's public-url names the proxy's port, so both start together.
start_both() {
	local tries=0 i
	while [ $tries -lt 20 ]; do
		PORT=$(( 20000 + (RANDOM % 20000) ))
		PROXY="https://127.0.0.1:$PORT"
		cat >server.cfg <<-EOF
		[server]
			public-url = $PROXY
			behind-proxy = true
		[auth]
			users = $TRASH/users
			lockout-failures = 3
		[repo "tock/*"]
			read = *
			write = alice
		EOF
		start_lfs_server --config server.cfg || return 1
		nginx_conf $PORT &&
		grep -q "listen 127.0.0.1:$PORT ssl http2;" ng/nginx.conf &&
		grep -q "proxy_pass $LFS_URL;" ng/nginx.conf &&
		grep -q "ssl_certificate_key $TRASH/proxy-key.pem;" ng/nginx.conf || { cat ng/nginx.conf >&2; return 1; }
		: >ng/error.log
		nginx -c "$TRASH/ng/nginx.conf" -e "$TRASH/ng/error.log" &
		NG_PID=$!
		i=0
		while [ $i -lt 200 ]; do
			if curl -s -o /dev/null --cacert proxy-ca.pem "$PROXY/healthz"; then
				test_atexit "kill $NG_PID 2>/dev/null; wait $NG_PID 2>/dev/null"
				return 0
			fi
			kill -0 $NG_PID 2>/dev/null || break
			sleep 0.05
			i=$((i + 1))
		done
		kill $NG_PID 2>/dev/null; wait $NG_PID 2>/dev/null
		stop_lfs_server
		grep -q "Address already in use" ng/error.log || { cat ng/error.log >&2; return 1; }
		tries=$((tries + 1))
	done
	return 1
}
start_both || { echo "Bail out! proxy and server did not start"; exit 1; }
printf 'https://alice:apw@127.0.0.1:%s\n' "$PORT" >creds

test_expect_success 'the doc'\''s sslCAInfo line makes git trust the self-signed proxy' '
	doc_block "$DOC" "A certificate clients trust" >ca.doc &&
	grep -q "^ *git config --global http.https://lfs.example.org/.sslCAInfo /path/to/proxy-ca.pem$" ca.doc &&
	sh -c "$(sed -e "s|https://lfs.example.org/|$PROXY/|" -e "s|/path/to/proxy-ca.pem|$TRASH/proxy-ca.pem|" ca.doc)" &&
	test "$(git config --global --get "http.$PROXY/.sslcainfo")" = "$TRASH/proxy-ca.pem"
'

test_expect_success 'git-lfs pushes a 3 MB object through the proxy (over nginx'\''s default body limit)' '
	git init -q --bare origin.git &&
	git init -q work &&
	(
		cd work &&
		git config lfs.url "$PROXY/tock/libtock-c.git/info/lfs" &&
		git config credential.helper "store --file=$TRASH/creds" &&
		git lfs track "*.a" >/dev/null &&
		make_file big.a 3000000 proxy-big &&
		make_file small.a 1000 proxy-small &&
		git add . && git commit -qm libs &&
		git remote add origin ../origin.git &&
		git push -q origin main
	) &&
	cmp work/big.a "$(obj_path "$DATA" "$(sha256_of work/big.a)")" &&
	grep -q "\"PUT /tock/libtock-c/info/lfs/objects/$(sha256_of work/big.a)" ng/access.log
'

test_expect_success 'a clone through the proxy gets the objects; hrefs name the proxy' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q origin.git clone &&
	(
		cd clone &&
		git config lfs.url "$PROXY/tock/libtock-c.git/info/lfs" &&
		git lfs pull
	) &&
	cmp work/big.a clone/big.a &&
	test "$(http_status POST "$PROXY/tock/libtock-c.git/info/lfs/objects/batch" --cacert proxy-ca.pem \
		-H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$(sha256_of work/big.a)\",\"size\":3000000}]}")" = 200 &&
	jq -e --arg p "$PROXY/" ".objects[0].actions.download.href | startswith(\$p)" body
'

# as ADDR USER:PASS [curl args]: a request from loopback address ADDR.
as() {
	local addr="$1" cred="$2"
	shift 2
	http_status GET "$PROXY/tock/libtock-c.git/info/lfs/locks" --cacert proxy-ca.pem \
		--interface "$addr" -u "$cred" "$@"
}

test_expect_success 'behind the proxy, wrong passwords lock out that client only' '
	for i in 1 2 3; do test "$(as 127.0.0.2 alice:wrong)" = 401 || return 1; done &&
	test "$(as 127.0.0.2 alice:apw)" = 429 &&
	test "$(as 127.0.0.3 alice:apw)" = 200
'

test_expect_success 'a locked-out client naming another address in X-Forwarded-For stays locked out' '
	test "$(as 127.0.0.2 alice:apw -H "X-Forwarded-For: 192.0.2.99")" = 429 &&
	test "$(as 127.0.0.3 alice:apw -H "X-Forwarded-For: 127.0.0.2")" = 200
'

kill $NG_PID; wait $NG_PID
test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
