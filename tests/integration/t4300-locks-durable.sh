#!/bin/bash
test_description='locks survive restarts and kill -9 at any moment; auth off: the anonymous owner'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# Authentication is off: every lock belongs to locks.anonymous-owner.
# Servers start with stderr to starts.err: the shell that waits for a
# killed server reports "Killed" there instead of in the test output.
# start/stop/kill of the server happen in this shell (a test body is a
# subshell); their results are asserted by the tests that follow.

REPO=tock/crash

lock_url() {
	echo "$LFS_URL/$REPO/info/lfs/locks"
}

post() { # URL JSON: prints the status, body in $TRASH/body
	http_status POST "$1" -H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary "$2"
}

# all_locks REPO: every lock of REPO, following next_cursor, as compact
# JSON lines sorted by id.
all_locks() {
	local cursor= pages=0
	: >"$TRASH/all.tmp"
	while :; do
		[ "$(http_status GET "$LFS_URL/$1/info/lfs/locks?limit=7${cursor:+&cursor=$cursor}")" = 200 ] || return 1
		jq -c '.locks[]' "$TRASH/body" >>"$TRASH/all.tmp" || return 1
		cursor=$(jq -r '.next_cursor // empty' "$TRASH/body")
		pages=$((pages + 1))
		[ $pages -le 200 ] || return 1
		[ -n "$cursor" ] || break
	done
	jq -s -c 'sort_by(.id) | .[]' "$TRASH/all.tmp"
}

# whole_locks FILE OWNER: each line of FILE is a whole lock owned by OWNER.
whole_locks() {
	jq -e -s --arg o "$2" 'all(.[];
		(.id | type == "string" and test("^[0-9a-f]{32}$"))
		and (.path | type == "string" and length > 0)
		and (.locked_at | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
		and .owner.name == $o)' "$1" >/dev/null
}

db_ok() {
	test "$(sqlite3 "$DATA/meta.db" "PRAGMA integrity_check")" = ok &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM locks WHERE length(id) != 32 OR id GLOB '*[^0-9a-f]*'
		OR path = '' OR owner = '' OR locked_at NOT GLOB
		'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'")" = 0
}

start_lfs_server 2>>starts.err || { cat starts.err; echo "Bail out! lfs-server did not start"; exit 1; }

test_expect_success 'setup: five locks, one of them unlocked again' '
	for i in 1 2 3 4 5; do
		test "$(post "$(lock_url)" "{\"path\":\"keep/f$i.bin\"}")" = 201 || return 1
		jq -r .lock.id body >id$i || return 1
	done &&
	test "$(post "$(lock_url)/$(cat id2)/unlock" "{\"force\":false}")" = 200 &&
	all_locks $REPO >before &&
	test $(wc -l <before) -eq 4 &&
	whole_locks before anonymous &&
	! grep -q "keep/f2.bin" before
'

stop_lfs_server 2>stop.err; echo $? >stop.rc
start_lfs_server 2>>starts.err || { cat starts.err; echo "Bail out! lfs-server did not restart"; exit 1; }

test_expect_success 'after a clean restart the same locks are there, byte for byte' '
	test "$(cat stop.rc)" = 0 &&
	all_locks $REPO >after &&
	test_cmp before after &&
	db_ok
'

test_expect_success 'after the restart a locked path still conflicts, an unlocked one is free' '
	test "$(post "$(lock_url)" "{\"path\":\"keep/f1.bin\"}")" = 409 &&
	test "$(jq -r .lock.id body)" = "$(cat id1)" &&
	test "$(post "$(lock_url)" "{\"path\":\"keep/f2.bin\"}")" = 201 &&
	test "$(post "$(lock_url)/$(jq -r .lock.id body)/unlock" "{\"force\":false}")" = 200 &&
	all_locks $REPO >after &&
	test_cmp before after
'

stop_lfs_server 2>stop.err; echo $? >stop.rc
cat >owner.cfg <<EOF
[locks]
	anonymous-owner = builder
EOF
start_lfs_server --config owner.cfg 2>>starts.err || { cat starts.err; echo "Bail out! lfs-server did not restart"; exit 1; }

test_expect_success 'locks.anonymous-owner names the owner of new locks; old ones keep theirs' '
	test "$(cat stop.rc)" = 0 &&
	test "$(post "$(lock_url)" "{\"path\":\"keep/b.bin\"}")" = 201 &&
	jq -e ".lock.owner.name == \"builder\"" body &&
	jq -c .lock body >lock-b &&
	test "$(post "$(lock_url)/verify" "{}")" = 200 &&
	jq -c ".ours[]" body >ours && test_cmp lock-b ours &&
	jq -c ".theirs[]" body >theirs && test_cmp before theirs
'

test_expect_success 'with auth off, unlocking another owner'\''s lock needs force, which anyone may use' '
	test "$(post "$(lock_url)/$(cat id1)/unlock" "{\"force\":false}")" = 403 &&
	jq -e ".message | type == \"string\"" body &&
	test "$(post "$(lock_url)/$(cat id1)/unlock" "{\"force\":true}")" = 200 &&
	test "$(jq -r .lock.owner.name body)" = anonymous &&
	test "$(post "$(lock_url)/$(jq -r .id lock-b)/unlock" "{\"force\":false}")" = 200 &&
	all_locks $REPO >after &&
	grep -v "keep/f1.bin" before >expect &&
	test_cmp expect after
'

