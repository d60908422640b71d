# test-lib.sh: a small TAP test library in the style of git's t/test-lib.sh.
#
# A test script sets test_description, sources this file, runs
# test_expect_success blocks and ends with test_done.  Each body runs in a
# subshell, so a failing body cannot disturb the next one; the flip side is
# that state set in a body (variables, a started server) ends with it:
# start servers at the top level of the script.  Each script gets a
# fresh trash directory (build/trash/<script>) as its cwd and HOME, and is
# isolated from the machine's git configuration.
#
#   -v / --verbose   show the output of every test body
#   -i / --immediate stop at the first failure (the trash dir is kept)
#
# Harness guarantees (state kept in files under $TRASH/.harness, so that a
# body's subshell can add to it too):
# - test_atexit commands run when the script exits, even when they were
#   registered inside a test body.
# - Every daemon a lib starts is recorded (test_track_pid: pid + its start
#   time, so a reused pid is never taken for ours).  test_done runs the
#   atexit commands, then adds one TAP test "harness: no daemon left
#   running": it fails, naming the processes (and kills them), when a
#   recorded pid is still alive, or when any process still has its cwd or
#   an argument inside $TRASH (daemons a script started on its own).
# - A failing test prints (on stderr, which prove shows without -v) its
#   output, its body and the last lines of every log
#   registered with test_log_file that changed during the test (or of the
#   last one registered): the server's side of the failure.
#
# Shared services (the intended shape, for Apache, PostgreSQL, an S3
# server, Chromium, JGit ...): a service costly to start is started once
# per `make test` run, not per script, by tests/integration/services.sh
# start NAME (called by the Makefile before prove, `stop` after), which
# writes build/services/NAME.env (URL, credentials, its pid) and keeps
# its files in build/services/NAME/.  A script calls `use_service NAME`
# (a lib function): it sources that env file when present, otherwise it
# starts a private instance in $TRASH and stops it with test_atexit, so a
# script run on its own by prove still works.  Scripts sharing a service
# keep apart by name (a database, bucket or repository named after
# $TEST_NAME), never by assuming they run alone.
#
# Ordering: the Makefile runs prove with --state=slow,save (state file in
# build/), so the longest scripts start first under -j.

TEST_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=$(basename "$0" .sh)
TRASH="$TEST_ROOT/build/trash/$TEST_NAME"
BIN="$TEST_ROOT/build/bin"
export TEST_ROOT TRASH BIN

verbose=
immediate=
for arg in "$@"; do
	case "$arg" in
	-v|--verbose) verbose=t ;;
	-i|--immediate) immediate=t ;;
	esac
done

rm -rf "$TRASH" && mkdir -p "$TRASH/.harness" || exit 1
cd "$TRASH" || exit 1
HARNESS="$TRASH/.harness"

# Isolation from the machine: no system or user git config, no prompts.
export HOME="$TRASH"
export XDG_CONFIG_HOME="$TRASH/.config"
export GIT_CONFIG_NOSYSTEM=1
unset GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
export GIT_TERMINAL_PROMPT=0
export GIT_ASKPASS=/bin/false
export SSH_ASKPASS=/bin/false
export GIT_AUTHOR_NAME="A U Thor" GIT_AUTHOR_EMAIL="author@example.com"
export GIT_COMMITTER_NAME="C O Mitter" GIT_COMMITTER_EMAIL="committer@example.com"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
export LC_ALL=C
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY
# The machine's TLS settings would override what a test configures.
unset GIT_SSL_CAINFO GIT_SSL_CAPATH GIT_SSL_NO_VERIFY GIT_SSL_CERT GIT_SSL_KEY SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE
git config --global init.defaultBranch main
git config --global advice.detachedHead false
git config --global lfs.concurrenttransfers 8

test_count=0
test_failed=0
test_cleanup_cmds=

say() { printf '%s\n' "$*"; }

