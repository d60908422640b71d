#!/bin/bash
test_description='lfs-mirror sync and verify against a real server: only mirrored objects, incremental, --from DATA_DIR, corruption'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# tree_list DIR: every file under DIR/objects, sorted.
tree_list() {
	(cd "$1" && find ./objects -type f | sort)
}

# expect_tree DIR FILE...: DIR/objects holds exactly these files' objects,
# byte for byte.
expect_tree() {
	local dir="$1" f
	shift
	for f in "$@"; do
		obj_path . "$(sha256_of "$f")" || return 1
	done | sort >expect.list &&
	tree_list "$dir" >actual.list &&
	test_cmp expect.list actual.list &&
	for f in "$@"; do
		cmp "$f" "$(obj_path "$dir" "$(sha256_of "$f")")" || return 1
	done
}

# The last seq the server's feed has.
feed_last() {
	curl -sS "$LFS_URL/_lfs/journal?after=0&limit=10000" | jq -r '.entries[-1].seq'
}

cat >server.cfg <<'CFG'
[repo "pub/*"]
	mirror = true
[journal]
	readers = *
CFG

make_file p1 1500 p1 && make_file p2 70000 p2 && : >p0 &&
make_file s1 2000 s1 && make_file p3 3000 p3 && make_file p4 1 p4

start_lfs_server --config server.cfg
M="$TRASH/mirror"

test_expect_success 'setup: objects in a mirrored and a private repo' '
	lfs_upload pub/a p1 && lfs_upload pub/a p2 && lfs_upload pub/b p0 &&
	lfs_upload priv/x s1 && lfs_upload priv/x p3 &&
	test "$(feed_last)" = 3
'

test_expect_success 'the private objects are not in the feed' '
	curl -sS "$LFS_URL/_lfs/journal" >feed.json &&
	! grep -q "$(sha256_of s1)" feed.json &&
	! grep -q "$(sha256_of p3)" feed.json &&
	grep -q "$(sha256_of p1)" feed.json
'

test_expect_success 'sync brings exactly the mirrored objects, byte-identical' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out 2>err &&
	echo "synced 3 objects (71500 bytes), skipped 0, last_seq 3" >expect &&
	test_cmp expect out &&
	test_must_be_empty err &&
	expect_tree "$M" p0 p1 p2 &&
	test_path_is_missing "$(obj_path "$M" "$(sha256_of s1)")"
'

