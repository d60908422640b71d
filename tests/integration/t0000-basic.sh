#!/bin/bash
test_description='lfs-server start-up: flags, config errors, listening line, healthz, shutdown'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# Runs the server in the foreground (for start-up failures); keeps stdout
# in ./out and stderr in ./err and returns its exit code.
run_server() {
	"$BIN/lfs-server" "$@" >out 2>err
}

# The contract's "one line on stderr saying what and where".
one_line_err() {
	local n
	n=$(wc -l <err)
	[ "$n" -eq 1 ] || { echo "stderr has $n lines, want 1:" >&2; cat err >&2; return 1; }
}

test_expect_success '--help and --version exit 0 and print to stdout' '
	run_server --help &&
	grep -q "^usage: lfs-server" out &&
	run_server --version &&
	grep -q "^lfs-server [0-9]" out
'

test_expect_success 'an unknown flag exits 2 with a usage line' '
	test_expect_code 2 run_server --no-such-flag &&
	grep -q "^usage: lfs-server" err &&
	grep -q -- "--no-such-flag" err
'

test_expect_success 'a stray argument exits 2 with a usage line' '
	test_expect_code 2 run_server stray &&
	grep -q "^usage: lfs-server" err
'

test_expect_success '--config naming a missing file exits 1, naming the file' '
	test_expect_code 1 run_server --config "$TRASH/no-such.cfg" --data "$TRASH/d0" &&
	one_line_err &&
	grep -q "no-such.cfg" err &&
	test_path_is_missing "$TRASH/d0"
'

test_expect_success 'a config syntax error exits 1 naming file and line' '
	printf "[server]\n\tlisten = 127.0.0.1:0\n[broken\n" >syntax.cfg &&
	test_expect_code 1 run_server --config syntax.cfg --data "$TRASH/d1" &&
	one_line_err &&
	grep -q "syntax.cfg" err &&
	grep -q "syntax.cfg:3" err
'

test_expect_success 'a bad value exits 1 naming the key and the line' '
	printf "# comment\n[server]\n\tlisten = 127.0.0.1:0\n\trequest-timeout = abc\n" >value.cfg &&
	test_expect_code 1 run_server --config value.cfg --data "$TRASH/d2" &&
	one_line_err &&
	grep -q "server.request-timeout" err &&
	grep -q "value.cfg:4" err
'

test_expect_success 'an out-of-range value exits 1 naming the key' '
	printf "[server]\n\tmax-batch-objects = 0\n" >range.cfg &&
	test_expect_code 1 run_server --config range.cfg --listen 127.0.0.1:0 --data "$TRASH/d3" &&
	one_line_err &&
	grep -q "server.max-batch-objects" err
'

test_expect_success 'an unwritable data dir (under a regular file) exits 1' '
	echo not-a-dir >plainfile &&
	test_expect_code 1 run_server --listen 127.0.0.1:0 --data "$TRASH/plainfile/data" &&
	one_line_err &&
	grep -q "plainfile/data" err
'

test_expect_success 'a non-loopback address without --insecure-anonymous exits 1' '
	test_expect_code 1 run_server --listen 0.0.0.0:0 --data "$TRASH/d4" &&
	one_line_err &&
	grep -q "insecure-anonymous" err
'

start_lfs_server
test_expect_success 'start: exactly one listening line on a free port' '
	server_started &&
	test "$(grep -c "^listening on " "$LFS_LOG")" -eq 1 &&
	grep -Eq "^listening on http://127\.0\.0\.1:[1-9][0-9]*$" "$LFS_LOG" &&
	echo "$LFS_URL" | grep -Eq "^http://127\.0\.0\.1:[1-9][0-9]*$"
'

test_expect_success 'GET /healthz answers 200 JSON with status and version' '
	status=$(http_status GET "$LFS_URL/healthz") &&
	test "$status" = 200 &&
	grep -qi "^content-type: application/vnd.git-lfs+json" headers &&
	version=$("$BIN/lfs-server" --version | cut -d" " -f2) &&
	jq -e --arg v "$version" ".status == \"ok\" and .version == \$v" body
'

test_expect_success 'HEAD /healthz answers 200' '
	test "$(curl -sS -o /dev/null -w "%{http_code}" -I "$LFS_URL/healthz")" = 200
'

test_expect_success 'DATA/secret is created with mode 600' '
	test -f "$DATA/secret" &&
	test "$(stat -c %a "$DATA/secret")" = 600 &&
	test "$(stat -c %s "$DATA/secret")" -gt 0
'

test_expect_success 'a second server on a busy port exits 1 with one line' '
	port=${LFS_URL##*:} &&
	test_expect_code 1 run_server --listen "127.0.0.1:$port" --data "$TRASH/d5" &&
	one_line_err &&
	grep -q "$port" err &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" "$LFS_URL/healthz")" = 200
'

test_expect_success 'the listening line is still the only one after requests' '
	test "$(batch r "{\"operation\":\"download\",\"objects\":[]}")" = 200 &&
	test "$(grep -c "^listening on " "$LFS_LOG")" -eq 1
'

cp "$DATA/secret" secret.before 2>/dev/null
stop_rc
test_expect_success 'SIGTERM: the server exits 0' '
	stopped_cleanly
'

start_lfs_server
test_expect_success 'the secret survives a restart unchanged' '
	server_started &&
	test_cmp secret.before "$DATA/secret" &&
	test "$(stat -c %a "$DATA/secret")" = 600
'
stop_rc
test_expect_success 'SIGTERM after a restart: exits 0' '
	stopped_cleanly
'

printf "[server]\n\tlisten = 127.0.0.1:1\n\tdata = %s\n" "$TRASH/cfgdata" >flags.cfg
start_lfs_server --config flags.cfg
test_expect_success 'flags override the config file' '
	server_started &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" "$LFS_URL/healthz")" = 200 &&
	test -f "$DATA/secret" &&
	test_path_is_missing "$TRASH/cfgdata"
'
stop_rc
test_expect_success 'SIGTERM with a config file: exits 0' '
	stopped_cleanly
'

start_lfs_server --listen 0.0.0.0:0 --insecure-anonymous
test_expect_success 'a non-loopback address with --insecure-anonymous starts' '
	server_started &&
	grep -Eq "^listening on http://0\.0\.0\.0:[1-9][0-9]*$" "$LFS_LOG" &&
	port=${LFS_URL##*:} &&
	test "$(curl -sS -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/healthz")" = 200
'
stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
