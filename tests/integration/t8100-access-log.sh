#!/bin/bash
test_description='access log: the default stderr line, server.access-log in the combined format, rotation by the real logrotate with the shipped snippet (SIGHUP reopens), and no secret in any log'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

LOGS="$TRASH/logs"
ACCESS="$LOGS/access.log"
mkdir -p "$LOGS" && chmod 755 "$LOGS"

# The secrets the requests below carry: none may reach any log.
PW='pw-Sekr1t-0451'
WRONG='wrong-Sekr1t-7733'
BEARER='bearer-Sekr1t-9f8e7d'
QTOKEN='query-Sekr1t-c0ffee'
B64=$(printf 'alice:%s' "$PW" | base64)
: >users && add_user users alice "$PW"
printf 'hello world\n' >hello.txt
H=$(sha256_of hello.txt)
DL="{\"operation\":\"download\",\"objects\":[{\"oid\":\"$H\",\"size\":12}]}"

test_expect_success 'without server.access-log the request line goes to stderr as before' '
	start_lfs_server &&
	code=$(batch tock/plain "$DL") && test "$code" = 200 &&
	test_poll grep -q "\"POST /tock/plain/info/lfs/objects/batch\" 200 " "$LFS_LOG" &&
	grep -Eq "^[0-9T:.-]+Z info [0-9a-f]{16} 127\.0\.0\.1 \"POST /tock/plain/info/lfs/objects/batch\" 200 [0-9]+ [0-9.]+ms$" "$LFS_LOG" &&
	stop_lfs_server
'

cat >server.conf <<EOF
[server]
	access-log = $ACCESS
[auth]
	users = $TRASH/users
[repo "tock/*"]
	read = *
	write = alice
EOF

test_expect_success 'an access log that cannot be opened stops the start with one line' '
	sed "s|access-log = .*|access-log = $TRASH/no/such/dir/access.log|" server.conf >bad.conf &&
	test_expect_code 1 "$BIN/lfs-server" --config bad.conf --listen 127.0.0.1:0 --data "$TRASH/d2" 2>err &&
	test "$(wc -l <err)" = 1 && grep -q "cannot open access log .*no/such/dir/access.log" err
'

start_lfs_server --config server.conf

# One line per request: the seven requests of this test, in order.
test_expect_success 'requests with Basic credentials, bearer tokens and a token in the query' '
	server_started &&
	code=$(batch tock/a "$DL" -u "alice:$PW" -A "test-agent/1.0") && test "$code" = 200 &&
	lfs_upload tock/a hello.txt -u "alice:$PW" -A "test-agent/1.0" &&
	cp "$TRASH/body" upload-answer &&
	code=$(batch tock/a "$DL" -u "alice:$WRONG" -A "test-agent/1.0") && test "$code" = 401 &&
	jq -r .request_id "$TRASH/body" >wrong-id &&
	code=$(batch tock/a "$DL" -H "Authorization: Bearer $BEARER" -A "test-agent/1.0") && test "$code" = 403 &&
	code=$(http_status GET "$LFS_URL/tock/a/info/lfs/objects/$H?token=$QTOKEN" -A "test-agent/1.0") &&
	test "$code" = 200 &&
	code=$(http_status GET "$LFS_URL/tock/a/info/lfs/locks?access_token=$QTOKEN" -u "alice:$PW" \
		-H "Accept: $LFS_TYPE" -A "evil\" 200 \"x") && test "$code" = 200
'

test_expect_success 'one combined-format line per request, in the file, none on stderr' '
	test_poll test "$(wc -l <"$ACCESS")" -ge 7 &&
	test "$(wc -l <"$ACCESS")" = 7 &&
	re="^127\.0\.0\.1 - (alice|-) \[[0-3][0-9]/[A-Z][a-z]{2}/20[0-9]{2}:[0-2][0-9]:[0-5][0-9]:[0-5][0-9] \+0000\] \"[A-Z]+ /[^ \"]* HTTP/1\.1\" [1-5][0-9]{2} ([0-9]+|-) \"-\" \"[^\"]*\" [0-9a-f]{16} [0-9]+\.[0-9] -$" &&
	test "$(grep -Evc "$re" "$ACCESS")" = 0 &&
	! grep -q "\"POST /tock/a/info/lfs/objects/batch\"" "$LFS_LOG"
'

test_expect_success 'GoAccess reads every line with its predefined COMBINED format' '
	goaccess "$ACCESS" --log-format=COMBINED -o "$TRASH/report.json" >/dev/null 2>&1 &&
	test "$(jq .general.valid_requests "$TRASH/report.json")" = 7 &&
	test "$(jq .general.failed_requests "$TRASH/report.json")" = 0 &&
	test "$(jq "[.status_codes.data[].hits.count] | add" "$TRASH/report.json")" = 7
