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
# A plain build only checks: with packages missing it names them and stops,
# it never runs apt-get (an apt-get on PATH that leaves a mark proves it).
test_expect_success 'deps.sh --check names what is missing and installs nothing' '
	mkdir -p fakebin &&
	printf "#!/bin/sh\ntouch \"%s/apt-ran\"\n" "$TRASH" >fakebin/apt-get &&
	chmod +x fakebin/apt-get &&
	ln -s "$(command -v sh)" fakebin/sh &&
	test_expect_code 1 env PATH="$TRASH/fakebin" "$TEST_ROOT/scripts/deps.sh" --check test 2>err &&
	grep -q "missing packages:.*git-lfs" err &&
	grep -q "make deps" err &&
	test_path_is_missing apt-ran
'

test_done
