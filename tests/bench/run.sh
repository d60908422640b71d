#!/usr/bin/env bash
# run.sh: `make bench`. Measures lfs-server against JGit's LFS server (a
# real peer, built from Debian's jars: tests/bench/jgit/), nginx and
# `openssl dgst -sha256` on this machine in one run, prints a Markdown
# table and writes docs/benchmarks.md (tests/bench/header.md + results).
#
# Exits 0 whatever the timings; non-zero only when something broke: a
# server that does not start or stop cleanly, a wrong hash, an error
# status, a missing tool.
#
# Knobs (for quick trials; the recorded run uses the defaults):
#   BENCH_BIG_MIB=1024  BENCH_RSS_MIB=256  BENCH_RSS_N=8  BENCH_RUNS=5
#   BENCH_WRK_SECONDS=4  BENCH_ORACLE_MIB=64  BENCH_OUT=docs/benchmarks.md  BENCH_NOTE="text"
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=$ROOT/build/bin
HERE=$ROOT/tests/bench
BIG_MIB=${BENCH_BIG_MIB:-1024}
RSS_MIB=${BENCH_RSS_MIB:-256}
RSS_N=${BENCH_RSS_N:-8}
RUNS=${BENCH_RUNS:-5}
WRK_SECS=${BENCH_WRK_SECONDS:-4}
ORACLE_MIB=${BENCH_ORACLE_MIB:-64}
OUT=${BENCH_OUT:-$ROOT/docs/benchmarks.md}
SMALL_N=100
SMALL_SIZE=1024
LFS_TYPE=application/vnd.git-lfs+json

say() { echo "bench: $*" >&2; }
die() {
	echo "bench: error: $*" >&2
	exit 1
}

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for t in curl openssl wrk perl awk java javac "$NGINX"; do
	command -v "$t" >/dev/null 2>&1 || die "missing $t (run scripts/deps.sh bench)"
done
[ -x "$BIN/lfs-server" ] || die "no $BIN/lfs-server: run make all first"

# --- work dir, cleanup ---------------------------------------------------

mkdir -p "$ROOT/build/bench"
WORK=$(mktemp -d "$ROOT/build/bench/run.XXXXXX")
LFS_PID=
NGINX_PID=
JOB_PIDS=()
# shellcheck source=tests/bench/lib-jgit.sh
. "$HERE/lib-jgit.sh"

# alive PID: the process runs (kill -0 also succeeds on an unreaped zombie).
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

kill_wait() { # PID: TERM, then KILL if it is still there after 10 s
	local pid=$1 i=0
	kill -TERM "$pid" 2>/dev/null || return 0
	while alive "$pid" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local pid
	for pid in "${JOB_PIDS[@]}" $LFS_PID $NGINX_PID $JGIT_PID; do
		kill_wait "$pid"
	done
	rm -rf "$WORK"
	rmdir "$ROOT/build/bench" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- small helpers ---------------------------------------------------------

now_ns() { date +%s%N; }
# median of the numbers given (the mean of the middle two for an even count)
median() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
		if (NR % 2) m = a[(NR + 1) / 2]; else m = (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.0f\n", m }'
}
# spread of the numbers given: "min–max"
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s–%s\n", lo, hi }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# met VALUE OP LIMIT -> yes/no
met() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
	ok = (op == ">=") ? (v >= l) : (v <= l); print ok ? "yes" : "**no**" }'; }
sha_of() { openssl dgst -sha256 -r "$1" | cut -c1-64; }
flush() { timeout 300 sync -f "$WORK" || die "sync of $WORK did not finish in 300 s"; }

# "BUSY TOTAL" jiffies of the whole machine since boot (steal counts as busy:
# it is someone else's work too).
cpu_ticks() { awk '/^cpu /{ print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat; }
# Sets CHILD_CPU to the CPU seconds used by this script's reaped children
# (servers, curl, wrk...). Call it plainly: `times` in a pipe or in $(...)
# would count the children of a subshell, none.
CHILD_CPU=
children_cpu() {
	times >"$WORK/times"
	CHILD_CPU=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) {
		split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }; print t }' "$WORK/times")
}

# Percentage of CPU time the whole machine spent busy over 2 s.
cpu_busy() {
	local a b
	a=$(awk '/^cpu /{ print $2+$3+$4+$7+$8+$9, $5+$6 }' /proc/stat)
	sleep 2
	b=$(awk '/^cpu /{ print $2+$3+$4+$7+$8+$9, $5+$6 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		busy = y[1] - x[1]; idle = y[2] - x[2];
		pct = 0; if (busy + idle > 0) pct = 100 * busy / (busy + idle); printf "%.0f", pct }'
}

# --- lfs-server ------------------------------------------------------------

LFS_URL=
start_lfs() { # DATA_DIR LOG
	local i=0 line=
	# Emptied here, not by the child's redirection: the loop below could
	# otherwise read the previous server's line before the child runs.
	: >"$2"
	"$BIN/lfs-server" --listen 127.0.0.1:0 --data "$1" 2>"$2" &
	LFS_PID=$!
	while [ $i -lt 200 ]; do
		line=$(grep -m1 '^listening on http' "$2" 2>/dev/null || true)
		[ -n "$line" ] && break
		alive "$LFS_PID" || { cat "$2" >&2; die "lfs-server exited during start"; }
		sleep 0.05
		i=$((i + 1))
	done
	[ -n "$line" ] || die "lfs-server did not become ready in 10 s"
	LFS_URL=${line#listening on }
}

stop_lfs() { # LOG: SIGTERM must end it with status 0 within 30 s
	local rc=0 pid=$LFS_PID i=0
	kill -TERM "$pid"
	while alive "$pid" && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	alive "$pid" && die "lfs-server still runs 30 s after SIGTERM"
	LFS_PID=
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] || { tail -n 20 "$1" >&2; die "lfs-server exited with status $rc on SIGTERM"; }
}

