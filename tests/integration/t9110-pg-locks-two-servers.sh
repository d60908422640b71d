#!/bin/bash
test_description='two servers on one PostgreSQL database: 50 clients racing for one lock get exactly one 201; tokens of one server work on the other'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-pg.sh"

# Each server has its own data dir (objects, tmp) and the same database
# and secret file, as behind a load balancer.

N=50

pg_start || { echo "Bail out! no PostgreSQL"; exit 1; }
URL=$(pg_createdb locks) || { echo "Bail out! cannot create a database"; exit 1; }
DB=${URL##*/}

: >users
for u in alice bob carol; do
	add_user users "$u" "$u-pw" || { echo "Bail out! htpasswd failed"; exit 1; }
done
head -c 32 /dev/urandom >secret && chmod 600 secret
cat >server.cfg <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
[auth]
	users = $TRASH/users
	secret-file = $TRASH/secret
[meta]
	type = postgresql
	url = $URL
[repo "tock/*"]
	read = alice bob carol
	write = alice bob
	admin = carol
EOF

# Both start at once on the empty database: one creates the schema, the
# other waits for it (a second run of a step would fail its CREATE TABLE).
for s in a b; do
	(DATA=$TRASH/data-$s start_lfs_server --config server.cfg &&
		echo "$LFS_URL $LFS_PID $LFS_LOG" >"server-$s.env") &
done
wait
read -r URL_A PID_A LOG_A <server-a.env
read -r URL_B PID_B LOG_B <server-b.env
SERVERS=("$URL_A" "$URL_B")
USERS=(bob alice)

test_expect_success 'both servers started together, each on its own data dir; the schema was made once' '
	test -n "$PID_A" && test -n "$PID_B" && test "$URL_A" != "$URL_B" &&
	test -d data-a && test -d data-b &&
	test "$(pg_psql "$DB" "SELECT count(*), max(version) FROM schema_version")" = "1|5"
'

# race DIR: runs "client I DIR" for I in 1..N, all released at once (a
# shared flock, as in t4200).
race() {
	local dir="$1" i
	mkdir -p "$dir" && : >"$dir/barrier" || return 1
	exec 8>"$dir/barrier"
	flock -x 8 || return 1
	for i in $(seq $N); do
		(exec 8>&-; flock -s "$dir/barrier" true && client "$i" "$dir") &
	done
	exec 8>&-
	wait
}

statuses() {
	cat "$1"/[0-9]*.status | sort | uniq -c | sed 's/^ *//'
}

# Client I talks to server I % 2 as user I % 2.
lfs_post() { # I URL-TAIL JSON OUT-PREFIX
	curl -sS -o "$4.body" -w '%{http_code}\n' -u "${USERS[$1 % 2]}:${USERS[$1 % 2]}-pw" \
		-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary "$3" \
		"${SERVERS[$1 % 2]}/$2" >"$4.status" 2>"$4.err"
}

test_expect_success "$N clients over two servers lock one path: one 201, the rest 409" '
	client() { lfs_post "$1" tock/race/info/lfs/locks "{\"path\":\"shared/asset.bin\"}" "$2/$1"; } &&
	race same &&
	statuses same >got &&
	printf "1 201\n%d 409\n" $((N - 1)) >want &&
	test_cmp want got
'

test_expect_success 'one lock row; every 409, from either server, names it' '
	test "$(pg_psql "$DB" "SELECT count(*) FROM locks")" = 1 &&
	winner=$(grep -l 201 same/*.status) && winner=${winner%.status} &&
	id=$(jq -r .lock.id "$winner.body") &&
	test "$(pg_psql "$DB" "SELECT id FROM locks")" = "$id" &&
	grep -l 409 same/[0-9]*.status | sed "s/status\$/body/" >losers &&
	jq -s -e --arg id "$id" "length == $((N - 1)) and all(.[]; .lock.id == \$id)" $(cat losers)
'

test_expect_success 'both servers list the lock; either server can unlock it (once)' '
	id=$(pg_psql "$DB" "SELECT id FROM locks") && test -n "$id" &&
	for u in "$URL_A" "$URL_B"; do
		curl -sS -f -u carol:carol-pw "$u/tock/race/info/lfs/locks" | jq -r ".locks[].id" >got &&
		echo "$id" >want && test_cmp want got || return 1
	done &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -u carol:carol-pw -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"force\":true}" "$URL_B/tock/race/info/lfs/locks/$id/unlock")" = 200 &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -u carol:carol-pw -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"force\":true}" "$URL_A/tock/race/info/lfs/locks/$id/unlock")" = 404
'

test_expect_success 'an upload token from server A is accepted by server B (shared secret file)' '
	make_file obj 4096 obj && oid=$(sha256_of obj) &&
	curl -sS -f -u alice:alice-pw -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":4096}]}" \
		"$URL_A/tock/x/info/lfs/objects/batch" >batch.json &&
	auth=$(jq -r ".objects[0].actions.upload.header.Authorization" batch.json) &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" -X PUT -H "Authorization: $auth" \
		-H "Content-Type: application/octet-stream" --data-binary @obj \
		"$URL_B/tock/x/info/lfs/objects/$oid")" = 200 &&
	curl -sS -f -u bob:bob-pw -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":4096}]}" \
		"$URL_A/tock/x/info/lfs/objects/batch" >batch2.json &&
	jq -e ".objects[0] | has(\"actions\") | not" batch2.json
'

test_expect_success 'no request was answered with a 5xx by either server' '
	! grep -E "\" 5[0-9][0-9] " "$LOG_A" "$LOG_B"
'

LFS_PID=$PID_A LFS_LOG=$LOG_A stop_lfs_server 2>stop-a.err; echo $? >stop-a.rc
LFS_PID=$PID_B LFS_LOG=$LOG_B stop_lfs_server 2>stop-b.err; echo $? >stop-b.rc
test_expect_success 'both servers stop cleanly' '
	test "$(cat stop-a.rc) $(cat stop-b.rc)" = "0 0" || { cat stop-a.err stop-b.err >&2; false; }
'

test_done
