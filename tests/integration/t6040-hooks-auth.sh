#!/bin/bash
test_description='lfs-hooks against a server with authentication: 401, git credential fill/approve/reject'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

PATH="$BIN:$PATH"
export PATH

# creds_for NAME USER PASSWORD: a git credential store file for our server.
creds_for() {
	printf 'http://%s:%s@%s\n' "$2" "$3" "${LFS_URL#http://}" >"$TRASH/creds-$1"
}

cat >server.cfg <<EOF
[auth]
	users = $TRASH/users
	lockout-failures = 1000
[repo "tock/*"]
	read = *
	write = alice
[repo "private/*"]
	read = rita
	write = alice
EOF
: >users
add_user users alice alice-pw
add_user users rita rita-pw

start_lfs_server --config server.cfg

test_expect_success 'setup' '
	test -n "$LFS_URL" &&
	creds_for alice alice alice-pw &&
	creds_for wrong alice not-her-password &&
	creds_for rita rita rita-pw &&
	git init -q --bare public.git &&
	git init -q --bare private.git &&
	git init -q pub && (
		cd pub &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.a" >/dev/null &&
		git remote add origin "$TRASH/public.git" &&
		git config lfs.url "$LFS_URL/tock/libtock-c.git/info/lfs" &&
		make_file lib.a 200000 lib &&
		git add . &&
		git commit -q -m lib
	)
'

test_expect_success 'no credentials to be had: push refused, naming the server and 401' '
	test_must_fail git -C pub push origin main 2>err &&
	grep "push refused" err &&
	grep "$LFS_URL/tock/libtock-c.git/info/lfs" err &&
	grep "401" err &&
	test_path_is_missing "$(obj_path "$DATA" "$(sha256_of pub/lib.a)")"
'

test_expect_success 'a wrong password is rejected: the helper forgets it' '
	git -C pub config credential.helper "store --file=$TRASH/creds-wrong" &&
	test_must_fail git -C pub push origin main 2>err &&
	grep "401" err &&
	test_must_fail grep -q alice creds-wrong &&
	test_path_is_missing "$(obj_path "$DATA" "$(sha256_of pub/lib.a)")"
'

test_expect_success 'anonymous first, 401, then the helper'"'"'s credentials: pushed, approved' '
	git -C pub config credential.helper "store --file=$TRASH/creds-alice" &&
	before=$(log_count "objects/batch\" 401 ") &&
	git -C pub push -q origin main &&
	oid=$(sha256_of pub/lib.a) &&
	cmp pub/lib.a "$(obj_path "$DATA" "$oid")" &&
	test "$(log_count "objects/batch\" 401 ")" -gt "$before" &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT user FROM journal WHERE oid = '"'"'$oid'"'"'")" = alice &&
	test "$(git -C pub config "lfs.$LFS_URL/tock/libtock-c.git/info/lfs.access")" = basic &&
	grep -q alice-pw creds-alice
'

test_expect_success 'once access is basic, credentials go with the first request' '
	before=$(log_count "objects/batch\" 401 ") &&
	make_file pub/lib2.a 100000 lib2 &&
	git -C pub add lib2.a &&
	git -C pub commit -q -m lib2 &&
	git -C pub push -q origin main &&
	test "$(log_count "objects/batch\" 401 ")" = "$before"
'

test_expect_success 'a public repository clones anonymously' '
	git clone -q public.git anon &&
	(cd anon && git config lfs.url "$LFS_URL/tock/libtock-c.git/info/lfs" && lfs-hooks pull) &&
	cmp pub/lib.a anon/lib.a
'

test_expect_success 'a private repository: a reader with credentials gets the files' '
	(
		cd pub &&
		git config --unset lfs.url &&
		git config remote.origin.lfsurl "$LFS_URL/tock/libtock-c.git/info/lfs" &&
		git remote add private "$TRASH/private.git" &&
		git config remote.private.lfsurl "$LFS_URL/private/secret.git/info/lfs" &&
		git push -q private main
	) &&
	git clone -q private.git reader && (
		cd reader &&
		git config lfs.url "$LFS_URL/private/secret.git/info/lfs" &&
		git config credential.helper "store --file=$TRASH/creds-rita" &&
		lfs-hooks install >/dev/null
	) &&
	cmp pub/lib.a reader/lib.a &&
	cmp pub/lib2.a reader/lib2.a
'

test_expect_success 'a private repository without credentials: files stay pointers, 401 named' '
	git clone -q private.git stranger && (
		cd stranger &&
		git config lfs.url "$LFS_URL/private/secret.git/info/lfs" &&
		lfs-hooks install >/dev/null 2>../err &&
		test_must_fail lfs-hooks pull 2>../err2
	) &&
	grep "401" err2 &&
	grep "lib.a" err &&
	git -C stranger cat-file blob HEAD:lib.a >expect &&
	test_cmp expect stranger/lib.a
'

test_expect_success 'stop the server' '
	stop_lfs_server
'

test_done
