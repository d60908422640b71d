#!/bin/bash
test_description='file locking under concurrency: 50 clients at once on one path, on 50 paths, on one unlock'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# alice and bob write, carol administers.  The server runs a thread per
# connection and each lock write is one SQLite transaction: whatever the
# interleaving, one path has at most one lock and each answer is 201/409
# (or 200/404 for unlocks), never a 5xx.

N=50

: >users
for u in alice bob carol; do
	htpasswd -B -C 4 -b users "$u" "$u-pw" 2>/dev/null || { echo "Bail out! htpasswd failed"; exit 1; }
done
cat >server.cfg <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
[auth]
	users = $TRASH/users
[repo "tock/*"]
	write = alice bob
	admin = carol
EOF

start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

# race DIR: runs "client I DIR" for I in 1..N, all released at once.  Each
# client blocks on a shared flock of DIR/barrier while this shell holds it
# exclusively; closing our descriptor lets them all go.  No sleeps: a client
# that starts late simply finds the barrier open.
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

# statuses DIR: "COUNT STATUS" lines, sorted by status.
statuses() {
	cat "$1"/[0-9]*.status | sort | uniq -c | sed 's/^ *//'
}

# USERS[I % 2]: alice for odd clients, bob for even ones (no fork per client).
USERS=(bob alice)

lfs_post() { # USER URL-TAIL JSON OUT-PREFIX
	curl -sS -o "$4.body" -w '%{http_code}\n' -u "$1:$1-pw" \
		-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary "$3" \
		"$LFS_URL/$2" >"$4.status" 2>"$4.err"
}

# The locks of REPO as "path owner id" lines, sorted.
locks_of() {
	curl -sS -f -u carol:carol-pw -H "Accept: $LFS_TYPE" "$LFS_URL/$1/info/lfs/locks?limit=100" >locks.json &&
	jq -e '(.locks | type) == "array" and (has("next_cursor") | not)' locks.json >/dev/null &&
	jq -r '.locks[] | "\(.path) \(.owner.name) \(.id)"' locks.json | sort
}

test_expect_success "$N clients lock one path at once: one 201, the rest 409, no 5xx" '
	client() {
		lfs_post "${USERS[$1 % 2]}" tock/race/info/lfs/locks "{\"path\":\"shared/asset.bin\"}" "$2/$1"
	} &&
	race same &&
	statuses same >got &&
	cat got &&
	printf "1 201\n%d 409\n" $((N - 1)) >want &&
	test_cmp want got
'

test_expect_success 'exactly one lock exists for the path, held by the winner' '
	winner=$(grep -l 201 same/*.status) &&
	winner=${winner%.status} &&
	jq -e ".lock.path == \"shared/asset.bin\"" "$winner.body" &&
	id=$(jq -r .lock.id "$winner.body") &&
	owner=$(jq -r .lock.owner.name "$winner.body") &&
	n=$(basename "$winner") &&
	test "$owner" = "${USERS[n % 2]}" &&
	locks_of tock/race >got &&
	echo "shared/asset.bin $owner $id" >want &&
	test_cmp want got
'

test_expect_success 'every 409 names the winning lock and carries a message' '
	id=$(cut -d" " -f3 want) &&
	grep -l 409 same/[0-9]*.status | sed "s/status\$/body/" >losers &&
	test $(wc -l <losers) -eq $((N - 1)) &&
	jq -s -e --arg id "$id" "length == $((N - 1)) and
		all(.[]; .lock.id == \$id and .lock.path == \"shared/asset.bin\" and .message == \"already created lock\")" \
		$(cat losers)
'

test_expect_success "$N clients lock $N different paths at once: all 201, $N distinct locks" '
	client() {
		lfs_post "${USERS[$1 % 2]}" tock/many/info/lfs/locks "{\"path\":\"f/$1.bin\"}" "$2/$1"
	} &&
	race many &&
	statuses many >got &&
	echo "$N 201" >want &&
	test_cmp want got &&
	locks_of tock/many >locks &&
	test $(wc -l <locks) -eq $N &&
	test $(cut -d" " -f1 locks | sort -u | wc -l) -eq $N &&
	test $(cut -d" " -f3 locks | sort -u | wc -l) -eq $N &&
	for i in $(seq $N); do
		echo "f/$i.bin ${USERS[i % 2]}"
	done | sort >want &&
	cut -d" " -f1,2 locks >got &&
	test_cmp want got &&
	! grep -vq " [0-9a-f]\{32\}$" locks
'

test_expect_success "$N clients unlock one lock at once: one 200, the rest 404" '
	locks_of tock/race >race.locks &&
	id=$(cut -d" " -f3 race.locks) &&
	test -n "$id" &&
	client() {
		lfs_post carol "tock/race/info/lfs/locks/$id/unlock" "{\"force\":true}" "$2/$1"
	} &&
	race unlock &&
	statuses unlock >got &&
	printf "1 200\n%d 404\n" $((N - 1)) >want &&
	test_cmp want got &&
	locks_of tock/race >after &&
	test_must_fail test -s after
'

test_expect_success 'the server answered no request with a 5xx and logged each one' '
	! grep -E "\" 5[0-9][0-9] " "$LFS_LOG" &&
	test "$(grep -c "\"POST /tock/race/info/lfs/locks\" \(201\|409\) " "$LFS_LOG")" -eq $N
'

# stop_lfs_server must run in the shell that started the server.
stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'the server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

# The same race with authentication off: anonymous writers, one owner name.
DATA="$TRASH/data-anon"
start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }

test_expect_success "auth off: $N anonymous clients lock one path at once: one 201, the rest 409" '
	client() {
		curl -sS -o "$2/$1.body" -w "%{http_code}\n" -H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" \
			--data-binary "{\"path\":\"same.bin\"}" "$LFS_URL/open/race/info/lfs/locks" \
			>"$2/$1.status" 2>"$2/$1.err"
	} &&
	race anon &&
	statuses anon >got &&
	printf "1 201\n%d 409\n" $((N - 1)) >want &&
	test_cmp want got &&
	curl -sS -f "$LFS_URL/open/race/info/lfs/locks" >anon.json &&
	jq -e "(.locks | length) == 1 and .locks[0].path == \"same.bin\" and .locks[0].owner.name == \"anonymous\"" anon.json
'

stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'the auth-off server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
