#!/bin/bash
test_description='lfs-mirror refuses a mirror tree inside a server data directory (or holding one), whatever the path spelling'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

test_must_be_empty() {
	[ ! -s "$1" ] || { echo "'$1' is not empty:" >&2; cat "$1" >&2; return 1; }
}

cat >server.cfg <<'CFG'
[repo "pub/*"]
	read = *
	mirror = true
[journal]
	readers = *
CFG

make_file p1 5000 p1
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }
lfs_upload pub/a p1 || echo "upload failed" >setup.failed
# Another server's data dir (meta.db and secret), not the one synced from.
mkdir -p other/data && : >other/data/meta.db && : >other/data/secret
mkdir -p x && ln -s "$DATA" link
(cd "$DATA" && find . | sort) >data.before

test_expect_success 'setup: a data dir with meta.db and secret' '
	test_path_is_missing setup.failed &&
	test -f "$DATA/meta.db" && test -f "$DATA/secret"
'

# source, --to, what the message must say (a regex)
while read -r row_from row_to says; do
	from=$(eval "echo $row_from") to=$(eval "echo $row_to")
	test_expect_success "sync --from $row_from --to $row_to is refused" '
		test_expect_code 1 "$BIN/lfs-mirror" sync --from "$from" --to "$to" >out 2>err &&
		test_must_be_empty out &&
		test $(wc -l <err) = 1 &&
		grep -q "^lfs-mirror: refusing the mirror tree " err &&
		grep -q "$says" err &&
		(cd "$DATA" && find . | sort) >data.after &&
		test_cmp data.before data.after
	'
done <<'ROWS'
$DATA $DATA inside.the.server.s.data.directory
$DATA $DATA/ inside.the.server.s.data.directory
$DATA $DATA/pub inside.the.server.s.data.directory
$DATA $DATA/objects inside.the.server.s.data.directory
$DATA $TRASH/link/m inside.the.server.s.data.directory
$DATA $TRASH/x/../data/m inside.the.server.s.data.directory
$DATA $TRASH would.be.inside.it
$LFS_URL $DATA/mirror holds.a.server.s.meta.db.and.secret
$LFS_URL $TRASH/link holds.a.server.s.meta.db.and.secret
$LFS_URL $TRASH/other/data/m holds.a.server.s.meta.db.and.secret
$DATA $TRASH/other/data/m holds.a.server.s.meta.db.and.secret
ROWS

test_expect_success 'verify --repair refuses such a tree too' '
	test_expect_code 1 "$BIN/lfs-mirror" verify "$DATA/m" --repair --from "$DATA" >out 2>err &&
	grep -q "refusing the mirror tree" err &&
	test_expect_code 1 "$BIN/lfs-mirror" verify "$TRASH/other/data" --repair --from "$LFS_URL" 2>err &&
	grep -q "refusing the mirror tree" err &&
	(cd "$DATA" && find . | sort) >data.after &&
	test_cmp data.before data.after
'

test_expect_success 'a tree beside the data dir is fine' '
	"$BIN/lfs-mirror" sync --from "$DATA" --to "$TRASH/mirror" >out &&
	grep -q "^synced 1 objects" out &&
	"$BIN/lfs-mirror" sync --from "$LFS_URL" --to "$TRASH/x/../m2" >out &&
	grep -q "^synced 1 objects" out
'

stop_lfs_server 2>stop.err; echo $? >stop.rc

test_expect_success 'the server stopped cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
