#!/usr/bin/env bash
# hooks.sh: the lfs-hooks half of `make bench`: lfs-hooks beside git-lfs on
# the same repository, against the same server, in the same run.
#
#   - pre-push of a repo with 10,000 commits and 1,000 pointers: the first
#     push (uploads all 1,000 objects) and a no-op push (the server has
#     them all: scan + batch, nothing to upload)
#   - pull of 1,000 pointer files into a fresh clone (download + checkout)
#
# Prints a table and appends it to docs/benchmarks.md (BENCH_OUT).  Exits 0
# whatever the timings; non-zero only when something broke.
# Knobs: BENCH_HOOKS_COMMITS=10000 BENCH_HOOKS_POINTERS=1000 BENCH_RUNS=3
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
COMMITS=${BENCH_HOOKS_COMMITS:-10000}
POINTERS=${BENCH_HOOKS_POINTERS:-1000}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-$ROOT/docs/benchmarks.md}
OBJ_SIZE=4096

say() { echo "bench-hooks: $*" >&2; }
die() { echo "bench-hooks: error: $*" >&2; exit 1; }
for t in git git-lfs curl openssl; do command -v "$t" >/dev/null || die "missing $t"; done
[ -x "$BIN/lfs-hooks" ] && [ -x "$BIN/lfs-server" ] || die "run make all first"

mkdir -p "$ROOT/build/bench"
WORK=$(mktemp -d "$ROOT/build/bench/hooks.XXXXXX")
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOME=$WORK GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 LC_ALL=C
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
git config --global init.defaultBranch main
git config --global lfs.concurrenttransfers 8
cd "$WORK"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

start_server() { # DATA
	rm -f "$WORK/server.log"
	"$BIN/lfs-server" --listen 127.0.0.1:0 --data "$1" >/dev/null 2>"$WORK/server.log" &
	SERVER_PID=$!
	local i=0
	until grep -q '^listening on' "$WORK/server.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 400 ] && kill -0 "$SERVER_PID" 2>/dev/null || die "server did not start"
		sleep 0.05
	done
	URL=$(sed -n 's/^listening on //p' "$WORK/server.log")
}
stop_server() {
	kill -TERM "$SERVER_PID" && wait "$SERVER_PID" || die "server did not stop cleanly"
	SERVER_PID=
}

