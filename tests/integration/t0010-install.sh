#!/bin/bash
test_description='make install honours PREFIX and DESTDIR'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'make install puts every binary under DESTDIR/PREFIX/bin' '
	make -s -C "$TEST_ROOT" install DESTDIR="$TRASH/dest" PREFIX=/opt/lfs >install.out &&
	for b in lfs-server git-lfs-authenticate lfs-admin lfs-mirror lfs-hooks; do
		test -x "dest/opt/lfs/bin/$b" || return 1
		"dest/opt/lfs/bin/$b" --version >v.out || return 1
		grep -q "[0-9]\.[0-9]" v.out || return 1
	done
'

test_expect_success 'nothing is written outside DESTDIR' '
	test_path_is_missing /opt/lfs/bin/lfs-server
'
test_done
