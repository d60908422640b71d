#!/bin/bash
test_description='git-lfs end to end: an interrupted download resumes with a Range request (206)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# What git-lfs 3.3 does, found by experiment (and in tq/basic_download.go):
# - a download is written to a temp file .git/lfs/incomplete/<oid><random>;
#   only when the transfer fails (connection dropped, timeout) is it renamed
#   to .git/lfs/incomplete/<oid>.part.  A SIGKILLed client leaves the temp
#   file behind and the next run does not resume from it.
# - a later attempt (the retry in the same run, or the next run) hashes the
#   N bytes of <oid>.part and, if 0 < N < size-1, sends
#   "Range: bytes=N-(size-1)"; a 206 whose Content-Range starts at N is
#   appended, a 200 starts over, anything else re-downloads without Range.
#   With N >= size-1 the part is dropped and the whole object fetched.

SIZE=$((8 * 1024 * 1024 + 4321))

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
LFS_ENDPOINT="$LFS_URL/tock/libtock-c.git/info/lfs"

# A TCP proxy in front of the server that interrupts one download for real.
# The response to the first object GET through it is cut after CUT body
# bytes: it forwards the head and CUT bytes, then closes both sides (FIN,
# so the client does receive every forwarded byte).  With UPFILE other than
# "-" it then stays down (accepts and closes at once) until UPFILE exists.
# Everything else passes through.  Request heads are appended to REQLOG so
# the test can see the Range the client sends.
cat >cut-proxy.py <<'EOF'
import os, socket, sys, threading

up_port, cut, portfile, cutfile, reqlog, upfile = (int(sys.argv[1]), int(sys.argv[2]),
                                                   sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
lock = threading.Lock()
state = {"cut": False}

def is_down():
    return state["cut"] and upfile != "-" and not os.path.exists(upfile)

def close(*socks):
    for x in socks:
        try:
            x.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        x.close()

def client_to_server(c, s, conn):
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            line = d.split(b"\r\n", 1)[0]
            if line.startswith((b"GET ", b"POST ", b"PUT ", b"HEAD ")):
                with lock:
                    with open(reqlog, "ab") as f:
                        f.write(d.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
                    # Flag before forwarding: the response cannot come first.
                    if line.startswith(b"GET ") and b"/objects/" in line and not state["cut"]:
                        state["cut"] = True
                        conn["cut"] = True
            s.sendall(d)
    except OSError:
        pass
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def server_to_client(s, c, conn):
    head = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            if not conn.get("cut"):
                c.sendall(d)
                continue
            head += d
            end = head.find(b"\r\n\r\n")
            if end < 0 or len(head) < end + 4 + cut:
                continue
            c.sendall(head[:end + 4 + cut])
            break
    except OSError:
        pass
    close(c, s)
    if conn.get("cut"):
        with open(cutfile + ".tmp", "w") as f:
            f.write("%d\n" % cut)
        os.rename(cutfile + ".tmp", cutfile)

lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", 0))
lsock.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % lsock.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = lsock.accept()
    if is_down():
        c.close()
        continue
    # A small receive buffer (no autotuning) keeps the server from
    # handing the whole object to the kernel before the cut.
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.connect(("127.0.0.1", up_port))
    conn = {}
    threading.Thread(target=client_to_server, args=(c, s, conn), daemon=True).start()
    threading.Thread(target=server_to_client, args=(s, c, conn), daemon=True).start()
EOF

size_is() {
	test "$(stat -c %s "$1" 2>/dev/null)" = "$2"
}

# A clone whose work tree still holds the pointer.
pointer_clone() {
	GIT_LFS_SKIP_SMUDGE=1 git clone -q origin.git "$1" &&
	git -C "$1" config lfs.url "$2" &&
	mkdir -p "$1/.git/lfs/incomplete"
}

test_expect_success 'setup: one large object on the server' '
	git lfs install --skip-repo &&
	git init -q --bare origin.git &&
	git init -q work &&
	(
		cd work &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git lfs track "*.bin" &&
		make_file big.bin $SIZE seed-resume &&
		git add .gitattributes big.bin &&
		git commit -q -m big &&
		git push -q origin main
	) &&
	sha256_of work/big.bin >oid &&
	test "$(sha256_of "$(obj_path "$DATA" "$(cat oid)")")" = "$(cat oid)"
'

test_expect_success 'a partial download left in incomplete/ is resumed with a 206' '
	N=3000001 &&
	oid=$(cat oid) &&
	pointer_clone c1 "$LFS_ENDPOINT" &&
	head -c $N work/big.bin >"c1/.git/lfs/incomplete/$oid.part" &&
	(cd c1 && git lfs pull) &&
	cmp work/big.bin c1/big.bin &&
	test_path_is_missing "c1/.git/lfs/incomplete/$oid.part" &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/$oid\" 206 $((SIZE - N)) ")" -eq 1 &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/$oid\" 200 ")" -eq 0
