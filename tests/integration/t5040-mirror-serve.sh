#!/bin/bash
test_description='a mirror tree served by nginx with the config of docs/mirrors.md: the server sends clients there once the mirror has caught up'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-nginx.sh"

# href REPO FILE: the download href the server gives for FILE's object.
href() {
	local code
	code=$(batch "$1" "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$(sha256_of "$2")\",\"size\":$(wc -c <"$2")}]}") &&
	[ "$code" = 200 ] &&
	jq -e -r '.objects[0].actions.download.href' "$TRASH/body"
}

# mirror_at SEQ: /healthz says the mirror is healthy at last_seq >= SEQ.
mirror_at() {
	curl -sf "$LFS_URL/healthz" | jq -e ".mirrors[0].healthy and .mirrors[0].last_seq >= $1" >/dev/null
}
mirror_down() {
	curl -sf "$LFS_URL/healthz" | jq -e '.mirrors[0].healthy | not' >/dev/null
}

M="$TRASH/mirror"
mkdir "$M" "$TRASH/ng"

# nginx with the server block of docs/mirrors.md, pointed at $M and a
# loopback port, so the documented config is the tested one.
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
		awk '/^### nginx/{f=1} f&&/^    server \{/{p=1} p{print} p&&/^    \}/{exit}' \
			"$TEST_ROOT/docs/mirrors.md" |
			sed -e "s|listen 443 ssl;|listen 127.0.0.1:$1;|" -e "s|/srv/tock-lfs|$M|g"
		echo "}"
	} >"$TRASH/ng/nginx.conf"
}

start_doc_nginx() {
	local tries=0 port
	while [ $tries -lt 20 ]; do
		port=$(( 20000 + (RANDOM % 20000) ))
		nginx_conf $port && grep -q "alias $M/objects/;" "$TRASH/ng/nginx.conf" || return 1
		: >"$TRASH/ng/error.log"
		nginx -c "$TRASH/ng/nginx.conf" -e "$TRASH/ng/error.log" &
		NG_PID=$!
		test_track_pid $NG_PID nginx
		if nginx_wait_ready $NG_PID $port "$TRASH/ng/access.log"; then
			NG="http://127.0.0.1:$port/tock-lfs"
			test_atexit "test_kill_ours -TERM $NG_PID"
			return 0
		fi
		kill $NG_PID 2>/dev/null; wait $NG_PID 2>/dev/null
		grep -q "Address already in use" "$TRASH/ng/error.log" || { cat "$TRASH/ng/error.log" >&2; return 1; }
		tries=$((tries + 1))
	done
	return 1
}

start_doc_nginx || echo "nginx did not start" >nginx.failed
cat >server.cfg <<CFG
[repo "pub/*"]
	mirror = true
[journal]
	readers = *
[mirror]
	check-interval = 1
[mirror "m1"]
	url = $NG
CFG
make_file p1 3000 p1 && make_file p2 5000 p2 && make_file s1 700 s1 && make_file p3 9000 p3
start_lfs_server --config server.cfg

test_expect_success 'setup: nginx runs the documented config; objects uploaded' '
	test_path_is_missing nginx.failed &&
	put_anon pub/a p1 && put_anon pub/a p2 && put_anon priv/b s1
'

test_expect_success 'before any sync, downloads come from the server' '
	test_poll mirror_down &&
	h=$(href pub/a p1) &&
	case "$h" in "$LFS_URL"/*) ;; *) echo "href $h" >&2; false ;; esac
'

test_expect_success 'after a sync the server sends clients to the mirror, byte-identical' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out &&
	test_poll mirror_at 2 &&
	h=$(href pub/a p2) &&
	test "$h" = "$NG/objects/$(sha256_of p2 | cut -c1-2)/$(sha256_of p2 | cut -c3-4)/$(sha256_of p2)" &&
	curl -sSf -o got "$h" &&
	cmp p2 got &&
	curl -sSf -r 10-19 -o part "$h" &&
	test "$(wc -c <part)" = 10 && cmp -i 10:0 -n 10 p2 part
'

test_expect_success 'a private object is never sent to the mirror' '
	h=$(href priv/b s1) &&
	case "$h" in "$LFS_URL"/*) ;; *) echo "href $h" >&2; false ;; esac &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$NG/objects/$(sha256_of s1 | cut -c1-2)/$(sha256_of s1 | cut -c3-4)/$(sha256_of s1)")" = 404
'

test_expect_success 'the documented config: caching headers, nothing else served' '
	curl -sSf -D h1 -o /dev/null "$(href pub/a p1)" &&
	grep -qi "^Cache-Control: public, max-age=31536000, immutable" h1 &&
	curl -sSf -D h2 -o state.json "$NG/mirror-state.json" &&
	grep -qi "^Cache-Control: no-cache" h2 &&
	jq -e ".version == 1 and .last_seq == 2" state.json &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$NG/.lfs-mirror.lock")" = 404 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$NG/tmp/")" = 404 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$NG/")" = 404
'

test_expect_success 'a new upload is served by the server until the mirror has it' '
	put_anon pub/a p3 &&
	h=$(href pub/a p3) &&
	case "$h" in "$LFS_URL"/*) ;; *) echo "href $h" >&2; false ;; esac &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out &&
	test_poll mirror_at 3 &&
	h=$(href pub/a p3) &&
	case "$h" in "$NG"/*) ;; *) echo "href $h" >&2; false ;; esac &&
	curl -sSf -o got "$h" && cmp p3 got
'

test_expect_success 'a mirror that stops answering stops getting clients' '
	kill $NG_PID && wait $NG_PID;
	test_poll mirror_down &&
	h=$(href pub/a p2) &&
	case "$h" in "$LFS_URL"/*) ;; *) echo "href $h" >&2; false ;; esac
'

stop_rc

test_expect_success 'the server stopped cleanly' '
	test "$(cat "$TRASH/stop.rc")" = 0 || { cat "$TRASH/stop.err" >&2; false; }
'

test_done
