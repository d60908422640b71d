#!/bin/bash
test_description='file locking with the real git-lfs client: lock, locks, unlock, --force, lockable files, push-time verify'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# alice and bob may write, carol administers, rita only reads.  Git itself
# lives in a local bare repository; the LFS API (locks included) is ours,
# reached through lfs.url with each user's credentials from a store file.

htpasswd -B -C 4 -bc users alice alice-pw 2>/dev/null &&
htpasswd -B -C 4 -b users bob bob-pw 2>/dev/null &&
htpasswd -B -C 4 -b users carol carol-pw 2>/dev/null &&
htpasswd -B -C 4 -b users rita rita-pw 2>/dev/null &&
cat >server.cfg <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
[auth]
	users = $TRASH/users
[repo "tock/*"]
	read = rita
	write = alice bob
	admin = carol
EOF

start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }
LFS_ENDPOINT="$LFS_URL/tock/game.git/info/lfs"
HOSTPORT=${LFS_URL#http://}
for u in alice bob carol; do
	printf 'http://%s:%s-pw@%s\n' "$u" "$u" "$HOSTPORT" >"creds-$u"
done

# user_clone USER DIR: a fresh clone of origin.git working as USER.
user_clone() {
	git clone -q -c lfs.url="$LFS_ENDPOINT" \
		-c credential.helper="store --file=$TRASH/creds-$1" origin.git "$2"
}

# The user-write bit, which is what git-lfs flips on lockable files (the
# tests may run as root, for whom test -w is always true).
is_readonly() {
	[ "$(stat -c %A "$1" | cut -c3)" = - ] || { echo "$1 is writable: $(stat -c %A "$1")" >&2; return 1; }
}
is_writable() {
	[ "$(stat -c %A "$1" | cut -c3)" = w ] || { echo "$1 is read-only: $(stat -c %A "$1")" >&2; return 1; }
}

# The server's view, asked as the reader rita: "path owner id" lines.
server_locks() {
	curl -sS -f -u rita:rita-pw -H "Accept: $LFS_TYPE" "$LFS_ENDPOINT/locks" |
		jq -r '.locks[] | "\(.path) \(.owner.name) \(.id)"' | sort
}

test_expect_success 'setup: alice publishes lockable *.bin files' '
	git lfs install --skip-repo &&
	git init -q --bare origin.git &&
	git init -q alice &&
	(
		cd alice &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git config credential.helper "store --file=$TRASH/creds-alice" &&
		git lfs track --lockable "*.bin" &&
		grep -qx "\*.bin filter=lfs diff=lfs merge=lfs -text lockable" .gitattributes &&
		make_file a.bin 3000 seed-a &&
		make_file b.bin 2000 seed-b &&
		echo "plain file" >README &&
		git add .gitattributes a.bin b.bin README &&
		git commit -q -m first
	)
'

test_expect_success 'a first push (locksverify unset) asks the server and learns it supports locking' '
	(cd alice && git push origin main >../push.err 2>&1) &&
	cat push.err &&
	grep -q "Locking support detected" push.err &&
	log_wait "\"POST /tock/game.git/info/lfs/locks/verify\" 200 " 1 &&
	test "$(git -C alice config --get "lfs.$LFS_ENDPOINT.locksverify" || echo unset)" = unset &&
	git --git-dir=origin.git rev-parse --verify refs/heads/main
'

test_expect_success 'alice locks a.bin: the server records her as the owner' '
	(cd alice && git lfs lock a.bin >../lock.out 2>&1) &&
	grep -q "Locked a.bin" lock.out &&
	server_locks >locks.actual &&
	test "$(cut -d" " -f1,2 locks.actual)" = "a.bin alice" &&
	printf "%s\n" "$(cut -d" " -f3 locks.actual)" | grep -qx "[0-9a-f]\{32\}" &&
	test "$(log_count "\"POST /tock/game.git/info/lfs/locks\" 201 ")" -eq 1
'

test_expect_success 'git lfs locks lists the lock, with --json and --path' '
	id=$(cut -d" " -f3 locks.actual) &&
	(cd alice && git lfs locks) >list.out &&
	printf "a.bin\talice\tID:%s\n" "$id" >list.expect &&
	sed -e "s/[ 	]*\$//" -e "s/  */	/g" list.out >list.norm &&
	test_cmp list.expect list.norm &&
	(cd alice && git lfs locks --json) >list.json &&
	jq -e --arg id "$id" "length == 1 and .[0].id == \$id and .[0].path == \"a.bin\" and .[0].owner.name == \"alice\"" list.json &&
	jq -e ".[0].locked_at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\$\")" list.json &&
	(cd alice && git lfs locks --path=a.bin --json) >path.json &&
	jq -e --arg id "$id" "length == 1 and .[0].id == \$id" path.json &&
	(cd alice && git lfs locks --path=b.bin --json) >nopath.json &&
	jq -e "length == 0" nopath.json
'

test_expect_success 'git lfs locks --verify marks alice'\''s own lock as ours' '
	(cd alice && git lfs locks --verify) >verify.out &&
	grep -q "^O a.bin" verify.out &&
	log_wait "\"POST /tock/game.git/info/lfs/locks/verify\" 200 " 2
'

