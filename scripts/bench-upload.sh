#!/bin/bash
# bench-upload.sh: the upload measurements of issue 12, outside make bench.
#   push SERVER_BIN [RUNS]   git-lfs push of 2,000 × 1–4 KB objects to a fresh
#                            lfs-server (SERVER_BIN), seconds per run
#   floor [RUNS]             the same push to a server that does no work
#                            (git-lfs's own floor)
#   big SERVER_BIN [MIB]     one upload of MIB MiB (default 1024): MB/s, with
#                            openssl dgst -sha256 and dd conv=fsync of the
#                            same file beside it
#   rss SERVER_BIN [N] [MIB] N (8) concurrent uploads of MIB (256) MiB each:
#                            the server's peak RSS (VmHWM)
# Work files go to $BENCH_DIR (default: a new directory under /tmp).
set -eu
export GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GIT_LFS_SKIP_SMUDGE=1
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/bench-upload.XXXXXX)}
mkdir -p "$BENCH_DIR"
export HOME=$BENCH_DIR/home
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.invalid
git config --global init.defaultBranch main
git lfs install --skip-repo >/dev/null

die() { echo "bench-upload: $*" >&2; exit 1; }
now() { date +%s.%N; }

SRV_PID=
stop_server() {
	[ -n "$SRV_PID" ] || return 0
	kill -TERM "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
}
trap stop_server EXIT

start_lfs() { # BIN DATA
	local log=$BENCH_DIR/server.log i=0 line=
	rm -rf "$2"
	"$1" --listen 127.0.0.1:0 --data "$2" 2>"$log" &
	SRV_PID=$!
	while [ $i -lt 200 ]; do
		line=$(grep -m1 '^listening on http' "$log" 2>/dev/null || true)
		[ -n "$line" ] && break
		kill -0 "$SRV_PID" 2>/dev/null || { cat "$log" >&2; die "server exited"; }
		sleep 0.05
		i=$((i + 1))
	done
	[ -n "$line" ] || die "server not ready"
	URL=${line#listening on }
}

# A server that answers every batch with upload actions and every PUT with
# 200 without storing anything: what git-lfs costs by itself.
start_floor() {
	local log=$BENCH_DIR/floor.log i=0
	python3 - >"$log" 2>&1 <<'PY' &
import http.server, json, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        base = "http://%s:%d" % self.server.server_address
        out = {"transfer": "basic", "objects": [
            {"oid": o["oid"], "size": o["size"],
             "actions": {"upload": {"href": base + "/o/" + o["oid"]}}}
            for o in body["objects"]]}
        b = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.git-lfs+json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_PUT(self):
        n = int(self.headers.get("Content-Length", 0))
        while n > 0:
            n -= len(self.rfile.read(min(n, 1 << 16)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
print("listening on http://127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
PY
	SRV_PID=$!
	while [ $i -lt 200 ]; do
		URL=$(sed -n 's/^listening on //p' "$log")
		[ -n "$URL" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	die "floor server not ready"
}

# The repo: 2,000 objects of 1–4 KB, made once per BENCH_DIR.
make_repo() {
	local r=$BENCH_DIR/repo
	[ -d "$r/.git" ] && return 0
	git init -q "$r"
	git init -q --bare "$BENCH_DIR/remote.git"
	(cd "$r" && git lfs track '*.bin' >/dev/null &&
	 python3 -c '
import os, random
random.seed(12)
for i in range(2000):
    with open("f%04d.bin" % i, "wb") as f:
        f.write(os.urandom(random.randint(1024, 4096)))
' && git add -A && git commit -qm objects && git remote add origin "$BENCH_DIR/remote.git")
}

push_once() { # URL: seconds of one git lfs push --all
	local t0 t1
	(cd "$BENCH_DIR/repo" && git config lfs.url "$1/r/info/lfs" &&
	 git config lfs.locksverify false)
	t0=$(now)
	(cd "$BENCH_DIR/repo" && git lfs push --all origin >/dev/null 2>"$BENCH_DIR/push.err") ||
		{ tail -n 5 "$BENCH_DIR/push.err" "$BENCH_DIR/server.log" >&2; die "push failed"; }
	t1=$(now)
	echo "$t1 - $t0" | bc
}

case ${1:-} in
push)
	[ -x "${2:-}" ] || die "usage: $0 push SERVER_BIN [RUNS]"
	make_repo
	for _ in $(seq "${3:-5}"); do
		start_lfs "$2" "$BENCH_DIR/data"
		push_once "$URL"
		n=$(sqlite3 "$BENCH_DIR/data/meta.db" 'SELECT count(*) FROM journal')
		stop_server
		[ "$n" = 2000 ] || die "the server recorded $n objects, not 2000"
	done
	;;
floor)
	make_repo
	for _ in $(seq "${2:-5}"); do
		start_floor
		push_once "$URL"
		stop_server
	done
	;;
big)
	[ -x "${2:-}" ] || die "usage: $0 big SERVER_BIN [MIB]"
	mib=${3:-1024}
	f=$BENCH_DIR/big.bin
	[ -s "$f" ] || head -c $((mib << 20)) /dev/urandom >"$f"
	oid=$(sha256sum "$f" | cut -d' ' -f1)
	t0=$(now); openssl dgst -sha256 "$f" >/dev/null; t1=$(now)
	echo "openssl dgst -sha256: $(echo "$mib * 1.048576 / ($t1 - $t0)" | bc) MB/s"
	t0=$(now); dd if="$f" of="$BENCH_DIR/dd.out" bs=1M conv=fsync status=none; t1=$(now)
	rm -f "$BENCH_DIR/dd.out"
	echo "dd conv=fsync: $(echo "$mib * 1.048576 / ($t1 - $t0)" | bc) MB/s"
	start_lfs "$2" "$BENCH_DIR/data"
	t0=$(now)
	code=$(curl -s -o /dev/null -w '%{http_code}' -T "$f" "$URL/r/info/lfs/objects/$oid")
	t1=$(now)
	stop_server
	[ "$code" = 200 ] || die "upload answered $code"
	echo "upload: $(echo "$mib * 1.048576 / ($t1 - $t0)" | bc) MB/s"
	rm -rf "$BENCH_DIR/data"
	;;
rss)
	[ -x "${2:-}" ] || die "usage: $0 rss SERVER_BIN [N] [MIB]"
	n=${3:-8} mib=${4:-256}
	start_lfs "$2" "$BENCH_DIR/data"
	pids=
	for i in $(seq "$n"); do
		f=$BENCH_DIR/rss$i.bin
		[ -s "$f" ] || head -c $((mib << 20)) /dev/urandom >"$f"
		oid=$(sha256sum "$f" | cut -d' ' -f1)
		curl -s -o /dev/null -w '%{http_code}\n' -T "$f" "$URL/r/info/lfs/objects/$oid" \
			>"$BENCH_DIR/rss$i.code" &
		pids="$pids $!"
	done
	wait $pids
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$SRV_PID/status")
	stop_server
	cat "$BENCH_DIR"/rss*.code | sort | uniq -c
	echo "peak RSS: $hwm"
	rm -rf "$BENCH_DIR/data"
	;;
*)
	die "usage: $0 push|floor|big|rss ..."
	;;
esac
