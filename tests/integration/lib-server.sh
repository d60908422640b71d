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
	"$BIN/lfs-server" --listen 127.0.0.1:0 --data "$DATA" "$@" 2>"$LFS_LOG" &
	LFS_PID=$!
	local i=0 line=
	while [ $i -lt 400 ]; do
		line=$(grep -m1 '^listening on http' "$LFS_LOG" 2>/dev/null)
		[ -n "$line" ] && break
		if ! kill -0 "$LFS_PID" 2>/dev/null; then
			echo "lfs-server exited during start:" >&2
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
	LFS_URL=${line#listening on }
	export LFS_URL LFS_PID LFS_LOG
	test_atexit "kill -9 $LFS_PID 2>/dev/null; wait $LFS_PID 2>/dev/null"
}

# Stops the server with SIGTERM and fails if it does not exit 0 (a crash,
# a signal death or a hang past the grace period all count as failure).
stop_lfs_server() {
	[ -n "$LFS_PID" ] || return 0
	local pid=$LFS_PID rc
	LFS_PID=
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "lfs-server exited with status $rc" >&2
		tail -n 20 "$LFS_LOG" >&2
		return 1
	fi
}

kill9_lfs_server() {
	[ -n "$LFS_PID" ] || return 0
	kill -9 "$LFS_PID" 2>/dev/null
	wait "$LFS_PID" 2>/dev/null
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

# batch REPO JSON: POSTs a batch request; prints the status, body in $TRASH/body.
batch() {
	http_status POST "$LFS_URL/$1/info/lfs/objects/batch" \
		-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary "$2"
}

# Lists every file under $DATA/objects, for "nothing was stored" checks.
objects_snapshot() {
	(cd "$DATA" && find objects -type f 2>/dev/null | sort)
}
