#!/bin/bash
test_description='two servers on one S3 bucket and one PostgreSQL database behind nginx: push and clone of a libtock-shaped repo with downloads straight from the store, one lock winner of 50, kill -9 of a server during a push, the journal read by lfs-mirror, and the login throttle shared by both'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-nginx.sh"
. "$TEST_ROOT/tests/integration/lib-s3.sh"
. "$TEST_ROOT/tests/integration/lib-pg.sh"

# What docs/scale-out.md describes: each server has its own DATA (tmp/,
# the lock) and access log; the bucket, the database, the users file and
# the secret file are shared; nginx balances over both.

REPO=tock/libtock-c
SMALL=500

s3_setup || { echo "Bail out! no s3rver"; exit 1; }
pg_start || { echo "Bail out! no PostgreSQL"; exit 1; }
PG_URL=$(pg_createdb scale) || { echo "Bail out! cannot create a database"; exit 1; }
DB=${PG_URL##*/}

: >users
for u in alice carol; do
	add_user users "$u" "$u-pw" || { echo "Bail out! htpasswd failed"; exit 1; }
done
head -c 32 /dev/urandom >secret && chmod 600 secret
s3_config common.conf lfs
cat >>common.conf <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
[server]
	behind-proxy = true
[auth]
	users = $TRASH/users
	secret-file = $TRASH/secret
	lockout-failures = 4
[meta]
	type = postgresql
	url = $PG_URL
[repo "tock/*"]
	read = *
	write = alice
	mirror = true
[repo "priv/*"]
	read = alice carol
[journal]
	readers = *
EOF
for s in a b; do
	cp common.conf $s.conf && printf '[server]\n\taccess-log = %s\n' "$TRASH/access-$s.log" >>$s.conf
done

DATA=$TRASH/data-a start_lfs_server --config a.conf
URL_A=$LFS_URL PID_A=$LFS_PID LOG_A=$LFS_LOG
DATA=$TRASH/data-b start_lfs_server --config b.conf
URL_B=$LFS_URL PID_B=$LFS_PID LOG_B=$LFS_LOG
start_nginx_upstream lb "${URL_A#http://}" "${URL_B#http://}"
LB=$NGINX_URL
ENDPOINT="$LB/$REPO.git/info/lfs"
printf 'http://alice:alice-pw@%s\n' "${LB#http://}" >creds-alice

test_expect_success 'two servers, each on its own DATA, behind nginx' '
	test -n "$PID_A" && test -n "$PID_B" && test -n "$LB" &&
	test "$URL_A" != "$URL_B" &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" "$LB/healthz")" = 200
'

# key OID: the object's key in the bucket.
key() {
	printf 'lfs/objects/%s/%s/%s' "$(printf %s "$1" | cut -c1-2)" "$(printf %s "$1" | cut -c3-4)" "$1"
}

# libs DIR RELEASE SIZE...: prebuilt libraries, one per SIZE (bytes),
# different bytes for every release.
libs() {
	local dir="$1" rel="$2" n=0 size
	shift 2
	for size in "$@"; do
		n=$((n + 1))
		mkdir -p "$dir/lib/cortex-m$n" &&
		make_file "$dir/lib/cortex-m$n/libtock.a" "$size" "$rel-$n" || return 1
	done
}

# expected_objects DIR...: "key size" of every file under the DIRs, sorted
# and once each (as the bucket lists them).
expected_objects() {
	{ find "$@" -type f -printf 'S %s %p\n' && find "$@" -type f -exec sha256sum {} + | sed 's/^/H /'; } |
	awk '$1 == "S" { size[$3] = $2; next }
	     { oid[$3] = $2 }
	     END { for (p in oid) printf "lfs/objects/%s/%s/%s %s\n", substr(oid[p], 1, 2), substr(oid[p], 3, 2), oid[p], size[p] }' |
	sort -u
}

test_expect_success 'setup: a libtock-shaped repo (libraries and 500 small files, all in LFS)' '
	git lfs install --skip-repo >/dev/null &&
	git init -q --bare origin.git &&
	git init -q wt &&
	(
		cd wt &&
		git remote add origin ../origin.git &&
		git config lfs.url "$ENDPOINT" &&
		git config credential.helper "store --file=$TRASH/creds-alice" &&
		git lfs track "*.a" "*.dat" >/dev/null &&
		libs ../v1 v1 6000000 12000000 24000000 &&
		cp -r ../v1/lib . &&
		mkdir -p examples &&
		make_file ../small $((SMALL * 1500)) small &&
		split -b 1500 -a 3 -d --additional-suffix=.dat ../small examples/e &&
		git add . && git commit -q -m v1
	) &&
	test "$(cd wt && git lfs ls-files -n | wc -l)" = $((SMALL + 3))
'

test_expect_success 'git push through nginx puts every object in the bucket (boto3 lists them)' '
	(cd wt && git push -q origin main 2>../push1.err) &&
	expected_objects v1 wt/examples >want &&
	s3 ls "$S3_BUCKET" >got &&
	test_cmp want got
'

test_expect_success 'both servers took part in the push' '
	grep -q "\"PUT /$REPO/info/lfs/objects/" access-a.log &&
	grep -q "\"PUT /$REPO/info/lfs/objects/" access-b.log
'

test_expect_success 'the batch answer through nginx: download hrefs are presigned URLs on the store' '
	oid=$(sha256_of wt/lib/cortex-m3/libtock.a) &&
	code=$(curl -sS -o batch.json -w "%{http_code}" -H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":24000000}]}" \
		"$ENDPOINT/objects/batch") &&
	test "$code" = 200 &&
	href=$(jq -r ".objects[0].actions.download.href" batch.json) &&
	case "$href" in "$S3_ENDPOINT/$S3_BUCKET/$(key "$oid")?"*X-Amz-Signature=*) ;; *) echo "href $href" >&2; false ;; esac