# --- one history, written once with fast-import --------------------------
say "building a history of $COMMITS commits with $POINTERS pointers"
mkdir objs
every=$((COMMITS / POINTERS))
{
	for i in $(seq 1 "$COMMITS"); do
		echo "commit refs/heads/main"
		echo "mark :$i"
		echo "committer b <b@example.com> $((1700000000 + i)) +0000"
		echo "data <<EOM"
		echo "commit $i"
		echo "EOM"
		[ "$i" -gt 1 ] && echo "from :$((i - 1))"
		if [ $((i % every)) = 0 ] && [ $((i / every)) -le "$POINTERS" ]; then
			n=$((i / every))
			openssl rand -out "objs/$n" $OBJ_SIZE
			oid=$(openssl dgst -sha256 -r "objs/$n" | cut -c1-64)
			ptr=$(printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n' "$oid" $OBJ_SIZE)
			echo "M 100644 inline lib/arch$((n % 10))/lib$n.a"
			echo "data $((${#ptr} + 1))"
			echo "$ptr"
			echo "$oid" >>oids
		else
			echo "M 100644 inline CHANGELOG"
			echo "data <<EOM"
			echo "change $i"
			echo "EOM"
		fi
		echo
	done
} >history.fi
git init -q --bare template.git
git -C template.git fast-import --quiet <history.fi
printf '*.a filter=lfs diff=lfs merge=lfs -text\n' >attrs

# make_repo DIR: a non-bare clone of the history with every object in its
# LFS cache (as after the commits were made locally), filters not set.
make_repo() {
	git clone -q --no-checkout template.git "$1"
	mkdir -p "$1/.git/info"
	cp attrs "$1/.git/info/attributes"
	local n=1
	while read -r oid; do
		mkdir -p "$1/.git/lfs/objects/${oid:0:2}/${oid:2:2}"
		cp "objs/$n" "$1/.git/lfs/objects/${oid:0:2}/${oid:2:2}/$oid"
		n=$((n + 1))
	done <oids
}
make_repo seed
# The push goes to an empty remote: no remote-tracking refs may tell either
# client that the objects are there already.
git init -q --bare empty.git
git -C seed remote remove origin
git -C seed remote add origin "$WORK/empty.git"
HEAD_SHA=$(git -C seed rev-parse HEAD)
ZERO=0000000000000000000000000000000000000000

# prepush CLIENT REPO: the pre-push hook as git runs it, for a new remote ref.
prepush() {
	local url="$URL/bench/repo.git/info/lfs"
	git -C "$2" config lfs.url "$url"
	if [ "$1" = git-lfs ]; then
		echo "refs/heads/main $HEAD_SHA refs/heads/main $ZERO" |
			(cd "$2" && git lfs pre-push origin "$url") >"$WORK/prepush.out" 2>&1
	else
		echo "refs/heads/main $HEAD_SHA refs/heads/main $ZERO" |
			(cd "$2" && "$BIN/lfs-hooks" pre-push origin "$url") >/dev/null 2>&1
	fi
}

declare -A T
for client in git-lfs lfs-hooks; do
	first=() noop=() pull=()
	for run in $(seq 1 "$RUNS"); do
		rm -rf "data" "repo-$client" "clone-$client"
		cp -r seed "repo-$client"
		start_server "$WORK/data"
		t0=$(now); prepush "$client" "repo-$client" || die "$client first push failed"; t1=$(now)
		[ "$(sqlite3 data/meta.db 'SELECT count(*) FROM journal')" = "$POINTERS" ] ||
			{ tail -5 "$WORK/prepush.out" >&2; die "$client did not upload $POINTERS objects"; }
		prepush "$client" "repo-$client" || die "$client no-op push failed"; t2=$(now)
		# pull: a clone whose work tree holds the pointers (no filter was
		# configured when git checked out), then each client's filter keys
		# and its pull: download + put the files in place.
		git clone -q template.git "clone-$client"
		cp attrs "clone-$client/.git/info/attributes"
		git -C "clone-$client" config lfs.url "$URL/bench/repo.git/info/lfs"
		if [ "$client" = git-lfs ]; then
			(cd "clone-$client" && git lfs install --local >/dev/null)
			t3=$(now); (cd "clone-$client" && git lfs pull >/dev/null 2>&1) || die "git lfs pull failed"; t4=$(now)
		else
			# The filter keys `lfs-hooks install` writes, without its fetch.
			git -C "clone-$client" config filter.lfs.process "$BIN/lfs-hooks filter-process"
			git -C "clone-$client" config filter.lfs.clean "$BIN/lfs-hooks clean -- %f"
			git -C "clone-$client" config filter.lfs.smudge "$BIN/lfs-hooks smudge -- %f"
			git -C "clone-$client" config filter.lfs.required true
			t3=$(now); (cd "clone-$client" && "$BIN/lfs-hooks" pull >/dev/null 2>&1) || die "lfs-hooks pull failed"; t4=$(now)
		fi
		cmp "objs/1" "clone-$client/lib/arch1/lib1.a" || die "$client pulled wrong bytes"
		[ -z "$(git -C "clone-$client" status --porcelain)" ] ||
			{ git -C "clone-$client" status --porcelain | head -5 >&2; die "$client left the work tree dirty"; }
		stop_server
		first+=("$(elapsed "$t0" "$t1")") noop+=("$(elapsed "$t1" "$t2")") pull+=("$(elapsed "$t3" "$t4")")
	done
	T[$client.first]=$(echo "${first[@]}" | median)
	T[$client.noop]=$(echo "${noop[@]}" | median)
	T[$client.pull]=$(echo "${pull[@]}" | median)
	say "$client: first push ${T[$client.first]} s, no-op push ${T[$client.noop]} s, pull ${T[$client.pull]} s"
done

row() { # label key
	local g=${T[git-lfs.$2]} h=${T[lfs-hooks.$2]}
	awk -v l="$1" -v g="$g" -v h="$h" 'BEGIN {
		r = h > 0 ? g / h : 0
		printf "| %s | %.2f s | %.2f s | %.2f× | %s |\n", l, h, g, r, (r >= 1 ? "yes" : "no") }'
}
table=$(
	echo "| $COMMITS commits, $POINTERS pointers ($OBJ_SIZE B each) | lfs-hooks | git-lfs $(git lfs version | cut -d' ' -f1 | cut -d/ -f2) | speed-up | never slower? |"
	echo "| --- | --- | --- | --- | --- |"
	row "pre-push, first push (uploads all)" first
	row "pre-push, no-op (server has all)" noop
	row "pull of $POINTERS pointer files (download + checkout)" pull
)
echo
echo "$table"
{
	echo
	echo "## lfs-hooks beside git-lfs"
	echo
	echo "Same history (fast-import), same server, same run; median of $RUNS runs;"
	echo "each run on a fresh server data dir. Target: never slower than git-lfs, aim for 2×."
	echo
	echo "$table"
} >>"$OUT"
say "appended to ${OUT#"$ROOT"/}"
