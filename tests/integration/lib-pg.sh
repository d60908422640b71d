# lib-pg.sh: PostgreSQL for a test script (tests/services/postgres.sh).
#
#   pg_start [--own]   the shared cluster when its variables are set
#                      (LFS_PG_PORT ..., exported by the test run), else
#                      (or with --own: a test that stops the database)
#                      a private one in $TRASH/pg, stopped at exit.
#   pg_createdb NAME   a fresh database NAME_<test name> (dropped first if
#                      a run before left it); prints its libpq URL.
#   pg_psql DB SQL     runs SQL in DB (unaligned, tuples only).
#   pg_stop / pg_restart   stop or start again the private cluster (its
#                      data and port kept).

PG_OWN=

pg_start() {
	if [ "${1:-}" != --own ] && [ -n "${LFS_PG_PORT:-}" ]; then
		return 0
	fi
	PG_OWN="$TRASH/pg"
	test_log_file "$PG_OWN/server.log"
	test_atexit pg_stop
	pg_restart
}

pg_restart() {
	local env
	env=$("$TEST_ROOT/tests/services/postgres.sh" start "$PG_OWN") || return 1
	eval "$env"
	test_track_pid "$LFS_PG_PID" postgres
}

pg_stop() {
	[ -n "$PG_OWN" ] || return 0
	"$TEST_ROOT/tests/services/postgres.sh" stop "$PG_OWN"
}

pg_psql() {
	PGOPTIONS="-c client_min_messages=warning" "$LFS_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -h "$LFS_PG_HOST" -p "$LFS_PG_PORT" \
		-U "$LFS_PG_USER" -d "$1" -c "$2"
}

pg_createdb() {
	local db
	db=$(printf '%s_%s' "$1" "$TEST_NAME" | tr -c 'a-zA-Z0-9_\n' _ | tr A-Z a-z)
	pg_psql postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" >&2 &&
	pg_psql postgres "CREATE DATABASE $db" >&2 &&
	printf 'postgresql://%s@%s:%s/%s\n' "$LFS_PG_USER" "$LFS_PG_HOST" "$LFS_PG_PORT" "$db"
}
