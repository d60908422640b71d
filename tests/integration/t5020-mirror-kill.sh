#!/bin/bash
test_description='lfs-mirror sync killed midway resumes cleanly; two syncs on one tree: the second exits 75'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# The partial download of a running sync, with some bytes in it: a named
# temp in DIR/tmp or an anonymous file (test-lib.sh, upload_files); prints
# its path.
partial_temp() { upload_partial "$1"; }
# left_by_kill DIR FILE: what a killed sync left in DIR/tmp is a prefix
# of FILE: its partial temp (named temps; LFS_STORE_NAMED_TEMPS=1, t5021),
# or nothing (an anonymous file dies with its process).
left_by_kill() {
	local tmps tmp
	tmps=$(find "$1/tmp" -type f) &&
	if store_named_temps; then test "$(echo "$tmps" | grep -c .)" = 1 || return 1; fi &&
	for tmp in $tmps; do is_prefix "$tmp" "$2" || return 1; done
}

# is_prefix PART FILE: PART is a strict prefix of FILE.
is_prefix() {
	local n
	n=$(wc -c <"$1") &&
	test "$n" -lt "$(wc -c <"$2")" &&
	cmp -n "$n" "$1" "$2"
}

objects_in() {
	find "$1/objects" -type f | wc -l
}

cat >server.cfg <<'CFG'
[repo "pub/*"]
	read = *
	mirror = true
[journal]
	readers = *
CFG

for i in 1 2 3 4; do
	make_file big$i 262144 big$i || exit 1
done
start_lfs_server --config server.cfg
M="$TRASH/mirror"

test_expect_success 'setup: four larger mirrored objects' '
	for i in 1 2 3 4; do put_anon pub/big big$i || return 1; done
'

test_expect_success 'sync killed by SIGKILL in the middle of a download' '
	LFS_FAULT=mirror-partial "$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" --jobs 1 >out 2>err;
	test $? = 137 &&
	test "$(objects_in "$M")" = 1 &&
	cmp big1 "$(obj_path "$M" "$(sha256_of big1)")" &&
	left_by_kill "$M" big2 &&
	test_path_is_missing "$M/mirror-state.json" &&
	"$BIN/lfs-mirror" verify "$M" >out
'

test_expect_success 'the next sync sweeps the temp and completes, correct' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out 2>err &&
	echo "synced 3 objects (786432 bytes), skipped 1, last_seq 4" >expect &&
	test_cmp expect out &&
	test -z "$(ls "$M/tmp")" &&
	test "$(state_seq "$M")" = 4 &&
	for i in 1 2 3 4; do
		cmp big$i "$(obj_path "$M" "$(sha256_of big$i)")" || return 1
	done &&
	"$BIN/lfs-mirror" verify "$M" >out &&
	grep -q "^verified 4 objects (1048576 bytes)" out
'

stop_rc

# A copy of the data dir whose third object is a FIFO: a sync copying it
# blocks mid-object for as long as the test holds the FIFO open, so the
# test acts while the sync certainly runs, with no timing involved.
S="$TRASH/slow"
M2="$TRASH/mirror2"
cp -r "$DATA" "$S" &&
fifo=$(obj_path "$S" "$(sha256_of big3)") &&
rm "$fifo" && mkfifo "$fifo"

test_expect_success 'two syncs on one tree: the second exits 75 while the first runs' '
	"$BIN/lfs-mirror" sync --from "$S" --to "$M2" >first.out 2>first.err &
	pid=$! &&
	exec 9<>"$fifo" &&
	head -c 65536 big3 >&9 &&
	{
		test_poll partial_temp "$M2" &&
		test_expect_code 75 "$BIN/lfs-mirror" sync --from "$S" --to "$M2" >out 2>err &&
		test_must_be_empty out &&
		test $(wc -l <err) = 1 &&
		grep -q "another sync holds .*\.lfs-mirror\.lock" err &&
		test_expect_code 75 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M2" 2>err &&
		grep -q "another sync holds" err
		rc=$?
	}
	kill -9 $pid; wait $pid; killed=$?
	exec 9>&- &&
	test $rc = 0 && test $killed = 137 &&
	test "$(objects_in "$M2")" = 2 &&
	cmp big1 "$(obj_path "$M2" "$(sha256_of big1)")" &&
	cmp big2 "$(obj_path "$M2" "$(sha256_of big2)")" &&
	left_by_kill "$M2" big3 &&
	test_path_is_missing "$M2/mirror-state.json"
'

test_expect_success 'after kill -9, a rerun completes: temps swept, every object correct' '
	rm "$fifo" && cp big3 "$fifo" &&
	"$BIN/lfs-mirror" sync --from "$S" --to "$M2" >out 2>err &&
	echo "synced 2 objects (524288 bytes), skipped 2, last_seq 4" >expect &&
	test_cmp expect out &&
	test -z "$(ls "$M2/tmp")" &&
	test "$(state_seq "$M2")" = 4 &&
	for i in 1 2 3 4; do
		cmp big$i "$(obj_path "$M2" "$(sha256_of big$i)")" || return 1
	done
'

test_expect_success 'the server stopped cleanly' '
	test "$(cat "$TRASH/stop.rc")" = 0 || { cat "$TRASH/stop.err" >&2; false; }
'

test_done
