#!/bin/bash
test_description='lfs-admin uploads, stats and fsck on a real server data dir, while it runs and after'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

admin() {
	"$BIN/lfs-admin" --data "$DATA" "$@"
}

htpasswd -B -C 4 -b -c users alice alice-pw 2>/dev/null &&
htpasswd -B -C 4 -b users bob bob-pw 2>/dev/null
cat >server.cfg <<CFG
[auth]
	users = $TRASH/users
[repo "pub/*"]
	mirror = true
	write = alice bob
[repo "priv/*"]
	write = alice
CFG
make_file a1 1000 a1 && make_file a2 2000 a2 && make_file b1 4000 b1 && make_file o1 500 o1

start_lfs_server --config server.cfg
A="-u alice:alice-pw"

test_expect_success 'setup: uploads by two users to two repos, one object in both, a lock' '
	lfs_upload pub/a a1 $A && lfs_upload pub/a a2 -u bob:bob-pw && lfs_upload priv/b b1 $A &&
	lfs_upload priv/b a1 $A &&
	code=$(http_status POST "$LFS_URL/pub/a/info/lfs/locks" $A -H "Accept: $LFS_TYPE" \
		-H "Content-Type: $LFS_TYPE" --data-binary "{\"path\":\"big.bin\"}") &&
	test "$code" = 201
'

test_expect_success 'uploads lists every journal row, oldest first, tab-separated' '
	admin uploads >out 2>err &&
	test_must_be_empty err &&
	cut -f1,3-6 out >actual &&
	printf "1\tpub/a\talice\t1000\t%s\n2\tpub/a\tbob\t2000\t%s\n3\tpriv/b\talice\t4000\t%s\n4\tpriv/b\talice\t1000\t%s\n" \
		"$(sha256_of a1)" "$(sha256_of a2)" "$(sha256_of b1)" "$(sha256_of a1)" >expect &&
	test_cmp expect actual &&
	! cut -f2 out | grep -Ev "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
'

test_expect_success 'uploads --repo: one repo, with or without .git' '
	admin uploads --repo priv/b >out &&
	test "$(cut -f1 out | tr "\n" " ")" = "3 4 " &&
	admin uploads --repo priv/b.git >out2 &&
	test_cmp out out2 &&
	admin uploads --repo no/such >out &&
	test_must_be_empty out
'

test_expect_success 'uploads --since: a date, a time with an offset, the future' '
	admin uploads --since 2000-01-01 >out && test $(wc -l <out) = 4 &&
	admin uploads --since 2999-01-01 >out && test_must_be_empty out &&
	admin uploads >all &&
	t=$(sed -n 3p all | cut -f2) &&
	admin uploads --since "$t" >out &&
	grep -q "^3	" out &&
	awk -F "	" -v t="$t" "\$2 >= t" all >want &&
	test_cmp want out &&
	plus1=$(TZ=Etc/GMT-1 date -d "$t" +%Y-%m-%dT%H:%M:%S+01:00) &&
	admin uploads --since "$plus1" >out2 &&
	test_cmp out out2 &&
	admin uploads --since "$t" --repo priv/b >out && test "$(cut -f1 out | head -1)" = 3 &&
	admin uploads --since 2999-01-01T00:30:00+01:00 >out && test_must_be_empty out &&
	admin uploads --since 2000-01-01T00:00:00.5Z --repo pub/a >out && test $(wc -l <out) = 2
'

test_expect_success 'uploads: a bad date or repo is a usage error' '
	test_expect_code 2 admin uploads --since yesterday 2>err &&
	grep -q "yesterday" err && grep -q "^usage: lfs-admin" err &&
	test_expect_code 2 admin uploads --since 2026-02-30 2>err &&
	test_expect_code 2 admin uploads --repo ../etc 2>err &&
	test_expect_code 2 admin uploads --bogus 2>err
'

test_expect_success 'stats counts the store and the tables, beside the running server' '
	admin stats >out &&
	cat >expect <<-\EOF &&
	objects: 3
	bytes: 7000
	repos: 2
	journal rows: 4
	feed rows: 2
	locks: 1
	misplaced files: 0
	EOF
	test_cmp expect out
'

test_expect_success 'fsck passes on a healthy data dir' '
	admin fsck >out 2>err &&
	test_must_be_empty err &&
	echo "fsck: 3 objects (7000 bytes), 4 journal rows, 2 feed rows, 0 orphans: 0 problems" >expect &&
	test_cmp expect out