# Runs at the end of the current test, whatever its result (inside the
# body's subshell, so it sees the body's variables).
test_when_finished() {
	test_cleanup_cmds="$*
$test_cleanup_cmds"
}

# Runs when the script exits (servers, background jobs), last registered
# first; kept in a file, so a test body can register one too.
test_atexit() {
	printf '%s\n' "$*" >>"$HARNESS/atexit"
}

run_atexit() {
	set +e
	[ -s "$HARNESS/atexit" ] || return 0
	tac "$HARNESS/atexit" >"$HARNESS/atexit.run"
	: >"$HARNESS/atexit"
	eval "$(cat "$HARNESS/atexit.run")"
}

# proc_starttime PID: the start time of a live (non-zombie) process, which
# tells it apart from a later process that reuses its pid.
proc_starttime() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	set -f
	set -- $s
	set +f
	[ "$1" != Z ] && [ "$1" != X ] || return 1
	printf '%s\n' "${20}"
}

# test_track_pid PID [WHAT]: records a daemon this script started; the
# end-of-script check fails if it is still alive then.
test_track_pid() {
	local st
	st=$(proc_starttime "$1") || return 0
	printf '%s %s %s\n' "$1" "$st" "${2:-daemon}" >>"$HARNESS/pids"
}

# test_kill_ours SIG PID: signals PID only if it is a process this script
# recorded with test_track_pid (never a stranger that reused the pid).
test_kill_ours() {
	local sig="$1" pid="$2" p st what
	[ -n "$pid" ] && [ -s "$HARNESS/pids" ] || return 1
	while read -r p st what; do
		[ "$p" = "$pid" ] || continue
		[ "$(proc_starttime "$p")" = "$st" ] && kill "$sig" "$p" 2>/dev/null && return 0
	done <"$HARNESS/pids"
	return 1
}

# test_log_file FILE: a log to show when a test fails.
test_log_file() {
	printf '%s\n' "$1" >>"$HARNESS/logs"
}

# Prints (as TAP comments) the tail of each registered log written since
# the current test began, or of the last one registered.
show_logs() {
	local f last= shown=0
	[ -s "$HARNESS/logs" ] || return 0
	while read -r f; do
		[ -f "$f" ] || continue
		last=$f
		[ "$f" -nt "$HARNESS/test-start" ] || continue
		say "#   --- last lines of ${f#$TRASH/}:"
		tail -n 20 "$f" | awk '{ print "#   " $0 }'
		shown=$((shown + 1))
	done < <(awk '!seen[$0]++' "$HARNESS/logs")
	if [ $shown -eq 0 ] && [ -n "$last" ]; then
		say "#   --- last lines of ${last#$TRASH/}:"
		tail -n 20 "$last" | awk '{ print "#   " $0 }'
	fi
}

