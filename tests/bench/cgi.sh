#!/usr/bin/env bash
# cgi.sh: the CGI mode's half of `make bench` (standalone: run it alone).
# lfs-cgi installed with `lfs-cgi install` under a real Apache (Debian's
# userdir block plus CGI, as tests/integration/lib-cgi-apache.sh sets up)
# against lfs-server on the same machine, in the same run:
#
#   - a download batch of 100 objects, requests/s with wrk, 1 and 4
#     connections: Apache + CGI (one process per request) vs the daemon
#   - where one CGI request's time goes, without Apache: exec of a trivial
#     program, lfs-cgi's static start (--version), the same code linked
#     dynamically, the wrapper script, the whole batch request; and one
#     request's phases from strace timestamps (start, config, metadata
#     open, answer) plus its syscall summary (strace -c)
#   - a 100 MB download from the static tree (Apache serving the file the
#     CGI published) vs nginx serving the same file
#
# Prints a Markdown table; appends it to BENCH_OUT when that is set (run.sh
# sets it to docs/benchmarks.md).  Exits 0 whatever the timings; non-zero
# only when something broke.  Root runs the CGI as www-data (the account).
# Knobs: BENCH_RUNS=3 BENCH_WRK_SECONDS=4 BENCH_CGI_EXECS=100 BENCH_CGI_BIG_MIB=100
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
RUNS=${BENCH_RUNS:-3}
WRK_SECS=${BENCH_WRK_SECONDS:-4}
EXECS=${BENCH_CGI_EXECS:-100}
BIG_MIB=${BENCH_CGI_BIG_MIB:-100}
OUT=${BENCH_OUT:-}
N=100
LFS_TYPE=application/vnd.git-lfs+json

