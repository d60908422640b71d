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

rm -rf "$TRASH" && mkdir -p "$TRASH" || exit 1
cd "$TRASH" || exit 1

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
test_atexit_cmds=

say() { printf '%s\n' "$*"; }

# Runs at the end of the current test, whatever its result (inside the
# body's subshell, so it sees the body's variables).
test_when_finished() {
	test_cleanup_cmds="$*
$test_cleanup_cmds"
}

# Runs when the script exits (servers, background jobs).
test_atexit() {
	test_atexit_cmds="$*
$test_atexit_cmds"
}

run_atexit() {
	set +e
	eval "$test_atexit_cmds"
	test_atexit_cmds=
}
trap 'run_atexit' EXIT
trap 'exit 130' INT TERM

test_expect_success() {
	local title="$1" body="$2" rc
	test_count=$((test_count + 1))
	test_cleanup_cmds=
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
		if [ -z "$verbose" ]; then
			sed -e 's/^/#   /' "$TRASH/.test-out" | tail -n 40
		fi
		printf '%s\n' "$body" | sed -e 's/^/#	/'
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
	say "1..$test_count"
	run_atexit
	if [ $test_failed -eq 0 ]; then
		cd "$TEST_ROOT" && rm -rf "$TRASH"
		exit 0
	fi
	exit 1
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