# Lists (in $leftovers) the processes of this script still alive: recorded
# daemons, and any process whose cwd or arguments lie in $TRASH.  Uses
# builtins only while scanning /proc, so it never sees itself.
find_leftovers() {
	local p st what pid a here="$PWD" args
	leftovers=
	if [ -s "$HARNESS/pids" ]; then
		while read -r p st what; do
			[ "$(proc_starttime "$p")" = "$st" ] && leftovers+="$p "
		done <"$HARNESS/pids"
	fi
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
		case " $leftovers " in *" $pid "*) continue ;; esac
		args=()
		mapfile -d "" -t args 2>/dev/null <"$p/cmdline" || continue
		[ ${#args[@]} -gt 0 ] || continue	# a zombie or a kernel thread
		for a in "${args[@]}"; do
			case "$a" in
			"$TRASH"|"$TRASH"/*|*"$TRASH"/*|*"=$TRASH") leftovers+="$pid "; continue 2 ;;
			esac
		done
		if cd -P "$p/cwd" 2>/dev/null; then
			case "$PWD" in "$TRASH"|"$TRASH"/*) leftovers+="$pid " ;; esac
		fi
	done
	cd "$here" || cd "$TRASH"
	[ -z "$leftovers" ]
}

# After the atexit commands: waits (bounded) for dying processes to go,
# then kills and names what is left.  Returns 1 when something was left.
reap_leftovers() {
	local i=0 p
	while ! find_leftovers && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$leftovers" ] || return 0
	for p in $leftovers; do
		say "# $TEST_NAME: still running: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) (pid $p, cwd $(readlink "/proc/$p/cwd" 2>/dev/null))" >&2
	done
	# shellcheck disable=SC2086
	kill -9 $leftovers 2>/dev/null
	return 1
}

exit_trap() {
	run_atexit
	reap_leftovers
}
trap 'exit_trap' EXIT
trap 'exit 130' INT TERM

test_expect_success() {
	local title="$1" body="$2" rc
	test_count=$((test_count + 1))
	test_cleanup_cmds=
	: >"$HARNESS/test-start"
	if [ -n "$verbose" ]; then
		say "# running: $title"
		(eval "$body"; rc=$?; eval "$test_cleanup_cmds" >/dev/null 2>&1; exit $rc)
		rc=$?
	else
		(eval "$body"; rc=$?; eval "$test_cleanup_cmds" >/dev/null 2>&1; exit $rc) \
			>"$TRASH/.test-out" 2>&1
		rc=$?
	fi
	if [ $rc -eq 0 ]; then
		say "ok $test_count - $title"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $title"
		# The reason goes to stderr: prove shows it without -v.
		{
			say "# $TEST_NAME: not ok $test_count - $title"
			if [ -z "$verbose" ]; then
				awk '{ print "#   " $0 }' "$TRASH/.test-out" | tail -n 40
			fi
			show_logs
			printf '%s\n' "$body" | sed -e 's/^/#	/'
		} >&2
		if [ -n "$immediate" ]; then
			say "1..$test_count"
			exit 1
		fi
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	say "ok $test_count # skip $1"
}

test_done() {
	run_atexit
	test_count=$((test_count + 1))
	if reap_leftovers; then
		say "ok $test_count - harness: no daemon left running"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - harness: no daemon left running (the processes above outlived the script's cleanup)"
	fi
	trap - EXIT
	say "1..$test_count"
	if [ $test_failed -eq 0 ]; then
		cd "$TEST_ROOT" && rm -rf "$TRASH"
		exit 0
	fi
	exit 1
}

test_must_be_empty() {
	[ ! -s "$1" ] || { echo "'$1' is not empty:" >&2; cat "$1" >&2; return 1; }
}

b64url() {
	base64 -w0 | tr '+/' '-_' | tr -d '='
}

# Fails when our own program succeeds, or when it dies of a signal.
test_must_fail() {
	"$@"
	local rc=$?
	if [ $rc -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ $rc -gt 128 ] && [ $rc -le 192 ]; then
		echo "test_must_fail: '$*' died of signal $((rc - 128))" >&2
		return 1
	fi
	return 0
}

# Expects exit code $1 from the rest of the command line.
test_expect_code() {
	local want="$1" rc
	shift
	"$@"
	rc=$?
	[ $rc -eq "$want" ] && return 0
	echo "test_expect_code: '$*' exited $rc, wanted $want" >&2
	return 1
}

test_cmp() {
	cmp "$1" "$2" && return 0
	diff -u "$1" "$2" | head -n 40 >&2
	return 1
}

test_file_not_empty() {
	[ -s "$1" ] || { echo "'$1' is empty or missing" >&2; return 1; }
}

test_path_is_missing() {
	[ ! -e "$1" ] || { echo "'$1' exists" >&2; return 1; }
}

# Polls "$@" up to $POLL_TRIES times (default 200, every 0.05 s): for
# readiness, never as a timing assertion.
test_poll() {
	local i=0 tries=${POLL_TRIES:-200}
	while [ $i -lt "$tries" ]; do
		"$@" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "test_poll: '$*' never became true" >&2
	return 1
}

# tmp_emptied DIR: DIR/tmp is empty, or becomes so soon.  A committed
# upload's temp name is removed by the store's reaper thread, off the
# answer's path (lfs-server/store/local.c, discard_tmp), so it may outlive the
# answer by a moment.
tmp_is_empty() { [ -z "$(ls -A "$1/tmp")" ]; }
tmp_emptied() { test_poll tmp_is_empty "$1"; }

# upload_files DIR [OID]: the files of uploads in flight (of OID) under the
# data dir DIR, one a line, whichever way the store keeps them
# (lfs-server/store/local.c): named temps in DIR/tmp, or anonymous files
# (O_TMPFILE) that a live process holds open in DIR/objects/ab/cd, as
# /proc/PID/fd/N (test -s, stat -L and cmp read them).  An anonymous file
# is gone with its process.
upload_files() {
	local d name='*' fanout='??/??'
	d=$(cd "$1" && pwd -P) || return 1
	if [ -n "${2:-}" ]; then
		name="$2-*"
		fanout="${2:0:2}/${2:2:2}"
	fi
	find "$d/tmp" -type f -name "$name"
	find /proc/[0-9]*/fd -lname "$d/objects/$fanout/#* (deleted)" 2>/dev/null
	return 0
}
# upload_partial DIR [OID]: upload_files with bytes in them; fails if none.
upload_partial() {
	local f
	upload_files "$@" | while read -r f; do [ -s "$f" ] && echo "$f"; done | grep .
}
# upload_bytes DIR: the size of the largest upload in flight (0: none).
upload_bytes() {
	local f n max=0
	while read -r f; do
		n=$(stat -L -c %s "$f" 2>/dev/null) || continue
		[ "$n" -gt "$max" ] && max=$n
	done < <(upload_files "$1")
	echo "$max"
}
upload_has_at_least() { [ "$(upload_bytes "$1")" -ge "$2" ]; }
# store_named_temps: LFS_STORE_NAMED_TEMPS=1 makes the servers and tools
# this script starts keep uploads in named temp files in DATA/tmp (the
# store's fallback where O_TMPFILE cannot be used; it may also be chosen
# without the variable, the server's log then says so).
store_named_temps() { case "${LFS_STORE_NAMED_TEMPS:-}" in '' | 0 | false) return 1 ;; esac; }

