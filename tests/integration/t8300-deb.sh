#!/bin/bash
test_description='make deb: packages build, lint clean, install into a scratch root and serve'
. "$(dirname "$0")/test-lib.sh"

# The whole package build (about a minute) runs once, at the top level.
# The packages are then unpacked into a scratch root, the postinst's own
# sysusers and tmpfiles commands run against that root (DPKG_ROOT), and
# the packaged server starts the way lfs-server.service starts it: as
# the packaged user, with the packaged config (its paths moved into the
# root, port 0).  Nothing is installed on this machine.

VERSION=$(sed -n 's/^#define LFS_VERSION "\(.*\)"$/\1/p' "$TEST_ROOT/common/version.h")
ARCH=$(dpkg --print-architecture)
DEBS="$TRASH/deb"
SERVER_DEB="$DEBS/lfs-server_${VERSION}_$ARCH.deb"
HOOKS_DEB="$DEBS/lfs-hooks_${VERSION}_$ARCH.deb"

: >"$TRASH/before-build"
# The suite's make may pass its jobserver; this make must not join it.
(unset MAKEFLAGS MFLAGS MAKELEVEL; make -C "$TEST_ROOT" deb DEB_OUT="$DEBS") >"$TRASH/make-deb.log" 2>&1
echo $? >"$TRASH/make-deb.rc"
test_log_file "$TRASH/make-deb.log"

test_expect_success 'make deb builds lfs-server and lfs-hooks at the version in common/version.h' '
	test "$(cat make-deb.rc)" = 0 &&
	test -n "$VERSION" &&
	test -f "$SERVER_DEB" && test -f "$HOOKS_DEB" &&
	test "$(dpkg-deb -f "$SERVER_DEB" Version)" = "$VERSION" &&
	test "$(dpkg-deb -f "$HOOKS_DEB" Version)" = "$VERSION"
'

test_expect_success 'make deb writes nothing beside the clone or into its debian/' '
	test -z "$(find "$(dirname "$TEST_ROOT")" -maxdepth 1 -newer before-build \( -name "*.deb" -o -name "*.changes" -o -name "*.buildinfo" \))" &&
	test -z "$(find "$TEST_ROOT/debian" -newer before-build)"
'

dpkg-deb -c "$SERVER_DEB" 2>/dev/null | awk '{ print $6 }' | sed 's#^\./##' >"$TRASH/server.list"
dpkg-deb -c "$HOOKS_DEB" 2>/dev/null | awk '{ print $6 }' | sed 's#^\./##' >"$TRASH/hooks.list"
for f in usr/bin/lfs-server usr/bin/lfs-mirror usr/bin/lfs-admin usr/bin/git-lfs-authenticate \
	etc/lfs-server/lfs-server.conf lib/systemd/system/lfs-server.service \
	usr/lib/sysusers.d/lfs-server.conf usr/lib/tmpfiles.d/lfs-server.conf \
	usr/share/doc/lfs-server/copyright; do
	test_expect_success "lfs-server holds /$f" "grep -qx '$f' server.list"
done
test_expect_success 'lfs-hooks holds /usr/bin/lfs-hooks, lfs-server does not' '
	grep -qx usr/bin/lfs-hooks hooks.list &&
	! grep -q "bin/lfs-hooks" server.list &&
	! grep -q "bin/lfs-server" hooks.list
'

test_expect_success 'the config is a conffile; lfs-hooks depends on git' '
	dpkg-deb --ctrl-tarfile "$SERVER_DEB" | tar -xO ./conffiles >conffiles &&
	grep -qx /etc/lfs-server/lfs-server.conf conffiles &&
	dpkg-deb -f "$HOOKS_DEB" Depends | grep -Eq "(^|, )git(,|$| )"
'

test_expect_success 'lintian finds no errors' '
	lintian "$DEBS"/lfs-server_"${VERSION}"_"$ARCH".changes >lintian.out 2>&1
	sed "s/^/# lintian: /" lintian.out &&
	! grep "^E: " lintian.out
'

