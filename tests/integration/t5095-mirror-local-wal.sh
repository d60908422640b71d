#!/bin/bash
test_description='lfs-mirror sync --from DATA_DIR leaves the stopped server'"'"'s kept WAL files in place (a start on a full disk needs them)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

cat >server.cfg <<EOC
[repo "pub/*"]
	read = *
	mirror = true
EOC
start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

test_expect_success 'setup: one mirrored object, then the server stops' '
	make_file a.bin 5000 a &&
	lfs_upload pub/a a.bin &&
	stop_lfs_server &&
	test -f "$DATA/meta.db-wal" && test -f "$DATA/meta.db-shm"
'

test_expect_success 'a sync from the data dir keeps meta.db-wal and -shm' '
	"$BIN/lfs-mirror" sync --from "$DATA" --to mirror >sync.out &&
	grep "synced 1 object" sync.out &&
	test -f "$DATA/meta.db-wal" && test -f "$DATA/meta.db-shm"
'

test_done
