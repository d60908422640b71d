#!/usr/bin/env bash
# s3.sh: the S3 store's numbers against s3rver on this machine, one
# Markdown table on stdout (standalone; run.sh may call it):
#   1. batch of 100 downloads: presigned URLs (storage.type = s3) vs the
#      local store, requests/s with wrk (target >= 0.5x);
#   2. one upload proxied through the server into the bucket vs boto3's
#      upload_file (what `aws s3 cp` does) of the same file straight to
#      s3rver (target >= 0.8x);
#   3. the server's peak RSS (VmHWM) over N concurrent uploads of M MiB
#      each into the bucket (target <= 64 MiB).
# Exits 0 whatever the timings; non-zero only when something broke.
# Knobs: BENCH_S3_BIG_MIB=256  BENCH_RSS_MIB=256  BENCH_RSS_N=8
#        BENCH_WRK_SECONDS=4
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/build/bin
HERE=$ROOT/tests/bench
BIG_MIB=${BENCH_S3_BIG_MIB:-256}
RSS_MIB=${BENCH_RSS_MIB:-256}
RSS_N=${BENCH_RSS_N:-8}
WRK_SECS=${BENCH_WRK_SECONDS:-4}
LFS_TYPE=application/vnd.git-lfs+json
S3CHECK=$ROOT/tests/integration/s3check.py

say() { echo "bench-s3: $*" >&2; }
die() {
	echo "bench-s3: error: $*" >&2
	exit 1
}
for t in curl wrk openssl node /usr/bin/python3; do
	command -v "$t" >/dev/null 2>&1 || die "missing $t (run scripts/deps.sh bench and test)"
done
[ -x "$BIN/lfs-server" ] || die "no $BIN/lfs-server: run make all first"

mkdir -p "$ROOT/build/bench"
WORK=$(mktemp -d "$ROOT/build/bench/s3.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	"$ROOT/tests/services/s3rver.sh" stop "$WORK/s3rver" || true
	rm -rf "$WORK"
}
trap cleanup EXIT

eval "$("$ROOT/tests/services/s3rver.sh" start "$WORK/s3rver")"
export S3_ENDPOINT S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY
/usr/bin/python3 "$S3CHECK" mb bench || die "cannot make the bucket"
/usr/bin/python3 "$S3CHECK" mb direct || die "cannot make the bucket"
printf '%s\n' "$S3_SECRET_ACCESS_KEY" >"$WORK/secret"
cat >"$WORK/s3.conf" <<EOC
[storage]
	type = s3
[s3]
	endpoint = $S3_ENDPOINT
	bucket = bench
	path-style = true
	access-key-id = $S3_ACCESS_KEY_ID
	secret-key-file = $WORK/secret
EOC
: >"$WORK/local.conf"

# start NAME CONF: a server on a free port; sets URL and PID.
start() {
	local log="$WORK/$1.log" i=0
	"$BIN/lfs-server" --listen 127.0.0.1:0 --data "$WORK/$1-data" --config "$2" 2>"$log" &
	PID=$!
	PIDS+=("$PID")
	while ! grep -q '^listening on' "$log" 2>/dev/null; do
		kill -0 "$PID" 2>/dev/null || { cat "$log" >&2; die "$1 server exited"; }
		[ $i -lt 400 ] || die "$1 server not ready"
		sleep 0.05
		i=$((i + 1))
	done
	URL=$(sed -n 's/^listening on //p' "$log" | head -n1)
}

# --- 1. batch of 100 -----------------------------------------------------------
mkdir -p "$WORK/small"
objs=
for i in $(seq 1 100); do
	f="$WORK/small/$i"
	printf 'small object %d\n' "$i" >"$f"
	oid=$(openssl dgst -sha256 -r "$f" | cut -c1-64)
	objs="$objs${objs:+,}{\"oid\":\"$oid\",\"size\":$(wc -c <"$f")}"
done
printf '{"operation":"download","objects":[%s]}' "$objs" >"$WORK/batch.json"

batch_rps() { # URL: requests/s of the 100-object download batch
	local out
	out=$(BENCH_BODY="$WORK/batch.json" wrk -t1 -c4 -d"${WRK_SECS}s" -s "$HERE/batch.lua" \
		"$1/bench/r/info/lfs/objects/batch" 2>&1) || die "wrk failed"
	if grep -q 'Non-2xx' <<<"$out"; then echo "$out" >&2; die "error answers"; fi
	awk '/Requests\/sec/ { print $2 }' <<<"$out"
}

