#!/bin/bash
test_description='server.behind-proxy: the failed-login throttle counts X-Forwarded-For'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

htpasswd -B -C 4 -b -c users alice apw 2>/dev/null
cat >server.cfg <<EOC
[server]
	behind-proxy = true
[auth]
	users = $TRASH/users
	lockout-failures = 3
[repo "r"]
	read = alice
EOC
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

status_as() {
	# status_as XFF USER:PASS
	http_status GET "$LFS_URL/r/info/lfs/locks" -u "$2" -H "X-Forwarded-For: $1"
}

test_expect_success 'three wrong passwords lock out that forwarded address' '
	for i in 1 2 3; do test "$(status_as "10.0.0.1, 192.0.2.7" alice:wrong)" = 401 || return 1; done &&
	test "$(status_as "192.0.2.7" alice:apw)" = 429 &&
	grep -qi "^Retry-After: [0-9]" "$TRASH/headers"
'

test_expect_success 'another client behind the same proxy is not locked out' '
	test "$(status_as "192.0.2.8" alice:apw)" = 200
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'
test_done