'

kill9_lfs_server
LFS_FAULT=store-linked start_lfs_server --config server.cfg

test_expect_success 'a crash between link and commit leaves an orphan' '
	test_must_fail lfs_upload pub/a o1 $A &&
	test -f "$(obj_path "$DATA" "$(sha256_of o1)")"
'

kill9_lfs_server
start_lfs_server --config server.cfg

test_expect_success 'fsck reports the orphan but does not fail' '
	admin fsck >out 2>err &&
	test_must_be_empty err &&
	grep -q "^orphan: objects/.*$(sha256_of o1): no journal row" out &&
	grep -q "^fsck: 4 objects (7500 bytes), 4 journal rows, 2 feed rows, 1 orphans: 0 problems$" out
'

test_expect_success 'fsck fails on a corrupt object, naming it' '
	f=$(obj_path "$DATA" "$(sha256_of b1)") &&
	cp "$f" saved && chmod u+w "$f" &&
	printf "Z" | dd of="$f" bs=1 seek=7 conv=notrunc 2>/dev/null &&
	test_expect_code 1 admin fsck >out 2>err &&
	cp saved "$f" &&
	grep -q "^corrupt: objects/.*$(sha256_of b1): content hashes to" out &&
	test $(grep -vc "^orphan" out) = 2 &&
	grep -q "fsck found 1 problem in" err
'

test_expect_success 'fsck fails on a missing or truncated object, naming the rows' '
	f=$(obj_path "$DATA" "$(sha256_of a1)") &&
	mv "$f" saved &&
	test_expect_code 1 admin fsck >out 2>err &&
	mv saved "$f" &&
	grep -q "^missing: journal seq 1 (repo pub/a): objects/.*$(sha256_of a1) does not exist" out &&
	grep -q "^missing: journal seq 4 (repo priv/b)" out &&
	grep -q "^missing: feed seq 1:" out &&
	grep -q "fsck found 3 problems" err &&
	f=$(obj_path "$DATA" "$(sha256_of a2)") &&
	cp "$f" saved && chmod u+w "$f" && truncate -s 10 "$f" &&
	test_expect_code 1 admin fsck >out 2>err &&
	cp saved "$f" &&
	grep -q "^wrong size: journal seq 2 (repo pub/a): .* has 10 bytes, the row says 2000" out &&
	grep -q "^corrupt: objects/.*$(sha256_of a2)" out
'

test_expect_success 'fsck and stats name misplaced files' '
	echo junk >"$DATA/objects/stray" &&
	test_expect_code 1 admin fsck >out 2>err &&
	grep -q "^misplaced: objects/stray: name is not an oid" out &&
	admin stats >out &&
	grep -q "^misplaced files: 1$" out &&
	rm "$DATA/objects/stray" &&
	admin fsck >out
'

stop_rc

test_expect_success 'after the server stopped: same answers, nothing left behind in DATA' '
	ls "$DATA" >before &&
	admin stats >out && grep -q "^journal rows: 4$" out &&
	admin fsck >out &&
	admin uploads >out && test $(wc -l <out) = 4 &&
	ls "$DATA" >after &&
	test_cmp before after
'

test_expect_success 'usage: exit 2 without --data or a command; --help and --version' '
	test_expect_code 2 "$BIN/lfs-admin" stats 2>err && grep -q "^usage: lfs-admin" err &&
	test_expect_code 2 "$BIN/lfs-admin" --data "$DATA" 2>err &&
	test_expect_code 2 "$BIN/lfs-admin" --data "$DATA" frob 2>err &&
	test_expect_code 2 "$BIN/lfs-admin" --data "$DATA" stats extra 2>err &&
	test_expect_code 1 "$BIN/lfs-admin" --data "$TRASH/nope" stats 2>err &&
	test $(wc -l <err) = 1 && grep -q nope err &&
	"$BIN/lfs-admin" --help >out && grep -q "^usage: lfs-admin" out &&
	"$BIN/lfs-admin" --version >out && grep -q "^lfs-admin [0-9]" out
'

test_expect_success 'the server stopped cleanly' '
	test "$(cat "$TRASH/stop.rc")" = 0 || { cat "$TRASH/stop.err" >&2; false; }
'

test_done
