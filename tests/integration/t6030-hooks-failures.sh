#!/bin/bash
test_description='lfs-hooks when the server is down, refuses, or serves bad bytes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-hooks.sh"



remote_head() {
	git --git-dir="$TRASH/remote.git" rev-parse --verify -q refs/heads/main
}

nolfs_path
start_lfs_server
URL1=$LFS_URL

test_expect_success 'setup: a repository pushed once' '
	! command -v git-lfs &&
	git init -q --bare remote.git &&
	git init -q repo && (
		cd repo &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.a" >/dev/null &&
		git config lfs.url "$URL1/fail/repo.git/info/lfs" &&
		git remote add origin "$TRASH/remote.git" &&
		make_file one.a 1000000 one &&
		git add . &&
		git commit -q -m one &&
		git push -q origin main
	) &&
	test "$(remote_head)" = "$(git -C repo rev-parse HEAD)"
'

test_expect_success 'server down: commits still work offline' '
	stop_lfs_server &&
	(
		cd repo &&
		make_file two.a 1500000 two &&
		git add two.a &&
		git commit -q -m two
	) &&
	cmp repo/two.a "$(obj_path repo/.git/lfs "$(sha256_of repo/two.a)")" &&
	clean_status repo
'

test_expect_success 'server down: push refused, naming the server; nothing lost' '
	before=$(remote_head) &&
	test_must_fail git -C repo push origin main 2>err &&
	grep "push refused" err &&
	grep "$URL1/fail/repo.git/info/lfs" err &&
	test "$(remote_head)" = "$before" &&
	cmp repo/two.a "$(obj_path repo/.git/lfs "$(sha256_of repo/two.a)")" &&
	test_path_is_missing "$(obj_path "$DATA" "$(sha256_of repo/two.a)")" &&
	clean_status repo
'

test_expect_success 'server down: a clone keeps pointers, names them, exits 1, and stays clean' '
	git clone -q remote.git offline &&
	(cd offline && test_expect_code 1 lfs-hooks install >/dev/null 2>../err) &&
	cat err &&
	grep "one.a" err &&
	grep "1 file is still a pointer" err &&
	git -C offline cat-file blob HEAD:one.a >expect &&
	test_cmp expect offline/one.a &&
	clean_status offline
'

test_expect_success 'server refusing (batch over its limit): push refused with the status' '
	cat >limits.cfg <<-\EOF &&
	[server]
		max-batch-objects = 1
	EOF
	echo >>repo/two.a &&
	make_file repo/three.a 100000 three &&
	git -C repo add . &&
	git -C repo commit -q -m three &&
	start_lfs_server --config "$TRASH/limits.cfg" &&
	git -C repo config lfs.url "$LFS_URL/fail/repo.git/info/lfs" &&
	before=$(remote_head) &&
	test_must_fail git -C repo push origin main 2>err &&
	grep "HTTP 413" err &&
	grep "$LFS_URL/fail/repo.git/info/lfs" err &&
	test "$(remote_head)" = "$before" &&
	stop_lfs_server
'

start_lfs_server

test_expect_success 'server back: the push goes through, with every object' '
	git -C repo config lfs.url "$LFS_URL/fail/repo.git/info/lfs" &&
	git -C repo push -q origin main &&
	test "$(remote_head)" = "$(git -C repo rev-parse HEAD)" &&
	for f in one.a two.a three.a; do
		cmp repo/$f "$(obj_path "$DATA" "$(sha256_of repo/$f)")" || return 1
	done
'

test_expect_success 'server back: pull fills the offline clone' '
	(
		cd offline &&
		git config lfs.url "$LFS_URL/fail/repo.git/info/lfs" &&
		git pull -q origin main &&
		lfs-hooks pull
	) &&
	cmp repo/one.a offline/one.a &&
	cmp repo/two.a offline/two.a &&
	clean_status offline
'

test_expect_success 'many objects missing on the server: one line for the source, with the count; exit 1' '
	git init -q --bare many.git &&
	git init -q many && (
		cd many &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.a" >/dev/null &&
		git config lfs.url "$LFS_URL/fail/many.git/info/lfs" &&
		git remote add origin "$TRASH/many.git" &&
		for i in $(seq 1 30); do echo "file $i" >f$i.a || return 1; done &&
		git add . &&
		git commit -q -m many &&
		GIT_LFS_SKIP_PUSH=1 git push -q origin main
	) &&
	git clone -q many.git many-clone &&
	(
		cd many-clone &&
		git config lfs.url "$LFS_URL/fail/many.git/info/lfs" &&
		test_expect_code 1 lfs-hooks install >/dev/null 2>../err
	) &&
	cat err &&
	test "$(grep -c "cannot download 30 objects from $LFS_URL/fail/many.git/info/lfs" err)" = 1 &&
	grep "and 27 more" err &&
	grep "30 files are still pointers" err &&
	test "$(grep -c "f[0-9]*\.a" err)" -le 3 &&
	test "$(wc -l <err)" -le 4
