#!/bin/bash
test_description='SIGHUP reloads the users and repo rules: new users and rights take effect, a bad config keeps the old rules with one line, settings that need a restart are named, a repo newly mirrored joins the feed, and requests in flight are not disturbed'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

: >users1 && add_user users1 alice alice-pw && add_user users1 bob bob-pw
: >users2 && add_user users2 alice alice-pw && add_user users2 carol carol-pw
printf 'hello world\n' >hello.txt
printf 'to be mirrored\n' >pub.txt
H=$(sha256_of hello.txt)
P=$(sha256_of pub.txt)
UP="{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$H\",\"size\":12}]}"

# conf USERS WRITERS [EXTRA...]: the config file, rewritten in place.
conf() {
	local users="$1" writers="$2"
	shift 2
	{
		printf '[auth]\n\tusers = %s\n\tlockout-failures = 100000\n' "$TRASH/$users"
		printf '[journal]\n\treaders = alice\n'
		printf '[repo "tock/*"]\n\tread = *\n\twrite = %s\n' "$writers"
		printf '[repo "pub/a"]\n\tread = *\n\twrite = alice\n'
		printf '%s\n' "$@"
	} >server.conf.new && mv server.conf.new server.conf
}

# reloads_over N: more than N reloads are done (an outcome line each).
reloads_over() {
	test "$(grep -c "reload of " "$LFS_LOG")" -gt "$1"
}

# hup: sends SIGHUP and waits (bounded) for the reload's outcome line.
hup() {
	local before
	before=$(grep -c "reload of " "$LFS_LOG")
	kill -HUP "$LFS_PID" &&
	test_poll reloads_over "$before"
}

# up USER PW REPO: status of an upload batch request.
up() { batch "$3" "$UP" -u "$1:$2"; }

conf users1 alice
start_lfs_server --config server.conf

test_expect_success 'before: alice and bob log in, carol does not, bob may not write' '
	server_started &&
	test "$(up alice alice-pw tock/x)" = 200 &&
	test "$(up bob bob-pw tock/x)" = 403 &&
	test "$(up carol carol-pw tock/x)" = 401
'

test_expect_success 'after a HUP: another users file and new writers apply' '
	conf users2 "alice carol" &&
	hup &&
	grep -q "reload of .*server.conf: users and repo rules applied (2 users)" "$LFS_LOG" &&
	test "$(up carol carol-pw tock/x)" = 200 &&
	test "$(up bob bob-pw tock/x)" = 401 &&
	test "$(up alice alice-pw tock/x)" = 200
'

test_expect_success 'a user removed from the file is refused at once (no cached login)' '
	test "$(up carol carol-pw tock/x)" = 200 &&
	: >users3 && add_user users3 alice alice-pw &&
	conf users3 "alice carol" &&
	hup &&
	test "$(up carol carol-pw tock/x)" = 401
'

# bad_reload WHAT CONF...: the config becomes bad; one line, old rules kept.
bad_reload() {
	local mark
	mark=$(wc -l <"$LFS_LOG") &&
	"$@" &&
	hup &&
	tail -n +$((mark + 1)) "$LFS_LOG" >new-lines &&
	test "$(wc -l <new-lines)" = 1 &&
	grep -q "error reload of .*server.conf failed, keeping the old configuration: " new-lines &&
	test "$(up alice alice-pw tock/x)" = 200 &&
	test "$(up carol carol-pw tock/x)" = 401 &&
	test "$(up bob bob-pw tock/x)" = 401
}

bad_key() { conf users2 "alice bob carol" "[server]" "	max-batch-objcts = 5"; }
bad_rule() { conf users2 "alice bob carol" "[repo \"pub/*\"]" "	mirror = true"; }
bad_users() { : >users4 && add_user users4 bob bob-pw && printf 'carol:$apr1$abcdefgh$0123456789012345678901\n' >>users4 && conf users4 "alice bob carol"; }
missing_users() { conf no-such-users "alice bob carol"; }
syntax() { conf users2 "alice bob carol" "[server" "listen = x"; }

for what in bad_key bad_rule bad_users missing_users syntax; do
	test_expect_success "a bad config ($what): one line, the old users and rules stay" "
		bad_reload $what &&
		grep -q -e 'max-batch-objcts' -e 'mirror = true needs read' -e 'carol' -e 'no-such-users' -e 'server.conf' new-lines
	"
done

test_expect_success 'settings that need a restart are named and kept; the rules still apply' '
	conf users2 "alice carol" "[server]" "	max-batch-objects = 1" "	shutdown-grace = 3" \
		"[mirror \"eu\"]" "	url = http://127.0.0.1:9/tree" &&
	hup &&
	grep -q "warn reload: mirror.eu.url, server.max-batch-objects, server.shutdown-grace changed; kept as before until a restart" "$LFS_LOG" &&
	test "$(up carol carol-pw tock/x)" = 200 &&
	two="{\"operation\":\"download\",\"objects\":[{\"oid\":\"$H\",\"size\":12},{\"oid\":\"$P\",\"size\":15}]}" &&
	test "$(batch tock/x "$two" -u alice:alice-pw)" = 200
'

# alt: a second valid config, so that every reload swaps something.
alt() { conf users2 "alice carol" "[repo \"other/*\"]" "	read = carol"; }

# in_journal OID: the feed lists OID (read as alice).
in_journal() {
	curl -sS -u alice:alice-pw "$LFS_URL/_lfs/journal?after=0&limit=1000" >journal.json &&
	jq -e --arg oid "$1" "[.entries[].oid] | index(\$oid) != null" journal.json >/dev/null
}

test_expect_success 'a repo marked mirrored by a reload gets its objects into the feed' '
	conf users2 "alice carol" &&
	hup &&
	lfs_upload pub/a pub.txt -u alice:alice-pw &&
	! in_journal "$P" &&
	conf users2 "alice carol" "[repo \"pub/a\"]" "	mirror = true" &&
	hup &&
	grep -q "mirror feed: 1 existing objects of mirrored repos added" "$LFS_LOG" &&
	in_journal "$P"
'

test_expect_success 'requests in flight while the rules are swapped again and again: all answered 200' '
	conf users2 "alice carol" || exit 1
	(
		for i in $(seq 1 150); do
			batch tock/x "$UP" -u carol:carol-pw
			echo
		done >statuses
		: >loop.done
	) &
	loop=$!
	n=0
	while [ ! -e loop.done ] && [ $n -lt 400 ]; do
		if [ $((n % 2)) = 0 ]; then alt; else conf users2 "alice carol"; fi
		hup || break
		n=$((n + 1))
	done
	wait $loop &&
	test "$(wc -l <statuses)" = 150 &&
	test "$(sort -u statuses)" = 200 &&
	test $n -ge 2 &&
	echo "$n reloads during 150 requests" >&2 &&
	healthy
'

stop_rc

test_expect_success 'the server stopped cleanly' 'stopped_cleanly'

test_done
