#!/usr/bin/env bash
# push.sh: the git-lfs half of `make bench` against peers: `git push` and
# `git clone` (git-lfs's pre-push hook and smudge filter) of a repository
# of 2,000 files of 1-4 KB and 4 of 30 MB, against our server and JGit's
# LFS server (tests/bench/jgit/), and the same push against a server that
# answers everything at once (JgitLfsServer noop: upload actions for every
# object, PUTs drained, nothing stored): git-lfs's own floor.  Appends a
# table to docs/benchmarks.md (BENCH_OUT).  Exits 0 whatever the timings;
# non-zero only when something broke.
# Knobs: BENCH_RUNS=5 BENCH_PUSH_SMALL=2000 BENCH_PUSH_BIG=4 BENCH_PUSH_BIG_MIB=30
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
RUNS=${BENCH_RUNS:-5}
SMALL=${BENCH_PUSH_SMALL:-2000}
BIG=${BENCH_PUSH_BIG:-4}
BIG_MIB=${BENCH_PUSH_BIG_MIB:-30}
OUT=${BENCH_OUT:-$ROOT/docs/benchmarks.md}

say() { echo "bench-push: $*" >&2; }
die() { echo "bench-push: error: $*" >&2; exit 1; }
for t in git git-lfs openssl java javac; do command -v "$t" >/dev/null || die "missing $t"; done
[ -x "$BIN/lfs-server" ] || die "run make all first"

mkdir -p "$ROOT/build/bench"
WORK=$(mktemp -d "$ROOT/build/bench/push.XXXXXX")
SERVER_PID=
NOOP_PID=
# shellcheck source=tests/bench/lib-jgit.sh
. "$ROOT/tests/bench/lib-jgit.sh"
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	jgit_stop
	if [ -n "$NOOP_PID" ]; then JGIT_PID=$NOOP_PID; jgit_stop; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOME=$WORK GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 LC_ALL=C
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
git config --global init.defaultBranch main
git config --global lfs.locksverify false
git lfs install --skip-repo >/dev/null
cd "$WORK"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f\n", m }'; }
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f\n", lo, hi }'; }