# Writes $2 bytes of deterministic pseudo-random data (seed $3) to $1.
make_file() {
	local f="$1" size="$2" seed="${3:-$1}"
	openssl enc -aes-128-ctr -pass "pass:$seed" -nosalt -pbkdf2 -in /dev/zero 2>/dev/null |
		head -c "$size" >"$f"
}

sha256_of() {
	openssl dgst -sha256 -r "$1" | cut -d' ' -f1
}

# prints the object path for an oid under the directory $1
obj_path() {
	printf '%s/objects/%s/%s/%s\n' "$1" "$(printf %s "$2" | cut -c1-2)" "$(printf %s "$2" | cut -c3-4)" "$2"
}

# doc_block FILE PATTERN [N]: the Nth (default 1) indented code block (four
# spaces, printed without them) after the first line of FILE matching the
# extended regex PATTERN, so that tests run the docs' own snippets.
# Fails if there is no such block.
doc_block() {
	awk -v pat="$2" -v want="${3:-1}" '
		!found { if ($0 ~ pat) found = 1; next }
		/^#/ { exit }
		/^    / || (/^$/ && inblk) {
			if (!inblk) { inblk = 1; n++; held = "" }
			if (n != want) next
			if ($0 == "") { held = held "\n"; next }
			printf "%s%s\n", held, substr($0, 5); held = ""; printed = 1
			next
		}
		{ inblk = 0; if (n >= want) exit }
		END { exit !printed }
	' "$1"
}
