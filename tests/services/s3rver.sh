#!/bin/sh
# s3rver.sh: a throwaway S3-compatible server (s3rver, version pinned by
# tests/services/s3rver/package-lock.json) for the S3 tests.
#
#   s3rver.sh start DIR [PORT]  installs s3rver into build/s3rver (npm ci, once
#                         per lockfile), starts it on a free loopback port
#                         (or PORT) with its files in DIR, and prints shell lines:
#                         export S3_ENDPOINT=... S3_ACCESS_KEY_ID=...
#                         S3_SECRET_ACCESS_KEY=... S3RVER_PID=...
#   s3rver.sh stop DIR    stops the one started with DIR.
# s3rver checks SigV4 signatures with its fixed credentials S3RVER/S3RVER;
# buckets are made by the tests (one per test, named after it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

case "$cmd" in
start)
	inst="$root/build/s3rver"
	mkdir -p "$inst" "$dir/data"
	if ! cmp -s "$here/s3rver/package-lock.json" "$inst/package-lock.json" ||
	   [ ! -x "$inst/node_modules/.bin/s3rver" ]; then
		command -v npm >/dev/null 2>&1 || { echo "s3rver.sh: npm missing (scripts/deps.sh test)" >&2; exit 1; }
		cp "$here/s3rver/package.json" "$here/s3rver/package-lock.json" "$inst/"
		(cd "$inst" && npm ci --no-audit --no-fund --loglevel=error >"$dir/npm.log" 2>&1) ||
			{ echo "s3rver.sh: npm ci failed:" >&2; tail -n 20 "$dir/npm.log" >&2; exit 1; }
	fi
	rm -f "$dir/s3rver.log" "$dir/pid"
	# setsid: the server outlives this script, and is stopped by pid.
	setsid node "$inst/node_modules/.bin/s3rver" -d "$dir/data" -a 127.0.0.1 -p "${3:-0}" \
		>"$dir/s3rver.log" 2>&1 </dev/null &
	echo $! >"$dir/pid"
	i=0
	port=
	while [ $i -lt 1200 ]; do
		port=$(sed -n 's/^S3rver listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/s3rver.log" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$(cat "$dir/pid")" 2>/dev/null || { echo "s3rver exited:" >&2; cat "$dir/s3rver.log" >&2; exit 1; }
		sleep 0.05
		i=$((i + 1))
	done
	[ -n "$port" ] || { echo "s3rver not ready within 60 s" >&2; kill "$(cat "$dir/pid")"; exit 1; }
	echo "export S3_ENDPOINT=http://127.0.0.1:$port"
	echo "export S3_ACCESS_KEY_ID=S3RVER S3_SECRET_ACCESS_KEY=S3RVER"
	echo "export S3RVER_PID=$(cat "$dir/pid") S3RVER_LOG=$dir/s3rver.log"
	;;
stop)
	[ -s "$dir/pid" ] || exit 0
	pid=$(cat "$dir/pid")
	kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$dir/pid"
	;;
*)
	echo "usage: $0 start|stop DIR" >&2
	exit 2
	;;
esac
