#!/bin/bash
test_description='the PostgreSQL database stops under a running server: 503 with Retry-After, nothing acknowledged, recovery when it is back'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-pg.sh"

# A cluster of our own: this script stops it.
pg_start --own || { echo "Bail out! no PostgreSQL"; exit 1; }
URL=$(pg_createdb down) || { echo "Bail out! cannot create a database"; exit 1; }
DB=${URL##*/}

cat >server.cfg <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
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

make_file before 1000 before && make_file during 2000 during
OID=$(sha256_of during)
start_lfs_server --config server.cfg

# busy STATUS-FILE: a 503 with Retry-After and a message naming the database.
busy() {
	[ "$1" = 503 ] &&
	grep -qi "^Retry-After: [0-9]" headers &&
	jq -e '.message | test("metadata database unavailable")' body >/dev/null
}

test_expect_success 'setup: an upload and a lock while the database is up' '
	lfs_upload pub/a before &&
	test "$(http_status POST "$LFS_URL/pub/a.git/info/lfs/locks" -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"path\":\"x.bin\"}")" = 201
'

pg_stop

test_expect_success 'database down: a batch answers 503 with Retry-After and says why' '
	code=$(batch pub/a "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$(sha256_of before)\",\"size\":1000}]}") &&
	busy "$code" &&
	code=$(batch pub/a "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$(sha256_of before)\",\"size\":1000}]}") &&
	busy "$code"
'

test_expect_success 'database down: locks, the feed and an upload answer 503' '
	busy "$(http_status POST "$LFS_URL/pub/a.git/info/lfs/locks" -H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"y.bin\"}")" &&
	busy "$(http_status GET "$LFS_URL/pub/a.git/info/lfs/locks")" &&
	busy "$(http_status GET "$LFS_URL/_lfs/journal")" &&
	busy "$(http_status PUT "$LFS_URL/pub/a.git/info/lfs/objects/$OID" -H "Content-Type: application/octet-stream" --data-binary @during)"
'

test_expect_success 'the server kept serving: /healthz answers' '
	healthy
'

pg_restart

test_expect_success 'database back: the server recovers without a restart' '
	ok() { [ "$(http_status GET "$LFS_URL/pub/a.git/info/lfs/locks")" = 200 ]; } &&
	test_poll ok &&
	jq -e "[.locks[].path] == [\"x.bin\"]" body &&
	log_wait "metadata database: reconnected"
'

test_expect_success 'the upload refused while it was down was never recorded; it works now' '
	test "$(pg_psql "$DB" "SELECT count(*) FROM journal")" = 1 &&
	code=$(batch pub/a "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$OID\",\"size\":2000}]}") &&
	test "$code" = 200 &&
	jq -e ".objects[0].actions.upload" body &&
	lfs_upload pub/a during &&
	pg_psql "$DB" "SELECT seq, size FROM journal ORDER BY seq" >got &&
	printf "1|1000\n2|2000\n" >want &&
	test_cmp want got &&
	curl -sS -f "$LFS_URL/_lfs/journal" | jq -r ".entries[].seq" | tr "\n" " " >seqs &&
	test "$(cat seqs)" = "1 2 "
'

test_expect_success 'every 5xx was a 503' '
	! grep -E "\" 5(0[0-24-9]|[1-9][0-9]) " "$LFS_LOG"
'

stop_rc
test_expect_success 'the server stops cleanly' '
	stopped_cleanly
'

test_done
