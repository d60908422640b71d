#!/bin/bash
test_description='SSH: git-lfs-authenticate as a forced command, driven by the real git-lfs through a fake ssh'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# The fake ssh does what sshd does for a key with
#   command="git-lfs-authenticate --config FILE --user NAME"
# in authorized_keys: it ignores the options git-lfs passes, puts the
# remote command into SSH_ORIGINAL_COMMAND and runs the forced command.
# FAKE_SSH_USER picks the key, that is the user.  Every call is logged.

cat >fake-ssh <<'EOF'
#!/bin/sh
# fake-ssh [options] [user@]host command...: the server side of one ssh call.
while [ $# -gt 0 ]; do
	case "$1" in
	-p|-o|-l|-i|-F|-P) shift 2 ;;
	-*) shift ;;
	*) break ;;
	esac
done
host=$1
shift
printf '%s %s %s\n' "$FAKE_SSH_USER" "$host" "$*" >>"$TRASH/ssh.log"
SSH_ORIGINAL_COMMAND="$*" exec "$BIN/git-lfs-authenticate" --config "$TRASH/ssh.cfg" --user "$FAKE_SSH_USER"
EOF
chmod +x fake-ssh
export GIT_SSH_COMMAND="$TRASH/fake-ssh"

# Rules shared by the server and the forced command.
cat >rules.cfg <<EOF
[repo "tock/*"]
	read = *
	write = alice
[repo "private/*"]
	read = rita
	write = alice
EOF
{ printf '[auth]\n\tusers = %s\n' "$TRASH/users"; cat rules.cfg; } >server.cfg
: >users
add_user users alice alice-pw
add_user users rita rita-pw

start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }

# The forced command's config: the same rules and data dir (for the
# secret), and the server's public URL for hrefs.
{ printf '[server]\n\tdata = %s\n\tpublic-url = %s\n[auth]\n\ttoken-ttl = 900\n' "$DATA" "$LFS_URL"; cat rules.cfg; } >ssh.cfg

# auth_as USER COMMAND: runs the forced command like sshd would; stdout
# in ./out, stderr in ./err, returns its exit code.
auth_as() {
	SSH_ORIGINAL_COMMAND="$2" "$BIN/git-lfs-authenticate" --config "$TRASH/ssh.cfg" --user "$1" >out 2>err
}
one_line_err() {
	test "$(wc -l <err)" -eq 1 || { echo "stderr has $(wc -l <err) lines:" >&2; cat err >&2; return 1; }
}

test_expect_success 'setup: a work tree whose lfs.url is an ssh:// URL' '
	server_started &&
	git lfs install --skip-repo >/dev/null &&
	git init -q --bare origin.git &&
	git init -q work &&
	(
		cd work &&
		git lfs install --local >/dev/null &&
		git remote add origin ../origin.git &&
		git config lfs.url ssh://git@fakehost/tock/libtock-c &&
		git lfs track "*.bin" >/dev/null &&
		make_file a.bin 30000 ssh-a &&
		make_file b.bin 2000 ssh-b &&
		git add .gitattributes a.bin b.bin &&
		git commit -q -m first
	)
'

test_expect_success 'a writer pushes through ssh: git-lfs-authenticate, then HTTP with its token' '
	(cd work && FAKE_SSH_USER=alice GIT_TRACE=1 git push origin main 2>../push.trace) &&
	for f in a.bin b.bin; do
		cmp work/$f "$(obj_path "$DATA" "$(sha256_of work/$f)")" || return 1
	done &&
	grep -q "^alice git@fakehost git-lfs-authenticate /tock/libtock-c upload$" ssh.log &&
	log_wait "\"POST /tock/libtock-c/info/lfs/objects/batch\" 200 " 1 &&
	test "$(log_count "\"PUT /tock/libtock-c/info/lfs/objects/")" -eq 2 &&
	test "$(log_count "\" 401 ")" -eq 0 &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT DISTINCT user FROM journal")" = alice
'

test_expect_success 'git-lfs tried git-lfs-transfer first and fell back to git-lfs-authenticate' '
	grep -q "^alice git@fakehost git-lfs-transfer /tock/libtock-c upload$" ssh.log &&
	grep -n "run_command: .*fake-ssh.* '"'"'git-lfs-transfer /tock/libtock-c upload'"'"'" push.trace >transfer.lines &&
	grep -n "pure SSH protocol connection failed" push.trace >failed.lines &&
	grep -n "run_command: .*fake-ssh.* '"'"'git-lfs-authenticate /tock/libtock-c upload'"'"'" push.trace >auth.lines &&
	grep -n "HTTP: POST $LFS_URL/tock/libtock-c/info/lfs/objects/batch" push.trace >batch.lines &&
	line() { head -n 1 "$1" | cut -d: -f1; } &&
	test "$(line transfer.lines)" -lt "$(line failed.lines)" &&
	test "$(line failed.lines)" -lt "$(line auth.lines)" &&
	test "$(line auth.lines)" -lt "$(line batch.lines)" &&
	! grep -i "panic" push.trace
'