'

test_expect_success 'partial downloads left in .git/lfs/tmp go at the next run; one in use stays' '
	mkdir -p offline/.git/lfs/tmp &&
	make_file offline/.git/lfs/tmp/obj-Ab12Cd 4000 partial &&
	make_file offline/.git/lfs/tmp/obj-held01 4000 held &&
	flock offline/.git/lfs/tmp/obj-held01 sh -c "cd offline && lfs-hooks fetch" &&
	test_path_is_missing offline/.git/lfs/tmp/obj-Ab12Cd &&
	test -f offline/.git/lfs/tmp/obj-held01 &&
	(cd offline && lfs-hooks fetch) &&
	test_path_is_missing offline/.git/lfs/tmp/obj-held01
'

test_expect_success 'one-shot smudge downloads a missing object' '
	(
		cd offline &&
		rm -rf .git/lfs/objects &&
		git cat-file blob HEAD:two.a | lfs-hooks smudge -- two.a >../smudged
	) &&
	cmp repo/two.a smudged &&
	cmp repo/two.a "$(obj_path offline/.git/lfs "$(sha256_of repo/two.a)")"
'

test_expect_success 'corrupt bytes from the server never reach the cache or the work tree' '
	oid=$(sha256_of repo/three.a) &&
	chmod u+w "$(obj_path "$DATA" "$oid")" &&
	make_file "$(obj_path "$DATA" "$oid")" 100000 not-three &&
	git clone -q remote.git victim &&
	(
		cd victim &&
		git config lfs.url "$LFS_URL/fail/repo.git/info/lfs" &&
		git config lfs.transfer.maxretries 1 &&
		test_expect_code 1 lfs-hooks install >/dev/null 2>../err
	) &&
	grep "three.a" err &&
	grep -i "corrupt" err &&
	test_path_is_missing "$(obj_path victim/.git/lfs "$oid")" &&
	test -z "$(ls victim/.git/lfs/tmp)" &&
	git -C victim cat-file blob HEAD:three.a >expect &&
	test_cmp expect victim/three.a &&
	cmp repo/one.a victim/one.a &&
	clean_status victim
'

test_expect_success 'a broken pointer in pushed commits is named, and does not crash' '
	(
		cd repo &&
		printf "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 12\n" xyz >../bad &&
		blob=$(git hash-object -w ../bad) &&
		git update-index --add --cacheinfo 100644,$blob,broken.a &&
		printf "version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize -5\n" 1 >../bad2 &&
		blob=$(git hash-object -w ../bad2) &&
		git update-index --add --cacheinfo 100644,$blob,negative.a &&
		git commit -q -m broken &&
		git push origin main 2>../err
	) &&
	grep "broken.a: not a valid Git LFS pointer" err &&
	grep "negative.a: not a valid Git LFS pointer" err &&
	(cd repo && test_expect_code 1 lfs-hooks fsck) >out &&
	grep "broken.a" out &&
	grep "negative.a" out
'

test_expect_success 'an existing pre-push hook runs first and can stop the push' '
	(
		cd repo &&
		printf "#!/bin/sh\ncat >\"\$(git rev-parse --git-dir)/mine-stdin\"\nexit 1\n" >.git/hooks/pre-push &&
		chmod +x .git/hooks/pre-push &&
		lfs-hooks install >/dev/null &&
		test -x .git/hooks/pre-push.lfs-hooks-chained &&
		make_file four.a 50000 four &&
		git add four.a &&
		git commit -q -m four
	) &&
	before=$(remote_head) &&
	test_must_fail git -C repo push origin main 2>err &&
	test "$(remote_head)" = "$before" &&
	grep "refs/heads/main $(git -C repo rev-parse HEAD) refs/heads/main $before" repo/.git/mine-stdin &&
	test_path_is_missing "$(obj_path "$DATA" "$(sha256_of repo/four.a)")" &&
	printf "#!/bin/sh\ncat >/dev/null\nexit 0\n" >repo/.git/hooks/pre-push.lfs-hooks-chained &&
	git -C repo push -q origin main &&
	cmp repo/four.a "$(obj_path "$DATA" "$(sha256_of repo/four.a)")"
'

test_expect_success 'stop the server' '
	stop_lfs_server
'

test_done
