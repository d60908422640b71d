#!/bin/bash
test_description='lfs-mirror sync over more than one feed page: state written at each page, from a data dir and over HTTP'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# partial_temp DIR OID: a download of OID in flight, with bytes in it
# (a named temp or an anonymous file: test-lib.sh, upload_files).
partial_temp() { upload_partial "$1" "$2"; }

N=1005 # the feed's pages hold 1000 entries

M="$TRASH/mirror"
M2="$TRASH/m2"

# A data dir made by the real server (so the schema is the server's),
# then filled with N small objects straight into the store and the
# tables, in one perl run: N uploads would take far longer.  The first
# 1000 objects also go into two mirror trees, as if synced before, so
# the syncs below have only the second page left to copy.
mkdir "$M" "$M2" && start_lfs_server && stop_lfs_server &&
perl -MDigest::SHA=sha256_hex -e '
	my ($n, @dirs) = @ARGV;
	sub put {
		my ($root, $oid, $body) = @_;
		my $dir = "$root/objects/" . substr($oid, 0, 2);
		mkdir "$root/objects"; mkdir $dir; $dir .= "/" . substr($oid, 2, 2); mkdir $dir;
		open(my $f, ">", "$dir/$oid") or die "$dir/$oid: $!";
		print $f $body;
		close $f or die;
	}
	open(my $l, ">", "oids") or die;
	print "BEGIN;\n";
	for my $i (1 .. $n) {
		my $body = "object $i\n" x ($i % 7 + 1);
		my $oid = sha256_hex($body);
		my $size = length $body;
		put($dirs[0], $oid, $body);
		if ($i <= 1000) { put($_, $oid, $body) for @dirs[1 .. $#dirs]; }
		print "INSERT INTO journal (repo, oid, size, user, time) VALUES (\x27pub/many\x27, \x27$oid\x27, $size, \x27\x27, \x272026-11-25T10:00:00Z\x27);\n";
		print "INSERT INTO feed (oid, size, time) VALUES (\x27$oid\x27, $size, \x272026-11-25T10:00:00Z\x27);\n";
		print $l "$oid\n";
	}
	print "COMMIT;\n";
' $N "$DATA" "$M" "$M2" >fill.sql &&
sqlite3 "$DATA/meta.db" <fill.sql || echo "setup failed" >setup.failed

S="$TRASH/slow"

test_expect_success 'setup: a data dir with more than one page of feed' '
	test_path_is_missing setup.failed &&
	test_path_is_missing "$M/mirror-state.json" &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM feed")" = $N &&
	test "$(sed -n ${N}p oids)" = "$(sqlite3 "$DATA/meta.db" "SELECT oid FROM feed WHERE seq = $N")"
'

# Object 1003 is a FIFO in a copy of DATA: the sync blocks on it in the
# second page, after it has recorded the first.
cp -r "$DATA" "$S" &&
fifo=$(obj_path "$S" "$(sed -n 1003p oids)") &&
mv "$fifo" "$TRASH/obj1003" && mkfifo "$fifo"

test_expect_success 'the state reaches the end of page one while page two is in flight' '
	"$BIN/lfs-mirror" sync --from "$S" --to "$M" >first.out 2>first.err &
	pid=$! &&
	exec 9<>"$fifo" &&
	printf "object" >&9 &&
	{
		POLL_TRIES=2000 test_poll partial_temp "$M" "$(sed -n 1003p oids)" &&
		test "$(state_seq "$M")" = 1000
		rc=$?
	}
	kill -9 $pid; wait $pid
	exec 9>&- &&
	test $rc = 0
'

test_expect_success 'the rerun finishes the second page' '
	rm "$fifo" && cp "$TRASH/obj1003" "$fifo" &&
	"$BIN/lfs-mirror" sync --from "$S" --to "$M" >out 2>err &&
	grep -q "^synced 3 objects (.* bytes), skipped 2, last_seq $N$" out &&
	test "$(state_seq "$M")" = $N &&
	test -z "$(ls "$M/tmp")" &&
	"$BIN/lfs-mirror" verify "$M" >out &&
	grep -q "^verified $N objects" out
'

test_expect_success 'lfs-admin on the big data dir' '
	"$BIN/lfs-admin" --data "$DATA" fsck >out &&
	grep -q "^fsck: $N objects (.* bytes), $N journal rows, $N feed rows, 0 orphans: 0 problems$" out &&
	"$BIN/lfs-admin" --data "$DATA" uploads --repo pub/many >out &&
	test $(wc -l <out) = $N
'

cat >server.cfg <<'CFG'
[journal]
	readers = *
CFG
start_lfs_server --config server.cfg

test_expect_success 'over HTTP: both pages' '
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M2" >out 2>err &&
	grep -q "^synced 5 objects (.* bytes), skipped 1000, last_seq $N$" out &&
	test_must_be_empty err &&
	diff -r "$M/objects" "$M2/objects" &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$M2" >out &&
	echo "synced 0 objects (0 bytes), skipped 0, last_seq $N" >expect &&
	test_cmp expect out
'

stop_rc

test_expect_success 'the server stopped cleanly' '
	test "$(cat "$TRASH/stop.rc")" = 0 || { cat "$TRASH/stop.err" >&2; false; }
'

test_done
