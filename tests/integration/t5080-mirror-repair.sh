#!/bin/bash
test_description='lfs-mirror verify --from names missing objects; --repair re-fetches corrupt and missing ones under the lock, from a URL and from a data dir'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

test_must_be_empty() {
	[ ! -s "$1" ] || { echo "'$1' is not empty:" >&2; cat "$1" >&2; return 1; }
}

# damage DIR: flips a byte of p1's object and deletes p2's.
damage() {
	local f
	f=$(obj_path "$1" "$(sha256_of p1)") &&
	printf "X" | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	! cmp -s p1 "$f" &&
	rm "$(obj_path "$1" "$(sha256_of p2)")"
}

# expect_tree DIR FILE...: DIR/objects holds exactly these files' objects.
expect_tree() {
	local dir="$1" f
	shift
	for f in "$@"; do
		obj_path "$dir" "$(sha256_of "$f")" || return 1
	done | sort >expect.list &&
	find "$dir/objects" -type f | sort >actual.list &&
	test_cmp expect.list actual.list &&
	for f in "$@"; do
		cmp "$f" "$(obj_path "$dir" "$(sha256_of "$f")")" || return 1
	done
}

cat >server.cfg <<'CFG'
[repo "pub/*"]
	read = *
	mirror = true
[journal]
	readers = *
CFG

make_file p1 5000 p1 && make_file p2 70000 p2 && make_file p3 3000 p3 && make_file s1 2000 s1
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }
M="$TRASH/mirror"
P1=$(obj_path "$M" "$(sha256_of p1)")
P2=$(obj_path "$M" "$(sha256_of p2)")

test_expect_success 'setup: a synced tree, then one object corrupted and one deleted' '
	lfs_upload pub/a p1 && lfs_upload pub/a p2 && lfs_upload pub/b p3 && lfs_upload priv/x s1 &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out &&
	echo "synced 3 objects (78000 bytes), skipped 0, last_seq 3" >expect &&
	test_cmp expect out &&
	cp -r "$M" "$TRASH/pristine" &&
	damage "$M" &&
	cp "$P1" corrupted &&
	cp "$M/mirror-state.json" state.before
'

test_expect_success 'verify alone names the corrupt object (it cannot know what is missing)' '
	test_expect_code 1 "$BIN/lfs-mirror" verify "$M" >out 2>err &&
	grep -q "^corrupt: $P1: content hashes to " out &&
	test $(wc -l <out) = 1
'

test_expect_success 'verify --from URL names both and exits 1, changing nothing' '
	test_expect_code 1 "$BIN/lfs-mirror" verify "$M" --from "$LFS_URL" >out 2>err &&
	grep -q "^corrupt: $P1: content hashes to " out &&
	grep -q "^missing: $P2: feed seq 2$" out &&
	test $(wc -l <out) = 2 &&
	echo "lfs-mirror: $M: 1 corrupt, 1 missing and 0 misplaced files" >expect &&
	test_cmp expect err &&
	cmp corrupted "$P1" &&
	test_path_is_missing "$P2"
'

test_expect_success 'a sync holding the lock makes --repair exit 75, changing nothing' '
	test_expect_code 75 flock "$M/.lfs-mirror.lock" \
		"$BIN/lfs-mirror" verify "$M" --repair --from "$LFS_URL" >out 2>err &&
	grep -q "lfs-mirror.lock" err &&
	test $(wc -l <err) = 1 &&
	cmp corrupted "$P1" &&
	test_path_is_missing "$P2"
'