'

# Background jobs cannot sit inside an && chain (the whole chain would go
# to the background), so these bodies stop with "|| exit 1" where needed;
# the EXIT trap of the body's subshell ends the proxy.
if ! command -v python3 >/dev/null 2>&1; then
	test_skip 'a connection dropped mid-download (no python3 for the proxy)'
	test_skip 'a failed pull leaves <oid>.part (no python3 for the proxy)'
else
test_expect_success 'a connection dropped mid-download: the retry resumes with a 206' '
	N=1234567 &&
	oid=$(cat oid) &&
	mkdir p1 || exit 1
	python3 cut-proxy.py "${LFS_URL##*:}" $N p1/port p1/cut p1/reqlog - >p1/out 2>&1 &
	proxy=$!
	trap "kill $proxy 2>/dev/null" EXIT
	test_poll test -s p1/port &&
	pointer_clone c2 "http://127.0.0.1:$(cat p1/port)/tock/libtock-c.git/info/lfs" &&
	(cd c2 && git lfs pull) &&
	test -s p1/cut &&
	cmp work/big.bin c2/big.bin &&
	test_path_is_missing "c2/.git/lfs/incomplete/$oid.part" &&
	# First GET without Range (cut), then the resumed one.
	test "$(grep -c "^GET /tock/libtock-c/info/lfs/objects/$oid " p1/reqlog)" -eq 2 &&
	test "$(grep -c "^Range: " p1/reqlog)" -eq 1 &&
	grep -q "^Range: bytes=$N-$((SIZE - 1))" p1/reqlog &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/$oid\" 206 $((SIZE - N)) ")" -eq 1
'

test_expect_success 'a failed pull leaves <oid>.part; the next run resumes with a 206' '
	N=777777 &&
	oid=$(cat oid) &&
	part="c3/.git/lfs/incomplete/$oid.part" &&
	mkdir p2 || exit 1
	python3 cut-proxy.py "${LFS_URL##*:}" $N p2/port p2/cut p2/reqlog p2/up >p2/out 2>&1 &
	proxy=$!
	trap "kill $proxy 2>/dev/null" EXIT
	test_poll test -s p2/port &&
	pointer_clone c3 "http://127.0.0.1:$(cat p2/port)/tock/libtock-c.git/info/lfs" &&
	git -C c3 config lfs.transfer.maxretries 1 &&
	git -C c3 config lfs.transfer.maxretrydelay 1 &&
	(cd c3 && test_must_fail git lfs pull) &&
	test -s p2/cut &&
	size_is "$part" $N &&
	cmp -n $N work/big.bin "$part" &&
	test "$(grep -c "^Range: " p2/reqlog)" -eq 0 &&
	: >p2/up &&
	(cd c3 && git lfs pull) &&
	cmp work/big.bin c3/big.bin &&
	test_path_is_missing "$part" &&
	test "$(grep -c "^Range: " p2/reqlog)" -eq 1 &&
	grep -q "^Range: bytes=$N-$((SIZE - 1))" p2/reqlog &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/$oid\" 206 $((SIZE - N)) ")" -eq 1
'

# Complete 200 answers to GETs of $1 (the cut ones are logged "aborted").
whole_gets() {
	grep "\"GET /tock/libtock-c/info/lfs/objects/$1\" 200 $SIZE " "$LFS_LOG" | grep -vc aborted || true
}

aborted_gets_are() {
	test "$(grep -c "\"GET /tock/libtock-c/info/lfs/objects/$1\" 200 .* aborted" "$LFS_LOG")" -eq "$2"
}

# Each cut left more than the most the kernel can buffer for the server
# (tcp_wmem max, with the proxy's small receive buffer), so the server was
# still sending when the proxy closed: it must log those GETs as aborted.
wmem_max=$(awk '{print $3}' /proc/sys/net/ipv4/tcp_wmem 2>/dev/null)
if [ -n "$wmem_max" ] && [ "$wmem_max" -lt $((SIZE - 1234567 - 131072)) ]; then
	test_expect_success 'the server logged both cut GETs as aborted' '
		test_poll aborted_gets_are "$(cat oid)" 2
	'
else
	test_skip 'the server logged both cut GETs as aborted (tcp_wmem max too large)'
fi
fi

test_expect_success 'a part as long as the object or longer: fetched whole (200)' '
	oid=$(cat oid) &&
	pointer_clone c4 "$LFS_ENDPOINT" &&
	cp work/big.bin "c4/.git/lfs/incomplete/$oid.part" &&
	printf x >>"c4/.git/lfs/incomplete/$oid.part" &&
	gets=$(whole_gets "$oid") &&
	(cd c4 && git lfs pull) &&
	cmp work/big.bin c4/big.bin &&
	test "$(whole_gets "$oid")" -eq $((gets + 1))
'

stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