start_ours() {
	rm -f "$WORK/server.log"
	"$BIN/lfs-server" --listen 127.0.0.1:0 --data "$WORK/data" >/dev/null 2>"$WORK/server.log" &
	SERVER_PID=$!
	local i=0
	until grep -q '^listening on' "$WORK/server.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 400 ] && kill -0 "$SERVER_PID" 2>/dev/null || die "server did not start"
		sleep 0.05
	done
	OURS_URL=$(sed -n 's/^listening on //p' "$WORK/server.log")/bench/push.git/info/lfs
}
stop_ours() {
	kill -TERM "$SERVER_PID" && wait "$SERVER_PID" || die "server did not stop cleanly"
	SERVER_PID=
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the repository, committed once -----------------------------------------
say "building a repo of $SMALL files of 1-4 KB and $BIG of $BIG_MIB MiB"
git init -q seed
git -C seed lfs track '*.bin' >/dev/null
mkdir -p seed/small seed/big
for i in $(seq 1 "$SMALL"); do
	echo "small/f$i.bin $((1024 + (i * 7919) % 3073))"
done | while read -r f n; do head -c "$n" /dev/urandom >"seed/$f"; done
for i in $(seq 1 "$BIG"); do
	openssl rand -out "seed/big/b$i.bin" $((BIG_MIB * 1024 * 1024))
done
git -C seed add -A
git -C seed commit -q -m files
NOBJ=$(find seed/.git/lfs/objects -type f | wc -l)
[ "$NOBJ" = $((SMALL + BIG)) ] || die "git-lfs holds $NOBJ objects, not $((SMALL + BIG))"

say "building JGit's LFS server (tests/bench/jgit/JgitLfsServer.java)"
jgit_build
mkdir -p "$WORK/jgit-data"
jgit_start serve "$WORK/jgit-data" "$WORK/jgit.log"
JGIT_LFS=$JGIT_URL
# The floor server runs beside it: a second JVM, kept warm across runs.
SAVED_PID=$JGIT_PID
jgit_start noop - "$WORK/noop.log"
NOOP_LFS=$JGIT_URL
NOOP_PID=$JGIT_PID
JGIT_PID=$SAVED_PID
noop_stop() { local p=$JGIT_PID; JGIT_PID=$NOOP_PID; NOOP_PID=; jgit_stop; JGIT_PID=$p; }

# push TARGET LFSURL: a push of the seed's one commit to a new empty bare
# repo; git-lfs's pre-push hook uploads every object (no remote ref tells
# it the server has any).  Prints seconds.
push() {
	local t0 t1
	rm -rf "$WORK/remote-$1.git"
	git init -q --bare "$WORK/remote-$1.git"
	git -C seed config lfs.url "$2"
	git -C seed update-ref -d refs/remotes/origin/main 2>/dev/null || true
	t0=$(now)
	git -C seed push -q "$WORK/remote-$1.git" main >"$WORK/push-$1.out" 2>&1 ||
		{ tail -5 "$WORK/push-$1.out" >&2; die "push to $1 failed"; }
	t1=$(now)
	elapsed "$t0" "$t1"
}

# clone TARGET LFSURL: git clone with git-lfs's smudge filter; prints seconds.
clone() {
	local t0 t1
	rm -rf "$WORK/clone-$1"
	t0=$(now)
	git -c lfs.url="$2" clone -q "$WORK/remote-$1.git" "$WORK/clone-$1" >"$WORK/clone-$1.out" 2>&1 ||
		{ tail -5 "$WORK/clone-$1.out" >&2; die "clone from $1 failed"; }
	t1=$(now)
	cmp -s seed/big/b1.bin "$WORK/clone-$1/big/b1.bin" || die "clone from $1: wrong bytes in big/b1.bin"
	cmp -s seed/small/f1.bin "$WORK/clone-$1/small/f1.bin" || die "clone from $1: wrong bytes in small/f1.bin"
	elapsed "$t0" "$t1"
}

P_FLOOR=() P_OURS=() P_JGIT=() C_OURS=() C_JGIT=()
# Run 0 warms up (JIT, page cache) and is not recorded.
for run in $(seq 0 "$RUNS"); do
	say "run $run/$RUNS"
	f=$(push floor "$NOOP_LFS")

	rm -rf "$WORK/data"
	start_ours
	o=$(push ours "$OURS_URL")
	n=$(sqlite3 "$WORK/data/meta.db" 'SELECT count(*) FROM journal')
	[ "$n" = "$NOBJ" ] || die "our server recorded $n objects, not $NOBJ"
	oc=$(clone ours "$OURS_URL")
	stop_ours

	# JGit keeps running (warm); its store is emptied instead.
	find "$WORK/jgit-data" -mindepth 1 -delete
	j=$(push jgit "$JGIT_LFS")
	n=$(find "$WORK/jgit-data" -type f | wc -l)
	[ "$n" = "$NOBJ" ] || die "JGit stored $n objects, not $NOBJ"
	jc=$(clone jgit "$JGIT_LFS")

	if [ "$run" -gt 0 ]; then
		P_FLOOR+=("$f") P_OURS+=("$o") P_JGIT+=("$j") C_OURS+=("$oc") C_JGIT+=("$jc")
	fi
	say "push: floor $f s, ours $o s, JGit $j s; clone: ours $oc s, JGit $jc s"
done
noop_stop
jgit_stop

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
pf=$(median "${P_FLOOR[@]}")
po=$(median "${P_OURS[@]}")
pj=$(median "${P_JGIT[@]}")
co=$(median "${C_OURS[@]}")
cj=$(median "${C_JGIT[@]}")
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
ao=$(calc "$po - $pf")
aj=$(calc "$pj - $pf")
r_push=$(awk -v a="$po" -v b="$pj" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
r_above=$(awk -v a="$ao" -v b="$aj" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
r_clone=$(awk -v a="$co" -v b="$cj" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
met=$(awk -v r="$r_push" 'BEGIN { print (r <= 0.6) ? "yes" : "**no**" }')

table=$(
	echo "| git-lfs $(git lfs version | cut -d' ' -f1 | cut -d/ -f2), $SMALL × 1–4 KB + $BIG × $BIG_MIB MiB | ours | JGit LFS server | ours ÷ JGit | target | met? |"
	echo "| --- | --- | --- | --- | --- | --- |"
	echo "| push, s | $po ($(spread "${P_OURS[@]}")) | $pj ($(spread "${P_JGIT[@]}")) | $r_push | <= 0.6 | $met |"
	echo "| push above git-lfs's floor ($pf s, $(spread "${P_FLOOR[@]}")), s | $ao | $aj | $r_above | — | — |"
	echo "| clone (git clone with the smudge filter), s | $co ($(spread "${C_OURS[@]}")) | $cj ($(spread "${C_JGIT[@]}")) | $r_clone | — | — |"
)
echo
echo "$table"
{
	echo
	echo "## git-lfs push and clone beside JGit's LFS server"
	echo
	echo "tests/bench/push.sh: one commit of $SMALL files of 1–4 KB and $BIG of $BIG_MIB MiB,"
	echo "pushed with \`git push\` (git-lfs's pre-push hook uploads all $NOBJ objects, 8"
	echo "transfers at a time) to a fresh server store and an empty bare repo, then"
	echo "cloned with the smudge filter. The floor is the same push against a server"
	echo "that answers every batch at once with upload actions and drains PUTs"
	echo "without storing anything (\`JgitLfsServer noop\`): what git and git-lfs cost"
	echo "by themselves. Ours fsyncs every object before its 200; JGit does not."
	echo "Median (min–max) of $RUNS runs after a warm-up run; the three servers"
	echo "interleaved in every run. Load average $LOAD_BEFORE before, $LOAD_AFTER after."
	echo
	echo "$table"
} >>"$OUT"
say "appended to ${OUT#"$ROOT"/}"
