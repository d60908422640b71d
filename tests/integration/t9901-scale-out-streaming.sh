#!/bin/bash
test_description='two servers on one S3 bucket and one PostgreSQL database behind nginx with request buffering off: a server killed during a push cuts the uploads it was taking (502), git-lfs sends them again through the other, and nothing of the cut uploads is visible'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-nginx.sh"
. "$TEST_ROOT/tests/integration/lib-s3.sh"
. "$TEST_ROOT/tests/integration/lib-pg.sh"

# t9900 runs the whole scenario with nginx's default (bodies buffered,
# nginx replays a cut upload); this is the other configuration
# docs/scale-out.md describes, where the client has to.

REPO=tock/libtock-c

s3_setup || { echo "Bail out! no s3rver"; exit 1; }
pg_start || { echo "Bail out! no PostgreSQL"; exit 1; }
PG_URL=$(pg_createdb stream) || { echo "Bail out! cannot create a database"; exit 1; }
DB=${PG_URL##*/}

: >users
add_user users alice alice-pw || { echo "Bail out! htpasswd failed"; exit 1; }
head -c 32 /dev/urandom >secret && chmod 600 secret
s3_config common.conf lfs
cat >>common.conf <<EOC || { echo "Bail out! cannot write the config"; exit 1; }
[server]
	behind-proxy = true
[auth]
	users = $TRASH/users
	secret-file = $TRASH/secret
[meta]
	type = postgresql
	url = $PG_URL
[repo "tock/*"]
	read = *
	write = alice
EOC

DATA=$TRASH/data-a start_lfs_server --config common.conf
URL_A=$LFS_URL PID_A=$LFS_PID LOG_A=$LFS_LOG
DATA=$TRASH/data-b start_lfs_server --config common.conf
URL_B=$LFS_URL PID_B=$LFS_PID LOG_B=$LFS_LOG
NGINX_REQUEST_BUFFERING=off start_nginx_upstream lb "${URL_A#http://}" "${URL_B#http://}"
LB=$NGINX_URL
printf 'http://alice:alice-pw@%s\n' "${LB#http://}" >creds-alice

key() {
	printf 'lfs/objects/%s/%s/%s' "$(printf %s "$1" | cut -c1-2)" "$(printf %s "$1" | cut -c3-4)" "$1"
}

test_expect_success 'setup: two servers behind nginx (request buffering off), four libraries' '
	test -n "$PID_A" && test -n "$PID_B" && test -n "$LB" &&
	grep -q "proxy_request_buffering off;" lb/nginx.conf &&
	git lfs install --skip-repo >/dev/null &&
	git init -q --bare origin.git &&
	git init -q wt &&
	(
		cd wt &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LB/$REPO.git/info/lfs" &&
		git config credential.helper "store --file=$TRASH/creds-alice" &&
		git lfs track "*.a" >/dev/null &&
		for n in 1 2 3 4; do
			mkdir -p lib/cortex-m$n &&
			make_file lib/cortex-m$n/libtock.a 16000000 lib-$n || return 1
		done &&
		git add . && git commit -q -m v1
	)
'

# a_busy: the push's batch is answered and server A is inside a request
# (nginx holds no idle connections to its upstreams): an object upload.
a_busy() {
	grep -q "^POST /$REPO.git/info/lfs/objects/batch 200 " "$NGINX_UPSTREAM_LOG" &&
	ss -Htn state established "( sport = :${URL_A##*:} )" | grep -q .
}

test_expect_success 'kill -9 of server A while it takes an upload: the push finishes' '
	(cd wt && git push -q origin main >../push.out 2>../push.err; echo $? >../push.rc) &
	push=$! &&
	POLL_TRIES=1200 test_poll a_busy &&
	LFS_PID=$PID_A LFS_LOG=$LOG_A kill9_lfs_server &&
	wait $push &&
	test "$(cat push.rc)" = 0 || { cat push.err >&2; false; }
'

# cut: the oids whose upload nginx answered 502 from A.
A=${URL_A#http://} B=${URL_B#http://}
test_expect_success 'nginx answered 502 for what A was taking; git-lfs sent each again, through B' '
	sed -n "s|^PUT /$REPO/info/lfs/objects/\([0-9a-f]*\) 502 \[$A\] \[502\]\$|\1|p" "$NGINX_UPSTREAM_LOG" >cut &&
	test -s cut &&
	while read -r oid; do
		grep -q "^PUT /$REPO/info/lfs/objects/$oid 200 \[$B\] \[200\]\$" "$NGINX_UPSTREAM_LOG" || return 1
	done <cut
'

test_expect_success 'the bucket holds the four objects, the cut ones whole (boto3)' '
	for f in wt/lib/*/libtock.a; do
		printf "%s %s\n" "$(key "$(sha256_of "$f")")" 16000000
	done | sort >want &&
	s3 ls "$S3_BUCKET" >got &&
	test_cmp want got &&
	while read -r oid; do
		s3 get "$S3_BUCKET" "$(key "$oid")" obj &&
		test "$(sha256_of obj)" = "$oid" || return 1
	done <cut
'

test_expect_success 'the database records the four objects once each (psql)' '
	for f in wt/lib/*/libtock.a; do
		printf "%s|16000000\n" "$(sha256_of "$f")"
	done | sort >want &&
	pg_psql "$DB" "SELECT oid, size FROM journal WHERE repo = '\''$REPO'\'' ORDER BY oid" >got &&
	test_cmp want got &&
	test "$(pg_psql "$DB" "SELECT count(*) FROM journal")" = 4
'

test_expect_success 'a clone through nginx (A is gone) gets the same bytes' '
	git clone -q -c lfs.url="$LB/$REPO.git/info/lfs" origin.git clone 2>clone.err &&
	for f in wt/lib/*/libtock.a; do
		cmp "$f" "clone/${f#wt/}" || return 1
	done
'

stop_nginx
LFS_PID=$PID_B LFS_LOG=$LOG_B stop_lfs_server 2>stop-b.err; echo $? >stop-b.rc
test_expect_success 'server B stops cleanly' '
	test "$(cat stop-b.rc)" = 0 || { cat stop-b.err >&2; false; }
'

test_done