say() { echo "bench-cgi: $*" >&2; }
die() { echo "bench-cgi: error: $*" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for t in curl openssl wrk jq strace apache2 htpasswd "$NGINX"; do
	command -v "$t" >/dev/null 2>&1 || die "missing $t (run scripts/deps.sh bench)"
done
[ -x "$BIN/lfs-cgi" ] && [ -x "$BIN/lfs-server" ] || die "run make all cgi first"

mkdir -p "$ROOT/build/bench"
WORK=$(mktemp -d "$ROOT/build/bench/cgi.XXXXXX")
chmod 755 "$WORK"
ATEXIT=()
SERVER_PID=
NGINX_PID=
cleanup() {
	local c
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	for c in "${ATEXIT[@]}"; do eval "$c" || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The test libraries, with the two harness hooks they use.
TRASH=$WORK
APACHE_MODULES= APACHE_DIR_CONF= APACHE_CONF=
test_atexit() { ATEXIT+=("$1"); }
test_log_file() { :; }
# shellcheck source=../integration/lib-apache.sh
. "$ROOT/tests/integration/lib-apache.sh"
# shellcheck source=../integration/lib-cgi-apache.sh
. "$ROOT/tests/integration/lib-cgi-apache.sh"
cd "$WORK"

median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
sha_of() { openssl dgst -sha256 -r "$1" | cut -c1-64; }

wrk_rps() { # CONNS URL
	local out
	out=$(BENCH_BODY=$WORK/batch.json timeout $((WRK_SECS + 60)) \
		wrk -t1 -c"$1" -d"${WRK_SECS}s" --timeout 10s -s "$ROOT/tests/bench/batch.lua" "$2" 2>&1) ||
		{ echo "$out" >&2; die "wrk failed on $2"; }
	if echo "$out" | grep -q 'Non-2xx'; then echo "$out" >&2; die "error answers from $2"; fi
	echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f\n", $2; found = 1 } END { exit !found }' ||
		{ echo "$out" >&2; die "no Requests/sec from wrk"; }
}

# upload BASE_LFS_URL SUMS: batch + PUT of each "oid size file" line, as alice.
upload() {
	local body
	body=$(awk 'BEGIN { printf "{\"operation\":\"upload\",\"objects\":[" }
		{ printf "%s{\"oid\":\"%s\",\"size\":%s}", (NR > 1 ? "," : ""), $1, $2 }
		END { printf "]}" }' "$2")
	curl -sS -f -u alice:alice-pw -H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" \
		--data-binary "$body" "$1/objects/batch" >"$WORK/up.json" || die "upload batch to $1 failed"
	while read -r oid size file; do
		href=$(jq -r --arg o "$oid" '.objects[] | select(.oid == $o) | .actions.upload.href // empty' "$WORK/up.json")
		[ -n "$href" ] || continue
		auth=$(jq -r --arg o "$oid" '.objects[] | select(.oid == $o) | .actions.upload.header.Authorization' "$WORK/up.json")
		code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: $auth" \
			-H "Content-Type: application/octet-stream" --data-binary @"$file" "$href")
		[ "$code" = 200 ] || die "PUT of $oid to $1 answered $code"
	done <"$2"
}

# --- the service: Apache + CGI, and the daemon ----------------------------
say "work dir $WORK"
start_cgi_service '[repo "bench/*"]' '	read = *' '	write = alice' ||
	die "the CGI service did not start"
CGI_LFS="$CGI_URL/bench/batch.git/info/lfs"
say "Apache + CGI at $CGI_BASE"

mkdir -p small
for i in $(seq 1 $N); do
	openssl rand -out "small/$i" 1024
	echo "$(sha_of "small/$i") 1024 small/$i"
done >small.sums
say "uploading $N objects through the CGI"
upload "$CGI_LFS" small.sums
awk 'BEGIN { printf "{\"operation\":\"download\",\"objects\":[" }
	{ printf "%s{\"oid\":\"%s\",\"size\":%s}", (NR > 1 ? "," : ""), $1, $2 }
	END { printf "]}" }' small.sums >batch.json

DDATA=$WORK/daemon-data
"$BIN/lfs-server" --listen 127.0.0.1:0 --config "$CGI_CONF" --data "$DDATA" >/dev/null 2>"$WORK/server.log" &
SERVER_PID=$!
i=0
until grep -q '^listening on' "$WORK/server.log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 400 ] && kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "lfs-server did not start"; }
	sleep 0.05
done
DAEMON_URL=$(sed -n 's/^listening on //p' "$WORK/server.log")
DAEMON_LFS="$DAEMON_URL/bench/batch.git/info/lfs"
say "uploading $N objects to the daemon at $DAEMON_URL"
upload "$DAEMON_LFS" small.sums

for u in "$CGI_LFS" "$DAEMON_LFS"; do
	n=$(curl -sS -f -H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary @batch.json \
		"$u/objects/batch" | jq '[.objects[] | select(.actions.download.href)] | length')
	[ "$n" = $N ] || die "download batch from $u gave $n hrefs, not $N"
done

declare -A R
for conns in 1 4; do
	cgi=() dae=()
	for run in $(seq 1 "$RUNS"); do
		say "batch, $conns connection(s), run $run/$RUNS"
		cgi+=("$(wrk_rps "$conns" "$CGI_LFS/objects/batch")")
		dae+=("$(wrk_rps "$conns" "$DAEMON_LFS/objects/batch")")
	done
	R[cgi.$conns]=$(echo "${cgi[@]}" | median)
	R[daemon.$conns]=$(echo "${dae[@]}" | median)
	say "batch req/s, $conns conn(s): CGI ${cgi[*]}, daemon ${dae[*]}"
done
kill -TERM "$SERVER_PID" && wait "$SERVER_PID" || die "lfs-server did not stop cleanly"
SERVER_PID=

# --- one CGI request, without Apache --------------------------------------
# The same code linked dynamically, for the static-vs-dynamic start.
objs=$(cd "$ROOT" && make -s --no-print-directory \
	--eval 'bench-cgi-objs: ; @echo $(call obj,$(CGI_SRC) $(ENDPOINT_SRC))' bench-cgi-objs)
[ -n "$objs" ] || die "cannot list lfs-cgi's objects"
(cd "$ROOT" && cc -o "$WORK/lfs-cgi-dyn" build/obj/lfs-server/bin/lfs-cgi.o $objs \
	build/lib/libcore.a build/lib/libcommon.a $(pkg-config --libs jansson libcrypto libgit2 sqlite3 libxcrypt) -lpthread) ||
	die "cannot link a dynamic lfs-cgi"
chmod 755 "$WORK/lfs-cgi-dyn"
DYN_LIBS=$(ldd "$WORK/lfs-cgi-dyn" | grep -c '=>')

BODY_LEN=$(stat -c %s batch.json)
cat >cgi-env <<EOF
export GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST SERVER_PROTOCOL=HTTP/1.1
export PATH_INFO=/bench/batch.git/info/lfs/objects/batch
export SCRIPT_NAME=/~tock/lfs/lfs-server.cgi SCRIPT_FILENAME=$CGI_PUBLIC/lfs-server.cgi
export SERVER_NAME=127.0.0.1 SERVER_PORT=80 REMOTE_ADDR=127.0.0.1
export CONTENT_TYPE=$LFS_TYPE HTTP_ACCEPT=$LFS_TYPE CONTENT_LENGTH=$BODY_LEN
EOF
# per_exec LABEL CMD...: mean wall time of one run of CMD (stdin batch.json),
# over EXECS runs, in ms, as the account.
per_exec() {
	local label=$1 t0 t1
	shift
	chmod 644 "$WORK/batch.json" "$WORK/cgi-env"
	t0=$(now)
	as_account bash -c '. "$1"; shift; n=$1; shift
		for ((i = 0; i < n; i++)); do "$@" <"$WORK_BATCH" >/dev/null || exit 1; done' \
		_ "$WORK/cgi-env" "$EXECS" "$@" || die "$label failed"
	t1=$(now)
	awk -v a="$t0" -v b="$t1" -v n="$EXECS" 'BEGIN { printf "%.2f", (b - a) * 1000 / n }'
}
export WORK_BATCH=$WORK/batch.json WORK_TRACES=$WORK/traces
mkdir -p "$WORK/traces" && chown "$CGI_ACCOUNT" "$WORK/traces"
"$CGI_PRIV/lfs-cgi" --config "$CGI_CONF" <batch.json >/dev/null 2>&1 || true
declare -A P
for k in 1 2 3; do
	say "per-request timings, round $k/3 ($EXECS runs each)"
	P[true.$k]=$(per_exec /bin/true /bin/true)
	P[version.$k]=$(per_exec "lfs-cgi --version" env -u GATEWAY_INTERFACE "$CGI_PRIV/lfs-cgi" --version)
	P[dynversion.$k]=$(per_exec "dynamic --version" env -u GATEWAY_INTERFACE "$WORK/lfs-cgi-dyn" --version)
	P[batch.$k]=$(per_exec "batch, static" "$CGI_PRIV/lfs-cgi" --config "$CGI_CONF")
	P[dynbatch.$k]=$(per_exec "batch, dynamic" "$WORK/lfs-cgi-dyn" --config "$CGI_CONF")
	P[wrapper.$k]=$(per_exec "batch, wrapper" "$CGI_PUBLIC/lfs-server.cgi")
done
for key in true version dynversion batch dynbatch wrapper; do
	P[$key]=$(echo "${P[$key.1]} ${P[$key.2]} ${P[$key.3]}" | median)
done
# The answer is right (not an error page) when run the same way.
as_account bash -c '. "$1"; "$2" --config "$3" <"$WORK_BATCH"' _ "$WORK/cgi-env" "$CGI_PRIV/lfs-cgi" "$CGI_CONF" >answer.txt
grep -q '^Status: 200' answer.txt || { head -5 answer.txt >&2; die "the direct CGI run did not answer 200"; }

# Phases of one request from strace timestamps (strace slows every
# syscall, so these are shares, not absolute times).
as_account bash -c '. "$1"; strace -f -ttt -o "$2" -e trace=execve,openat,write,exit_group "$3" --config "$4" <"$WORK_BATCH" >/dev/null' \
	_ "$WORK/cgi-env" "$WORK/traces/phases" "$CGI_PRIV/lfs-cgi" "$CGI_CONF"
PHASES=$(awk -v conf="$CGI_CONF" '
	!t0 && /execve\(/ { t0 = $2 }
	!tc && index($0, "openat") && index($0, conf) { tc = $2 }
	!tm && /openat\(.*meta\.db"/ { tm = $2 }
	!tw && /write\(1,/ { tw = $2 }
	/exit_group/ { te = $2 }
	END {
		printf "exec to config open %.1f%%, config parse and checks to meta.db open %.1f%%, ", \
			(tc - t0) * 100 / (te - t0), (tm - tc) * 100 / (te - t0)
		printf "metadata and batch to first byte out %.1f%%, after the answer to exit (SQLite closing: WAL checkpoint, fsync) %.1f%% (%.2f ms under strace)", \
			(tw - tm) * 100 / (te - t0), (te - tw) * 100 / (te - t0), (te - t0) * 1000
	}' traces/phases)
as_account bash -c '. "$1"; strace -c -f -o "$2" "$3" --config "$4" <"$WORK_BATCH" >/dev/null' \
	_ "$WORK/cgi-env" "$WORK/traces/syscalls" "$CGI_PRIV/lfs-cgi" "$CGI_CONF"
SYSCALLS=$(awk '$NF == "total" { print $4; exit }' traces/syscalls)
TOPCALLS=$(awk 'NR > 2 && $1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF " " $4 }' traces/syscalls |
	sort -k2 -nr | head -5 | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')

# Where the CPU goes, when perf may profile the account's processes.
PROFILE="perf unavailable"
if command -v perf >/dev/null 2>&1 &&
	as_account bash -c '. "$1"; n=$2; shift 2
		perf record -q -F 2000 -e cpu-clock:u -o "$WORK_TRACES/perf.data" -- bash -c "
			for ((i = 0; i < $n; i++)); do \"\$@\" <\"$WORK_BATCH\" >/dev/null; done" _ "$@"' \
		_ "$WORK/cgi-env" 30 "$CGI_PRIV/lfs-cgi" --config "$CGI_CONF" >/dev/null 2>&1; then
	PROFILE=$(perf report -f -i "$WORK/traces/perf.data" --comm lfs-cgi --sort symbol --stdio 2>/dev/null |
		awk '/^ *[0-9.]+%/ && n < 6 { printf "%s%s %s", (n++ ? ", " : ""), $3, $1 }') || true
	[ -n "$PROFILE" ] || PROFILE="perf gave no samples"
fi

# --- 100 MB download: the static tree vs nginx -------------------------------
say "uploading a $BIG_MIB MiB object through the CGI"
BIG=$WORK/big.bin
openssl rand -out "$BIG" $((BIG_MIB * 1024 * 1024))
echo "$(sha_of "$BIG") $((BIG_MIB * 1024 * 1024)) $BIG" >big.sums
upload "$CGI_URL/bench/big.git/info/lfs" big.sums
BIG_OID=$(cut -d' ' -f1 big.sums)
BIG_REL="objects/${BIG_OID:0:2}/${BIG_OID:2:2}/$BIG_OID"
[ -f "$CGI_PUBLIC/$BIG_REL" ] || die "the CGI did not publish the object to the static tree"

NGX=$WORK/nginx
mkdir -p "$NGX/tmp"
for _ in $(seq 1 20); do
	port=$((20000 + RANDOM % 40000))
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<-EOF
		worker_processes 1;
		daemon off;
		pid $NGX/nginx.pid;
		error_log $NGX/error.log warn;
		events { worker_connections 64; }
		http {
		    access_log off;
		    client_body_temp_path $NGX/tmp; proxy_temp_path $NGX/tmp; fastcgi_temp_path $NGX/tmp;
		    uwsgi_temp_path $NGX/tmp; scgi_temp_path $NGX/tmp;
		    default_type application/octet-stream;
		    sendfile on;
		    server { listen 127.0.0.1:$port; location /objects/ { alias $CGI_PUBLIC/objects/; } }
		}
		EOF
	} >"$NGX/nginx.conf"
	"$NGINX" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" 2>"$NGX/stderr" &
	NGINX_PID=$!
	ok=
	for i in $(seq 1 100); do
		curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && { ok=1; break; }
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$ok" ] && break
	wait "$NGINX_PID" 2>/dev/null || true
	NGINX_PID=
done
[ -n "$NGINX_PID" ] || die "nginx did not start"
NGX_URL=http://127.0.0.1:$port

download_mbps() { # URL: median MB/s over RUNS, after checking the bytes once
	local s=()
	curl -sS -f -o "$WORK/got.bin" "$1" && cmp -s "$WORK/got.bin" "$BIG" || die "wrong bytes from $1"
	rm -f "$WORK/got.bin"
	for _ in $(seq 1 "$RUNS"); do
		s+=("$(curl -sS -f -o /dev/null -w '%{speed_download}' "$1" |
			awk '{ printf "%.0f", $1 / 1e6 }')")
	done
	echo "${s[@]}" | median
}
say "$BIG_MIB MiB downloads"
DL_APACHE=$(download_mbps "$CGI_BASE/$BIG_REL")
DL_NGINX=$(download_mbps "$NGX_URL/$BIG_REL")
kill "$NGINX_PID" && wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=

# --- the table ----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
table=$(
	echo "| CGI mode (Apache $(apache2 -v | sed -n 's/^Server version: Apache\/\([^ ]*\).*/\1/p'), prefork, mod_cgi) | lfs-cgi | other | ratio |"
	echo "| --- | --- | --- | --- |"
	echo "| download batch of $N objects, req/s, 1 connection | ${R[cgi.1]} | ${R[daemon.1]} (lfs-server) | $(ratio "${R[cgi.1]}" "${R[daemon.1]}") |"
	echo "| same, 4 connections | ${R[cgi.4]} | ${R[daemon.4]} (lfs-server) | $(ratio "${R[cgi.4]}" "${R[daemon.4]}") |"
	echo "| one batch request run directly (no Apache), ms | ${P[batch]} | ${P[dynbatch]} (same code, dynamic: $DYN_LIBS libraries) | $(ratio "${P[batch]}" "${P[dynbatch]}") |"
	echo "| the same through the install's wrapper script, ms | ${P[wrapper]} | ${P[batch]} (direct) | $(ratio "${P[wrapper]}" "${P[batch]}") |"
	echo "| process start only (--version), ms | ${P[version]} | ${P[dynversion]} (dynamic); /bin/true ${P[true]} | $(ratio "${P[version]}" "${P[dynversion]}") |"
	echo "| $BIG_MIB MiB download from the static tree, MB/s | ${DL_APACHE} (Apache) | ${DL_NGINX} (nginx, same file) | $(ratio "$DL_APACHE" "$DL_NGINX") |"
)
notes=$(
	echo "One request's phases (strace -ttt): $PHASES."
	echo "Its syscalls (strace -c): $SYSCALLS in all; most frequent: $TOPCALLS."
	echo "Its user-space CPU by function (perf, 30 runs): $PROFILE."
)
echo
echo "$table"
echo
echo "$notes"
if [ -n "$OUT" ]; then
	{
		echo
		echo "## CGI mode: lfs-cgi under Apache"
		echo
		echo "One process per request (tests/bench/cgi.sh): medians of $RUNS runs of ${WRK_SECS} s"
		echo "(wrk) and of $EXECS executions; one machine, one run."
		echo
		echo "$table"
		echo
		echo "$notes"
	} >>"$OUT"
	say "appended to $OUT"
fi