stop_lfs_server 2>stop.err; echo $? >stop.rc
start_lfs_server 2>>starts.err || { cat starts.err; echo "Bail out! lfs-server did not restart"; exit 1; }

test_expect_success 'without locks.anonymous-owner the owner is "anonymous" again' '
	test "$(cat stop.rc)" = 0 &&
	test "$(post "$LFS_URL/tock/other/info/lfs/locks" "{\"path\":\"x.bin\"}")" = 201 &&
	jq -e ".lock.owner.name == \"anonymous\"" body
'

# --- kill -9 during a stream of lock and unlock requests -------------------
#
# A writer locks r<N>/f<i>.bin one by one and unlocks two of every three
# right after, logging "lock|unlock I STATUS ID" for each answer; it stops at
# the first request that gets no answer.  The server is killed once the log
# has K lines, K differing per round so that the kill lands at different
# moments.  After a restart: each 201 not followed by an acknowledged unlock
# is there with its id, each acknowledged unlock is gone, nothing else
# exists, only the request in flight at the kill may have gone either way.

writer() {
	local r=$1 i=0 st id body
	while [ $i -lt 400 ]; do
		i=$((i + 1))
		st=$(curl -s -o "w$r.body" -w '%{http_code}' -H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" \
			--data-binary "{\"path\":\"r$r/f$i.bin\"}" "$LFS_URL/$REPO/info/lfs/locks")
		body=$(<"w$r.body") id=-
		[[ $body =~ \"id\":\"([0-9a-f]{32})\" ]] && id=${BASH_REMATCH[1]}
		echo "lock $i $st $id" >>"w$r.log"
		[ "$st" = 000 ] && return 0
		if [ "$st" = 201 ] && [ $((i % 3)) -ne 0 ]; then
			st=$(curl -s -o /dev/null -w '%{http_code}' -H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" \
				--data-binary '{"force":false}' "$LFS_URL/$REPO/info/lfs/locks/$id/unlock")
			echo "unlock $i $st $id" >>"w$r.log"
			[ "$st" = 000 ] && return 0
		fi
	done
}

log_has() { # FILE LINES
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# check_round R: compares the locks under r<R>/ with the writer's log.
check_round() {
	local r=$1
	all_locks $REPO | jq -r --arg p "r$r/" 'select(.path | startswith($p)) | "\(.path) \(.id)"' |
		sed "s|^r$r/f\([0-9]*\)\.bin |\1 |" >"present$r" &&
	awk -v r="$r" '
		FILENAME == ARGV[1] { present[$1] = $2; next }
		$1 == "lock"   { st[$2] = $3; id[$2] = $4; next }
		$1 == "unlock" { ust[$2] = $3; next }
		END {
			bad = 0; amb = 0
			for (i in st) {
				if (st[i] == "000") { amb++; continue }
				if (st[i] != "201") { print "lock " i ": status " st[i]; bad++; continue }
				if (i in ust && ust[i] == "200") {
					if (i in present) { print "f" i " unlocked (200) but still there"; bad++ }
				} else if (i in ust) {
					if (ust[i] != "000") { print "unlock " i ": status " ust[i]; bad++ }
					amb++
					if (i in present && present[i] != id[i]) { print "f" i ": id changed"; bad++ }
				} else if (!(i in present)) {
					print "f" i " locked (201) but gone"; bad++
				} else if (present[i] != id[i]) {
					print "f" i ": id " present[i] ", answered " id[i]; bad++
				}
			}
			for (i in present)
				if (!(i in st)) { print "f" i " exists, never asked for"; bad++ }
			if (amb > 1) { print amb " requests without an answer"; bad++ }
			exit bad > 0
		}' "present$r" "w$r.log"
}

for round in 1 2 3; do
	writer $round &
	wpid=$!
	POLL_TRIES=1200 test_poll log_has "w$round.log" $((7 * round + round % 2)) 2>poll$round.err
	echo $? >poll$round.rc
	kill9_lfs_server
	wait $wpid
	start_lfs_server 2>>starts.err || { cat starts.err; echo "Bail out! lfs-server did not restart after kill -9"; exit 1; }
	test_expect_success "kill -9 round $round: every lock listed is whole, the database is intact" '
		{ test "$(cat poll'$round'.rc)" = 0 || { cat poll'$round'.err; false; }; } &&
		tail -n 3 w'$round'.log &&
		tail -n 1 w'$round'.log | grep -q " 000 " &&
		all_locks $REPO >after &&
		whole_locks after anonymous &&
		db_ok
	'
	test_expect_success "kill -9 round $round: acknowledged locks and unlocks held, nothing else" '
		check_round '$round' &&
		test -s present'$round' &&
		all_locks $REPO | grep "\"keep/" >keep &&
		grep -v "keep/f1.bin" before >expect &&
		test_cmp expect keep
	'
done

test_expect_success 'after the crashes, locking still works and conflicts still conflict' '
	test "$(post "$(lock_url)" "{\"path\":\"after/crash.bin\"}")" = 201 &&
	test "$(post "$(lock_url)" "{\"path\":\"after/crash.bin\"}")" = 409 &&
	p=$(head -n 1 present1 | cut -d" " -f1) &&
	test "$(post "$(lock_url)" "{\"path\":\"r1/f$p.bin\"}")" = 409
'

stop_lfs_server 2>stop.err; echo $? >stop.rc
test_expect_success 'the server stops cleanly; the database is intact' '
	{ test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }; } &&
	db_ok
'

test_done
