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

# What else lands, one line each: path under DESTDIR/PREFIX, mode, source.
while read -r path mode src; do
	test_expect_success "make install: PREFIX/$path ($mode)" "
		f='dest/opt/lfs/$path' &&
		test \"\$(stat -c %a \"\$f\")\" = $mode &&
		if [ $src = - ]; then test -s \"\$f\"; else cmp '$TEST_ROOT/$src' \"\$f\"; fi
	"
done <<'EOF_FILES'
share/man/man8/lfs-server.8 644 man/lfs-server.8
share/man/man5/lfs-server.conf.5 644 man/lfs-server.conf.5
share/man/man8/lfs-admin.8 644 man/lfs-admin.8
share/man/man8/git-lfs-authenticate.8 644 man/git-lfs-authenticate.8
share/man/man1/lfs-mirror.1 644 man/lfs-mirror.1
share/man/man1/lfs-hooks.1 644 man/lfs-hooks.1
lib/systemd/system/lfs-server.service 644 -
lib/sysusers.d/lfs-server.conf 644 dist/systemd/lfs-server.sysusers
lib/tmpfiles.d/lfs-server.conf 644 dist/systemd/lfs-server.tmpfiles
share/doc/lfs-server/lfs-server.conf.example 644 dist/lfs-server.conf.example
EOF_FILES

test_expect_success 'the unit runs PREFIX/bin/lfs-server (not a DESTDIR path)' '
	grep -x "ExecStart=.*" dest/opt/lfs/lib/systemd/system/lfs-server.service >got &&
	echo "ExecStart=/opt/lfs/bin/lfs-server --config /etc/lfs-server/lfs-server.conf" >want &&
	test_cmp want got
'

test_expect_success 'nothing outside DESTDIR/PREFIX, and no live config written' '
	(cd dest && find . -type f) | awk "!/^[.][/]opt[/]lfs[/]/ && \$0 != \"./etc/logrotate.d/lfs-server\"" >outside &&
	test_must_be_empty outside &&
	test_path_is_missing dest/etc/lfs-server
'

# The logrotate snippet, when the tree has one, goes to /etc/logrotate.d.
if [ -f "$TEST_ROOT/contrib/logrotate/lfs-server" ]; then
	test_expect_success 'make install: DESTDIR/etc/logrotate.d/lfs-server (644)' '
		test "$(stat -c %a dest/etc/logrotate.d/lfs-server)" = 644 &&
		cmp "$TEST_ROOT/contrib/logrotate/lfs-server" dest/etc/logrotate.d/lfs-server
	'
else
	test_skip 'no logrotate snippet in this tree (contrib/logrotate/lfs-server)'
fi

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
