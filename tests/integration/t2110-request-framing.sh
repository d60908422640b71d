#!/bin/bash
test_description='request smuggling: both Content-Length and Transfer-Encoding, conflicting lengths, HTTP/1.1 without Host get 400 before any handler runs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

H=a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447
B=/r/info/lfs/objects/batch
J='Content-Type: application/vnd.git-lfs+json\r\n'
D='{"operation":"download","objects":[]}'

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
PORT=${LFS_URL##*:}

# raw NAME REQUEST: sends REQUEST (printf escapes) on one connection, in
# one write, and keeps what comes back in NAME.resp; NAME.rc is 0 when
# the server closed the connection within 10 s (124 when it was still
# open).  The write runs in a subshell that ignores SIGPIPE: the server
# may answer and close before a client that sends more has finished.
raw() {
	local name="$1" req="$2" data
	printf -v data "$req"
	exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	(trap "" PIPE; printf "%s" "$data" >&3) 2>/dev/null
	timeout 10 cat <&3 >"$name.resp"
	echo $? >"$name.rc"
	exec 3<&- 3>&-
}

# Rows: status | connection closed after it (close, or - when the request
# asked for that itself) | answers expected (* = not counted: libmicrohttpd
# 0.9.75 repeats its own 400's status line) | json: our JSON refusal, lib:
# libmicrohttpd answers itself (contract.md: its answer stands) | name |
# request.
n=0
while IFS='|' read -r want closed answers ours name req; do
	case "$want" in ''|'#'*) continue ;; esac
	n=$((n + 1))
	req=${req//\{H\}/$H}
	req=${req//\{B\}/$B}
	req=${req//\{J\}/$J}
	req=${req//\{D\}/$D}
	test_expect_success "$name: $want" '
		raw row'$n' "$req" &&
		status=$(head -n1 row'$n'.resp | cut -d" " -f2) &&
		{ test "$status" = '"$want"' || { echo "got: $(cat row'$n'.resp)" >&2; false; }; } &&
		{ test "'"$answers"'" = "*" || test "$(grep -o "HTTP/1.1 [0-9]" row'$n'.resp | wc -l)" = "'"$answers"'"; } &&
		if test '"$closed"' = close; then test "$(cat row'$n'.rc)" = 0; fi &&
		if test '"$want"' = 400 && test '"$ours"' = json; then
			grep -qi "^Content-Type: application/vnd.git-lfs+json" row'$n'.resp &&
			grep -q "^{\"message\":\"bad request framing: " row'$n'.resp
		fi
	'
done <<'EOF'
400|close|1|json|PUT with Content-Length and Transfer-Encoding|PUT /r/info/lfs/objects/{H} HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nhello world\n\r\n0\r\n\r\n
400|close|1|json|Transfer-Encoding before Content-Length|PUT /r/info/lfs/objects/{H} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 12\r\n\r\nc\r\nhello world\n\r\n0\r\n\r\n
400|close|1|json|a request smuggled after a chunked body that claims a length|POST {B} HTTP/1.1\r\nHost: x\r\n{J}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n
400|close|1|json|two different Content-Length lines|POST {B} HTTP/1.1\r\nHost: x\r\n{J}Content-Length: 37\r\nContent-Length: 2\r\n\r\n{D}
400|close|*|lib|one Content-Length line with two values (libmicrohttpd refuses it)|POST {B} HTTP/1.1\r\nHost: x\r\n{J}Content-Length: 37, 2\r\n\r\n{D}
400|close|1|json|HTTP/1.1 without Host|GET /healthz HTTP/1.1\r\n\r\n
400|close|1|json|HTTP/1.1 batch without Host|POST {B} HTTP/1.1\r\n{J}Content-Length: 37\r\n\r\n{D}
200|-|1|-|two equal Content-Length lines|POST {B} HTTP/1.1\r\nHost: x\r\n{J}Content-Length: 37\r\nContent-Length: 37\r\nConnection: close\r\n\r\n{D}
200|-|1|-|chunked alone|POST {B} HTTP/1.1\r\nHost: x\r\n{J}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n25\r\n{D}\r\n0\r\n\r\n
200|-|1|-|HTTP/1.0 without Host|GET /healthz HTTP/1.0\r\n\r\n
200|-|2|-|keep-alive still works for well-framed requests|GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n
EOF

test_expect_success 'nothing was stored by the refused uploads' '
	test -z "$(objects_snapshot)" &&
	tmp_emptied "$DATA"
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