test_expect_success 'git-lfs-transfer is refused with one line on stderr and exit 1' '
	test_expect_code 1 auth_as alice "git-lfs-transfer /tock/libtock-c upload" &&
	test ! -s out &&
	one_line_err &&
	grep -q "^git-lfs-authenticate: .*git-lfs-authenticate <repo> <download|upload>" err
'

test_expect_success 'anyone clones the public repo through ssh (anonymous read, as rita)' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q origin.git clone1 &&
	(
		cd clone1 &&
		git lfs install --local >/dev/null &&
		git config lfs.url ssh://git@fakehost/tock/libtock-c &&
		FAKE_SSH_USER=rita git lfs pull
	) &&
	cmp work/a.bin clone1/a.bin &&
	cmp work/b.bin clone1/b.bin &&
	grep -q "^rita git@fakehost git-lfs-authenticate /tock/libtock-c download$" ssh.log
'

test_expect_success 'a plain git clone with lfs.url in .lfsconfig smudges through ssh' '
	(
		cd work &&
		git config -f .lfsconfig lfs.url ssh://git@fakehost/tock/libtock-c.git &&
		git add .lfsconfig &&
		git commit -q -m lfsconfig &&
		FAKE_SSH_USER=alice git push -q origin main
	) &&
	FAKE_SSH_USER=rita git clone -q origin.git clone2 &&
	cmp work/a.bin clone2/a.bin &&
	cmp work/b.bin clone2/b.bin
'

test_expect_success 'a reader'"'"'s push through ssh is refused, nothing stored' '
	objects_snapshot >before &&
	puts=$(log_count "\"PUT ") &&
	(
		cd clone1 &&
		git lfs install --local >/dev/null &&
		make_file c.bin 5000 ssh-c &&
		git add c.bin &&
		git commit -q -m "reader change" &&
		FAKE_SSH_USER=rita test_must_fail git -c lfs.ssh.retries=1 push origin main 2>../rita-push.err
	) &&
	grep -q "read-only" rita-push.err &&
	grep -q "^rita git@fakehost git-lfs-authenticate /tock/libtock-c upload$" ssh.log &&
	test "$(log_count "\"PUT ")" -eq "$puts" &&
	objects_snapshot >after &&
	test_cmp before after
'

test_expect_success 'a writer pushes to a private repo; the reader clones it; a stranger cannot' '
	git init -q --bare private.git &&
	git init -q pwork &&
	(
		cd pwork &&
		git lfs install --local >/dev/null &&
		git remote add origin ../private.git &&
		git config lfs.url ssh://git@fakehost/private/secret &&
		git lfs track "*.bin" >/dev/null &&
		make_file p.bin 7000 ssh-p &&
		git add .gitattributes p.bin &&
		git commit -q -m private &&
		FAKE_SSH_USER=alice git push -q origin main
	) &&
	GIT_LFS_SKIP_SMUDGE=1 git clone -q private.git pclone &&
	(
		cd pclone &&
		git lfs install --local >/dev/null &&
		git config lfs.url ssh://git@fakehost/private/secret &&
		FAKE_SSH_USER=rita git lfs pull &&
		git config lfs.ssh.retries 1 &&
		rm p.bin && FAKE_SSH_USER=rita git checkout p.bin &&
		rm -rf .git/lfs/objects &&
		FAKE_SSH_USER=sam test_must_fail git lfs pull 2>../sam.err
	) &&
	cmp pwork/p.bin pclone/p.bin &&
	grep -q "repository not found" sam.err
'

# The forced command on its own.
test_expect_success 'git-lfs-authenticate prints href, a Bearer header and expires_in' '
	auth_as alice "git-lfs-authenticate /tock/libtock-c upload" &&
	test ! -s err &&
	test "$(wc -l <out)" -eq 1 &&
	jq -e --arg u "$LFS_URL/tock/libtock-c/info/lfs" ".href == \$u" out &&
	jq -e ".header | keys == [\"Authorization\"]" out &&
	jq -e ".header.Authorization | test(\"^Bearer [A-Za-z0-9_.-]+$\")" out &&
	jq -e ".expires_in == 900" out &&
	jq -e "keys == [\"expires_in\", \"header\", \"href\"]" out
'

test_expect_success 'the forms git-lfs and people send: leading /, .git, quotes' '
	for cmd in "git-lfs-authenticate tock/libtock-c download" \
		"git-lfs-authenticate /tock/libtock-c.git download" \
		"git-lfs-authenticate '"'"'tock/libtock-c.git'"'"' download"; do
		auth_as rita "$cmd" &&
		jq -e --arg u "$LFS_URL/tock/libtock-c/info/lfs" ".href == \$u" out || return 1
	done
'

