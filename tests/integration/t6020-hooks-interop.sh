#!/bin/bash
test_description='lfs-hooks and the real git-lfs client share repositories both ways'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-hooks.sh"

PATH="$BIN:$PATH"
export PATH


start_lfs_server

test_expect_success 'setup: git-lfs on PATH, a server, two bare remotes' '
	command -v git-lfs &&
	test -n "$LFS_URL" &&
	git init -q --bare hooks-made.git &&
	git init -q --bare lfs-made.git &&
	make_file big1.bin 2500000 one &&
	make_file big2.bin 1500000 two &&
	printf "hello world\n" >small.bin
'

test_expect_success 'a repository written with lfs-hooks' '
	git init -q hw && (
		cd hw &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.bin" >/dev/null &&
		git config -f .lfsconfig lfs.url "$LFS_URL/interop/hooks-made.git/info/lfs" &&
		git remote add origin "$TRASH/hooks-made.git" &&
		cp ../big1.bin ../big2.bin ../small.bin . &&
		mkdir "sub dir" && cp ../big2.bin "sub dir/copy.bin" &&
		git add . &&
		git commit -q -m "written by lfs-hooks" &&
		git push -q origin main
	) &&
	clean_status hw
'

test_expect_success 'our pointers are the bytes git-lfs writes' '
	for f in big1.bin big2.bin small.bin; do
		git -C hw cat-file blob HEAD:$f >ours &&
		git lfs pointer --file=$f >theirs 2>/dev/null &&
		test_cmp theirs ours &&
		git lfs clean <$f >theirs &&
		test_cmp theirs ours || return 1
	done
'

test_expect_success 'git-lfs clones it: same bytes, clean fsck' '
	git lfs install --skip-repo >/dev/null &&
	test_when_finished "git lfs uninstall >/dev/null 2>&1" &&
	git clone -q hooks-made.git lw &&
	(
		cd lw &&
		cmp ../big1.bin big1.bin &&
		cmp ../big2.bin big2.bin &&
		cmp ../big2.bin "sub dir/copy.bin" &&
		cmp ../small.bin small.bin &&
		git lfs fsck >../out &&
		grep -i "fsck OK" ../out &&
		git lfs fsck --pointers >../out &&
		grep -i "fsck OK" ../out &&
		git lfs ls-files >../out &&
		test "$(wc -l <../out)" = 4
	) &&
	clean_status lw
'

test_expect_success 'a repository written with git-lfs' '
	git lfs install --skip-repo >/dev/null &&
	git init -q gw && (
		cd gw &&
		git lfs install --local >/dev/null &&
		git lfs track "*.bin" >/dev/null &&
		git config -f .lfsconfig lfs.url "$LFS_URL/interop/lfs-made.git/info/lfs" &&
		git remote add origin "$TRASH/lfs-made.git" &&
		cp ../big1.bin ../small.bin . &&
		git add . &&
		git commit -q -m "written by git-lfs" &&
		git push -q origin main 2>/dev/null
	) &&
	git lfs uninstall >/dev/null &&
	test -z "$(git config --global --get-regexp "^filter\.lfs\.")" &&
	clean_status gw
'

test_expect_success 'lfs-hooks clones it and gets the content' '
	git clone -q lfs-made.git hc &&
	git -C hc cat-file blob HEAD:big1.bin >expect &&
	test_cmp expect hc/big1.bin &&
	(cd hc && lfs-hooks install >/dev/null) &&
	cmp big1.bin hc/big1.bin &&
	cmp small.bin hc/small.bin &&
	(cd hc && lfs-hooks fsck --pointers) >out &&
	grep "Git LFS fsck OK" out &&
	clean_status hc
'

test_expect_success 'lfs-hooks pushes into it; git-lfs reads what was pushed' '
	(
		cd hc &&
		cp ../big2.bin new.bin &&
		git add new.bin &&
		git commit -q -m "added by lfs-hooks" &&
		git push -q origin main
	) &&
	git lfs install --skip-repo >/dev/null &&
	test_when_finished "git lfs uninstall >/dev/null 2>&1" &&
	git -C gw pull -q origin main &&
	cmp big2.bin gw/new.bin &&
	(cd gw && git lfs fsck) >out &&
	grep -i "fsck OK" out &&
	clean_status gw
'

test_expect_success 'switch an lfs-hooks clone to git-lfs and back' '
	(
		cd hw &&
		lfs-hooks install --uninstall >/dev/null &&
		git lfs install --local >/dev/null &&
		rm big1.bin &&
		git checkout -- big1.bin &&
		cmp ../big1.bin big1.bin &&
		git lfs fsck >../out &&
		grep -i "fsck OK" ../out &&
		git lfs uninstall --local >/dev/null &&
		test -z "$(git config --get-regexp "^filter\.lfs\.")" &&
		lfs-hooks install >/dev/null &&
		rm big2.bin &&
		git checkout -- big2.bin &&
		cmp ../big2.bin big2.bin
	) &&
	clean_status hw
'

test_expect_success 'git-lfs installed globally: lfs-hooks install works, the repository'"'"'s keys win' '
	git lfs install --skip-repo >/dev/null &&
	test_when_finished "git lfs uninstall >/dev/null 2>&1" &&
	git init -q global && (
		cd global &&
		lfs-hooks install >/dev/null 2>../err
	) &&
	grep "global config" err &&
	git -C global config filter.lfs.process >process &&
	grep "lfs-hooks filter-process" process &&
	test -x global/.git/hooks/pre-push &&
	git config --global filter.lfs.process >global-process &&
	grep "git-lfs filter-process" global-process
'

test_expect_success 'git-lfs set up in the repository itself: lfs-hooks install refuses' '
	git init -q refuse && (
		cd refuse &&
		git lfs install --local >/dev/null &&
		test_expect_code 1 lfs-hooks install 2>../err
	) &&
	grep "git lfs uninstall --local" err &&
	grep "git lfs pre-push" refuse/.git/hooks/pre-push
'

test_expect_success 'stop the server' '
	stop_lfs_server
'

test_done
