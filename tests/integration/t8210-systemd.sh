#!/bin/bash
test_description='systemd: the installed unit verifies, its sandbox settings hold, the sysusers and tmpfiles snippets agree with it, and lfs-server speaks the notify protocol (READY=1 once it listens, STOPPING=1 on SIGTERM)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# systemd-analyze verify needs the ExecStart binary to exist on this
# machine, so the unit is checked as `make install` writes it for a real
# prefix in the trash directory (not a DESTDIR): ExecStart then names the
# installed binary, and MANPATH lets it find the installed man pages
# (Documentation=man:...).  No systemd runs here as PID 1, so the sandbox
# itself is not exercised.
P="$TRASH/prefix"
UNIT="$P/lib/systemd/system/lfs-server.service"

test_expect_success 'make install PREFIX=DIR: the unit runs DIR/bin/lfs-server with /etc/lfs-server/lfs-server.conf' '
	make -s -C "$TEST_ROOT" install PREFIX="$P" >install.out &&
	test -x "$P/bin/lfs-server" &&
	grep -x "ExecStart=.*" "$UNIT" >got &&
	echo "ExecStart=$P/bin/lfs-server --config /etc/lfs-server/lfs-server.conf" >want &&
	test_cmp want got
'

test_expect_success 'systemd-analyze verify: no complaint about the installed unit' '
	MANPATH="$P/share/man" systemd-analyze verify "$UNIT" >verify.out 2>&1
	rc=$?
	cat verify.out
	test $rc = 0 && test_must_be_empty verify.out
'

test_expect_success 'systemd-analyze security: exposure 2.0 or lower (its "OK" band)' '
	systemd-analyze security --offline=yes --threshold=20 "$UNIT" >security.out 2>&1 ||
	{ grep "✗\|Overall" security.out; false; }
'

# The settings the deployment relies on, one line each.
while read -r setting; do
	test_expect_success "unit: $setting" "grep -qxF '$setting' '$UNIT'"
done <<'EOF_SETTINGS'
Type=notify
NotifyAccess=main
User=lfs-server
Group=lfs-server
StateDirectory=lfs-server
StateDirectoryMode=0700
LogsDirectory=lfs-server
LimitNOFILE=65536
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallFilter=@system-service
EOF_SETTINGS

test_expect_success 'unit: no ReadWritePaths (the state and log directories are the only writable places)' '
	! grep -q "^ReadWritePaths" "$UNIT"
'

# The snippets applied to an empty root: a user taken (uid 999) first, so
# that the owners tmpfiles sets can only come from the root's own passwd.
ROOT="$TRASH/root"
mkdir -p "$ROOT/etc"
echo "taken:x:999:999::/:/usr/sbin/nologin" >"$ROOT/etc/passwd"
echo "taken:x:999:" >"$ROOT/etc/group"

test_expect_success 'systemd-sysusers: creates the system user lfs-server, home /var/lib/lfs-server, no login shell' '
	systemd-sysusers --root="$ROOT" "$P/lib/sysusers.d/lfs-server.conf" 2>sysusers.err &&
	grep "^lfs-server:" "$ROOT/etc/passwd" | cut -d: -f5- >got &&
	echo "Git LFS server:/var/lib/lfs-server:/usr/sbin/nologin" >want &&
	test_cmp want got &&
	uid=$(grep "^lfs-server:" "$ROOT/etc/passwd" | cut -d: -f3) &&
	test "$uid" -lt 1000 && test "$uid" != 999 &&
	grep -q "^lfs-server:x:$uid:" "$ROOT/etc/group"
'

while read -r path mode owner group; do
	test_expect_success "systemd-tmpfiles: $path $mode $owner:$group" "
		systemd-tmpfiles --root='$ROOT' --create '$P/lib/tmpfiles.d/lfs-server.conf' &&
		want_u=\$(awk -F: -v n=$owner '\$1 == n { print \$3 }' '$ROOT/etc/passwd') &&
		want_g=\$(awk -F: -v n=$group '\$1 == n { print \$3 }' '$ROOT/etc/group') &&
		if [ $owner = root ]; then want_u=0; fi &&
		echo $mode \$want_u \$want_g >want &&
		stat -c '%a %u %g' '$ROOT$path' >got &&
		test_cmp want got
	"