test_expect_success 'its token works on the batch endpoint, for that repo and operation only' '
	auth_as alice "git-lfs-authenticate tock/libtock-c download" &&
	h=$(jq -r ".header.Authorization" out) &&
	D="{\"operation\":\"download\",\"objects\":[]}" &&
	U="{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$(sha256_of work/a.bin)\",\"size\":30000}]}" &&
	post() {
		http_status POST "$LFS_URL/$1/info/lfs/objects/batch" -H "Authorization: $h" \
			-H "Content-Type: $LFS_TYPE" --data-binary "$2"
	} &&
	test "$(post tock/libtock-c "$D")" = 200 &&
	test "$(post tock/libtock-c.git "$D")" = 200 &&
	test "$(post tock/libtock-c "$U")" = 403 &&
	test "$(post private/secret "$D")" = 403 &&
	auth_as alice "git-lfs-authenticate tock/libtock-c upload" &&
	h=$(jq -r ".header.Authorization" out) &&
	test "$(post tock/libtock-c "$U")" = 200 &&
	jq -e ".objects[0] | has(\"actions\") | not" body
'

test_expect_success 'refused: git commands, git-lfs-transfer, extra words, bad ops and repos' '
	for cmd in "git-upload-pack '"'"'tock/libtock-c.git'"'"'" \
		"git-receive-pack '"'"'tock/libtock-c.git'"'"'" \
		"git-lfs-transfer /tock/libtock-c upload" \
		"git-lfs-transfer /tock/libtock-c download" \
		"git-lfs-authenticate /tock/libtock-c download now" \
		"git-lfs-authenticate /tock/libtock-c delete" \
		"git-lfs-authenticate /tock/../etc download" \
		"git-lfs-authenticate /_lfs/journal download" \
		"sh -c id" \
		""; do
		test_expect_code 1 auth_as alice "$cmd" &&
		test ! -s out &&
		one_line_err &&
		grep -q "^git-lfs-authenticate: " err || { echo "for [$cmd]" >&2; return 1; }
	done
'

test_expect_success 'refused: the command unset (an interactive login)' '
	(unset SSH_ORIGINAL_COMMAND; test_expect_code 1 "$BIN/git-lfs-authenticate" --config ssh.cfg --user alice >out 2>err) &&
	test ! -s out &&
	one_line_err
'

test_expect_success 'refused: a reader asking to upload, a stranger asking anything' '
	test_expect_code 1 auth_as rita "git-lfs-authenticate private/secret upload" &&
	test ! -s out && one_line_err &&
	test_expect_code 1 auth_as sam "git-lfs-authenticate private/secret download" &&
	test ! -s out && one_line_err && cp err private.err &&
	test_expect_code 1 auth_as sam "git-lfs-authenticate nosuch/repo download" &&
	test ! -s out && one_line_err &&
	test_cmp private.err err &&
	grep -q "repository not found" err
'

test_expect_success 'usage errors exit 2; --help and --version exit 0' '
	test_expect_code 2 "$BIN/git-lfs-authenticate" >out 2>err &&
	grep -q "^usage: git-lfs-authenticate" err &&
	test_expect_code 2 "$BIN/git-lfs-authenticate" --config ssh.cfg >out 2>err &&
	test_expect_code 2 "$BIN/git-lfs-authenticate" --user alice >out 2>err &&
	test_expect_code 2 "$BIN/git-lfs-authenticate" --config ssh.cfg --user alice extra >out 2>err &&
	"$BIN/git-lfs-authenticate" --help >out &&
	grep -q "usage: git-lfs-authenticate" out &&
	"$BIN/git-lfs-authenticate" --version >out &&
	grep -q "^git-lfs-authenticate [0-9]" out
'

test_expect_success 'without public-url the href comes from server.listen' '
	port=${LFS_URL##*:} &&
	{ printf "[server]\n\tdata = %s\n\tlisten = 127.0.0.1:%s\n" "$DATA" "$port"; cat rules.cfg; } >listen.cfg &&
	SSH_ORIGINAL_COMMAND="git-lfs-authenticate tock/libtock-c download" \
		"$BIN/git-lfs-authenticate" --config listen.cfg --user alice >out &&
	jq -e --arg u "http://127.0.0.1:$port/tock/libtock-c/info/lfs" ".href == \$u" out
'

test_expect_success 'a data dir without a secret (server never started there): exit 1, one line' '
	{ printf "[server]\n\tdata = %s\n" "$TRASH/empty-data"; cat rules.cfg; } >nosecret.cfg &&
	SSH_ORIGINAL_COMMAND="git-lfs-authenticate tock/libtock-c download" \
		test_expect_code 1 "$BIN/git-lfs-authenticate" --config nosecret.cfg --user alice >out 2>err &&
	test ! -s out &&
	one_line_err &&
	grep -q "secret" err &&
	test_path_is_missing "$TRASH/empty-data/secret"
'

test_expect_success 'a missing config file: exit 1, one line naming it' '
	SSH_ORIGINAL_COMMAND="git-lfs-authenticate tock/libtock-c download" \
		test_expect_code 1 "$BIN/git-lfs-authenticate" --config "$TRASH/no-such.cfg" --user alice >out 2>err &&
	test ! -s out &&
	one_line_err &&
	grep -q "no-such.cfg" err
'

stop_rc
test_expect_success 'SIGTERM: the server exits 0' '
	stopped_cleanly
'

test_done
