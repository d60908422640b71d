#!/bin/bash
test_description='lfs-hooks, libtock-c style: prebuilt libraries pushed, cloned and checked out without git-lfs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-hooks.sh"


ARCHS="cortex-m0 cortex-m4 rv32imc"
TOOLCHAINS="gcc-12.2 gcc-13.2"
# Big enough that a download outlasts the server's start of the next
# one on a busy 2-core machine: with 3 MB, one run in ten showed no
# overlap, every transfer having been handed to the kernel at once.
SIZE=6000000

# make_libs RELEASE DIR: one libtock.a per toolchain and architecture,
# different bytes for every release.
make_libs() {
	for tc in $TOOLCHAINS; do
		for arch in $ARCHS; do
			mkdir -p "$2/lib/$tc/$arch" &&
			make_file "$2/lib/$tc/$arch/libtock.a" $SIZE "$1-$tc-$arch" || return 1
		done
	done
}

# same_libs DIR RELEASE: every library in DIR is RELEASE's, byte for byte.
same_libs() {
	for tc in $TOOLCHAINS; do
		for arch in $ARCHS; do
			cmp "$1/lib/$tc/$arch/libtock.a" "$TRASH/$2/lib/$tc/$arch/libtock.a" || return 1
		done
	done
}


# Lines the server logged since mark_log was last run.
mark_log() {
	log_mark=$(wc -l <"$LFS_LOG")
}
new_log() {
	tail -n +$((log_mark + 1)) "$LFS_LOG"
}

nolfs_path
start_lfs_server

test_expect_success 'setup: no git-lfs, a server, a bare remote' '
	! command -v git-lfs &&
	test -n "$LFS_URL" &&
	git init -q --bare libtock-c.git &&
	make_libs v1 v1 &&
	make_libs v2 v2
'

test_expect_success 'track, commit and tag the first release' '
	git init -q work && (
		cd work &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.a" >/dev/null &&
		git config -f .lfsconfig lfs.url "$LFS_URL/tock/libtock-c.git/info/lfs" &&
		git remote add origin "$TRASH/libtock-c.git" &&
		echo "libtock-c" >README &&
		cp -r ../v1/lib . &&
		git add README .gitattributes .lfsconfig lib &&
		git commit -q -m "Prebuilt libraries, release 1" &&
		git tag v1
	) &&
	clean_status work
'

test_expect_success 'the committed blobs are canonical pointers' '
	for tc in $TOOLCHAINS; do
		for arch in $ARCHS; do
			f=lib/$tc/$arch/libtock.a &&
			git -C work cat-file blob "v1:$f" >actual &&
			printf "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n" \
				"$(sha256_of "v1/$f")" $SIZE >expect &&
			test_cmp expect actual || return 1
		done
	done
'

test_expect_success 'second release: new libraries, tagged' '
	(
		cd work &&
		cp -r ../v2/lib . &&
		git commit -q -a -m "Prebuilt libraries, release 2" &&
		git tag v2
	) &&
	clean_status work
'

test_expect_success 'push uploads every library, several at once' '
	mark_log &&
	git -C work push -q origin main v1 v2 2>err &&
	for r in v1 v2; do
		for tc in $TOOLCHAINS; do
			for arch in $ARCHS; do
				oid=$(sha256_of "$r/lib/$tc/$arch/libtock.a") &&
				cmp "$r/lib/$tc/$arch/libtock.a" "$(obj_path "$DATA" "$oid")" || return 1
			done
		done
	done &&
	new_log >pushlog &&
	test "$(grep -c "\"PUT /tock/libtock-c" pushlog)" = 12 &&
	grep "PUT .*transfers in flight" pushlog &&
	clean_status work
'

test_expect_success 'pushing again uploads nothing' '
	mark_log &&
	git -C work push -q origin main v1 v2 &&
	echo more >>work/README &&
	git -C work commit -q -a -m "readme" &&
	git -C work push -q origin main &&
	new_log >pushlog &&
	! grep "\"PUT " pushlog
'

test_expect_success 'a fresh clone has pointers until lfs-hooks install fetches them' '
	mark_log &&
	git clone -q libtock-c.git clone &&
	git -C clone cat-file blob HEAD:lib/gcc-12.2/cortex-m0/libtock.a >expect &&
	test_cmp expect clone/lib/gcc-12.2/cortex-m0/libtock.a &&
	(cd clone && lfs-hooks install >/dev/null) &&
	same_libs clone v2 &&
	clean_status clone &&
	new_log >fetchlog7 &&
	test "$(grep -c "\"GET /tock/libtock-c" fetchlog7)" = 6 &&
	grep "GET .*transfers in flight" fetchlog7
