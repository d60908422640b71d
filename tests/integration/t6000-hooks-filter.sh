#!/bin/bash
test_description='lfs-hooks without git-lfs: install, track, clean/smudge, filter-process'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-hooks.sh"

# The canonical pointer of a file, written by hand from protocol doc 1.2.
pointer_of() {
	printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n' \
		"$(sha256_of "$1")" "$(wc -c <"$1" | tr -d ' ')"
}

nolfs_path

test_expect_success 'git-lfs is out of reach' '
	! command -v git-lfs &&
	test_must_fail git lfs version 2>/dev/null &&
	command -v lfs-hooks
'

test_expect_success '--help, --version and usage errors' '
	lfs-hooks --help >out &&
	grep "^usage: lfs-hooks" out &&
	lfs-hooks --version >out &&
	grep "^lfs-hooks [0-9]" out &&
	lfs-hooks push --help >out &&
	grep "^usage: lfs-hooks" out &&
	test_expect_code 2 lfs-hooks 2>err &&
	grep "^usage:" err &&
	test_expect_code 2 lfs-hooks no-such-command 2>err &&
	grep "unknown command" err &&
	test_expect_code 2 lfs-hooks install --bogus 2>err &&
	grep "^usage:" err
'

test_expect_success 'outside a repository: exit 1 with a message' '
	mkdir norepo && (
		cd norepo &&
		GIT_CEILING_DIRECTORIES="$TRASH" &&
		export GIT_CEILING_DIRECTORIES &&
		test_expect_code 1 lfs-hooks install 2>err &&
		grep "not in a git repository" err
	)
'

test_expect_success 'install sets the filter keys git-lfs sets, with our binary' '
	git init -q repo && (
		cd repo &&
		lfs-hooks install >../out &&
		grep "Updated git hooks" ../out &&
		echo "$BIN/lfs-hooks filter-process" >../expect &&
		git config filter.lfs.process >../actual &&
		test_cmp ../expect ../actual &&
		echo "$BIN/lfs-hooks clean -- %f" >../expect &&
		git config filter.lfs.clean >../actual &&
		test_cmp ../expect ../actual &&
		echo "$BIN/lfs-hooks smudge -- %f" >../expect &&
		git config filter.lfs.smudge >../actual &&
		test_cmp ../expect ../actual &&
		test "$(git config --bool filter.lfs.required)" = true
	)
'

test_expect_success 'installed hooks are the shipped templates with our path' '
	for h in pre-push post-checkout post-merge; do
		test -x repo/.git/hooks/$h &&
		sed -e "s|^lfs_hooks=.*|lfs_hooks=X|" repo/.git/hooks/$h >actual &&
		sed -e "s|^lfs_hooks=.*|lfs_hooks=X|" "$TEST_ROOT/git-hooks/templates/$h" >expect &&
		test_cmp expect actual &&
		grep -x "lfs_hooks=$BIN/lfs-hooks" repo/.git/hooks/$h || return 1
	done
'

test_expect_success 'install again is harmless' '
	(cd repo && lfs-hooks install >/dev/null && lfs-hooks install >/dev/null) &&
	test "$(git -C repo config --get-all filter.lfs.process | wc -l)" = 1 &&
	! ls repo/.git/hooks | grep chained
'

test_expect_success 'track writes the lines git-lfs writes' '
	(
		cd repo &&
		lfs-hooks track "*.a" "lib dir/*.bin" >out &&
		grep "^Tracking \"\*.a\"" out &&
		lfs-hooks track "*.a" >out &&
		grep "already supported" out &&
		printf "%s\n" "*.a filter=lfs diff=lfs merge=lfs -text" \
			"lib[[:space:]]dir/*.bin filter=lfs diff=lfs merge=lfs -text" >expect &&
		test_cmp expect .gitattributes &&
		lfs-hooks track >out &&
		grep "^    \*.a (.gitattributes)" out &&
		rm out expect
	)
'