test_expect_success 'mirror-state.json says last_seq, version and time' '
	test "$(state_seq "$M")" = 3 &&
	jq -e "(keys == [\"last_seq\", \"updated_at\", \"version\"]) and
		(.updated_at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$\"))" \
		"$M/mirror-state.json" &&
	test -z "$(ls "$M/tmp")"
'

test_expect_success 'the tree is readable by a web server' '
	f=$(obj_path "$M" "$(sha256_of p1)") &&
	test "$(stat -c %a "$M/objects")" = 755 &&
	test "$(stat -c %a "$(dirname "$f")")" = 755 &&
	test "$(stat -c %a "$f")" = 644 &&
	test "$(stat -c %a "$M/mirror-state.json")" = 644
'

test_expect_success 'a second sync fetches nothing' '
	tree_list "$M" >before &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out 2>err &&
	echo "synced 0 objects (0 bytes), skipped 0, last_seq 3" >expect &&
	test_cmp expect out &&
	tree_list "$M" >after &&
	test_cmp before after
'

test_expect_success 'more uploads, then sync fetches only the new ones' '
	lfs_upload pub/a p3 && lfs_upload pub/b p4 && lfs_upload priv/x p1 &&
	test "$(feed_last)" -gt 3 &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" --jobs 1 >out 2>err &&
	echo "synced 2 objects (3001 bytes), skipped 0, last_seq $(feed_last)" >expect &&
	test_cmp expect out &&
	expect_tree "$M" p0 p1 p2 p3 p4 &&
	test "$(state_seq "$M")" = "$(feed_last)"
'

test_expect_success 'without a state file, present objects are skipped' '
	rm "$M/mirror-state.json" &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out &&
	echo "synced 0 objects (0 bytes), skipped 5, last_seq $(feed_last)" >expect &&
	test_cmp expect out
'

test_expect_success 'a missing object is fetched again even below last_seq' '
	f=$(obj_path "$M" "$(sha256_of p2)") &&
	rm "$f" && rm "$M/mirror-state.json" &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out &&
	echo "synced 1 objects (70000 bytes), skipped 4, last_seq $(feed_last)" >expect &&
	test_cmp expect out &&
	expect_tree "$M" p0 p1 p2 p3 p4
'

test_expect_success '--from DATA_DIR gives the same tree, beside the running server' '
	"$BIN/lfs-mirror" sync --from "$DATA" --to "$TRASH/m2" >out 2>err &&
	echo "synced 5 objects (74501 bytes), skipped 0, last_seq $(feed_last)" >expect &&
	test_cmp expect out &&
	test_must_be_empty err &&
	expect_tree "$TRASH/m2" p0 p1 p2 p3 p4 &&
	test "$(state_seq "$TRASH/m2")" = "$(feed_last)" &&
	"$BIN/lfs-mirror" sync --from "$DATA" --to "$TRASH/m2" >out &&
	echo "synced 0 objects (0 bytes), skipped 0, last_seq $(feed_last)" >expect &&
	test_cmp expect out
'

test_expect_success '--from DATA_DIR that is not a data dir fails, naming it' '
	mkdir notdata &&
	test_expect_code 1 "$BIN/lfs-mirror" sync --from notdata --to "$TRASH/m3" 2>err &&
	test $(wc -l <err) = 1 &&
	grep -q "notdata" err
'

test_expect_success 'verify passes on a good tree' '
	"$BIN/lfs-mirror" verify "$M" >out 2>err &&
	grep -q "^verified 5 objects (74501 bytes)" out &&
	test_must_be_empty err
'

test_expect_success 'verify names a corrupt object and exits 1' '
	cp -r "$M" "$TRASH/bad" &&
	f=$(obj_path "$TRASH/bad" "$(sha256_of p2)") &&
	printf "X" | dd of="$f" bs=1 seek=1000 conv=notrunc 2>/dev/null &&
	test_expect_code 1 "$BIN/lfs-mirror" verify "$TRASH/bad" >out 2>err &&
	grep -q "^corrupt: $f" out &&
	test $(wc -l <out) = 1 &&
	grep -q "1 corrupt" err
'

test_expect_success 'verify names misplaced files and exits 1' '
	rm -rf "$TRASH/bad" && cp -r "$M" "$TRASH/bad" &&
	oid=$(sha256_of p1) &&
	mkdir -p "$TRASH/bad/objects/00/00" &&
	cp p1 "$TRASH/bad/objects/00/00/$oid" &&
	echo junk >"$TRASH/bad/objects/00/00/README" &&
	cp p1 "$TRASH/bad/objects/$oid" &&
	test_expect_code 1 "$BIN/lfs-mirror" verify "$TRASH/bad" >out 2>err &&
	grep -q "^misplaced: $TRASH/bad/objects/00/00/$oid: not under its ab/cd" out &&
	grep -q "^misplaced: $TRASH/bad/objects/00/00/README: name is not an oid" out &&
	grep -q "^misplaced: $TRASH/bad/objects/$oid: not under its ab/cd" out &&
	test $(wc -l <out) = 3 &&
	grep -q "3 misplaced" err
'

test_expect_success 'sync never replaces an object the tree already has' '
	f=$(obj_path "$TRASH/m2" "$(sha256_of p1)") &&
	chmod u+w "$f" && printf "Y" | dd of="$f" bs=1 seek=10 conv=notrunc 2>/dev/null &&
	cp "$f" corrupted && rm "$TRASH/m2/mirror-state.json" &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$TRASH/m2" >out &&
	cmp corrupted "$f" &&
	test_expect_code 1 "$BIN/lfs-mirror" verify "$TRASH/m2" >out 2>err &&
	grep -q "^corrupt: $f" out
'

test_expect_success 'a sync holding the lock makes another exit 75' '
	test_expect_code 75 flock "$M/.lfs-mirror.lock" \
		"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out 2>err &&
	test_must_be_empty out &&
	test $(wc -l <err) = 1 &&
	grep -q "lfs-mirror.lock" err
'

test_expect_success 'an object the server cannot serve fails the sync, naming it and the status; state stops before it' '
	oid=$(sha256_of p2) &&
	mv "$(obj_path "$DATA" "$oid")" hidden &&
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$TRASH/m4" >out 2>err &&
	mv hidden "$(obj_path "$DATA" "$oid")" &&
	test_must_be_empty out &&
	test $(wc -l <err) = 1 &&
	grep -q "$oid" err && grep -q "HTTP 5[0-9][0-9] from $LFS_URL/_lfs/objects/$oid" err &&
	test "$(state_seq "$TRASH/m4")" = 1 &&
	test_path_is_missing "$(obj_path "$TRASH/m4" "$oid")" &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$TRASH/m4" >out &&
	expect_tree "$TRASH/m4" p0 p1 p2 p3 p4
'

test_expect_success 'usage errors exit 2; --help and --version exit 0' '
	test_expect_code 2 "$BIN/lfs-mirror" 2>err && grep -q "^usage: lfs-mirror" err &&
	test_expect_code 2 "$BIN/lfs-mirror" sync --to x 2>err && grep -q "^usage: lfs-mirror" err &&
	test_expect_code 2 "$BIN/lfs-mirror" sync --from x --to y --jobs 0 2>err &&
	test_expect_code 2 "$BIN/lfs-mirror" sync --from x --to y --bogus 2>err &&
	test_expect_code 2 "$BIN/lfs-mirror" verify 2>err &&
	test_expect_code 2 "$BIN/lfs-mirror" frobnicate 2>err &&
	"$BIN/lfs-mirror" --help >out && grep -q "^usage: lfs-mirror sync" out &&
	"$BIN/lfs-mirror" sync --help >out && grep -q "^usage: lfs-mirror sync" out &&
	"$BIN/lfs-mirror" --version >out && grep -q "^lfs-mirror [0-9]" out
'

stop_rc

test_expect_success 'a server that is down fails the sync in one line naming the URL' '
	test_expect_code 1 "$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M" >out 2>err &&
	test $(wc -l <err) = 1 &&
	grep -q "$LFS_URL/_lfs/journal" err &&
	test "$(state_seq "$M")" -gt 0
'

test_expect_success 'the server stopped cleanly' '
	test "$(cat "$TRASH/stop.rc")" = 0 || { cat "$TRASH/stop.err" >&2; false; }
'

test_done
