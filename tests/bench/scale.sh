#!/usr/bin/env bash
# scale.sh: `make bench SCALE=1`: how the server behaves as the store
# grows.  Preloads 20,000 and then 200,000 objects (1 KiB each, spread
# over 100 repos) with `lfs-admin import`, and at each size measures the
# import rate, batch latency (p50/p99 of a 100-object download batch on
# one connection, wrk --latency), start-up time, RSS, metadata bytes per
# object and the time of `lfs-admin fsck` and `lfs-admin stats`.  Writes
# the "## Scale" section of docs/benchmarks.md (BENCH_OUT), replacing the
# previous one (run.sh keeps it when it rewrites the file).
# Exits 0 whatever the timings; non-zero only when something broke.
# Knobs: BENCH_SCALE_SIZES="20000 200000" BENCH_SCALE_REPOS=100
#        BENCH_WRK_SECONDS=5 BENCH_RUNS=5
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
HERE=$ROOT/tests/bench
SIZES=${BENCH_SCALE_SIZES:-20000 200000}
REPOS=${BENCH_SCALE_REPOS:-100}
WRK_SECS=${BENCH_WRK_SECONDS:-5}
RUNS=${BENCH_RUNS:-5}
OUT=${BENCH_OUT:-$ROOT/docs/benchmarks.md}
OBJ=1024
LFS_TYPE=application/vnd.git-lfs+json

say() { echo "bench-scale: $*" >&2; }
die() { echo "bench-scale: error: $*" >&2; exit 1; }
for t in wrk openssl sqlite3 curl awk split; do command -v "$t" >/dev/null || die "missing $t"; done
[ -x "$BIN/lfs-server" ] && [ -x "$BIN/lfs-admin" ] || die "run make all first"

mkdir -p "$ROOT/build/bench"
WORK=$(mktemp -d "$ROOT/build/bench/scale.XXXXXX")
SERVER_PID=
cleanup() {
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
DATA=$WORK/data

now_ns() { date +%s%N; }
secs() { awk -v d="$1" 'BEGIN { printf "%.2f", d / 1e9 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2;
	printf (m >= 1000 ? "%.0f\n" : "%.3g\n"), m }'; }

START_MS=
start_server() { # sets START_MS: the start-up time (exec to "listening on")
	local t0 t1 i=0
	rm -f "$WORK/server.log"
	t0=$(now_ns)
	"$BIN/lfs-server" --listen 127.0.0.1:0 --data "$DATA" >/dev/null 2>"$WORK/server.log" &
	SERVER_PID=$!
	until grep -q '^listening on' "$WORK/server.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 20000 ] && kill -0 "$SERVER_PID" 2>/dev/null || die "server did not start"
		sleep 0.002
	done
	t1=$(now_ns)
	URL=$(sed -n 's/^listening on //p' "$WORK/server.log")
	START_MS=$(((t1 - t0) / 1000000))
}
stop_server() {
	kill -TERM "$SERVER_PID" && wait "$SERVER_PID" || die "server did not stop cleanly"
	SERVER_PID=
}
rss_kb() { awk "/^$1:/ { print \$2 }" "/proc/$SERVER_PID/status"; }

# wrk --latency: "p50 p99 req/s", latencies in ms.
wrk_latency() {
	local out
	out=$(BENCH_BODY=$WORK/body.json timeout $((WRK_SECS + 60)) wrk -t1 -c1 -d"${WRK_SECS}s" \
		--latency -s "$HERE/batch.lua" "$1" 2>&1) || { echo "$out" >&2; die "wrk failed"; }
	echo "$out" | grep -q 'Non-2xx' && { echo "$out" >&2; die "error answers"; }
	echo "$out" | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
			if (v ~ /m$/) return v * 60000; return v * 1000 }
		/^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 }
		END { if (p50 == "" || rps == "") exit 1; printf "%.2f %.2f %.0f\n", p50, p99, rps }' ||
		{ echo "$out" >&2; die "no latency in wrk's output"; }
}

CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "work dir $WORK; load $LOAD_BEFORE"
mkdir -p "$WORK/src"
ROWS=()
have=0
for size in $SIZES; do
	# New files for this step, spread evenly over the repos.
	add=$((size - have))
	per=$((add / REPOS))
	[ "$per" -gt 0 ] || die "sizes must grow by at least $REPOS objects"
	say "writing $add files of $OBJ bytes"
	rm -rf "$WORK/src"
	mkdir -p "$WORK/src"
	for r in $(seq 1 "$REPOS"); do
		mkdir "$WORK/src/r$r"
		openssl rand $((per * OBJ)) | (cd "$WORK/src/r$r" && split -b $OBJ -a 5 - f)
	done
	say "importing into $REPOS repos"
	t0=$(now_ns)
	for r in $(seq 1 "$REPOS"); do
		"$BIN/lfs-admin" --data "$DATA" import "scale/r$r" "$WORK/src/r$r" >"$WORK/import.out" ||
			{ cat "$WORK/import.out" >&2; die "import into scale/r$r failed"; }
	done
	t1=$(now_ns)
	have=$((have + per * REPOS))
	n=$(sqlite3 "$DATA/meta.db" 'SELECT count(*) FROM journal')
	[ "$n" = "$have" ] || die "the journal has $n rows, not $have"
	import_s=$(secs $((t1 - t0)))
	import_rate=$(awk -v n=$((per * REPOS)) -v s="$import_s" 'BEGIN { printf "%.0f", n / s }')
	# The batch body: 100 objects of scale/r1, the same at every size.
	if [ ! -f "$WORK/body.json" ]; then
		sqlite3 "$DATA/meta.db" "SELECT oid, size FROM journal WHERE repo = 'scale/r1' ORDER BY seq LIMIT 100" |
			awk -F'|' 'BEGIN { printf "{\"operation\":\"download\",\"transfers\":[\"basic\"],\"objects\":[" }
				{ printf "%s{\"oid\":\"%s\",\"size\":%s}", (NR > 1 ? "," : ""), $1, $2 }
				END { printf "]}" }' >"$WORK/body.json"
	fi
	rm -rf "$WORK/src"

	# metadata bytes per object: meta.db with its WAL folded in.
	sqlite3 "$DATA/meta.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	meta_bytes=$(($(stat -c %s "$DATA/meta.db") + $(stat -c %s "$DATA/meta.db-wal" 2>/dev/null || echo 0)))
	per_obj=$(awk -v b="$meta_bytes" -v n="$have" 'BEGIN { printf "%.0f", b / n }')

	starts=()
	for run in $(seq 1 "$RUNS"); do
		start_server
		starts+=("$START_MS")
		[ "$run" = "$RUNS" ] || stop_server
	done
	start_ms=$(median "${starts[@]}")
	rss_idle=$(rss_kb VmRSS)
	code=$(curl -sS -o "$WORK/answer.json" -w '%{http_code}' -H "Accept: $LFS_TYPE" \
		-H "Content-Type: $LFS_TYPE" --data-binary @"$WORK/body.json" "$URL/scale/r1/info/lfs/objects/batch")
	[ "$code" = 200 ] || die "batch answered $code"
	want=$(grep -o '"oid"' "$WORK/body.json" | wc -l)
	[ "$(grep -o '"download"' "$WORK/answer.json" | wc -l)" = "$want" ] || die "batch did not offer $want downloads"
	wrk_latency "$URL/scale/r1/info/lfs/objects/batch" >/dev/null # warm-up
	p50s=() p99s=() rpss=()
	for run in $(seq 1 "$RUNS"); do
		read -r p50 p99 rps <<<"$(wrk_latency "$URL/scale/r1/info/lfs/objects/batch")"
		p50s+=("$p50") p99s+=("$p99") rpss+=("$rps")
	done
	rss_hwm=$(rss_kb VmHWM)
	stop_server

	t0=$(now_ns)
	"$BIN/lfs-admin" --data "$DATA" fsck >"$WORK/fsck.out" || { tail -5 "$WORK/fsck.out" >&2; die "fsck found problems"; }
	t1=$(now_ns)
	fsck_s=$(secs $((t1 - t0)))
	t0=$(now_ns)
	"$BIN/lfs-admin" --data "$DATA" stats >/dev/null || die "stats failed"
	t1=$(now_ns)
	stats_s=$(secs $((t1 - t0)))

	row="| $have | $(median "${p50s[@]}") | $(median "${p99s[@]}") | $(median "${rpss[@]}") | $start_ms | $(awk -v k="$rss_idle" 'BEGIN { printf "%.1f", k / 1024 }') / $(awk -v k="$rss_hwm" 'BEGIN { printf "%.1f", k / 1024 }') | $per_obj | $fsck_s | $stats_s | $import_rate |"
	ROWS+=("$row")
	say "$row"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
LOADED=
if awk -v a="${LOAD_BEFORE%% *}" -v b="${LOAD_AFTER%% *}" -v n="$(nproc)" 'BEGIN { exit !(a >= n / 2 || b >= n / 2) }'; then
	LOADED=" A loaded machine (other work was using the CPUs): read the trend from one size to the next, not the absolute figures."
fi

section() {
	cat <<-EOF
	## Scale

	<!-- Written by tests/bench/scale.sh (make bench SCALE=1); run.sh keeps it. -->

	Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($CPU); load average
	$LOAD_BEFORE before, $LOAD_AFTER after.$LOADED
	Objects of $OBJ bytes spread evenly over $REPOS repos, preloaded with
	\`lfs-admin import\` (one run per repo, default --jobs and --batch; each
	object hashed, written, fsynced and recorded). Batch: a download batch
	of the same 100 objects of one repo on one connection (wrk --latency,
	${WRK_SECS} s, median of $RUNS runs after a warm-up). Start-up: exec to the
	"listening on" line, median of $RUNS starts. RSS: idle after start /
	peak after the batch runs. Metadata: meta.db (WAL checkpointed) divided
	by the objects. fsck re-hashes every object.

	| objects | batch p50, ms | batch p99, ms | batch req/s | start-up, ms | RSS idle / peak, MiB | metadata bytes per object | fsck, s | stats, s | import, objects/s |
	| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
	EOF
	printf '%s\n' "${ROWS[@]}"
}

section >"$WORK/section.md"
echo
cat "$WORK/section.md"
# Replace the old section (up to the next "## " heading) or append.
if [ -f "$OUT" ]; then
	awk -v new="$WORK/section.md" '
		/^## Scale$/ { while ((getline l < new) > 0) print l; skip = 1; done = 1; next }
		skip && /^## / { skip = 0; print ""; }
		!skip { print }
		END { if (!done) { print ""; while ((getline l < new) > 0) print l } }' "$OUT" >"$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
else
	cp "$WORK/section.md" "$OUT"
fi
say "wrote the Scale section of ${OUT#"$ROOT"/}"
