#!/bin/bash
test_description='failed-login throttle: no success resets an address, a flood of addresses does not release a locked one, a user cannot be locked out by guessing at her, X-Forwarded-For from the last header line'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

htpasswd -B -C 4 -b -c users alice apw 2>/dev/null
htpasswd -B -C 4 -b users mallory mpw 2>/dev/null
cat >server.cfg <<EOC
[server]
	behind-proxy = true
[auth]
	users = $TRASH/users
	lockout-failures = 3
[repo "r"]
	read = alice mallory
EOC
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

# st XFF USER:PASS [curl args]: status of one password login from client XFF.
st() {
	local xff="$1" cred="$2"
	shift 2
	http_status GET "$LFS_URL/r/info/lfs/locks" -u "$cred" -H "X-Forwarded-For: $xff" "$@"
}

test_expect_success 'another account'"'"'s success does not reset the address: wrong, wrong, mallory, wrong locks' '
	test "$(st 10.0.0.1 alice:guess1)" = 401 &&
	test "$(st 10.0.0.1 alice:guess2)" = 401 &&
	test "$(st 10.0.0.1 mallory:mpw)" = 200 &&
	test "$(st 10.0.0.1 alice:guess3)" = 401 &&
	test "$(st 10.0.0.1 alice:guess4)" = 429 &&
	test "$(st 10.0.0.1 mallory:mpw)" = 429 &&
	grep -qi "^Retry-After: [0-9]" "$TRASH/headers" &&
	grep -q "^{\"message\":" "$TRASH/body"
'

test_expect_success 'alice herself is not locked out: her right password works from elsewhere' '
	test "$(st 10.0.0.2 alice:apw)" = 200
'

test_expect_success 'IPv6 clients count by /64: three hosts of one /64 lock it' '
	test "$(st 2001:db8:7::1 alice:x)" = 401 &&
	test "$(st 2001:db8:7::2 alice:x)" = 401 &&
	test "$(st 2001:db8:7:0:1:2:3:4 alice:x)" = 401 &&
	test "$(st 2001:db8:7::99 alice:apw)" = 429 &&
	test "$(st 2001:db8:8::1 alice:apw)" = 200
'

# One curl runs the whole flood (a config file with one request per
# address).  The name is not a user, so nothing waits per user.
flood() {
	local i
	for i in $(seq 1 1030); do
		[ $i = 1 ] || echo next
		printf 'url = "%s/r/info/lfs/locks"\nuser = "nobody:wrong"\nheader = "X-Forwarded-For: 172.16.%d.%d"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
			"$LFS_URL" $((i / 250)) $((i % 250 + 1))
	done >flood.curl &&
	curl -sS -K flood.curl >flood.out &&
	test "$(grep -c "^401$" flood.out)" = 1030
}

test_expect_success 'a flood of 1030 other addresses does not release a locked address' '
	test "$(st 10.0.0.9 nobody:x)" = 401 &&
	test "$(st 10.0.0.9 nobody:x)" = 401 &&
	test "$(st 10.0.0.9 nobody:x)" = 401 &&
	test "$(st 10.0.0.9 mallory:mpw)" = 429 &&
	flood &&
	test "$(st 10.0.0.9 mallory:mpw)" = 429 &&
	test "$(st 2001:db8:7::5 mallory:mpw)" = 429
'

# Two X-Forwarded-For lines: the client sent the first, the proxy added
# the last.  Only the proxy's value counts.
test_expect_success 'X-Forwarded-For: the last value of the last header line counts' '
	test "$(st 198.51.100.1 nobody:x -H "X-Forwarded-For: 192.0.2.50")" = 401 &&
	test "$(st 198.51.100.2 nobody:x -H "X-Forwarded-For: 192.0.2.50")" = 401 &&
	test "$(st 198.51.100.3 nobody:x -H "X-Forwarded-For: 10.1.1.1, 192.0.2.50")" = 401 &&
	test "$(http_status GET "$LFS_URL/r/info/lfs/locks" -u alice:apw -H "X-Forwarded-For: 192.0.2.50")" = 429 &&
	test "$(st 198.51.100.4 alice:apw -H "X-Forwarded-For: 192.0.2.51")" = 200 &&
	test "$(st 198.51.100.1 alice:apw)" = 200
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