test_expect_success 'alice pushes a change to the file she holds, with locksverify on' '
	(
		cd alice &&
		git config "lfs.$LFS_ENDPOINT.locksverify" true &&
		make_file a.bin 3100 seed-a2 &&
		git commit -q -a -m "alice edits a.bin" &&
		git push origin main >../push2.err 2>&1
	) &&
	cat push2.err &&
	grep -q "Consider unlocking your own locked files" push2.err &&
	test "$(git --git-dir=origin.git rev-parse main)" = "$(git -C alice rev-parse HEAD)" &&
	test -f "$(obj_path "$DATA" "$(sha256_of alice/a.bin)")"
'

test_expect_success 'bob clones: lockable files are read-only, others writable' '
	user_clone bob bob &&
	cmp alice/a.bin bob/a.bin &&
	cmp alice/b.bin bob/b.bin &&
	is_readonly bob/a.bin &&
	is_readonly bob/b.bin &&
	is_writable bob/README
'

test_expect_success 'bob cannot lock a.bin: alice holds it (409), the lock is unchanged' '
	server_locks >before &&
	(cd bob && test_must_fail git lfs lock a.bin >../bob-lock.out 2>&1) &&
	cat bob-lock.out &&
	grep -q "already created lock" bob-lock.out &&
	test "$(log_count "\"POST /tock/game.git/info/lfs/locks\" 409 ")" -eq 1 &&
	server_locks >after &&
	test_cmp before after
'

test_expect_success 'git lfs locks --verify shows bob that a.bin is not his' '
	(cd bob && git lfs locks --verify) >bob-verify.out &&
	grep -q "a.bin" bob-verify.out &&
	! grep -q "^O a.bin" bob-verify.out
'

test_expect_success 'bob cannot unlock alice'\''s lock without --force' '
	id=$(cut -d" " -f3 before) &&
	(cd bob && test_must_fail git lfs unlock a.bin >../bob-unlock.out 2>&1) &&
	cat bob-unlock.out &&
	test "$(log_count "\"POST /tock/game.git/info/lfs/locks/$id/unlock\" 403 ")" -eq 1 &&
	server_locks >after &&
	test_cmp before after
'

test_expect_success 'bob with --force is refused too: he is no admin (403)' '
	(cd bob && test_must_fail git lfs unlock --force a.bin >../bob-force.out 2>&1) &&
	cat bob-force.out &&
	test "$(log_count "\"POST /tock/game.git/info/lfs/locks/$(cut -d" " -f3 before)/unlock\" 403 ")" -eq 2 &&
	server_locks >after &&
	test_cmp before after
'

test_expect_success 'locking b.bin makes it writable for bob, unlocking read-only again' '
	(cd bob && git lfs lock b.bin) &&
	is_writable bob/b.bin &&
	server_locks >locks.now &&
	grep -q "^b.bin bob " locks.now &&
	(cd bob && git lfs unlock b.bin) &&
	is_readonly bob/b.bin &&
	server_locks >after &&
	test_cmp before after
'

test_expect_success 'bob'\''s push of a change to a.bin is refused by the client (locksverify on)' '
	before_push=$(git --git-dir=origin.git rev-parse main) &&
	(
		cd bob &&
		git config "lfs.$LFS_ENDPOINT.locksverify" true &&
		chmod u+w a.bin &&
		make_file a.bin 3200 seed-bob &&
		git commit -q -a -m "bob edits a.bin" &&
		test_must_fail git push origin main >../bob-push.err 2>&1
	) &&
	cat bob-push.err &&
	grep -q "Cannot update locked files" bob-push.err &&
	grep -q "a.bin - alice" bob-push.err &&
	test "$(git --git-dir=origin.git rev-parse main)" = "$before_push" &&
	test_path_is_missing "$(obj_path "$DATA" "$(sha256_of bob/a.bin)")"
'

test_expect_success 'carol (admin) clones and force-unlocks alice'\''s lock' '
	user_clone carol carol &&
	is_readonly carol/a.bin &&
	(cd carol && git lfs unlock --force a.bin >../carol.out 2>&1) &&
	cat carol.out &&
	grep -q "Unlocked a.bin" carol.out &&
	test "$(log_count "\"POST /tock/game.git/info/lfs/locks/$(cut -d" " -f3 before)/unlock\" 200 ")" -eq 1 &&
	server_locks >after &&
	test_must_fail test -s after &&
	(cd carol && git lfs locks --json) >carol.json &&
	jq -e "length == 0" carol.json
'

test_expect_success 'now bob locks a.bin and his push goes through' '
	(cd bob && git lfs lock a.bin && git push origin main >../bob-push2.err 2>&1) &&
	cat bob-push2.err &&
	test "$(git --git-dir=origin.git rev-parse main)" = "$(git -C bob rev-parse HEAD)" &&
	test -f "$(obj_path "$DATA" "$(sha256_of bob/a.bin)")" &&
	server_locks >locks.now &&
	test "$(cut -d" " -f1,2 locks.now)" = "a.bin bob" &&
	(cd bob && git lfs unlock a.bin) &&
	server_locks >after &&
	test_must_fail test -s after
'

# stop_lfs_server must run in the shell that started the server.
stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'the server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
