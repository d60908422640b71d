#!/bin/bash
test_description='lfs-mirror sync with authentication on: a journal reader through --netrc, refusals for everyone else'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# Users: alice writes pub/* and priv/*, mirror1 may read the feed (and
# nothing else), bob is a user who is not a journal reader.

netrc() {
	printf 'machine 127.0.0.1\nlogin %s\npassword %s\n' "$1" "$2" >"$3"
}

htpasswd -B -C 4 -b -c users alice alice-pw 2>/dev/null &&
htpasswd -B -C 4 -b users mirror1 mirror1-pw 2>/dev/null &&
htpasswd -B -C 4 -b users bob bob-pw 2>/dev/null
cat >server.cfg <<CFG
[auth]
	users = $TRASH/users
[repo "pub/*"]
	mirror = true
	write = alice
[repo "priv/*"]
	write = alice
[journal]
	readers = mirror1
CFG
netrc mirror1 mirror1-pw reader.netrc
netrc bob bob-pw bob.netrc
netrc mirror1 wrong-pw wrong.netrc
make_file pub1 5000 pub1 && make_file priv1 6000 priv1

start_lfs_server --config server.cfg
M="$TRASH/mirror"

test_expect_success 'setup: alice uploads to a mirrored and a private repo' '
	lfs_upload pub/a pub1 -u alice:alice-pw &&
	lfs_upload priv/b priv1 -u alice:alice-pw
'

test_expect_success 'the journal reader syncs with credentials from --netrc' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" --netrc reader.netrc >out 2>err &&
	echo "synced 1 objects (5000 bytes), skipped 0, last_seq 1" >expect &&
	test_cmp expect out &&
	cmp pub1 "$(obj_path "$M" "$(sha256_of pub1)")" &&
	test_path_is_missing "$(obj_path "$M" "$(sha256_of priv1)")" &&
	test "$(find "$M/objects" -type f | wc -l)" = 1
'

test_expect_success 'without credentials: exit 1, one line naming the URL and 401' '
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$TRASH/m2" >out 2>err &&
	test $(wc -l <err) = 1 &&
	grep -q "$LFS_URL/_lfs/journal?after=0.*: HTTP 401" err &&
	test_path_is_missing "$TRASH/m2/mirror-state.json"
'

test_expect_success 'a user who is not a journal reader: exit 1, 403 and the reason' '
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$TRASH/m2" --netrc bob.netrc >out 2>err &&
	test $(wc -l <err) = 1 &&
	grep -q "HTTP 403: not a journal reader" err
'

test_expect_success 'a wrong password: exit 1 with 401' '
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$TRASH/m2" --netrc wrong.netrc >out 2>err &&
	test $(wc -l <err) = 1 &&
	grep -q "HTTP 401" err
'

test_expect_success 'a missing netrc file: exit 1 naming it' '
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$TRASH/m2" --netrc nope.netrc >out 2>err &&
	test $(wc -l <err) = 1 &&
	grep -q "nope.netrc" err
'

test_expect_success 'credentials in the URL never reach the messages' '
	base=$(echo "$LFS_URL" | sed "s,://,://bob:bob-pw@,") &&
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$base" --to "$TRASH/m2" >out 2>err &&
	grep -q "HTTP 403" err &&
	! grep -q "bob-pw" err
'

test_expect_success 'a later upload reaches the mirror on the next sync' '
	make_file pub2 7000 pub2 &&
	lfs_upload pub/c pub2 -u alice:alice-pw &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" --netrc reader.netrc >out &&
	echo "synced 1 objects (7000 bytes), skipped 0, last_seq 2" >expect &&
	test_cmp expect out &&
	cmp pub2 "$(obj_path "$M" "$(sha256_of pub2)")" &&
	"$BIN/lfs-mirror" verify "$M" >out &&
	grep -q "^verified 2 objects" out
'

stop_rc

test_expect_success 'the server stopped cleanly' '
	test "$(cat "$TRASH/stop.rc")" = 0 || { cat "$TRASH/stop.err" >&2; false; }
'

test_done