declare -A RPS
for kind in local s3; do
	start "$kind" "$WORK/$kind.conf"
	for f in "$WORK"/small/*; do
		oid=$(openssl dgst -sha256 -r "$f" | cut -c1-64)
		code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$f" \
			"$URL/bench/r/info/lfs/objects/$oid")
		[ "$code" = 200 ] || die "upload to $kind: $code"
	done
	curl -sS -H "Content-Type: $LFS_TYPE" --data-binary @"$WORK/batch.json" \
		"$URL/bench/r/info/lfs/objects/batch" >"$WORK/answer.json"
	if [ "$kind" = s3 ]; then
		grep -q "$S3_ENDPOINT/bench/objects/" "$WORK/answer.json" || die "no presigned hrefs"
	fi
	say "batch, $kind store"
	RPS[$kind]=$(batch_rps "$URL")
	kill -TERM "$PID"
	wait "$PID" || true
done

# --- 2. one big upload: through the server vs straight to s3rver ---------------
start s3big "$WORK/s3.conf"
# (openssl dies of SIGPIPE when head has enough: not a failure)
{ openssl enc -aes-128-ctr -pass pass:big -nosalt -pbkdf2 -in /dev/zero 2>/dev/null || true; } |
	head -c $((BIG_MIB * 1024 * 1024)) >"$WORK/big.bin"
BIG_OID=$(openssl dgst -sha256 -r "$WORK/big.bin" | cut -c1-64)
say "upload of $BIG_MIB MiB through the server"
t0=$(date +%s.%N)
code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$WORK/big.bin" \
	"$URL/bench/r/info/lfs/objects/$BIG_OID")
t1=$(date +%s.%N)
[ "$code" = 200 ] || die "proxied upload: $code"
say "upload of $BIG_MIB MiB straight to s3rver (boto3 upload_file)"
t2=$(date +%s.%N)
/usr/bin/python3 "$S3CHECK" put direct big.bin "$WORK/big.bin" || die "direct upload failed"
t3=$(date +%s.%N)
PROXIED=$(awk -v a="$t0" -v b="$t1" -v m="$BIG_MIB" 'BEGIN { printf "%.1f", m / (b - a) }')
DIRECT=$(awk -v a="$t2" -v b="$t3" -v m="$BIG_MIB" 'BEGIN { printf "%.1f", m / (b - a) }')

# --- 3. RSS over concurrent uploads ------------------------------------------------
say "$RSS_N concurrent uploads of $RSS_MIB MiB"
jobs=()
for i in $(seq 1 "$RSS_N"); do
	f="$WORK/rss$i.bin"
	{ openssl enc -aes-128-ctr -pass "pass:rss$i" -nosalt -pbkdf2 -in /dev/zero 2>/dev/null || true; } |
		head -c $((RSS_MIB * 1024 * 1024)) >"$f"
done
for i in $(seq 1 "$RSS_N"); do
	f="$WORK/rss$i.bin"
	oid=$(openssl dgst -sha256 -r "$f" | cut -c1-64)
	curl -sS -o "$WORK/rss$i.out" -w '%{http_code}' -X PUT --data-binary @"$f" \
		"$URL/bench/r/info/lfs/objects/$oid" >"$WORK/rss$i.code" &
	jobs+=($!)
done
for j in "${jobs[@]}"; do wait "$j" || die "an upload failed"; done
for i in $(seq 1 "$RSS_N"); do [ "$(cat "$WORK/rss$i.code")" = 200 ] || die "upload $i: $(cat "$WORK/rss$i.code")"; done
HWM_KB=$(awk '/^VmHWM/ { print $2 }' "/proc/$PID/status")
RSS_PEAK=$(awk -v k="$HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<EOT
| S3 store (s3rver on loopback) | ours | reference | ratio | target |
|---|---|---|---|---|
| batch of 100 downloads, requests/s | ${RPS[s3]} (presigned) | ${RPS[local]} (local store) | $(ratio "${RPS[s3]}" "${RPS[local]}")× | ≥ 0.5× |
| upload of $BIG_MIB MiB, MiB/s | $PROXIED (through the server) | $DIRECT (boto3 straight to s3rver) | $(ratio "$PROXIED" "$DIRECT")× | ≥ 0.8× |
| peak server RSS, $RSS_N concurrent uploads of $RSS_MIB MiB | $RSS_PEAK MiB | | | ≤ 64 MiB |
EOT
