#!/bin/bash
test_description='lfs-admin import: bulk import of files and LFS object trees, hashed, fsynced and recorded; refused beside a running server; an interrupted import leaves nothing half-visible and a rerun completes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

admin() {
	"$BIN/lfs-admin" --data "$DATA" "$@"
}
rows() { # REPO: "oid size" per journal row of REPO, sorted
	admin uploads --repo "$1" | awk -F "\t" "{ print \$6, \$5 }" | sort
}
expect_rows() { # FILE...: "oid size" per file, sorted
	for f in "$@"; do echo "$(sha256_of "$f") $(wc -c <"$f")"; done | sort
}
stored_same() { # FILE: the store holds FILE's bytes under its oid
	cmp "$1" "$(obj_path "$DATA" "$(sha256_of "$1")")"
}
# An LFS object tree (ab/cd/<oid>, as .git/lfs/objects and most servers keep it).
put_tree() { # DIR FILE...
	local d=$1 f
	shift
	for f in "$@"; do
		mkdir -p "$(dirname "$(obj_path "$d" "$(sha256_of "$f")")")" &&
		cp "$f" "$(obj_path "$d" "$(sha256_of "$f")")" || return 1
	done
}

mkdir -p src/plain/deep src/tree other
make_file src/plain/a.bin 1000 a && make_file src/plain/deep/b.psd 70000 b && : >src/plain/empty &&
make_file t1 3000 t1 && make_file t2 4096 t2 && make_file t3 123457 t3 &&
ln -s ../../t1 src/plain/link
put_tree src/tree/objects t1 t2 t3

cat >server.cfg <<CFG
[server]
	data = $DATA
[repo "pub/*"]
	read = *
	write = *
	mirror = true
[repo "*/*"]
	read = *
	write = *
CFG

test_expect_success 'import of plain files and an object tree into a new data dir' '
	"$BIN/lfs-admin" --config server.cfg import org/game src/plain src/tree >out 2>err &&
	test_must_be_empty err &&
	grep -qx "import: org/game: 6 files, 6 stored (201553 bytes), 6 new to the repo, 0 held already, 0 bad" out
'

test_expect_success 'every file is a journal row of the repo at its size; symlinks are not followed' '
	rows org/game >got &&
	expect_rows src/plain/a.bin src/plain/deep/b.psd src/plain/empty t1 t2 t3 >want &&
	test_cmp want got &&
	test "$(admin uploads | wc -l)" = 6
'

test_expect_success 'the store holds the bytes under their oids, fsck is clean, tmp/ is empty' '
	for f in src/plain/a.bin src/plain/deep/b.psd src/plain/empty t1 t2 t3; do
		stored_same "$f" || return 1
	done &&
	admin fsck >fsck &&
	grep -q "6 objects.*0 orphans: 0 problems" fsck &&
	test_must_be_empty "$(find "$DATA/tmp" -type f)"
'

test_expect_success 'a mirrored repo: the imported objects join the feed once' '
	"$BIN/lfs-admin" --config server.cfg import pub/site src/tree >out &&
	grep -q "mirrored repo" out &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM feed")" = 3 &&
	"$BIN/lfs-admin" --config server.cfg import pub/site2 src/tree >out &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM feed")" = 3 &&
	test "$(rows org/game | wc -l)" = 6
'

test_expect_success 'a second import: nothing new, the oid-named files are skipped' '
	admin import org/game src/tree >out &&
	grep -qx "import: org/game: 3 files, 0 stored (0 bytes), 0 new to the repo, 3 held already, 0 bad" out &&
	admin import org/game src/plain >out &&
	grep -q " 0 new to the repo, 3 held already, 0 bad" out &&
	test "$(rows org/game | wc -l)" = 6
'

start_lfs_server --config server.cfg

test_expect_success 'the running server serves what was imported' '
	server_started &&
	oid=$(sha256_of t3) &&
	code=$(batch org/game "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":123457}]}") &&
	test "$code" = 200 &&
	href=$(jq -r ".objects[0].actions.download.href" "$TRASH/body") &&
	curl -sS -f -o got.bin "$href" && cmp t3 got.bin
'

test_expect_success 'refused while the server holds the lock; nothing changes' '
	objects_snapshot >before &&
	make_file new 5000 new &&
	test_expect_code 1 "$BIN/lfs-admin" --config server.cfg import org/game new >out 2>err &&
	grep -q "is in use.*lfs-server\|is in use.*pid $LFS_PID" err &&
	objects_snapshot >after && test_cmp before after &&
	test "$(rows org/game | wc -l)" = 6
'

stop_rc

test_expect_success 'a file named by an oid it does not hash to: listed, not stored, exit 1; the rest imported' '
	stopped_cleanly &&
	mkdir -p bad/ab/cd && make_file good 600 good && cp good bad/ &&
	fake=abcd$(printf "%060d" 0) && make_file "bad/ab/cd/$fake" 100 x &&
	test_expect_code 1 admin import org/bad bad >out 2>err &&
	grep -q "^bad bad/ab/cd/$fake: " out &&
	grep -q "1 file did not hash to its name" err &&
	test_path_is_missing "$(obj_path "$DATA" "$fake")" &&
	rows org/bad >got && expect_rows good >want && test_cmp want got
'

mkdir -p many
for i in $(seq 1 9); do make_file "many/m$i" $((100 * i)) "m$i"; done

test_expect_success 'killed after its first batch is recorded: whole batches only, every row has its object' '
	test_expect_code 137 env LFS_FAULT=import-recorded "$BIN/lfs-admin" --data "$DATA" \
		import --batch 4 --jobs 2 org/crash many &&
	test "$(rows org/crash | wc -l)" = 4 &&
	admin fsck >fsck && grep -q " 0 problems" fsck
'

test_expect_success 'killed with a batch stored but not recorded: no rows for it, only orphans' '
	test_expect_code 137 env LFS_FAULT=import-stored "$BIN/lfs-admin" --data "$DATA" \
		import --batch 4 org/crash2 many &&
	test "$(rows org/crash2 | wc -l)" = 0 &&
	admin fsck >fsck && grep -q " 0 problems" fsck
'

test_expect_success 'killed mid-object (after the link, before the directory fsync): no row' '
	test_expect_code 137 env LFS_FAULT=store-linked "$BIN/lfs-admin" --data "$DATA" \
		import --jobs 1 org/crash3 many &&
	test "$(rows org/crash3 | wc -l)" = 0
'

test_expect_success 'reruns complete every interrupted import; fsck clean, tmp/ emptied' '
	for r in org/crash org/crash2 org/crash3; do
		admin import --batch 4 $r many >out || return 1
		rows $r >got && expect_rows many/m* >want && test_cmp want got || return 1
	done &&
	admin fsck >fsck && grep -q " 0 orphans: 0 problems" fsck &&
	test_must_be_empty "$(find "$DATA/tmp" -type f)"
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 admin import org/game 2>err && grep -q "^usage: lfs-admin" err &&
	test_expect_code 2 admin import 2>err &&
	test_expect_code 2 admin import --jobs 0 org/game many 2>err &&
	test_expect_code 2 admin import "../x" many 2>err &&
	test_expect_code 1 admin import org/game nowhere 2>err && grep -q "nowhere" err
'

test_done
