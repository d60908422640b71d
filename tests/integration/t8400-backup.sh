#!/bin/bash
test_description='lfs-admin backup: a consistent copy taken while uploads run, restored into a new data dir and served'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

ORIG=$DATA
A="-u alice:alice-pw"
BG_UPLOADS=60

htpasswd -B -C 4 -b -c users alice alice-pw 2>/dev/null
cat >server.cfg <<CFG
[auth]
	users = $TRASH/users
[repo "team/*"]
	read = alice
	write = alice
[repo "pub/*"]
	read = *
	write = alice
	mirror = true
CFG

# lfs_download REPO FILE OUT: fetches FILE's object from REPO the client's
# way (batch, then GET with the header it gave) into OUT.
lfs_download() {
	local oid size code href auth
	oid=$(sha256_of "$2") && size=$(wc -c <"$2") &&
	code=$(batch "$1" "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}" $A) &&
	[ "$code" = 200 ] || { echo "batch download $1 $2: $code" >&2; return 1; }
	href=$(jq -r '.objects[0].actions.download.href // empty' "$TRASH/body") &&
	auth=$(jq -r '.objects[0].actions.download.header.Authorization // empty' "$TRASH/body") &&
	[ -n "$href" ] || { echo "no download of $2 in $1: $(cat "$TRASH/body")" >&2; return 1; }
	curl -sSf -o "$3" ${auth:+-H "Authorization: $auth"} "$href"
}

# Uploads bg1..bgN one after the other, appending "REPO FILE" to bg-acked
# after each 200; bounded in count.
bg_uploads() {
	local i=0
	while [ $i -lt $BG_UPLOADS ]; do
		i=$((i + 1))
		make_file bg$i $((20000 + i * 37)) bg$i &&
		lfs_upload team/c bg$i $A 2>>bg.err && echo "team/c bg$i" >>bg-acked
	done
	: >bg-done
}

start_lfs_server --config server.cfg

test_expect_success 'setup: objects in two repos (one in both), two locks, all acknowledged' '
	server_started &&
	: >acked &&
	n=0 &&
	for f in a1 a2 a3 b1 b2 b3; do
		n=$((n + 1)) && make_file $f $((40000 + n * 1111)) $f || return 1
	done &&
	for f in a1 a2 a3; do lfs_upload team/a $f $A && echo "team/a $f" >>acked || return 1; done &&
	make_file p1 5000 p1 && lfs_upload pub/p p1 $A && echo "pub/p p1" >>acked &&
	for f in b1 b2 b3 a1; do lfs_upload team/b $f $A && echo "team/b $f" >>acked || return 1; done &&
	for p in big.bin docs/manual.pdf; do
		code=$(http_status POST "$LFS_URL/team/a/info/lfs/locks" $A -H "Accept: $LFS_TYPE" \
			-H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"$p\"}") &&
		test "$code" = 201 &&
		printf "%s\t%s\n" "$(jq -r .lock.id "$TRASH/body")" "$p" >>locks-acked || return 1
	done
'

# The uploads run in a subshell of their own, started here at the top
# level so that they outlive one test body; bounded by BG_UPLOADS.
: >bg-acked
bg_uploads &
BG=$!
test_atexit "kill $BG 2>/dev/null; wait $BG 2>/dev/null"

test_expect_success 'backup while uploads run: exit 0, DEST made whole, DATA/lock left alone' '
	POLL_TRIES=400 test_poll test -s bg-acked &&
	# Everything acknowledged before the backup began.
	cat acked bg-acked >must-have &&
	"$BIN/lfs-admin" --data "$ORIG" backup backup >backup.out 2>err &&
	test_must_be_empty err &&
	grep -q "^backup: backup: meta.db (schema [0-9]*, [0-9]* journal rows, 2 locks), [0-9]* objects .*, secret$" backup.out &&
	test -f backup/meta.db && test -d backup/objects &&
	test_path_is_missing backup/lock &&
	! ls -d backup.tmp-* 2>/dev/null &&
	test "$(stat -c %a backup/secret)" = 600 &&
	cmp "$ORIG/secret" backup/secret &&
	test "$(stat -c %a backup)" = 700
'

test_expect_success 'the uploads went on during the backup and all succeeded' '
	POLL_TRIES=2400 test_poll test -e bg-done &&
	test_must_be_empty bg.err &&
	test $(wc -l <bg-acked) = $BG_UPLOADS &&
	echo "# $(($(wc -l <bg-acked) - $(wc -l <must-have) + $(wc -l <acked))) uploads acknowledged after the backup began"
'

test_expect_success 'every row of the backed-up meta.db has its object: fsck clean, no orphan' '
	"$BIN/lfs-admin" --data backup fsck >out 2>err &&
	test_must_be_empty err &&
	grep -q ", 0 orphans: 0 problems$" out &&
	"$BIN/lfs-admin" --data backup uploads >rows &&
	while read -r seq time repo user size oid; do
		test -f "$(obj_path backup "$oid")" || { echo "row $seq: no file for $oid" >&2; return 1; }
	done <rows
'

test_expect_success 'same file system: objects are hard links to the originals' '
	while read -r repo f; do
		o=$(obj_path "$ORIG" "$(sha256_of $f)") && b=$(obj_path backup "$(sha256_of $f)") &&
		test "$(stat -c %i "$o")" = "$(stat -c %i "$b")" &&
		test "$(stat -c %h "$b")" -ge 2 || { echo "$f: not linked" >&2; return 1; }
	done <must-have &&
	grep -q " [1-9][0-9]* hard-linked, 0 copied)" backup.out
'

