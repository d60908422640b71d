# lib-server.sh: start and stop a real lfs-server for a test script.
#
#   start_lfs_server [flags...]   starts build/bin/lfs-server on a free
#                                 loopback port with data in $DATA (default
#                                 $TRASH/data); sets LFS_URL, LFS_PID, LFS_LOG.
#                                 Extra flags go to the server (--config F).
#   stop_lfs_server               SIGTERM, wait; fails unless it exits 0.
#   kill9_lfs_server              SIGKILL, wait (for crash tests).
# A server still running when the script exits is killed by the trap.

DATA=${DATA:-$TRASH/data}
LFS_PID=
LFS_URL=
LFS_LOG=
lfs_server_starts=0

start_lfs_server() {
	lfs_server_starts=$((lfs_server_starts + 1))
	LFS_LOG="$TRASH/server-$lfs_server_starts.log"
	local pidfile="$LFS_LOG.pid" rcfile="$LFS_LOG.rc"
	rm -f "$pidfile" "$rcfile"
	# A wrapper records the server's exit status in a file, so that
	# stop_lfs_server works from any shell, a test body's subshell included.
	# stdout to /dev/null: a server must not hold the test's output pipe.
	(
		"$BIN/lfs-server" --listen 127.0.0.1:0 --data "$DATA" "$@" >/dev/null 2>"$LFS_LOG" &
		echo $! >"$pidfile"
		wait $!
		echo $? >"$rcfile"
	) 2>/dev/null &
	local i=0 line=
	while [ $i -lt 400 ]; do
		[ -s "$pidfile" ] && LFS_PID=$(cat "$pidfile")
		line=$(grep -m1 '^listening on http' "$LFS_LOG" 2>/dev/null)
		[ -n "$line" ] && break
		if [ -s "$rcfile" ]; then
			echo "lfs-server exited during start (status $(cat "$rcfile")):" >&2
			cat "$LFS_LOG" >&2
			LFS_PID=
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	if [ -z "$line" ]; then
		echo "lfs-server did not become ready" >&2
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
	test_atexit "kill -9 $LFS_PID 2>/dev/null"
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
	kill -TERM "$LFS_PID" 2>/dev/null
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
	kill -9 "$LFS_PID" 2>/dev/null
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