# The scratch root lives outside the trash directory: the server runs as
# the packaged user, who must be able to reach it whatever the modes of
# the directories above the clone.
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/t8300-root.XXXXXX") && chmod 755 "$ROOT"
test_atexit "rm -rf '$ROOT'"
mkdir -p "$ROOT/etc" "$TRASH/ctl"
# What base-passwd gives every Debian system (root, adm, nogroup, ...).
cp /usr/share/base-passwd/passwd.master "$ROOT/etc/passwd"
cp /usr/share/base-passwd/group.master "$ROOT/etc/group"
dpkg -x "$SERVER_DEB" "$ROOT" && dpkg -x "$HOOKS_DEB" "$ROOT" && dpkg-deb -e "$SERVER_DEB" "$TRASH/ctl"

test_expect_success 'postinst creates the user before the directories it owns' '
	grep -nE "^[[:space:]]*systemd-(sysusers|tmpfiles) " ctl/postinst >snippets &&
	test "$(wc -l <snippets)" = 2 &&
	head -n1 snippets | grep -q "systemd-sysusers .*lfs-server.conf" &&
	tail -n1 snippets | grep -q "systemd-tmpfiles .*--create lfs-server.conf"
'

# Run exactly those postinst lines against the scratch root (they only
# touch DPKG_ROOT when it is set: checked first).
if grep -E "^[[:space:]]*systemd-(sysusers|tmpfiles) " "$TRASH/ctl/postinst" | grep -qv 'DPKG_ROOT:+--root='; then
	echo "postinst runs sysusers/tmpfiles without DPKG_ROOT: not run" >"$TRASH/postinst.log"
else
	grep -E "^[[:space:]]*systemd-(sysusers|tmpfiles) " "$TRASH/ctl/postinst" |
		sed 's/>[[:space:]]*\/dev\/null[[:space:]]*||[[:space:]]*true[[:space:]]*$//' >"$TRASH/snippets.sh"
	DPKG_ROOT="$ROOT" sh -e "$TRASH/snippets.sh" >"$TRASH/postinst.log" 2>&1
	echo $? >"$TRASH/postinst.rc"
fi
test_log_file "$TRASH/postinst.log"
LFS_UID=$(awk -F: '$1 == "lfs-server" { print $3 }' "$ROOT/etc/passwd")
LFS_GID=$(awk -F: '$1 == "lfs-server" { print $4 }' "$ROOT/etc/passwd")

test_expect_success 'sysusers creates the system user lfs-server (no login, home = data dir)' '
	test "$(cat postinst.rc)" = 0 &&
	grep -qx "lfs-server:x:$LFS_UID:$LFS_GID:[^:]*:/var/lib/lfs-server:/usr/sbin/nologin" "$ROOT/etc/passwd" &&
	test "$LFS_UID" -gt 0 && test "$LFS_UID" -lt 1000 &&
	grep -q "^lfs-server:x:$LFS_GID:" "$ROOT/etc/group"
'

test_expect_success 'tmpfiles creates /var/lib/lfs-server 0700 lfs-server' '
	test -d "$ROOT/var/lib/lfs-server" &&
	test "$(stat -c "%a %u %g" "$ROOT/var/lib/lfs-server")" = "700 $LFS_UID $LFS_GID"
'
test_expect_success 'tmpfiles creates /var/log/lfs-server 0750 lfs-server' '
	test "$(stat -c "%a %u %g" "$ROOT/var/log/lfs-server")" = "750 $LFS_UID $LFS_GID"
'
test_expect_success 'tmpfiles creates an empty users file 0640 root:lfs-server' '
	test -f "$ROOT/etc/lfs-server/users" &&
	test_must_be_empty "$ROOT/etc/lfs-server/users" &&
	test "$(stat -c "%a %u %g" "$ROOT/etc/lfs-server/users")" = "640 0 $LFS_GID"
'

UNIT="$ROOT/lib/systemd/system/lfs-server.service"
CONF="$ROOT/etc/lfs-server/lfs-server.conf"
test_expect_success 'the packaged config listens on loopback with auth on; the unit runs it as lfs-server' '
	grep -Eq "^[[:space:]]*listen = 127\.0\.0\.1:8080$" "$CONF" &&
	grep -Eq "^[[:space:]]*data = /var/lib/lfs-server$" "$CONF" &&
	grep -Eq "^[[:space:]]*users = /etc/lfs-server/users$" "$CONF" &&
	grep -qx "User=lfs-server" "$UNIT" &&
	grep -Eq "^ExecStart=/usr/bin/lfs-server( .*)? --config /etc/lfs-server/lfs-server.conf( |$)" "$UNIT"
'

