#!/bin/bash
# postgres.sh: a throwaway PostgreSQL cluster for the tests (Debian's
# postgresql server binaries).
#
#   postgres.sh start DIR   creates the cluster in DIR (initdb, once) and
#                           starts it on a free 127.0.0.1 port; prints the
#                           shell `export` lines describing it (LFS_PG_HOST,
#                           LFS_PG_PORT, LFS_PG_USER, LFS_PG_BIN, LFS_PG_DIR,
#                           LFS_PG_PID).  Starting a stopped DIR again keeps
#                           its data and port.
#   postgres.sh stop DIR    stops it (fast shutdown) and waits.
#
# PostgreSQL refuses to run as root, and tests run as root: the cluster
# belongs to an unprivileged user (LFS_PG_OS_USER, default nobody), who
# owns DIR/data.  Authentication is "trust" on loopback only, no Unix
# socket; fsync is off (a test cluster's durability is not under test).
set -eu

die() { echo "postgres.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: postgres.sh start|stop DIR"
cmd=$1
dir=$2
os_user=${LFS_PG_OS_USER:-nobody}

bin=
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && bin=$d
done
[ -n "$bin" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$os_user" -- "$@"
	else
		"$@"
	fi
}

# A free loopback port (the kernel's choice; PostgreSQL binds it just after).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ ! -s "$dir/data/PG_VERSION" ]; then
		rm -rf "$dir/data"
		mkdir -p "$dir/data"
		[ "$(id -u)" != 0 ] || chown "$os_user" "$dir/data"
		chmod 700 "$dir/data"
		as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
			--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; die "initdb failed (the cluster's user '$os_user' must be able to reach $dir)"; }
	fi
	[ -s "$dir/port" ] || free_port >"$dir/port"
	port=$(cat "$dir/port")
	# Running already (a second start): describe it, do not start it twice.
	if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		: >"$dir/server.log"
		[ "$(id -u)" != 0 ] || chown "$os_user" "$dir/server.log"
		as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c full_page_writes=off -c max_connections=200" \
			start >/dev/null || { tail -n 20 "$dir/server.log" >&2; die "the cluster did not start"; }
	fi
	pid=$(head -n 1 "$dir/data/postmaster.pid")
	cat <<EOF
export LFS_PG_HOST=127.0.0.1
export LFS_PG_PORT=$port
export LFS_PG_USER=postgres
export LFS_PG_BIN=$bin
export LFS_PG_DIR=$dir
export LFS_PG_PID=$pid
EOF
	;;
stop)
	[ -f "$dir/data/postmaster.pid" ] || exit 0
	as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	;;
*)
	die "usage: postgres.sh start|stop DIR"
	;;
esac
