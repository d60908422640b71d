#!/bin/bash
test_description='two servers on one PostgreSQL database, concurrent uploads, a feed reader polling all the while: it never skips an entry'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-pg.sh"

# A mirror reads /_lfs/journal?after=LAST and never looks back: if number
# 7 became visible before 6, a poll between the two commits would move
# LAST past 6 for good.  The reader below does exactly what a mirror does,
# alternating servers, and records any page that does not start at LAST+1
# or is not consecutive.  Writers on both servers race meanwhile, several
# of them on the same objects (one journal row per repo, one feed row per
# object, whoever wins).

PER_SERVER=40
JOBS=6

pg_start || { echo "Bail out! no PostgreSQL"; exit 1; }
URL=$(pg_createdb feed) || { echo "Bail out! cannot create a database"; exit 1; }
DB=${URL##*/}

head -c 32 /dev/urandom >secret && chmod 600 secret
cat >server.cfg <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
[auth]
	secret-file = $TRASH/secret
[meta]
	type = postgresql
	url = $URL
[repo "pub/*"]
	read = *
	write = *
	mirror = true
[journal]
	readers = *
EOF

DATA=$TRASH/data-a start_lfs_server --config server.cfg
URL_A=$LFS_URL PID_A=$LFS_PID LOG_A=$LFS_LOG
DATA=$TRASH/data-b start_lfs_server --config server.cfg
URL_B=$LFS_URL PID_B=$LFS_PID LOG_B=$LFS_LOG

mkdir -p files
for i in $(seq $((PER_SERVER * 2))); do
	make_file "files/$i" $((100 + i)) "feed-$i"
done

# up SERVER REPO FILE: batch + PUT, with files of its own (runs in parallel).
up() {
	local url="$1" repo="$2" f="$3" oid size out code
	oid=$(sha256_of "$f") && size=$(wc -c <"$f") && out=$(mktemp -p "$TRASH") || return 1
	code=$(curl -sS -o "$out" -w '%{http_code}' -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}" \
		"$url/$repo/info/lfs/objects/batch") && [ "$code" = 200 ] || { echo "batch $f: $code" >&2; return 1; }
	auth=$(jq -r '.objects[0].actions.upload.header.Authorization // empty' "$out")
	rm -f "$out"
	[ -n "$auth" ] || return 0
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: $auth" \
		-H "Content-Type: application/octet-stream" --data-binary @"$f" \
		"$url/$repo/info/lfs/objects/$oid") && [ "$code" = 200 ] || { echo "PUT $f: $code" >&2; return 1; }
}
export -f up sha256_of
export LFS_TYPE TRASH

# The reader: polls until told to stop, then once more.  Writes every
# seq it accepted to seen, and one line per violation to bad.
reader() {
	local last=0 n=0 page first seqs s expect url final=
	: >seen && : >bad
	while :; do
		[ -e stop-reader ] && final=t
		if [ $((n % 2)) = 0 ]; then url=$URL_A; else url=$URL_B; fi
		n=$((n + 1))
		page=$(curl -sS -f "$url/_lfs/journal?after=$last&limit=1000") || { echo "poll $n failed" >>bad; return 1; }
		seqs=$(printf '%s' "$page" | jq -r '.entries[].seq')
		expect=$((last + 1))
		for s in $seqs; do
			[ "$s" = "$expect" ] || echo "poll $n: after $last got $s, wanted $expect" >>bad
			echo "$s" >>seen
			last=$s
			expect=$((s + 1))
		done
		[ -n "$final" ] && [ -z "$seqs" ] && break
	done
	echo "$n" >polls
}

reader &
READER=$!

# Writers: each server gets its own half, plus the other half to another
# repo (a second journal row, no second feed row), all at once.
{
	for i in $(seq $PER_SERVER); do
		echo "$URL_A pub/one files/$i"
		echo "$URL_B pub/one files/$((PER_SERVER + i))"
		echo "$URL_B pub/two files/$i"
		echo "$URL_A pub/two files/$((PER_SERVER + i))"
	done
} | xargs -P $JOBS -L 1 bash -c 'up "$@"' _ 2>writers.err
echo $? >writers.rc
: >stop-reader
wait $READER
echo $? >reader.rc

test_expect_success 'every upload on either server succeeded' '
	test "$(cat writers.rc)" = 0 || { cat writers.err >&2; false; }
'

test_expect_success 'the reader polled while the writers ran, and never saw a gap or a step back' '
	test "$(cat reader.rc)" = 0 &&
	test "$(cat polls)" -gt 2 &&
	test_must_be_empty bad
'

test_expect_success 'the reader saw every feed entry once: 1..N, N = distinct objects' '
	seq $((PER_SERVER * 2)) >want &&
	test_cmp want seen &&
	test "$(pg_psql "$DB" "SELECT count(*), count(DISTINCT oid), min(seq), max(seq) FROM feed")" = \
		"$((PER_SERVER * 2))|$((PER_SERVER * 2))|1|$((PER_SERVER * 2))"
'

test_expect_success 'the journal is gap-free too: one row per (repo, object), numbered 1..M' '
	M=$((PER_SERVER * 4)) &&
	test "$(pg_psql "$DB" "SELECT count(*), min(seq), max(seq), count(DISTINCT (repo, oid)) FROM journal")" = "$M|1|$M|$M" &&
	pg_psql "$DB" "SELECT name, value FROM counters ORDER BY name" >got &&
	printf "feed|%d\njournal|%d\n" $((PER_SERVER * 2)) "$M" >want &&
	test_cmp want got
'

test_expect_success 'both servers list the same feed' '
	curl -sS -f "$URL_A/_lfs/journal?after=0&limit=1000" | jq -c ".entries | map([.seq, .oid])" >a.json &&
	curl -sS -f "$URL_B/_lfs/journal?after=0&limit=1000" | jq -c ".entries | map([.seq, .oid])" >b.json &&
	test_cmp a.json b.json
'

test_expect_success 'no request was answered with a 5xx' '
	! grep -E "\" 5[0-9][0-9] " "$LOG_A" "$LOG_B"
'

LFS_PID=$PID_A LFS_LOG=$LOG_A stop_lfs_server 2>stop-a.err; echo $? >stop-a.rc
LFS_PID=$PID_B LFS_LOG=$LOG_B stop_lfs_server 2>stop-b.err; echo $? >stop-b.rc
test_expect_success 'both servers stop cleanly' '
	test "$(cat stop-a.rc) $(cat stop-b.rc)" = "0 0" || { cat stop-a.err stop-b.err >&2; false; }
'

test_done