'

test_expect_success 'checking out the older tag gives the older libraries, fetched in parallel' '
	mark_log &&
	git -C clone checkout -q v1 &&
	same_libs clone v1 &&
	clean_status clone &&
	new_log >fetchlog &&
	test "$(grep -c "\"GET /tock/libtock-c" fetchlog)" = 6 &&
	grep "GET .*transfers in flight" fetchlog
'

test_expect_success 'and back: the newer libraries come from the cache' '
	mark_log &&
	git -C clone checkout -q main &&
	same_libs clone v2 &&
	clean_status clone &&
	new_log >fetchlog &&
	! grep "\"GET " fetchlog
'

test_expect_success 'git log -p shows each library as pointer changes' '
	for tc in $TOOLCHAINS; do
		for arch in $ARCHS; do
			f=lib/$tc/$arch/libtock.a &&
			git -C clone log -p --format="commit %s" -- "$f" >log &&
			grep "^-oid sha256:$(sha256_of "v1/$f")\$" log &&
			grep "^+oid sha256:$(sha256_of "v2/$f")\$" log &&
			grep "^+oid sha256:$(sha256_of "v1/$f")\$" log &&
			test "$(grep -c "^commit " log)" = 2 &&
			! grep -v "^[-+ ]\|^commit\|^diff\|^index\|^new file\|^@@\|^$" log || return 1
		done
	done
'

test_expect_success 'ls-files and fsck agree with git-lfs conventions' '
	(cd clone && lfs-hooks ls-files) >ls &&
	test "$(grep -c " \* lib/" ls)" = 6 &&
	grep "^$(sha256_of v2/lib/gcc-13.2/rv32imc/libtock.a | cut -c1-10) \* lib/gcc-13.2/rv32imc/libtock.a\$" ls &&
	(cd clone && lfs-hooks fsck --pointers) >out &&
	grep "Git LFS fsck OK" out
'

test_expect_success 'a clone pushes a change back through its hooks' '
	(
		cd clone &&
		make_file lib/gcc-13.2/rv32imc/libtock.a $SIZE v3 &&
		git commit -q -a -m "rv32 fix" &&
		git push -q origin HEAD:main
	) &&
	oid=$(sha256_of clone/lib/gcc-13.2/rv32imc/libtock.a) &&
	cmp clone/lib/gcc-13.2/rv32imc/libtock.a "$(obj_path "$DATA" "$oid")" &&
	git -C work pull -q origin main &&
	cmp clone/lib/gcc-13.2/rv32imc/libtock.a work/lib/gcc-13.2/rv32imc/libtock.a &&
	clean_status work
'

test_expect_success 'lfs-hooks push: a branch by hand, then --all to another server repo' '
	(
		cd work &&
		git checkout -q -b side &&
		make_file lib/gcc-12.2/cortex-m0/libtock.a $SIZE side &&
		GIT_LFS_SKIP_PUSH=1 git commit -q -a -m side &&
		lfs-hooks push origin side
	) &&
	oid=$(sha256_of work/lib/gcc-12.2/cortex-m0/libtock.a) &&
	cmp work/lib/gcc-12.2/cortex-m0/libtock.a "$(obj_path "$DATA" "$oid")" &&
	(
		cd work &&
		git config lfs.url "$LFS_URL/tock/libtock-c-copy.git/info/lfs" &&
		lfs-hooks push --all origin &&
		git config --unset lfs.url &&
		git checkout -q main
	) &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT COUNT(*) FROM journal WHERE repo = '"'"'tock/libtock-c-copy'"'"'")" = 14 &&
	test_expect_code 2 lfs-hooks push 2>err &&
	grep "^usage:" err
'

test_expect_success 'pull and fetch --all bring every object to a pointer-only clone' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q libtock-c.git third &&
	(
		cd third &&
		GIT_LFS_SKIP_SMUDGE=1 lfs-hooks install >/dev/null &&
		test "$(wc -c <lib/gcc-12.2/rv32imc/libtock.a)" -lt 200 &&
		lfs-hooks pull &&
		lfs-hooks fetch --all &&
		lfs-hooks fsck v1 >../out &&
		grep "Git LFS fsck OK" ../out
	) &&
	same_libs third clone &&
	clean_status third
'

test_expect_success 'stop the server' '
	stop_lfs_server
'

test_done