test_expect_success 'commit stores canonical pointers and the objects' '
	(
		cd repo &&
		printf "hello world\n" >hello.a &&
		make_file big.a 3000000 big &&
		: >empty.a &&
		git add .gitattributes hello.a big.a empty.a &&
		git commit -q -m libs &&
		git cat-file blob HEAD:hello.a >../actual &&
		test "$(wc -c <../actual)" = 127 &&
		pointer_of hello.a >../expect &&
		test_cmp ../expect ../actual &&
		test "$(git rev-parse HEAD:hello.a)" = 0db788d9cca75b69bc4c2430024a654fafdb504e &&
		git cat-file blob HEAD:big.a >../actual &&
		pointer_of big.a >../expect &&
		test_cmp ../expect ../actual &&
		test "$(git cat-file -s HEAD:empty.a)" = 0 &&
		cmp big.a "$(obj_path .git/lfs "$(sha256_of big.a)")" &&
		cmp hello.a "$(obj_path .git/lfs "$(sha256_of hello.a)")" &&
		test -z "$(git status --porcelain)"
	)
'

test_expect_success 'one-shot clean matches, and passes a pointer through' '
	(
		cd repo &&
		lfs-hooks clean -- big.a <big.a >../actual &&
		pointer_of big.a >../expect &&
		test_cmp ../expect ../actual &&
		lfs-hooks clean -- p <../expect >../again &&
		test_cmp ../expect ../again &&
		printf "version https://git-lfs.github.com/spec/v1\r\noid sha256:%s\r\nsize 3\r\n" \
			"$(sha256_of big.a)" >../crlf &&
		lfs-hooks clean -- crlf <../crlf >../actual &&
		test_cmp ../crlf ../actual
	)
'

test_expect_success 'checkout smudges from the cache (filter-process)' '
	(
		cd repo &&
		rm hello.a big.a &&
		git checkout -- . &&
		printf "hello world\n" >../expect &&
		test_cmp ../expect hello.a &&
		make_file ../expect 3000000 big &&
		cmp ../expect big.a &&
		test -z "$(git status --porcelain)"
	)
'

test_expect_success 'one-shot smudge gives content; non-pointers pass through' '
	(
		cd repo &&
		git cat-file blob HEAD:big.a | lfs-hooks smudge -- big.a >../actual &&
		cmp big.a ../actual &&
		echo plain >../expect &&
		lfs-hooks smudge -- x <../expect >../actual &&
		test_cmp ../expect ../actual &&
		make_file ../bin 5000 bin &&
		lfs-hooks smudge -- x <../bin >../actual &&
		cmp ../bin ../actual
	)
'

test_expect_success 'a blob committed before tracking is checked out untouched' '
	(
		cd repo &&
		make_file raw.a 4000 raw &&
		blob=$(git hash-object -w raw.a) &&
		git update-index --add --cacheinfo 100644,$blob,raw.a &&
		git commit -q -m raw &&
		rm raw.a &&
		git checkout -- raw.a 2>../err &&
		make_file ../expect 4000 raw &&
		cmp ../expect raw.a
	)
'

test_expect_success 'a broken pointer is reported with its file name' '
	(
		cd repo &&
		printf "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 12\n" XYZ >bad.a.txt &&
		blob=$(git hash-object -w bad.a.txt) &&
		git update-index --add --cacheinfo 100644,$blob,bad.a &&
		git commit -q -m bad &&
		rm -f bad.a &&
		git checkout -- bad.a 2>../err &&
		grep "bad.a: not a valid Git LFS pointer" ../err &&
		test_cmp bad.a.txt bad.a &&
		rm bad.a.txt &&
		git rm -q -f bad.a && git commit -q -m "drop bad"
	)
'

test_expect_success 'an object missing everywhere leaves the pointer, checkout succeeds' '
	(
		cd repo &&
		printf "version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize 3\n" 0 >p.txt &&
		blob=$(git hash-object -w p.txt) &&
		git update-index --add --cacheinfo 100644,$blob,gone.a &&
		git commit -q -m gone &&
		rm -f gone.a &&
		git checkout -- gone.a 2>../err &&
		grep "gone.a" ../err &&
		test_cmp p.txt gone.a &&
		rm p.txt &&
		test -z "$(git status --porcelain)"
	)
'

test_expect_success 'a remote on this machine gets its objects copied (no server)' '
	git init -q --bare local.git &&
	git init -q lw && (
		cd lw &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.a" >/dev/null &&
		make_file lib.a 300000 local &&
		git add . && git commit -q -m lib &&
		git remote add origin ../local.git &&
		git push -q origin main
	) &&
	cmp lw/lib.a "$(obj_path local.git/lfs "$(sha256_of lw/lib.a)")" &&
	git clone -q local.git lc &&
	(cd lc && lfs-hooks install >/dev/null) &&
	cmp lw/lib.a lc/lib.a &&
	test -z "$(git -C lc status --porcelain)"
