#!/bin/bash
test_description='lfs-cgi counts failed logins across its processes (the counts live in the metadata): a guesser is locked out although no process outlives a request'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-cgi.sh"

: >users
add_user users alice alice-pw || { echo "Bail out! htpasswd failed"; exit 1; }
mkdir -p "$CGI_PUBLIC/objects" private && chmod 700 private
CGI_CONFIG=$TRASH/cgi.cfg
cat >"$CGI_CONFIG" <<CFG
[server]
	data = $TRASH/private/data
[auth]
	users = $TRASH/users
	lockout-failures = 3
	lockout-window = 600
	lockout-time = 600
[repo "team/*"]
	read = alice
CFG
LOCKS=/team/app.git/info/lfs/locks

# Each cgi_request is a process of its own, as under a web server.
test_expect_success 'the right password is let in' '
	code=$(cgi_request GET $LOCKS -u alice:alice-pw) && [ "$code" = 200 ]
'

test_expect_success 'two wrong passwords from one address, each in its own process: 401' '
	code=$(cgi_request GET $LOCKS -u alice:wrong1 -e REMOTE_ADDR=192.0.2.7) && [ "$code" = 401 ] &&
	code=$(cgi_request GET $LOCKS -u alice:wrong2 -e REMOTE_ADDR=192.0.2.7) && [ "$code" = 401 ]
'

test_expect_success 'the third locks the address out, and a later process still knows it (429, Retry-After)' '
	code=$(cgi_request GET $LOCKS -u alice:wrong3 -e REMOTE_ADDR=192.0.2.7) && [ "$code" = 401 ] &&
	code=$(cgi_request GET $LOCKS -u alice:alice-pw -e REMOTE_ADDR=192.0.2.7) && [ "$code" = 429 ] &&
	retry=$(cgi_header Retry-After) && [ "$retry" -gt 0 ] && [ "$retry" -le 600 ]
'

test_expect_success 'another address is not locked out' '
	code=$(cgi_request GET $LOCKS -u alice:alice-pw -e REMOTE_ADDR=192.0.2.8) && [ "$code" = 200 ]
'

ADDR_LOCKED="SELECT locked_until > strftime('%s', 'now') FROM throttle WHERE kind = 'a' AND key = '192.0.2.7'"
USER_ROW="SELECT failures FROM throttle WHERE kind = 'u' AND key = 'alice'"
test_expect_success 'the counts are rows of the metadata store (and alice'"'"'s own count was reset by her login)' '
	locked=$(sqlite3 "$TRASH/private/data/meta.db" "$ADDR_LOCKED") && [ "$locked" = 1 ] &&
	n=$(sqlite3 "$TRASH/private/data/meta.db" "$USER_ROW") && [ "$n" = 0 ]
'

test_done