# ep REPO: our LFS endpoint for REPO (JGit's is $JGIT_URL, one for all).
ep() { echo "$LFS_URL/$1/info/lfs"; }

# lfs_batch ENDPOINT BODY_FILE OP: prints "OID HREF AUTH" lines for the action.
lfs_batch() {
	local answer
	answer=$(curl -sS -f --max-time 60 -H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" \
		--data-binary @"$2" "$1/objects/batch") || die "batch request to $1 failed"
	printf '%s' "$answer" | perl "$HERE/lfs-actions.pl" "$3" || die "bad batch answer from $1"
}

# sums FILE...: "OID SIZE PATH" per file.
sums() {
	local oid path
	openssl dgst -sha256 -r "$@" | while read -r oid path; do
		path=${path#\*}
		echo "$oid $(stat -c %s "$path") $path"
	done
}

# batch_body OP SUMS_FILE: a batch request naming each object in SUMS_FILE.
batch_body() {
	awk -v op="$1" 'BEGIN { printf "{\"operation\":\"%s\",\"transfers\":[\"basic\"],\"objects\":[", op }
		{ printf "%s{\"oid\":\"%s\",\"size\":%s}", (NR > 1 ? "," : ""), $1, $2 }
		END { printf "]}" }' "$2"
}

# put_all ENDPOINT SUMS_FILE: uploads every object of SUMS_FILE that the repo
# lacks through batch + PUT, in parallel; dies unless each answers 200.
# Sets PUT_SECS to the wall time of the PUTs.
PUT_SECS=
put_all() {
	local endpoint=$1 oid href auth size path t0 t1 pid code
	local -A file_of=()
	local pids=()
	while read -r oid size path; do
		file_of[$oid]=$path
	done <"$2"
	batch_body upload "$2" >"$WORK/put-all.json"
	lfs_batch "$endpoint" "$WORK/put-all.json" upload >"$WORK/put-all.actions"
	t0=$(now_ns)
	while read -r oid href auth; do
		[ "$href" != - ] || continue
		[ -n "${file_of[$oid]:-}" ] || die "batch answer names an oid we did not ask for: $oid"
		curl -sS --max-time 600 -o "$WORK/put-$oid.body" -w '%{http_code}' -H 'Expect:' \
			-H "Authorization: $auth" -T "${file_of[$oid]}" "$href" >"$WORK/put-$oid.code" &
		pid=$!
		pids+=("$pid")
		JOB_PIDS=("${pids[@]}")
		if [ ${#pids[@]} -ge "${PUT_PARALLEL:-1}" ]; then
			wait "${pids[0]}" || true
			pids=("${pids[@]:1}")
			JOB_PIDS=("${pids[@]}")
		fi
	done <"$WORK/put-all.actions"
	for pid in "${pids[@]}"; do
		wait "$pid" || true
	done
	t1=$(now_ns)
	JOB_PIDS=()
	PUT_SECS=$(awk -v d=$((t1 - t0)) 'BEGIN { print d / 1e9 }')
	while read -r oid href auth; do
		[ "$href" != - ] || continue
		code=$(cat "$WORK/put-$oid.code")
		[ "$code" = 200 ] || { cat "$WORK/put-$oid.body" >&2; die "PUT of $oid answered '$code'"; }
		rm -f "$WORK/put-$oid.code" "$WORK/put-$oid.body"
	done <"$WORK/put-all.actions"
}

# --- nginx -----------------------------------------------------------------

NGX=$WORK/nginx
NGX_PORT=
start_nginx() {
	local port i
	mkdir -p "$NGX/body" "$NGX/tmp" "$WORK/static" "$WORK/nginx-put"
	for _ in $(seq 1 20); do
		port=$((20000 + RANDOM % 40000))
		{
			# Workers of a root master otherwise run as nobody, who may not
			# read or write build/bench.
			[ "$(id -u)" = 0 ] && echo "user root;"
			cat <<-EOF
			worker_processes auto;
			daemon off;
			pid $NGX/nginx.pid;
			error_log $NGX/error.log warn;
			events { worker_connections 1024; }
			http {
			    access_log $NGX/access.log;
			    client_body_temp_path $NGX/body;
			    proxy_temp_path $NGX/tmp;
			    fastcgi_temp_path $NGX/tmp;
			    uwsgi_temp_path $NGX/tmp;
			    scgi_temp_path $NGX/tmp;
			    default_type application/octet-stream;
			    sendfile on;
			    keepalive_requests 100000000;
			    server {
			        listen 127.0.0.1:$port;
			        location /static/ { alias $WORK/static/; }
			        location /put/ {
			            alias $WORK/nginx-put/;
			            dav_methods PUT;
			            create_full_put_path on;
			            client_max_body_size 0;
			            client_body_temp_path $NGX/body;
			        }
			    }
			}
			EOF
		} >"$NGX/nginx.conf"
		: >"$NGX/error.log"
		"$NGINX" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" 2>"$NGX/stderr" &
		NGINX_PID=$!
		for i in $(seq 1 100); do
			if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
				NGX_PORT=$port
				return 0
			fi
			alive "$NGINX_PID" || break
			sleep 0.05
		done
		wait "$NGINX_PID" 2>/dev/null || true
		NGINX_PID=
		grep -qs 'Address already in use' "$NGX/error.log" "$NGX/stderr" ||
			{ cat "$NGX/stderr" "$NGX/error.log" >&2; die "nginx did not start"; }
	done
	die "nginx found no free port in 20 tries"
}

stop_nginx() {
	[ -n "$NGINX_PID" ] || return 0
	kill_wait "$NGINX_PID"
	NGINX_PID=
}

# --- wrk ---------------------------------------------------------------------

# wrk_rps THREADS CONNS URL [LUA]: prints requests/s; dies on error answers.
wrk_rps() {
	local out
	out=$(BENCH_BODY=$WORK/batch-body.json timeout $((WRK_SECS + 60)) \
		wrk -t"$1" -c"$2" -d"${WRK_SECS}s" --timeout 10s ${4:+-s "$4"} "$3" 2>&1) ||
		{ echo "$out" >&2; die "wrk failed on $3"; }
	if echo "$out" | grep -q 'Non-2xx'; then
		echo "$out" >&2
		die "error answers from $3"
	fi
	if echo "$out" | awk '/Socket errors:/ && ($4 + 0 || $6 + 0 || $8 + 0) { bad = 1 } END { exit !bad }'; then
		echo "$out" >&2
		die "socket errors on $3"
	fi
	echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f\n", $2; found = 1 } END { exit !found }' ||
		{ echo "$out" >&2; die "no Requests/sec in wrk's output"; }
}

# --- machine -----------------------------------------------------------------

NPROC=$(nproc)
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
KERNEL=$(uname -sr)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "measuring how busy the machine is before the run"
BUSY_BEFORE=$(cpu_busy)
say "work dir $WORK; CPU busy before start: $BUSY_BEFORE%, load $LOAD_BEFORE"
TICKS_START=$(cpu_ticks)
children_cpu
OURS_START=$CHILD_CPU

# --- files -------------------------------------------------------------------

BIG=$WORK/static/big.bin
BIG_BYTES=$((BIG_MIB * 1024 * 1024))
mkdir -p "$WORK/static" "$WORK/small" "$WORK/rss"
say "writing a $BIG_MIB MiB random file"
openssl rand -out "$BIG" "$BIG_BYTES"
[ "$(stat -c %s "$BIG")" = "$BIG_BYTES" ] || die "openssl rand wrote a short file"

start_nginx
NGX_URL=http://127.0.0.1:$NGX_PORT
say "nginx at $NGX_URL (pid $NGINX_PID)"

say "building JGit's LFS server (tests/bench/jgit/JgitLfsServer.java)"
jgit_build
mkdir -p "$WORK/jgit-data"
jgit_start serve "$WORK/jgit-data" "$WORK/jgit.log"
say "JGit LFS server at $JGIT_URL (pid $JGIT_PID)"

# timed_put ENDPOINT OID BYTES FILE: one upload through batch + PUT; prints MB/s.
timed_put() {
	local acts href auth res code secs
	printf '{"operation":"upload","transfers":["basic"],"objects":[{"oid":"%s","size":%s}]}' \
		"$2" "$3" >"$WORK/up.json"
	acts=$(lfs_batch "$1" "$WORK/up.json" upload)
	read -r _ href auth <<<"$acts"
	[ "$href" != - ] || die "$1 claims to hold the object already"
	flush
	res=$(curl -sS --max-time 600 -o "$WORK/resp" -w '%{http_code} %{time_total}' \
		-H 'Expect:' -H "Authorization: $auth" -T "$4" "$href") || die "upload to $1 failed"
	read -r code secs <<<"$res"
	[ "$code" = 200 ] || { cat "$WORK/resp" >&2; die "upload to $1 answered $code"; }
	mbps "$3" "$secs"
}

# --- 1. upload ---------------------------------------------------------------

UP_OURS=() UP_BUF=() UP_NGINX=() UP_SSL=() DISK=() UP_JGIT=()
BIG_OID=
# Run 0 is the warm-up (JGit's JIT above all): run, checked, not recorded.
keep() { [ "$run" -gt 0 ]; }
for run in $(seq 0 "$RUNS"); do
	say "upload run $run/$RUNS"

	flush
	t0=$(now_ns)
	oid=$(timeout 300 openssl dgst -sha256 -r "$BIG" | cut -c1-64) || die "openssl dgst failed"
	t1=$(now_ns)
	[ -z "$BIG_OID" ] && BIG_OID=$oid
	[ "$oid" = "$BIG_OID" ] || die "openssl gave two hashes for one file"
	keep && UP_SSL+=("$(mbps "$BIG_BYTES" "$(awk -v d=$((t1 - t0)) 'BEGIN { print d / 1e9 }')")")
	# A fresh server and data dir per run: the object must be new to the
	# store, or the run would also pay for deleting a 1 GiB temp file that
	# lost the race to link (a real first upload only removes a name).
	if [ -n "$LFS_PID" ]; then
		stop_lfs "$WORK/server.log"
	fi
	rm -rf "$WORK/data"
	start_lfs "$WORK/data" "$WORK/server.log"
	say "lfs-server at $LFS_URL (pid $LFS_PID)"
	r=$(timed_put "$(ep bench/up)" "$BIG_OID" "$BIG_BYTES" "$BIG")
	keep && UP_OURS+=("$r")
	# The same upload through the page cache (LFS_STORE_BUFFERED=1, what
	# a file system that refuses O_DIRECT gets): the other way of the
	# issue's "hash from what was written, or O_DIRECT — measure both".
	stop_lfs "$WORK/server.log"
	rm -rf "$WORK/data"
	LFS_STORE_BUFFERED=1 start_lfs "$WORK/data" "$WORK/server.log"
	r=$(timed_put "$(ep bench/up)" "$BIG_OID" "$BIG_BYTES" "$BIG")
	keep && UP_BUF+=("$r")

	# JGit keeps running (its JIT stays warm); its copy is deleted instead.
	rm -rf "${WORK:?}/jgit-data/${BIG_OID:0:2}"
	r=$(timed_put "$JGIT_URL" "$BIG_OID" "$BIG_BYTES" "$BIG")
	keep && UP_JGIT+=("$r")

	# Same for nginx: overwriting would free the old file's blocks in the
	# timed PUT.
	rm -f "$WORK/nginx-put/big.bin"
	flush
	res=$(curl -sS --max-time 600 -o /dev/null -w '%{http_code} %{time_total}' \
		-H 'Expect:' -T "$BIG" "$NGX_URL/put/big.bin") || die "PUT to nginx failed"
	read -r code secs <<<"$res"
	case $code in 201 | 204) ;; *) die "nginx PUT answered $code" ;; esac
	keep && UP_NGINX+=("$(mbps "$BIG_BYTES" "$secs")")

	# The disk's own write + fsync limit, for reading the upload figures.
	flush
	t0=$(now_ns)
	timeout 600 dd if="$BIG" of="$WORK/dd.bin" bs=1M conv=fsync status=none || die "dd failed"
	t1=$(now_ns)
	rm -f "$WORK/dd.bin"
	keep && DISK+=("$(mbps "$BIG_BYTES" "$(awk -v d=$((t1 - t0)) 'BEGIN { print d / 1e9 }')")")
done
cmp -s "$BIG" "$WORK/nginx-put/big.bin" || die "nginx stored other bytes than it was sent"
rm -f "$WORK/nginx-put/big.bin"
[ "$(sha_of "$WORK/jgit-data/${BIG_OID:0:2}/${BIG_OID:2:2}/$BIG_OID")" = "$BIG_OID" ] ||
	die "JGit stored other bytes than it was sent"
say "upload: ours ${UP_OURS[*]}, ours buffered ${UP_BUF[*]}, JGit ${UP_JGIT[*]}, openssl ${UP_SSL[*]}, nginx ${UP_NGINX[*]}, dd ${DISK[*]} MB/s"

# --- 2. download -------------------------------------------------------------

printf '{"operation":"download","transfers":["basic"],"objects":[{"oid":"%s","size":%s}]}' \
	"$BIG_OID" "$BIG_BYTES" >"$WORK/down.json"
acts=$(lfs_batch "$(ep bench/up)" "$WORK/down.json" download)
read -r _ DL_HREF DL_AUTH <<<"$acts"
[ "$DL_HREF" != - ] || die "no download action for the uploaded object"
got=$(curl -sS -f --max-time 600 -H "Authorization: $DL_AUTH" "$DL_HREF" | openssl dgst -sha256 -r | cut -c1-64)
[ "$got" = "$BIG_OID" ] || die "download hashes to $got, not $BIG_OID"
acts=$(lfs_batch "$JGIT_URL" "$WORK/down.json" download)
read -r _ JG_HREF JG_AUTH <<<"$acts"
[ "$JG_HREF" != - ] || die "no download action from JGit for the uploaded object"
got=$(curl -sS -f --max-time 600 -H "Authorization: $JG_AUTH" "$JG_HREF" | openssl dgst -sha256 -r | cut -c1-64)
[ "$got" = "$BIG_OID" ] || die "download from JGit hashes to $got, not $BIG_OID"

# timed_get HREF AUTH WHO: one download to /dev/null; prints MB/s.
timed_get() {
	local res code size secs
	res=$(curl -sS --max-time 600 -o /dev/null -w '%{http_code} %{size_download} %{time_total}' \
		${2:+-H "Authorization: $2"} "$1") || die "download from $3 failed"
	read -r code size secs <<<"$res"
	[ "$code" = 200 ] && [ "$size" = "$BIG_BYTES" ] || die "$3 answered $code with $size bytes"
	mbps "$BIG_BYTES" "$secs"
}

DL_OURS=() DL_NGINX=() DL_JGIT=()
for run in $(seq 0 "$RUNS"); do
	say "download run $run/$RUNS"
	r=$(timed_get "$DL_HREF" "$DL_AUTH" "our server")
	keep && DL_OURS+=("$r")
	r=$(timed_get "$JG_HREF" "$JG_AUTH" JGit)
	keep && DL_JGIT+=("$r")

	res=$(curl -sS --max-time 600 -o /dev/null -w '%{http_code} %{size_download} %{time_total}' \
		"$NGX_URL/static/big.bin") || die "download from nginx failed"
	read -r code size secs <<<"$res"
	[ "$code" = 200 ] && [ "$size" = "$BIG_BYTES" ] || die "nginx answered $code with $size bytes"
	keep && DL_NGINX+=("$(mbps "$BIG_BYTES" "$secs")")
done
say "download: ours ${DL_OURS[*]}, JGit ${DL_JGIT[*]}, nginx ${DL_NGINX[*]} MB/s"

# 32 concurrent downloads (issue 12: ours >= nginx's aggregate): wrk keeps
# 32 connections fetching one $ORACLE_MIB MiB object for WRK_SECS; wrk
# counts every byte read, finished answers or not.
# wrk_mbps URL [HEADER]: aggregate MB/s.
wrk_mbps() {
	local out
	out=$(timeout $((WRK_SECS + 60)) wrk -t"$NPROC" -c32 -d"${WRK_SECS}s" --timeout 30s \
		${2:+-H "$2"} "$1" 2>&1) || { echo "$out" >&2; die "wrk failed on $1"; }
	if echo "$out" | grep -q 'Non-2xx'; then
		echo "$out" >&2
		die "error answers from $1"
	fi
	echo "$out" | awk '/^Transfer\/sec:/ { v = $2; m = 1
		if (v ~ /KB$/) m = 1024; else if (v ~ /MB$/) m = 1048576; else if (v ~ /GB$/) m = 1073741824
		sub(/[KMG]?B$/, "", v); printf "%.0f\n", v * m / 1e6; found = 1 } END { exit !found }' ||
		{ echo "$out" >&2; die "no Transfer/sec in wrk's output"; }
}
openssl rand -out "$WORK/static/mid.bin" $((ORACLE_MIB * 1024 * 1024))
sums "$WORK/static/mid.bin" >"$WORK/mid.sums"
PUT_PARALLEL=1 put_all "$(ep bench/up)" "$WORK/mid.sums"
batch_body download "$WORK/mid.sums" >"$WORK/mid.json"
read -r _ MID_HREF MID_AUTH <<<"$(lfs_batch "$(ep bench/up)" "$WORK/mid.json" download)"
[ "$MID_HREF" != - ] || die "no download action for the $ORACLE_MIB MiB object"
D32_OURS=() D32_NGINX=()
for run in $(seq 0 "$RUNS"); do
	say "32 concurrent downloads, run $run/$RUNS (2 × ${WRK_SECS} s of wrk)"
	r=$(wrk_mbps "$MID_HREF" "Authorization: $MID_AUTH")
	keep && D32_OURS+=("$r")
	r=$(wrk_mbps "$NGX_URL/static/mid.bin")
	keep && D32_NGINX+=("$r")
done
rm -f "$WORK/static/mid.bin"
say "32 concurrent downloads, MB/s: ours ${D32_OURS[*]}, nginx ${D32_NGINX[*]}"


# --- 3. batch ----------------------------------------------------------------

say "uploading $SMALL_N small objects"
openssl rand -out "$WORK/small.all" $((SMALL_N * SMALL_SIZE))
split -b "$SMALL_SIZE" -d -a 3 "$WORK/small.all" "$WORK/small/s"
rm -f "$WORK/small.all"
sums "$WORK"/small/s* >"$WORK/small.sums"
[ "$(wc -l <"$WORK/small.sums")" = "$SMALL_N" ] || die "expected $SMALL_N small files"
PUT_PARALLEL=1 put_all "$(ep bench/batch)" "$WORK/small.sums"

batch_body download "$WORK/small.sums" >"$WORK/batch-body.json"
curl -sS -f --max-time 60 -o "$WORK/static/batch.json" -H "Accept: $LFS_TYPE" \
	-H "Content-Type: $LFS_TYPE" --data-binary @"$WORK/batch-body.json" \
	"$LFS_URL/bench/batch/info/lfs/objects/batch" || die "download batch failed"
n=$(perl "$HERE/lfs-actions.pl" download <"$WORK/static/batch.json" | grep -vc '	-	') ||
	die "bad download batch answer"
[ "$n" = "$SMALL_N" ] || die "download batch gave $n actions, not $SMALL_N"
BATCH_BYTES=$(stat -c %s "$WORK/static/batch.json")

# The same 100 objects in JGit's store; its batch URL has no repo part.
PUT_PARALLEL=1 put_all "$JGIT_URL" "$WORK/small.sums"
curl -sS -f --max-time 60 -o "$WORK/jgit-batch.json" -H "Accept: $LFS_TYPE" \
	-H "Content-Type: $LFS_TYPE" --data-binary @"$WORK/batch-body.json" \
	"$JGIT_URL/objects/batch" || die "download batch to JGit failed"
n=$(perl "$HERE/lfs-actions.pl" download <"$WORK/jgit-batch.json" | grep -vc '	-	') ||
	die "bad download batch answer from JGit"
[ "$n" = "$SMALL_N" ] || die "JGit's download batch gave $n actions, not $SMALL_N"
JG_BATCH_BYTES=$(stat -c %s "$WORK/jgit-batch.json")
OURS_BATCH_URL=$(ep bench/batch)/objects/batch

B1_OURS=() B1_NGINX=() B16_OURS=() B16_NGINX=() B1_JGIT=() B16_JGIT=()
for run in $(seq 0 "$RUNS"); do
	say "batch run $run/$RUNS (6 × ${WRK_SECS} s of wrk)"
	r=$(wrk_rps 1 1 "$OURS_BATCH_URL" "$HERE/batch.lua")
	keep && B1_OURS+=("$r")
	r=$(wrk_rps 1 1 "$JGIT_URL/objects/batch" "$HERE/batch.lua")
	keep && B1_JGIT+=("$r")
	r=$(wrk_rps 1 1 "$NGX_URL/static/batch.json")
	keep && B1_NGINX+=("$r")
	r=$(wrk_rps "$NPROC" 16 "$OURS_BATCH_URL" "$HERE/batch.lua")
	keep && B16_OURS+=("$r")
	r=$(wrk_rps "$NPROC" 16 "$JGIT_URL/objects/batch" "$HERE/batch.lua")
	keep && B16_JGIT+=("$r")
	r=$(wrk_rps "$NPROC" 16 "$NGX_URL/static/batch.json")
	keep && B16_NGINX+=("$r")
done
say "batch req/s, 1 conn: ours ${B1_OURS[*]}, JGit ${B1_JGIT[*]}, nginx ${B1_NGINX[*]}"
say "batch req/s, 16 conns: ours ${B16_OURS[*]}, JGit ${B16_JGIT[*]}, nginx ${B16_NGINX[*]}"
jgit_stop

stop_nginx
stop_lfs "$WORK/server.log"
rm -rf "$WORK/data" "$WORK/nginx-put" "$WORK/small"

# --- 4. memory -----------------------------------------------------------------

say "writing $RSS_N files of $RSS_MIB MiB"
for i in $(seq 1 "$RSS_N"); do
	openssl rand -out "$WORK/rss/r$i" $((RSS_MIB * 1024 * 1024))
done
sums "$WORK"/rss/r* >"$WORK/rss.sums"
flush
start_lfs "$WORK/data-rss" "$WORK/server-rss.log"
HWM_IDLE=$(awk '/^VmHWM:/ { print $2 }' "/proc/$LFS_PID/status")
say "$RSS_N concurrent uploads of $RSS_MIB MiB (server VmHWM idle: $HWM_IDLE kB)"
PUT_PARALLEL=$RSS_N put_all "$(ep bench/rss)" "$WORK/rss.sums"
HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$LFS_PID/status")
RSS_AGG=$(mbps $((RSS_N * RSS_MIB * 1024 * 1024)) "$PUT_SECS")
n=$(find "$WORK/data-rss/objects" -type f | wc -l)
[ "$n" = "$RSS_N" ] || die "the store holds $n objects after $RSS_N uploads"
stop_lfs "$WORK/server-rss.log"
HWM_MIB=$(awk -v k="$HWM" 'BEGIN { printf "%.1f", k / 1024 }')
say "peak RSS $HWM_MIB MiB, aggregate $RSS_AGG MB/s"

# --- 5. no oracle for other repos' objects -----------------------------------------

# An upload of an object the store already holds (through another repo,
# maybe a private one) must cost what a new one costs, or its timing tells
# the uploader what other repos hold (docs/security.md).  Same bytes, new
# to the store, then to a second repo; milliseconds of the PUT.
ORACLE=$WORK/oracle/o.bin
mkdir -p "$WORK/oracle"
openssl rand -out "$ORACLE" $((ORACLE_MIB * 1024 * 1024))
sums "$ORACLE" >"$WORK/oracle.sums"
OR_NEW=() OR_HELD=()
for run in $(seq 1 "$RUNS"); do
	say "upload of a stored object, run $run/$RUNS ($ORACLE_MIB MiB, new, then to another repo)"
	rm -rf "$WORK/data-oracle"
	start_lfs "$WORK/data-oracle" "$WORK/server-oracle.log"
	flush
	PUT_PARALLEL=1 put_all "$(ep bench/private)" "$WORK/oracle.sums"
	OR_NEW+=("$(awk -v s="$PUT_SECS" 'BEGIN { printf "%.0f", s * 1000 }')")
	flush
	PUT_PARALLEL=1 put_all "$(ep bench/other)" "$WORK/oracle.sums"
	OR_HELD+=("$(awk -v s="$PUT_SECS" 'BEGIN { printf "%.0f", s * 1000 }')")
	n=$(find "$WORK/data-oracle/objects" -type f | wc -l)
	[ "$n" = 1 ] || die "the store holds $n objects after two uploads of one"
	stop_lfs "$WORK/server-oracle.log"
done
rm -rf "$WORK/data-oracle" "$WORK/oracle"
say "upload of $ORACLE_MIB MiB, ms: new to the store ${OR_NEW[*]}, held by another repo ${OR_HELD[*]}"

# --- report ----------------------------------------------------------------------

# What the rest of the machine used while we ran: all busy time minus
# the CPU time of everything this script started.
TICKS_END=$(cpu_ticks)
children_cpu
OURS_END=$CHILD_CPU
OTHERS=$(awk -v a="$TICKS_START" -v b="$TICKS_END" -v o0="$OURS_START" -v o1="$OURS_END" \
	-v hz="$(getconf CLK_TCK)" 'BEGIN { split(a, x, " "); split(b, y, " ");
	busy = y[1] - x[1] - (o1 - o0) * hz; tot = y[2] - x[2]; if (busy < 0) busy = 0;
	pct = 0; if (tot > 0) pct = 100 * busy / tot; printf "%.0f", pct }')
say "measuring how busy the machine is after the run"
BUSY_AFTER=$(cpu_busy)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

up=$(median "${UP_OURS[@]}")
upbuf=$(median "${UP_BUF[@]}")
ssl=$(median "${UP_SSL[@]}")
ngput=$(median "${UP_NGINX[@]}")
disk=$(median "${DISK[@]}")
dl=$(median "${DL_OURS[@]}")
d32=$(median "${D32_OURS[@]}")
ngd32=$(median "${D32_NGINX[@]}")
r_d32=$(ratio "$d32" "$ngd32")
ngdl=$(median "${DL_NGINX[@]}")
b1=$(median "${B1_OURS[@]}")
nb1=$(median "${B1_NGINX[@]}")
b16=$(median "${B16_OURS[@]}")
orn=$(median "${OR_NEW[@]}")
orh=$(median "${OR_HELD[@]}")
nb16=$(median "${B16_NGINX[@]}")
r_ssl=$(ratio "$up" "$ssl")
r_put=$(ratio "$up" "$ngput")
r_dl=$(ratio "$dl" "$ngdl")
r_b1=$(ratio "$b1" "$nb1")
r_b16=$(ratio "$b16" "$nb16")
r_or=$(ratio "$orh" "$orn")
jup=$(median "${UP_JGIT[@]}")
jdl=$(median "${DL_JGIT[@]}")
jb1=$(median "${B1_JGIT[@]}")
jb16=$(median "${B16_JGIT[@]}")
# The upload limit is the slower of hashing and the disk.
uplim=$(awk -v a="$ssl" -v b="$disk" 'BEGIN { print (a < b) ? a : b }')
r_lim=$(ratio "$up" "$uplim")
r_buf=$(ratio "$upbuf" "$uplim")

threads="see lfs-server/server/http.c"
grep -q MHD_USE_THREAD_PER_CONNECTION lfs-server/server/http.c && threads="one thread per connection"
memlimit=$(sed -n 's/^#define CONN_MEMORY_LIMIT[[:space:]]*\(.*\)$/\1/p' lfs-server/server/http.c | head -1)
if [ -n "$memlimit" ]; then
	memlimit=$((memlimit))
	if [ $((memlimit % 1048576)) = 0 ]; then
		memlimit="$((memlimit / 1048576)) MiB"
	else
		memlimit="$((memlimit / 1024)) KiB"
	fi
else
	memlimit="the library's default"
fi

loaded=no
if [ "$BUSY_BEFORE" -ge 20 ] || [ "$BUSY_AFTER" -ge 20 ] || [ "$OTHERS" -ge 10 ] ||
	awk -v l="${LOAD_BEFORE%% *}" -v n="$NPROC" 'BEGIN { exit !(l >= n / 2) }'; then
	loaded=yes
fi
GIB="$(awk -v m="$BIG_MIB" 'BEGIN { printf "%g", m / 1024 }') GiB"

table() {
	cat <<-EOF
	| metric | ours | reference | ratio | target | met? |
	| --- | --- | --- | --- | --- | --- |
	| upload $GIB, MB/s (hash + fsync) | $up | $uplim (min of openssl dgst -sha256 $ssl, dd conv=fsync $disk) | $r_lim | >= 0.8 | $(met "$r_lim" ">=" 0.8) |
	| upload $GIB, MB/s, against hashing alone | $up | $ssl (openssl dgst -sha256) | $r_ssl | — | — |
	| upload $GIB through the page cache (LFS_STORE_BUFFERED=1), MB/s | $upbuf | $uplim (same) | $r_buf | — | — |
	| upload $GIB, MB/s | $up | $ngput (nginx WebDAV PUT, no hash, no fsync) | $r_put | — | — |
	| download $GIB, MB/s | $dl | $ngdl (nginx static, sendfile) | $r_dl | >= 1.0 | $(met "$r_dl" ">=" 1.0) |
	| 32 concurrent downloads of $ORACLE_MIB MiB, MB/s (aggregate) | $d32 | $ngd32 (nginx static, sendfile) | $r_d32 | >= 1.0 | $(met "$r_d32" ">=" 1.0) |
	| batch of $SMALL_N objects, req/s, 1 connection | $b1 | $nb1 (nginx static file of $BATCH_BYTES bytes) | $r_b1 | >= 0.25 | $(met "$r_b1" ">=" 0.25) |
	| batch of $SMALL_N objects, req/s, 16 connections | $b16 | $nb16 (same) | $r_b16 | — | — |
	| peak RSS, $RSS_N concurrent $RSS_MIB MiB uploads, MiB | $HWM_MIB | — | — | <= 64 | $(met "$HWM_MIB" "<=" 64) |
	| upload $ORACLE_MIB MiB that another repo holds, ms | $orh | $orn (same bytes, new to the store) | $r_or | ≈ 1 (no oracle) | — |
	EOF
}

# Ours beside JGit's LFS server: medians with the spread (min–max) of the runs.
peers() {
	cat <<-EOF
	| path | ours | JGit LFS server | ours ÷ JGit | target | met? |
	| --- | --- | --- | --- | --- | --- |
	| upload $GIB, MB/s | $up ($(spread "${UP_OURS[@]}")) | $jup ($(spread "${UP_JGIT[@]}")) | $(ratio "$up" "$jup") | — | — |
	| download $GIB, MB/s | $dl ($(spread "${DL_OURS[@]}")) | $jdl ($(spread "${DL_JGIT[@]}")) | $(ratio "$dl" "$jdl") | — | — |
	| batch of $SMALL_N objects, req/s, 1 connection | $b1 ($(spread "${B1_OURS[@]}")) | $jb1 ($(spread "${B1_JGIT[@]}")) | $(ratio "$b1" "$jb1") | >= 2 | $(met "$(ratio "$b1" "$jb1")" ">=" 2) |
	| batch of $SMALL_N objects, req/s, 16 connections | $b16 ($(spread "${B16_OURS[@]}")) | $jb16 ($(spread "${B16_JGIT[@]}")) | $(ratio "$b16" "$jb16") | >= 2 | $(met "$(ratio "$b16" "$jb16")" ">=" 2) |
	EOF
}

report() {
	cat "$HERE/header.md"
	cat <<-EOF

	## Results

	<!-- Written by tests/bench/run.sh; rerun \`make bench\` to refresh. -->

	Run of $(date -u '+%Y-%m-%d %H:%M UTC').

	EOF
	table
	cat <<-EOF

	### Beside JGit's LFS server

	Same run, same files, same loopback: JGit $(dpkg-query -W -f '${Version}' libjgit-java 2>/dev/null || echo '?')'s
	\`org.eclipse.jgit.lfs.server\` (LfsProtocolServlet + FileLfsServlet over a
	FileLfsRepository, tests/bench/jgit/) on Jetty $(dpkg-query -W -f '${Version}' libjetty9-java 2>/dev/null || echo '?'),
	$(java -version 2>&1 | head -1). JGit neither fsyncs nor answers a batch
	with per-object tokens; its batch answer for the same $SMALL_N objects is
	$JG_BATCH_BYTES bytes (ours $BATCH_BYTES). Median (min–max) of $RUNS runs after a warm-up run.

	EOF
	peers
	cat <<-EOF

	Context (no targets): the disk itself writes and fsyncs $GIB at
	$disk MB/s (\`dd conv=fsync\`); $RSS_N concurrent $RSS_MIB MiB uploads
	went in at $RSS_AGG MB/s together; the server's VmHWM was
	$(awk -v k="$HWM_IDLE" 'BEGIN { printf "%.1f", k / 1024 }') MiB idle, before them.

	Every run (median in the table):

	| figure | runs |
	| --- | --- |
	| upload, ours, MB/s | ${UP_OURS[*]} |
	| upload, ours through the page cache, MB/s | ${UP_BUF[*]} |
	| upload, JGit, MB/s | ${UP_JGIT[*]} |
	| openssl dgst -sha256, MB/s | ${UP_SSL[*]} |
	| nginx PUT, MB/s | ${UP_NGINX[*]} |
	| dd conv=fsync, MB/s | ${DISK[*]} |
	| download, ours, MB/s | ${DL_OURS[*]} |
	| download, JGit, MB/s | ${DL_JGIT[*]} |
	| download, nginx, MB/s | ${DL_NGINX[*]} |
	| 32 concurrent downloads, ours, MB/s | ${D32_OURS[*]} |
	| 32 concurrent downloads, nginx, MB/s | ${D32_NGINX[*]} |
	| batch, 1 connection, ours, req/s | ${B1_OURS[*]} |
	| batch, 1 connection, JGit, req/s | ${B1_JGIT[*]} |
	| static, 1 connection, nginx, req/s | ${B1_NGINX[*]} |
	| batch, 16 connections, ours, req/s | ${B16_OURS[*]} |
	| batch, 16 connections, JGit, req/s | ${B16_JGIT[*]} |
	| static, 16 connections, nginx, req/s | ${B16_NGINX[*]} |
	| upload $ORACLE_MIB MiB, new to the store, ms | ${OR_NEW[*]} |
	| upload $ORACLE_MIB MiB, held by another repo, ms | ${OR_HELD[*]} |

	## Machine and versions

	- $NPROC CPUs: $CPU; $KERNEL
	- $("$BIN/lfs-server" --version 2>&1 | head -1), libmicrohttpd $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo '?');
	  $threads, connection memory limit $memlimit (lfs-server/server/http.c)
	- $("$NGINX" -v 2>&1 | head -1 | sed 's/^nginx version: //'), worker_processes auto ($NPROC workers)
	- $(openssl version)
	- $(curl --version | head -1 | cut -d' ' -f1-2), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) (wrk threads: 1 for 1 connection, $NPROC for 16)
	- Sizes: $GIB object, $SMALL_N objects of $SMALL_SIZE bytes, $RSS_N × $RSS_MIB MiB; $RUNS runs after a warm-up run (upload, download, batch); wrk ${WRK_SECS} s per run.
	- Machine load: other processes used $OTHERS% of the machine's CPU time during
	  the run (all busy time minus what the benchmark's own processes used); the
	  whole machine was $BUSY_BEFORE% busy just before the run and $BUSY_AFTER% just
	  after it (2 s samples); load average $LOAD_BEFORE before, $LOAD_AFTER after.
	EOF
	if [ "$loaded" = yes ]; then
		cat <<-EOF

		**This run was recorded on a loaded machine** (other work was using
		the CPUs): the figures are noisy and the ratios are the part to read.
		EOF
	fi
	if [ -n "${BENCH_NOTE:-}" ]; then
		printf '\n%s\n' "$BENCH_NOTE"
	fi
	# The scale figures (tests/bench/scale.sh, make bench SCALE=1) take
	# long to make: the last ones stay, with their own date.
	if [ -f "$OUT" ] && grep -qx '## Scale' "$OUT"; then
		echo
		# (blank lines held back: none trail the section)
		awk '/^## Scale$/ { on = 1; print; next } on && /^## / { exit }
			on && /^$/ { held = held "\n"; next } on { printf "%s%s\n", held, $0; held = "" }' "$OUT"
	fi
}

echo
table
echo
peers
echo
if [ "$loaded" = yes ]; then
	echo "(loaded machine: others used $OTHERS% of the CPU during the run; $BUSY_BEFORE% busy before, $BUSY_AFTER% after)"
fi
mkdir -p "$(dirname "$OUT")"
report >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
say "wrote ${OUT#"$ROOT"/}"