'

test_expect_success 'push finds every changed pointer, also beside same-prefix names' '
	(
		cd lw &&
		make_file foo.a 1000 f1 && git add foo.a && git commit -q -m 1 &&
		mkdir foo && make_file foo/x.a 1000 f2 && make_file foo-bar.a 1000 f3 &&
		git add . && git commit -q -m 2 &&
		make_file foo.a 1000 f4 && make_file foo/x.a 1000 f5 && make_file foo/y.a 1000 f6 &&
		git add . && git commit -q -m 3 &&
		git push -q origin main
	) &&
	for seed in f1 f2 f3 f4 f5 f6; do
		make_file want 1000 $seed &&
		cmp want "$(obj_path local.git/lfs "$(sha256_of want)")" || return 1
	done
'

test_expect_success 'install stops when git-lfs drives the filter' '
	git init -q lfsrepo && (
		cd lfsrepo &&
		git config filter.lfs.process "git-lfs filter-process" &&
		test_expect_code 1 lfs-hooks install 2>err &&
		grep "git lfs uninstall --local" err &&
		test "$(git config filter.lfs.process)" = "git-lfs filter-process" &&
		test_path_is_missing .git/hooks/pre-push
	)
'

test_expect_success 'install stops at a git-lfs hook' '
	git init -q lfshook && (
		cd lfshook &&
		printf "#!/bin/sh\ncommand -v git-lfs >/dev/null 2>&1 || exit 2\ngit lfs pre-push \"\$@\"\n" >.git/hooks/pre-push &&
		chmod +x .git/hooks/pre-push &&
		cp .git/hooks/pre-push expect &&
		test_expect_code 1 lfs-hooks install 2>err &&
		grep "pre-push hook.*git-lfs" err &&
		test_cmp expect .git/hooks/pre-push &&
		test -z "$(git config filter.lfs.process)"
	)
'

test_expect_success 'an existing hook is chained, and still runs' '
	git init -q chain && (
		cd chain &&
		printf "#!/bin/sh\necho \"mine \$*\" >>\"\$(git rev-parse --git-dir)/ran\"\n" >.git/hooks/post-checkout &&
		chmod +x .git/hooks/post-checkout &&
		cp .git/hooks/post-checkout mine &&
		lfs-hooks install >out &&
		grep "Kept the existing post-checkout hook" out &&
		test_cmp mine .git/hooks/post-checkout.lfs-hooks-chained &&
		grep -F "installed by lfs-hooks" .git/hooks/post-checkout &&
		echo x >f && git add f && git commit -q -m one &&
		git checkout -q -b side &&
		grep "^mine " .git/ran
	)
'

test_expect_success 'shipped templates under core.hooksPath are left as committed' '
	git init -q shipped && (
		cd shipped &&
		mkdir .githooks &&
		cp "$TEST_ROOT"/git-hooks/templates/* .githooks/ &&
		git config core.hooksPath .githooks &&
		lfs-hooks install >/dev/null &&
		for h in pre-push post-checkout post-merge; do
			cmp "$TEST_ROOT/git-hooks/templates/$h" .githooks/$h || return 1
		done &&
		! ls .githooks | grep chained &&
		test -n "$(git config filter.lfs.process)" &&
		echo x >f && git add . && git commit -q -m one &&
		git checkout -q -b side 2>../err &&
		test_must_fail grep . ../err &&
		lfs-hooks install --uninstall >/dev/null &&
		cmp "$TEST_ROOT/git-hooks/templates/pre-push" .githooks/pre-push
	)
'

test_expect_success 'uninstall undoes exactly what install did' '
	(
		cd chain &&
		lfs-hooks install --uninstall >out &&
		test_cmp mine .git/hooks/post-checkout &&
		test_path_is_missing .git/hooks/post-checkout.lfs-hooks-chained &&
		test_path_is_missing .git/hooks/pre-push &&
		test_path_is_missing .git/hooks/post-merge &&
		test -z "$(git config --get-regexp "^filter\.lfs\.")"
	) &&
	(
		cd repo &&
		lfs-hooks install --uninstall >/dev/null &&
		test -z "$(git config --get-regexp "^filter\.lfs\.")" &&
		! ls .git/hooks | grep -v "\.sample$" &&
		test -d .git/lfs/objects
	)
'

test_done