done <<'EOF_DIRS'
/etc/lfs-server 750 root lfs-server
/etc/lfs-server/users 640 root lfs-server
/var/lib/lfs-server 700 lfs-server lfs-server
/var/log/lfs-server 750 lfs-server lfs-server
EOF_DIRS

test_expect_success 'the example config passes --check-config, and its data dir is the unit StateDirectory' '
	ex="$P/share/doc/lfs-server/lfs-server.conf.example" &&
	state=$(sed -n "s/^StateDirectory=//p" "$UNIT") &&
	grep -qx "	data = /var/lib/$state" "$ex" &&
	: >"$TRASH/users" && add_user "$TRASH/users" alice secret &&
	sed "s|/etc/lfs-server/users|$TRASH/users|" "$ex" >server.conf &&
	"$P/bin/lfs-server" --check-config --config server.conf >check.out &&
	grep -q ": ok (auth on, 0 mirrors)" check.out
'

# The notify protocol, with a stand-in for systemd's socket.
if [ ${#TRASH} -lt 90 ]; then
	NOTIFY_SOCKET="$TRASH/notify.sock"
else
	NOTIFY_SOCKET="@lfs-test-notify-$$"
fi
NOTES="$TRASH/notify.out"
# The first server this script starts logs to server-1.log (lib-server.sh).
/usr/bin/python3 "$TEST_ROOT/tests/integration/sd-notify-listener.py" \
	"$NOTIFY_SOCKET" "$NOTES" "$TRASH/server-1.log" 2>"$TRASH/listener.err" &
LISTENER=$!
test_track_pid $LISTENER sd-notify-listener
test_atexit "test_kill_ours -TERM $LISTENER"
test_poll test -e "$NOTES.ready"
export NOTIFY_SOCKET
start_lfs_server
unset NOTIFY_SOCKET

test_expect_success 'READY=1 and MAINPID, from the server process itself' '
	server_started &&
	test "$LFS_LOG" = "$TRASH/server-1.log" &&
	test_poll grep -q "READY=1" "$NOTES" &&
	grep "READY=1" "$NOTES" >ready &&
	test_line_count() { test $(wc -l <"$2") -eq "$1"; } &&
	test_line_count 1 ready &&
	grep -q "^pid=$LFS_PID READY=1|MAINPID=$LFS_PID " ready
'

test_expect_success 'READY=1 came after the "listening on" line, and the server answered at once' '
	grep -q " logged=yes healthz=200$" "$NOTES" || { cat "$NOTES" listener.err; false; }
'

test_expect_success 'no STOPPING=1 while it serves' '
	! grep -q STOPPING "$NOTES"
'

stop_rc

test_expect_success 'SIGTERM: STOPPING=1 from the server, then a clean exit' '
	stopped_cleanly &&
	test_poll grep -q "STOPPING=1" "$NOTES" &&
	tail -n 1 "$NOTES" >last &&
	grep -q "^pid=[0-9]* STOPPING=1 *$" last &&
	test $(wc -l <"$NOTES") = 2
'

# Under systemd with a socket that went away, the server still serves.
NOTIFY_SOCKET="$TRASH/no-such.sock" start_lfs_server

test_expect_success 'a notify socket that is gone: logged, and the server serves anyway' '
	server_started &&
	curl -sf "$LFS_URL/healthz" >/dev/null &&
	test_poll grep -q "cannot tell systemd .READY=1." "$LFS_LOG"
'

stop_rc

test_expect_success 'and it still stops cleanly' '
	stopped_cleanly
'

test_expect_success 'without NOTIFY_SOCKET: nothing about systemd in the log' '
	! grep -q systemd "$TRASH/server-1.log"
'

test_done