'

test_expect_success 'git clone through nginx: every file byte-identical, no object GET on either server' '
	git clone -q -c lfs.url="$ENDPOINT" origin.git clone 2>clone.err &&
	(cd clone && git lfs ls-files -n | wc -l >../nfiles) &&
	test "$(cat nfiles)" = $((SMALL + 3)) &&
	for f in lib/cortex-m1/libtock.a lib/cortex-m2/libtock.a lib/cortex-m3/libtock.a; do
		cmp wt/$f clone/$f || return 1
	done &&
	diff -r wt/examples clone/examples &&
	! grep -E "\"GET /$REPO(\.git)?/info/lfs/objects/" access-a.log access-b.log
'

# --- 50 clients racing for one lock --------------------------------------
N=50
TARGETS=("$LB" "$URL_A" "$URL_B")

test_expect_success "$N clients lock one path, through nginx and at each server: one 201, the rest 409" '
	mkdir race && : >race/barrier &&
	exec 8>race/barrier && flock -x 8 &&
	for i in $(seq $N); do
		(
			exec 8>&-
			flock -s race/barrier true &&
			curl -sS -o race/$i.body -w "%{http_code}\n" -u alice:alice-pw \
				-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" \
				--data-binary "{\"path\":\"lib/cortex-m1/libtock.a\"}" \
				"${TARGETS[$((i % 3))]}/$REPO.git/info/lfs/locks" >race/$i.status 2>race/$i.err
		) &
	done &&
	exec 8>&- &&
	wait &&
	cat race/*.status | sort | uniq -c | sed "s/^ *//" >got &&
	printf "1 201\n%d 409\n" $((N - 1)) >want &&
	test_cmp want got &&
	test "$(pg_psql "$DB" "SELECT count(*) FROM locks")" = 1
'

# --- kill -9 of one server during a push ---------------------------------
libs v2 v2 20000000 20000000 20000000 20000000
V2_OIDS=$(for f in v2/lib/*/libtock.a; do sha256_of "$f"; done)

# a_busy: the push's batch is answered and server A is inside a request
# (nginx holds no idle connections to its upstreams): an object upload.
a_busy() {
	tail -n +$((up_mark + 1)) "$NGINX_UPSTREAM_LOG" | grep -q "^POST /$REPO.git/info/lfs/objects/batch 200 " &&
	ss -Htn state established "( sport = :${URL_A##*:} )" | grep -q .
}

test_expect_success 'kill -9 of server A while it takes an upload: the push finishes through B' '
	cp -r v2/lib wt/ &&
	(cd wt && git add lib && git commit -q -m v2) &&
	up_mark=$(wc -l <"$NGINX_UPSTREAM_LOG") &&
	(cd wt && git push -q origin main >../push2.out 2>../push2.err; echo $? >../push2.rc) &
	push=$! &&
	POLL_TRIES=1200 test_poll a_busy &&
	LFS_PID=$PID_A LFS_LOG=$LOG_A kill9_lfs_server &&
	wait $push &&
	test "$(cat push2.rc)" = 0 || { cat push2.err >&2; false; }
'

# a_busy sees a connection to A, not which request it carries: uploads
# now take tens of milliseconds, and a full parallel run once killed A
# inside a locks/verify (a POST, which nginx does not retry; git-lfs did,
# and the push above finished).  Whatever A was answering when killed:
# every PUT that reached A and failed there was retried on B, and at
# least one request was cut off at A.
test_expect_success 'nginx sent the upload A was taking on to B' '
	tail -n +$((up_mark + 1)) "$NGINX_UPSTREAM_LOG" >up.log &&
	grep -E "\[502(, [0-9]+)?\]$" up.log | grep -q "${URL_A#http://}" &&
	! grep -E "^PUT .* [0-9]+ \[${URL_A#http://}\] \[502\]$" up.log &&
	if grep -qE "^PUT .* \[${URL_A#http://}, " up.log; then
		grep -E "^PUT /$REPO(\.git)?/info/lfs/objects/[0-9a-f]{64} 200 \[${URL_A#http://}, ${URL_B#http://}\] \[502, 200\]" up.log
	fi
'

test_expect_success 'the bucket holds every object once, nothing half-uploaded (boto3)' '
	expected_objects v1 v2 wt/examples >want &&
	test "$(wc -l <want)" = $((SMALL + 7)) &&
	s3 ls "$S3_BUCKET" >got &&
	test_cmp want got
'

test_expect_success 'the metadata records every object once, nothing more (psql)' '
	expected_objects v1 v2 wt/examples | sed "s|^lfs/objects/../../||; s/ /|/" >want &&
	pg_psql "$DB" "SELECT oid, size FROM journal WHERE repo = '\''$REPO'\'' ORDER BY oid" >got &&
	test_cmp want got &&
	test "$(pg_psql "$DB" "SELECT count(*) FROM journal")" = $((SMALL + 7))
'

test_expect_success 'lfs-mirror reads the journal through nginx: every object once, seqs 1..N' '
	curl -sS -f "$LB/_lfs/journal?after=0&limit=10000" >journal.json &&
	jq -r ".entries[].seq" journal.json >seqs &&
	seq $((SMALL + 7)) >want.seqs &&
	test_cmp want.seqs seqs &&
	jq -r ".entries[].oid" journal.json | sort >oids &&
	sort -u oids >oids.u &&
	test_cmp oids.u oids &&
	test "$(wc -l <oids)" = $((SMALL + 7)) &&
	"$BIN/lfs-mirror" sync --from "$LB" --to mirror >sync.out 2>sync.err &&
	grep -q "^synced $((SMALL + 7)) objects (.*), skipped 0, last_seq $((SMALL + 7))\$" sync.out &&
	(cd mirror && find objects -type f | sort) >tree &&
	expected_objects v1 v2 wt/examples | cut -d" " -f1 | sed "s|^lfs/||" >want.tree &&
	test_cmp want.tree tree &&
	for f in v2/lib/*/libtock.a; do
		cmp "$f" "$(obj_path mirror "$(sha256_of "$f")")" || return 1
	done
'

test_expect_success 'still no object GET on either server' '
	! grep -E "\"GET /$REPO(\.git)?/info/lfs/objects/" access-a.log access-b.log
'

# --- the login throttle, shared through the database ----------------------
DATA=$TRASH/data-a start_lfs_server --config a.conf
URL_A=$LFS_URL PID_A=$LFS_PID LOG_A=$LFS_LOG

# status_at URL USER:PASS [XFF]: the status of a locks listing of a private
# repo, asked for by the client address XFF (default 192.0.2.7).
status_at() {
	http_status GET "$1/priv/x/info/lfs/locks" -u "$2" -H "X-Forwarded-For: ${3:-192.0.2.7}"
}

test_expect_success 'lockout-failures = 4: two wrong passwords at each server lock the address out at both' '
	server_started &&
	for u in "$URL_A" "$URL_A" "$URL_B" "$URL_B"; do
		test "$(status_at "$u" carol:wrong)" = 401 || return 1
	done &&
	test "$(status_at "$URL_A" carol:carol-pw)" = 429 &&
	grep -qi "^Retry-After: [0-9]" "$TRASH/headers" &&
	test "$(status_at "$URL_B" carol:carol-pw)" = 429
'

test_expect_success 'another address is not locked out, at either server' '
	test "$(status_at "$URL_A" carol:carol-pw 192.0.2.8)" = 200 &&
	test "$(status_at "$URL_B" carol:carol-pw 192.0.2.8)" = 200
'

stop_nginx
LFS_PID=$PID_A LFS_LOG=$LOG_A stop_lfs_server 2>stop-a.err; echo $? >stop-a.rc
LFS_PID=$PID_B LFS_LOG=$LOG_B stop_lfs_server 2>stop-b.err; echo $? >stop-b.rc
test_expect_success 'both servers stop cleanly' '
	test "$(cat stop-a.rc) $(cat stop-b.rc)" = "0 0" || { cat stop-a.err stop-b.err >&2; false; }
'

test_done
