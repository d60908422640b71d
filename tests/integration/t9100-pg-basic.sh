#!/bin/bash
test_description='metadata in PostgreSQL: push/clone, locks, the feed and a mirror, restarts, schema migrations'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-pg.sh"

pg_start || { echo "Bail out! no PostgreSQL"; exit 1; }
URL=$(pg_createdb main) || { echo "Bail out! cannot create a database"; exit 1; }
DB=${URL##*/}

cat >server.cfg <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
[meta]
	type = postgresql
	url = $URL
[repo "pub/*"]
	read = *
	mirror = true
[journal]
	readers = *
EOF

feed_seqs() {
	curl -sS -f "$LFS_URL/_lfs/journal?after=0&limit=1000" | jq -r '.entries[].seq' | tr '\n' ' '
}

start_lfs_server --config server.cfg

test_expect_success 'the server starts on PostgreSQL and creates the schema (version 5)' '
	server_started &&
	test "$(pg_psql "$DB" "SELECT version FROM schema_version")" = 5 &&
	pg_psql "$DB" "SELECT name, value FROM counters ORDER BY name" >counters &&
	printf "feed|0\njournal|0\n" >want &&
	test_cmp want counters &&
	test ! -e "$DATA/meta.db"
'

test_expect_success 'git push and clone through the server' '
	git lfs install --skip-repo &&
	git init -q --bare origin.git &&
	git init -q wt &&
	(
		cd wt &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LFS_URL/pub/tock.git/info/lfs" &&
		git lfs track "*.bin" &&
		make_file a.bin 300000 seed-a &&
		make_file b.bin 5000 seed-b &&
		git add .gitattributes a.bin b.bin &&
		git commit -q -m first &&
		git push -q origin main
	) &&
	git clone -q -c lfs.url="$LFS_URL/pub/tock.git/info/lfs" origin.git clone 2>clone.err &&
	cmp wt/a.bin clone/a.bin &&
	cmp wt/b.bin clone/b.bin
'

test_expect_success 'the journal and the feed are in the database, numbered 1, 2' '
	pg_psql "$DB" "SELECT seq, repo, oid, size FROM journal ORDER BY seq" >journal &&
	printf "1|pub/tock|%s|%s\n" $(sha256_of wt/a.bin) 300000 $(sha256_of wt/b.bin) 5000 | sort -t"|" -k3 >want.unsorted &&
	cut -d"|" -f2- journal | sort -t"|" -k2 >got.cols &&
	cut -d"|" -f2- want.unsorted | sort -t"|" -k2 >want.cols &&
	test_cmp want.cols got.cols &&
	test "$(cut -d"|" -f1 journal | tr "\n" " ")" = "1 2 " &&
	test "$(feed_seqs)" = "1 2 "
'

test_expect_success 'lfs-mirror syncs every object from the feed' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to mirror >out 2>err &&
	echo "synced 2 objects (305000 bytes), skipped 0, last_seq 2" >expect &&
	test_cmp expect out &&
	cmp wt/a.bin "$(obj_path mirror "$(sha256_of wt/a.bin)")"
'

lock() { # PATH: prints the status, body in $TRASH/body
	http_status POST "$LFS_URL/pub/tock.git/info/lfs/locks" -H "Accept: $LFS_TYPE" \
		-H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"$1\"}"
}

test_expect_success 'locks: 201, then 409 naming the existing lock, listed, unlocked' '
	test "$(lock assets/x.bin)" = 201 &&
	id=$(jq -r .lock.id body) &&
	test "$(lock assets/x.bin)" = 409 &&
	jq -e --arg id "$id" ".lock.id == \$id and .message == \"already created lock\"" body &&
	test "$(http_status GET "$LFS_URL/pub/tock.git/info/lfs/locks?path=assets/x.bin")" = 200 &&
	jq -e --arg id "$id" "[.locks[].id] == [\$id]" body &&
	test "$(pg_psql "$DB" "SELECT id FROM locks")" = "$id" &&
	test "$(http_status POST "$LFS_URL/pub/tock.git/info/lfs/locks/$id/unlock" -H "Content-Type: $LFS_TYPE" --data-binary "{}")" = 200 &&
	test "$(pg_psql "$DB" "SELECT count(*) FROM locks")" = 0
'

test_expect_success 'lock listing pages in id order' '
	for p in 1 2 3 4 5; do test "$(lock "page/$p")" = 201 || return 1; done &&
	pg_psql "$DB" "SELECT id FROM locks ORDER BY id COLLATE \"C\"" >want &&
	test "$(http_status GET "$LFS_URL/pub/tock.git/info/lfs/locks?limit=2")" = 200 &&
	jq -r ".locks[].id" body >got && c=$(jq -r .next_cursor body) &&
	test "$(http_status GET "$LFS_URL/pub/tock.git/info/lfs/locks?limit=2&cursor=$c")" = 200 &&
	jq -r ".locks[].id" body >>got && c=$(jq -r .next_cursor body) &&
	test "$(http_status GET "$LFS_URL/pub/tock.git/info/lfs/locks?limit=2&cursor=$c")" = 200 &&
	jq -r ".locks[].id" body >>got &&
	jq -e "has(\"next_cursor\") | not" body &&
	test_cmp want got
'

test_expect_success 'a re-upload changes nothing; another repo gets its own journal row' '
	lfs_upload pub/tock wt/a.bin &&
	lfs_upload priv/x wt/a.bin &&
	pg_psql "$DB" "SELECT seq, repo FROM journal ORDER BY seq" >got &&
	printf "1|pub/tock\n2|pub/tock\n3|priv/x\n" >want &&
	test_cmp want got &&
	test "$(feed_seqs)" = "1 2 "
'

test_expect_success '/metrics and the status page read the database' '
	curl -sS -f "$LFS_URL/metrics" >metrics &&
	grep -x "lfs_objects_stored 2" metrics &&
	grep -x "lfs_stored_bytes 305000" metrics &&
	grep -x "lfs_feed_last_seq 2" metrics &&
	curl -sS -f "$LFS_URL/_lfs/status" >status.html &&
	grep -q "pub/tock" status.html &&
	grep -q "priv/x" status.html
'

for cmd in stats uploads repos fsck "backup bk"; do
	test_expect_success "lfs-admin $cmd refuses a postgresql config in one clear line" '
		test_expect_code 1 "$BIN/lfs-admin" --config server.cfg $cmd >out 2>err &&
		test_must_be_empty out &&
		test "$(wc -l <err)" = 1 &&
		grep -F "reads SQLite metadata (DATA/meta.db) only" err &&
		grep -F "meta.type = postgresql" err &&
		test_path_is_missing bk
	'
done

test_expect_success 'lfs-admin verify-mirrors works on the postgresql metadata' '
	"$BIN/lfs-admin" --config server.cfg verify-mirrors >out 2>err ||
	{ cat out err; false; }
'

stop_rc
start_lfs_server --config server.cfg

test_expect_success 'a restart on a current schema migrates nothing and keeps everything' '
	stopped_cleanly && server_started &&
	test "$(log_count "migrated")" = 0 &&
	test "$(pg_psql "$DB" "SELECT version FROM schema_version")" = 5 &&
	test "$(pg_psql "$DB" "SELECT count(*) FROM schema_version")" = 1 &&
	test "$(feed_seqs)" = "1 2 " &&
	test "$(pg_psql "$DB" "SELECT count(*) FROM locks")" = 5
'

stop_rc

test_expect_success 'a database one step behind is migrated, once, with a log line' '
	stopped_cleanly &&
	pg_psql "$DB" "DROP TABLE throttle; UPDATE schema_version SET version = 4" &&
	start_lfs_server --config server.cfg &&
	test "$(pg_psql "$DB" "SELECT version FROM schema_version")" = 5 &&
	pg_psql "$DB" "SELECT count(*) FROM throttle" &&
	test "$(log_count "schema migrated from version 4 to 5")" = 1 &&
	stop_lfs_server
'

test_expect_success 'a database of a newer schema is refused: the server does not start' '
	pg_psql "$DB" "UPDATE schema_version SET version = 6" &&
	test_must_fail "$BIN/lfs-server" --listen 127.0.0.1:0 --data "$DATA" --config server.cfg 2>err &&
	grep "schema version 6, newer than this lfs-server.s 5" err &&
	test "$(pg_psql "$DB" "SELECT version FROM schema_version")" = 6 &&
	pg_psql "$DB" "UPDATE schema_version SET version = 5"
'

test_expect_success 'meta.type = postgresql without meta.url is refused, naming the key' '
	printf "[meta]\n\ttype = postgresql\n" >nourl.cfg &&
	test_must_fail "$BIN/lfs-server" --listen 127.0.0.1:0 --data "$DATA" --config nourl.cfg 2>err &&
	grep "meta.url" err
'

test_expect_success 'an unreachable database at start: a clear error, no start' '
	printf "[meta]\n\ttype = postgresql\n\turl = postgresql://%s@127.0.0.1:1/x\n" "$LFS_PG_USER" >down.cfg &&
	test_must_fail "$BIN/lfs-server" --listen 127.0.0.1:0 --data "$DATA" --config down.cfg 2>err &&
	grep "cannot connect to the metadata database (meta.url)" err
'

test_expect_success 'a password in meta.url never reaches the error message' '
	printf "[meta]\n\ttype = postgresql\n\turl = postgresql://%s:s3cret-pw@127.0.0.1:%s/%s\n" "nosuchuser" "$LFS_PG_PORT" "$DB" >pw.cfg &&
	test_must_fail "$BIN/lfs-server" --listen 127.0.0.1:0 --data "$DATA" --config pw.cfg 2>err &&
	grep "metadata database" err &&
	! grep "s3cret-pw" err
'

test_done