test_expect_success 'verify --repair --from URL fixes both; then verify exits 0' '
	"$BIN/lfs-mirror" verify "$M" --repair --from "$LFS_URL" >out 2>err &&
	test_must_be_empty err &&
	grep -q "^corrupt: $P1: " out &&
	grep -q "^missing: $P2: feed seq 2$" out &&
	grep -q "^repaired: $P1: was corrupt$" out &&
	grep -q "^repaired: $P2: was missing$" out &&
	grep -q "^verified 1 objects (3000 bytes) in $M up to last_seq 3: repaired 1 corrupt and 1 missing$" out &&
	expect_tree "$M" p1 p2 p3 &&
	test "$(stat -c %a "$P1")" = 644 &&
	tmp_emptied "$M" &&
	cmp state.before "$M/mirror-state.json" &&
	"$BIN/lfs-mirror" verify "$M" >out &&
	grep -q "^verified 3 objects (78000 bytes) in $M: all good$" out &&
	"$BIN/lfs-mirror" verify "$M" --from "$LFS_URL" >out &&
	grep -q "^verified 3 objects (78000 bytes) in $M up to last_seq 3: all good$" out
'

test_expect_success 'the same with --from DATA_DIR' '
	rm -rf "$M" && cp -r "$TRASH/pristine" "$M" && damage "$M" &&
	test_expect_code 1 "$BIN/lfs-mirror" verify "$M" --from "$DATA" >out &&
	grep -q "^corrupt: $P1: " out && grep -q "^missing: $P2: feed seq 2$" out &&
	"$BIN/lfs-mirror" verify "$M" --repair --from "$DATA" >out 2>err &&
	test_must_be_empty err &&
	grep -q "^repaired: $P1: was corrupt$" out &&
	grep -q "^repaired: $P2: was missing$" out &&
	expect_tree "$M" p1 p2 p3 &&
	"$BIN/lfs-mirror" verify "$M" >out &&
	grep -q "^verified 3 objects" out
'

test_expect_success 'a corrupt file named by an oid the feed does not list is never fetched (not even from DATA_DIR)' '
	s=$(sha256_of s1) &&
	f=$(obj_path "$M" "$s") &&
	mkdir -p "$(dirname "$f")" && echo "not the private object" >"$f" && cp "$f" planted &&
	test_expect_code 1 "$BIN/lfs-mirror" verify "$M" --repair --from "$DATA" >out 2>err &&
	grep -q "^corrupt: $f: " out &&
	grep -q "^not repairable: $f: corrupt, and not in the feed up to last_seq 3 (move it away)$" out &&
	grep -q "1 corrupt, 0 missing and 0 misplaced files left" err &&
	cmp planted "$f" &&
	rm "$f"
'

test_expect_success 'misplaced files are named and left alone; what can be repaired is' '
	rm "$P2" &&
	echo junk >"$M/objects/README" &&
	test_expect_code 1 "$BIN/lfs-mirror" verify "$M" --repair --from "$LFS_URL" >out 2>err &&
	grep -q "^misplaced: $M/objects/README: name is not an oid$" out &&
	grep -q "^repaired: $P2: was missing$" out &&
	grep -q "0 corrupt, 0 missing and 1 misplaced files left" err &&
	test -f "$M/objects/README" && cmp p2 "$P2" &&
	rm "$M/objects/README"
'

test_expect_success 'what a killed repair left in tmp/repair is removed by the next sync' '
	mkdir -p "$M/tmp/repair/objects/ab/cd" "$M/tmp/repair/tmp" &&
	echo left >"$M/tmp/repair/objects/ab/cd/abcd" && echo left >"$M/tmp/repair/tmp/x" &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out &&
	tmp_emptied "$M"
'

test_expect_success 'usage: --repair, --netrc and --cacert need --from' '
	test_expect_code 2 "$BIN/lfs-mirror" verify "$M" --repair 2>err &&
	grep -q "^usage: lfs-mirror" err &&
	test_expect_code 2 "$BIN/lfs-mirror" verify "$M" --cacert x 2>err &&
	test_expect_code 2 "$BIN/lfs-mirror" verify --repair --from "$LFS_URL" 2>err
'

stop_lfs_server 2>stop.err; echo $? >stop.rc

test_expect_success 'the server stopped cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