'

test_expect_success 'each line names the user, the request, the status and the agent' '
	sed -n 1p "$ACCESS" | grep -q "^127\.0\.0\.1 - alice \[.*\] \"POST /tock/a/info/lfs/objects/batch HTTP/1\.1\" 200 [0-9]* \"-\" \"test-agent/1\.0\" " &&
	sed -n 2p "$ACCESS" | grep -q " - alice .* \"POST /tock/a/info/lfs/objects/batch HTTP/1\.1\" 200 " &&
	sed -n 3p "$ACCESS" | grep -q " - alice .* \"PUT /tock/a/info/lfs/objects/$H HTTP/1\.1\" 200 - " &&
	sed -n 4p "$ACCESS" | grep -q " - - .* \"POST /tock/a/info/lfs/objects/batch HTTP/1\.1\" 401 [0-9]* .* $(cat wrong-id) " &&
	sed -n 5p "$ACCESS" | grep -q " - - .* \"POST /tock/a/info/lfs/objects/batch HTTP/1\.1\" 403 " &&
	sed -n 6p "$ACCESS" | grep -q " - - .* \"GET /tock/a/info/lfs/objects/$H HTTP/1\.1\" 200 12 " &&
	sed -n 7p "$ACCESS" | grep -q " - alice .* \"GET /tock/a/info/lfs/locks HTTP/1\.1\" 200 "
'

test_expect_success 'a quote in a header cannot end a field' '
	sed -n 7p "$ACCESS" | grep -qF "\"evil\\x22 200 \\x22x\" " &&
	test "$(awk -F"\"" "{ print NF }" "$ACCESS" | sort -u)" = 7
'

# logrotate_conf: the shipped snippet, pointed at this test's log and
# server (the only two lines changed).
logrotate_conf() {
	sed -e "s|/var/log/lfs-server/|$LOGS/|" \
	    -e "s|systemctl kill .*|kill -HUP $LFS_PID|" \
	    "$TEST_ROOT/contrib/logrotate/lfs-server" >logrotate.conf &&
	chmod 644 logrotate.conf &&
	grep -q "^$LOGS/access.log {" logrotate.conf &&
	grep -q "kill -HUP $LFS_PID" logrotate.conf
}

# after_hup N: the server has done its Nth reload.
after_hup() {
	test "$(grep -c "reload of .*server.conf" "$LFS_LOG")" -ge "$1"
}

test_expect_success 'logrotate moves the log, SIGHUP makes the server write a new one' '
	logrotate_conf &&
	/usr/sbin/logrotate -f -s "$TRASH/logrotate.state" logrotate.conf &&
	test_poll after_hup 1 &&
	test -s "$LOGS/access.log.1" && test "$(wc -l <"$LOGS/access.log.1")" = 7 &&
	test_poll test -e "$ACCESS" &&
	test "$(stat -c %a "$ACCESS")" = 640 &&
	code=$(batch tock/after-rotate "$DL" -u "alice:$PW") && test "$code" = 200 &&
	test_poll grep -q "/tock/after-rotate/" "$ACCESS" &&
	test "$(wc -l <"$ACCESS")" = 1 &&
	! grep -q "/tock/after-rotate/" "$LOGS/access.log.1"
'

test_expect_success 'a second rotation: the old file compressed, the server on the new one' '
	/usr/sbin/logrotate -f -s "$TRASH/logrotate.state" logrotate.conf &&
	test_poll after_hup 2 &&
	test -s "$LOGS/access.log.2.gz" && grep -q "/tock/after-rotate/" "$LOGS/access.log.1" &&
	test_poll test -e "$ACCESS" &&
	code=$(batch tock/second "$DL" -u "alice:$PW") && test "$code" = 200 &&
	test_poll grep -q "/tock/second/" "$ACCESS" &&
	! grep -q "/tock/second/" "$LOGS/access.log.1" &&
	healthy
'

stop_rc

test_expect_success 'the server stopped cleanly' 'stopped_cleanly'

for secret in "$PW" "$WRONG" "$BEARER" "$QTOKEN" "$B64" "Authorization" "Bearer"; do
	test_expect_success "no log holds '$secret'" '
		! zgrep -rF -- "$secret" "$LOGS" "$TRASH"/server-*.log
	'
done

test_expect_success 'no log holds the action token the server handed out' '
	tok=$(jq -r ".objects[0].actions.upload.header.Authorization" upload-answer) &&
	tok=${tok#Bearer } && test ${#tok} -gt 40 &&
	! zgrep -rF -- "$tok" "$LOGS" "$TRASH"/server-*.log
'

test_done