# The packaged config with its paths inside the scratch root and port 0;
# the unit's ExecStart with the same substitutions, run as the unit's
# user with its umask.
TEST_CONF="$ROOT/etc/lfs-server/t8300.conf"
sed -e "s#/etc/lfs-server/#$ROOT/etc/lfs-server/#g" -e "s#/var/lib/lfs-server#$ROOT/var/lib/lfs-server#g" \
	-e 's#\(listen = 127\.0\.0\.1\):8080$#\1:0#' "$CONF" >"$TEST_CONF"
EXEC=$(sed -n 's/^ExecStart=//p' "$UNIT" | sed -e "s#^/usr/bin/#$ROOT/usr/bin/#" -e "s#/etc/lfs-server/lfs-server.conf#$TEST_CONF#")
# First start, step 1 of docs/operations.md: a user in the users file,
# added the documented way (it keeps the file's owner and mode).
htpasswd -B -C 4 -b "$ROOT/etc/lfs-server/users" alice secret 2>/dev/null
test_expect_success 'htpasswd keeps the users file 0640 root:lfs-server' '
	grep -q "^alice:[$]2y[$]" "$ROOT/etc/lfs-server/users" &&
	test "$(stat -c "%a %u %g" "$ROOT/etc/lfs-server/users")" = "640 0 $LFS_GID"
'
batch_as() {
	curl -sS --max-time 10 -o /dev/null -w "%{http_code}" -X POST ${1:+-u "$1"} \
		-H "Content-Type: application/vnd.git-lfs+json" \
		-d "{\"operation\":\"download\",\"objects\":[]}" \
		"$LFS_URL/myorg/myrepo.git/info/lfs/objects/batch"
}

LOG="$TRASH/server.log"
test_log_file "$LOG"
LFS_PID=
LFS_URL=
if [ -n "$LFS_UID" ] && [ -n "$EXEC" ]; then
	(
		umask 077
		# shellcheck disable=SC2086
		setpriv --reuid="$LFS_UID" --regid="$LFS_GID" --clear-groups $EXEC >/dev/null 2>>"$LOG" &
		echo $! >"$TRASH/server.pid"
		wait $!
		echo $? >"$TRASH/server.rc"
	) 2>/dev/null &
	POLL_TRIES=400 test_poll grep -q "^listening on http" "$LOG"
	POLL_TRIES=200 test_poll test -s "$TRASH/server.pid"
	LFS_PID=$(cat "$TRASH/server.pid" 2>/dev/null)
	LFS_URL=$(sed -n 's/^listening on //p' "$LOG" | head -n1)
	if [ -n "$LFS_PID" ]; then
		test_track_pid "$LFS_PID" lfs-server
		test_atexit "test_kill_ours -9 $LFS_PID"
	fi
fi

test_expect_success 'the packaged server starts as lfs-server with the packaged config: /healthz 200' '
	test -n "$LFS_URL" &&
	curl -sS --max-time 10 -o health.json -w "%{http_code}" "$LFS_URL/healthz" >code &&
	test "$(cat code)" = 200 &&
	jq -e --arg v "$VERSION" ".status == \"ok\" and .version == \$v" health.json
'

test_expect_success 'it keeps its key in the data dir, owned by lfs-server, 0600' '
	test "$(stat -c "%a %u" "$ROOT/var/lib/lfs-server/secret")" = "600 $LFS_UID"
'

test_expect_success 'auth is on: a batch request without credentials gets 401' '
	test "$(batch_as "")" = 401
'

test_expect_success 'the user added with htpasswd -B before the start logs in (no [repo] yet: 404)' '
	test "$(batch_as alice:secret)" = 404 &&
	test "$(batch_as alice:wrong)" = 401
'

test_expect_success 'SIGTERM stops it with status 0' '
	test_kill_ours -TERM "$LFS_PID" &&
	POLL_TRIES=600 test_poll test -s server.rc &&
	test "$(cat server.rc)" = 0
'

test_expect_success 'the packaged lfs-admin reads the data dir with the packaged config' '
	setpriv --reuid="$LFS_UID" --regid="$LFS_GID" --clear-groups \
		"$ROOT/usr/bin/lfs-admin" --config "$TEST_CONF" stats >stats.out &&
	test_file_not_empty stats.out
'

test_expect_success 'the packaged lfs-hooks runs' '
	"$ROOT/usr/bin/lfs-hooks" --version >v.out &&
	grep -qF "$VERSION" v.out
'

test_done