test_expect_success 'a non-empty DEST is refused with exit 1 and left as it was' '
	mkdir full && echo keep >full/file &&
	test_expect_code 1 "$BIN/lfs-admin" --data "$ORIG" backup full 2>err &&
	grep -q "not empty" err &&
	test "$(ls -A full)" = file && test "$(cat full/file)" = keep &&
	! ls -d full.tmp-* 2>/dev/null &&
	echo x >afile &&
	test_expect_code 1 "$BIN/lfs-admin" --data "$ORIG" backup afile 2>err &&
	grep -q "not a directory" err &&
	test_expect_code 1 "$BIN/lfs-admin" --data "$TRASH/nope" backup new 2>err &&
	test_path_is_missing new && ! ls -d new.tmp-* 2>/dev/null
'

test_expect_success 'an empty DEST directory is accepted' '
	mkdir empty &&
	"$BIN/lfs-admin" --data "$ORIG" backup empty/ >out &&
	test -f empty/meta.db && "$BIN/lfs-admin" --data empty fsck >out
'

test_expect_success 'usage: backup takes exactly one destination' '
	test_expect_code 2 "$BIN/lfs-admin" --data "$ORIG" backup 2>err &&
	grep -q "^usage: lfs-admin" err &&
	test_expect_code 2 "$BIN/lfs-admin" --data "$ORIG" backup x y 2>err &&
	test_path_is_missing x && test_path_is_missing y &&
	"$BIN/lfs-admin" --help >out && grep -q "backup DEST" out
'

MNT=$TRASH/mnt
mkdir -p "$MNT/big" "$MNT/small"
if mount -t tmpfs -o size=16m tmpfs "$MNT/big" 2>/dev/null &&
   mount -t tmpfs -o size=64k tmpfs "$MNT/small" 2>/dev/null; then
	test_atexit "umount -l '$MNT/big' 2>/dev/null; umount -l '$MNT/small' 2>/dev/null"
	test_expect_success 'another file system: objects are copied, same bytes, fsck clean' '
		"$BIN/lfs-admin" --data "$ORIG" backup "$MNT/big/b" >out &&
		grep -q " 0 hard-linked, [1-9][0-9]* copied)" out &&
		while read -r repo f; do
			b=$(obj_path "$MNT/big/b" "$(sha256_of $f)") &&
			test "$(stat -c %h "$b")" = 1 && cmp $f "$b" || return 1
		done <must-have &&
		test "$(stat -c %a "$MNT/big/b/secret")" = 600 &&
		"$BIN/lfs-admin" --data "$MNT/big/b" fsck >out &&
		grep -q ", 0 orphans: 0 problems$" out
	'
	test_expect_success 'a failed backup (disk full) exits 1 and leaves nothing behind' '
		test_expect_code 1 "$BIN/lfs-admin" --data "$ORIG" backup "$MNT/small/b" 2>err &&
		cat err && test $(wc -l <err) = 1 &&
		test "$(ls -A "$MNT/small")" = ""
	'
else
	test_skip "cross-file-system copies need root to mount a tmpfs"
	test_skip "a failed backup needs root to mount a small tmpfs"
fi

stop_rc

# meta.db-shm is SQLite's shared index, which every reader writes into.
snapshot() {
	(cd "$ORIG" && find . ! -name meta.db-shm -printf "%p %y %s %i %m %T@\n" | sort)
}

test_expect_success 'backup of a stopped server: nothing in DATA changes but link counts' '
	stopped_cleanly &&
	snapshot >before &&
	"$BIN/lfs-admin" --data "$ORIG" backup stopped >out &&
	snapshot >after &&
	test_cmp before after &&
	"$BIN/lfs-admin" --data stopped fsck >out &&
	test "$("$BIN/lfs-admin" --data stopped uploads | wc -l)" = "$("$BIN/lfs-admin" --data "$ORIG" uploads | wc -l)"
'

# Restore: the backup is a data dir; copy it where the new server keeps
# its data and start the server there.
cp -a backup restored
DATA=$TRASH/restored

test_expect_success 'restore: the docs raise the feed counter past the mirrors (sqlite3)' '
	doc_block "$TEST_ROOT/docs/operations.md" "^\*\*Mirrors\.\*\* The feed numbers" >raise.sh &&
	grep -q "max(seq, N)" raise.sh &&
	sed -e "s|/srv/lfs|$DATA|g" -e "s/max(seq, N)/max(seq, 1000)/" raise.sh >raise-1000.sh &&
	sh raise-1000.sh &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT seq FROM sqlite_sequence WHERE name = '\''feed'\''")" = 1000
'

start_lfs_server --config server.cfg

test_expect_success 'restored: every object acknowledged before the backup downloads with its bytes' '
	server_started &&
	while read -r repo f; do
		lfs_download $repo $f got && cmp $f got || { echo "$repo $f" >&2; return 1; }
	done <must-have
'

test_expect_success 'restored: the locks taken before the backup are there' '
	code=$(http_status GET "$LFS_URL/team/a/info/lfs/locks" $A -H "Accept: $LFS_TYPE") &&
	test "$code" = 200 &&
	jq -r ".locks[] | [.id, .path] | @tsv" "$TRASH/body" | sort >got &&
	sort locks-acked >want &&
	test_cmp want got
'

test_expect_success 'restored: fsck clean beside the server, uploads work' '
	"$BIN/lfs-admin" --data "$DATA" fsck >out 2>err &&
	test_must_be_empty err &&
	make_file new 3000 new && lfs_upload team/a new $A &&
	lfs_download team/a new got && cmp new got &&
	make_file p2 3000 p2 && lfs_upload pub/p p2 $A &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT seq FROM feed WHERE oid = '\''$(sha256_of p2)'\''")" = 1001
'

stop_rc

test_expect_success 'the restored server stopped cleanly' '
	stopped_cleanly
'

test_done
