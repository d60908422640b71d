#!/bin/bash
test_description='a client trickling its request a byte a second is dropped after server.request-timeout'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

H=a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447
cat >server.cfg <<EOF
[server]
	request-timeout = 3
EOF

# trickle NAME FAST SLOW: opens a connection, sends FAST at once, then SLOW
# one byte a second (the slow client; the sleep paces it, it does not
# synchronise anything).  A reader copies the answer to NAME.resp and
# creates NAME.closed when the server closes the connection.
trickle() {
	local name="$1" fast="$2" slow="$3"
	exec 3<>"/dev/tcp/127.0.0.1/${LFS_URL##*:}" || return 1
	(
		printf "$fast" >&3 || exit 0
		i=0
		while [ $i -lt ${#slow} ]; do
			printf '%s' "${slow:$i:1}" >&3 || exit 0
			i=$((i + 1))
			sleep 1
		done
	) 2>/dev/null &
	echo $! >"$name.writer"
	( cat <&3 >"$name.resp"; touch "$name.closed" ) 2>/dev/null &
	echo $! >"$name.reader"
	exec 3>&- 3<&-
}

# The connection was closed by the server: well before the writer ran out
# of bytes (at least 40 left), and without an answer for the request.
closed_by_server() {
	local name="$1"
	POLL_TRIES=300 test_poll test -e "$name.closed" || return 1
	kill "$(cat "$name.writer")" 2>/dev/null
	! grep -q "^HTTP/1.1 2" "$name.resp"
}

start_lfs_server --config server.cfg

test_expect_success 'setup: server up' '
	server_started
'

test_expect_success 'request line and headers trickled: dropped; /healthz answers meanwhile' '
	trickle headers "" "POST /r/info/lfs/objects/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/vnd.git-lfs+json\r\nContent-Length: 2\r\n\r\n{}" &&
	healthy &&
	healthy &&
	closed_by_server headers &&
	healthy
'

test_expect_success 'batch body trickled after fast headers: dropped' '
	body="{\"operation\":\"download\",\"objects\":[{\"oid\":\"$H\",\"size\":12}],\"ref\":{\"name\":\"refs/heads/main\"}}" &&
	trickle body "POST /r/info/lfs/objects/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/vnd.git-lfs+json\r\nContent-Length: ${#body}\r\n\r\n" "$body" &&
	healthy &&
	closed_by_server body &&
	healthy
'

test_expect_success 'object PUT headers trickled: dropped, no temp left' '
	trickle put "PUT /r/info/lfs/objects/$H HTTP/1.1\r\n" "Host: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 12\r\n\r\nhello world\n" &&
	healthy &&
	closed_by_server put &&
	tmp_emptied "$DATA" &&
	test -z "$(objects_snapshot)"
'

test_expect_success 'normal requests are not hurt by the short timeout' '
	test "$(batch r "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$H\",\"size\":12}]}")" = 200 &&
	printf "hello world\n" >hello.txt &&
	test "$(http_status PUT "$LFS_URL/r/info/lfs/objects/$H" -T hello.txt)" = 200
'

stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
