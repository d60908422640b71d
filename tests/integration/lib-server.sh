# lib-server.sh: start and stop a real lfs-server for a test script.
#
#   start_lfs_server [flags...]   starts build/bin/lfs-server on a free
#                                 loopback port with data in $DATA (default
#                                 $TRASH/data); sets LFS_URL, LFS_PID, LFS_LOG.
#                                 Extra flags go to the server (--config F).
#   stop_lfs_server               SIGTERM, wait; fails unless it exits 0.
#   kill9_lfs_server              SIGKILL, wait (for crash tests).
#   server_started                in a test: fails (with the server's log)
#                                 unless the last top-level start worked.
#   stop_rc / stopped_cleanly     stop at the top level, keeping the result
#                                 for a test to check.
#   log_count PATTERN             lines of the current server log matching.
# A server still running when the script exits is killed by the trap.
# Each start gets a log file of its own (server-N.log), claimed with an
# exclusive create, so a start inside a test body (whose counter does not
# survive the subshell) can never read an earlier server's "listening" line.

DATA=${DATA:-$TRASH/data}
LFS_PID=
LFS_URL=
LFS_LOG=
lfs_server_starts=0

start_lfs_server() {
	local n=$lfs_server_starts
	while n=$((n + 1)); ! (set -C; : >"$TRASH/server-$n.log") 2>/dev/null; do
		[ $n -lt 10000 ] || { echo "start_lfs_server: cannot create a log file" >&2; return 1; }
	done
	lfs_server_starts=$n
	LFS_LOG="$TRASH/server-$n.log"
	LFS_PID=
	LFS_URL=
	local pidfile="$LFS_LOG.pid" rcfile="$LFS_LOG.rc"
	rm -f "$pidfile" "$rcfile"
	test_log_file "$LFS_LOG"
	# A wrapper records the server's exit status in a file, so that
	# stop_lfs_server works from any shell, a test body's subshell included.
	# stdout to /dev/null: a server must not hold the test's output pipe.
	(
		"$BIN/lfs-server" --listen 127.0.0.1:0 --data "$DATA" "$@" >/dev/null 2>>"$LFS_LOG" &
		echo $! >"$pidfile"
		wait $!
		echo $? >"$rcfile"
	) 2>/dev/null &
	local i=0 line=
	while [ $i -lt 400 ]; do
		line=$(grep -m1 '^listening on http' "$LFS_LOG" 2>/dev/null)
		[ -n "$line" ] && break
		if [ -s "$rcfile" ]; then
			echo "lfs-server exited during start (status $(cat "$rcfile")):" >&2
			tail -n 20 "$LFS_LOG" >&2
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	if [ -z "$line" ]; then
		echo "lfs-server did not become ready within 20 s; its log:" >&2
		tail -n 20 "$LFS_LOG" >&2
		[ -s "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
		return 1
	fi
	# The wrapper may print the line before it has written the pid file.
	i=0
	while [ ! -s "$pidfile" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	LFS_PID=$(cat "$pidfile" 2>/dev/null)
	if [ -z "$LFS_PID" ]; then
		echo "lfs-server pid unknown" >&2
		return 1
	fi
	LFS_URL=${line#listening on }
	export LFS_URL LFS_PID LFS_LOG
	test_track_pid "$LFS_PID" lfs-server
	test_atexit "test_kill_ours -9 $LFS_PID"
}

# For a test after a top-level start_lfs_server: fails, with the log,
# unless that start worked.
server_started() {
	[ -n "$LFS_PID" ] && [ -n "$LFS_URL" ] && return 0
	echo "server did not start" >&2
	[ -n "$LFS_LOG" ] && tail -n 20 "$LFS_LOG" >&2
	return 1
}

# stop_rc at the top level stops the server; stopped_cleanly in the next
# test checks it exited 0 (stop_lfs_server's message otherwise).
stop_rc() {
	stop_lfs_server 2>"$TRASH/stop.err"
	echo $? >"$TRASH/stop.rc"
}
stopped_cleanly() {
	[ "$(cat "$TRASH/stop.rc")" = 0 ] || { cat "$TRASH/stop.err" >&2; return 1; }
}

# log_count PATTERN: lines of the current server log matching (0 is an
# answer, not a failure).
log_count() {
	grep -c -- "$1" "$LFS_LOG" || true
}

# log_wait PATTERN [N]: polls (bounded) until the server log has at least
# N (default 1) lines matching PATTERN.  A request's line is written when
# the server finishes it, which can be just after the client already has
# its answer: assert on counts only after waiting for them.
log_wait() {
	local want="${2:-1}"
	log_at_least() { [ "$(log_count "$1")" -ge "$2" ]; }
	test_poll log_at_least "$1" "$want"
}

# add_user FILE USER PASSWORD: an htpasswd entry (bcrypt, cheap cost).
add_user() {
	htpasswd -B -C 4 -b "$1" "$2" "$3" 2>/dev/null
}

# state_seq DIR: the last_seq of a mirror tree's mirror-state.json.
state_seq() {
	jq -e -r 'select(.version == 1) | .last_seq' "$1/mirror-state.json"
}

# Waits (bounded) for the server started last to exit; prints its status.
lfs_server_wait() {
	local rcfile="$LFS_LOG.rc" i=0
	while [ ! -s "$rcfile" ] && [ $i -lt 1200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -s "$rcfile" ] && cat "$rcfile" || echo timeout
}

# Stops the server with SIGTERM and fails if it does not exit 0 (a crash,
# a signal death or a hang past the grace period all count as failure).
# Works from a test body too.
stop_lfs_server() {
	[ -n "$LFS_PID" ] || return 0
	local rc
	test_kill_ours -TERM "$LFS_PID"
	rc=$(lfs_server_wait)
	LFS_PID=
	if [ "$rc" != 0 ]; then
		echo "lfs-server exited with status $rc" >&2
		tail -n 20 "$LFS_LOG" >&2
		return 1
	fi
}

kill9_lfs_server() {
	[ -n "$LFS_PID" ] || return 0
	test_kill_ours -9 "$LFS_PID"
	lfs_server_wait >/dev/null
	LFS_PID=
	return 0
}

# http_status METHOD URL [curl args...]: prints the status code, keeps the
# body in $TRASH/body and the headers in $TRASH/headers.
http_status() {
	local method="$1" url="$2"
	shift 2
	curl -sS -o "$TRASH/body" -D "$TRASH/headers" -w '%{http_code}' -X "$method" "$@" "$url"
}

LFS_TYPE="application/vnd.git-lfs+json"

# batch REPO JSON [curl args...]: POSTs a batch request; prints the status,
# body in $TRASH/body.
batch() {
	local repo="$1" json="$2"
	shift 2
	http_status POST "$LFS_URL/$repo/info/lfs/objects/batch" \
		-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary "$json" "$@"
}

# Lists every file under $DATA/objects, for "nothing was stored" checks.
objects_snapshot() {
	(cd "$DATA" && find objects -type f 2>/dev/null | sort)
}

# lfs_upload REPO FILE [curl args]: the client's way in: batch, then PUT to the
# href with the header it gave (nothing to do when the repo has it).
lfs_upload() {
	local repo="$1" file="$2" oid size href auth code
	shift 2
	oid=$(sha256_of "$file") && size=$(wc -c <"$file") &&
	code=$(http_status POST "$LFS_URL/$repo/info/lfs/objects/batch" "$@" \
		-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}") &&
	[ "$code" = 200 ] || { echo "batch $repo: $code $(cat "$TRASH/body")" >&2; return 1; }
	href=$(jq -r '.objects[0].actions.upload.href // empty' "$TRASH/body") &&
	auth=$(jq -r '.objects[0].actions.upload.header.Authorization // empty' "$TRASH/body") || return 1
	[ -n "$href" ] || return 0
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: $auth" \
		-H "Content-Type: application/octet-stream" --data-binary @"$file" "$href") &&
	[ "$code" = 200 ] || { echo "PUT $file to $repo: $code" >&2; return 1; }
}

# token OP REPO OID SIZE: the Authorization value the batch API hands out.
token() {
	curl -sS -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"$1\",\"objects\":[{\"oid\":\"$3\",\"size\":$4}]}" \
		"$LFS_URL/$2/info/lfs/objects/batch" |
		jq -er ".objects[0].actions.$1.header.Authorization"
}

# put_anon REPO FILE: a PUT without a token (for servers that allow it).
put_anon() {
	local oid code
	oid=$(sha256_of "$2") &&
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: application/octet-stream" \
		--data-binary @"$2" "$LFS_URL/$1/info/lfs/objects/$oid") &&
	[ "$code" = 200 ] || { echo "PUT $2 to $1: $code" >&2; return 1; }
}

# healthy: /healthz answers 200.
healthy() {
	[ "$(curl -sS -o /dev/null -w "%{http_code}" --max-time 10 "$LFS_URL/healthz")" = 200 ]
}

# mirror_healthy true|false [SEQ]: /healthz says the first mirror is (not)
# healthy, and (with SEQ) at last_seq >= SEQ.  For test_poll.
mirror_healthy() {
	curl -s "$LFS_URL/healthz" | jq -e ".mirrors[0].healthy == $1 and .mirrors[0].last_seq >= ${2:--1}" >/dev/null
}

# mirror_verified N: the server has checked N of the first mirror's copies
# and found them good (only then does it send clients there).  For test_poll.
mirror_verified() {
	curl -s "$LFS_URL/healthz" | jq -e ".mirrors[0].verified >= $1" >/dev/null
}
