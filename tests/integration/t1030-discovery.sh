#!/bin/bash
test_description='git-lfs end to end: LFS endpoint derived from the remote URL; R and R.git are one repo'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# git-lfs derives "<remote url>.git/info/lfs" (".git" added when missing,
# a trailing "/" dropped) from remote.<name>.url, but for uploads from
# remote.<name>.pushurl first.  Git itself is not served by our server, so
# the git objects go to a local bare repository through a remote of their
# own ("bare", with GIT_LFS_SKIP_PUSH=1 so that git-lfs does not copy the
# objects there), and the LFS objects go through a remote whose URL is
# only ever used by git-lfs ("origin" = $LFS_URL/tock/libtock-c.git):
# git lfs push / git lfs pull name that remote, no lfs.url anywhere.

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }

test_expect_success 'setup: a repository whose origin URL points at the server' '
	git lfs install --skip-repo &&
	git init -q --bare bare.git &&
	git init -q wt &&
	(
		cd wt &&
		git remote add origin "$LFS_URL/tock/libtock-c.git" &&
		git remote add bare ../bare.git &&
		git lfs track "*.bin" &&
		make_file one.bin 20000 seed-one &&
		make_file two.bin 30000 seed-two &&
		git add .gitattributes one.bin two.bin &&
		git commit -q -m first &&
		GIT_LFS_SKIP_PUSH=1 git push -q bare main
	) &&
	test_path_is_missing bare.git/lfs &&
	test "$(log_count "\"PUT ")" -eq 0
'

test_expect_success 'git lfs env shows the derived endpoint' '
	(cd wt && git lfs env >../env.out 2>&1) &&
	grep -qxF "Endpoint=$LFS_URL/tock/libtock-c.git/info/lfs (auth=none)" env.out &&
	test -z "$(git -C wt config --get lfs.url)"
'

test_expect_success 'git lfs push origin uploads to the derived endpoint' '
	(cd wt && git lfs push origin main) &&
	test "$(log_count "\"POST /tock/libtock-c.git/info/lfs/objects/batch\" 200 ")" -eq 1 &&
	test "$(log_count "\"PUT ")" -eq 2 &&
	for f in one two; do
		oid=$(sha256_of wt/$f.bin) &&
		cmp wt/$f.bin "$(obj_path "$DATA" "$oid")" || return 1
	done
'

test_expect_success 'a clone with origin reset to the server URL pulls from the derived endpoint' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q bare.git clone1 &&
	(
		cd clone1 &&
		git remote set-url origin "$LFS_URL/tock/libtock-c.git" &&
		git lfs pull &&
		cmp ../wt/one.bin one.bin &&
		cmp ../wt/two.bin two.bin
	) &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/")" -eq 2
'

test_expect_success 'a remote URL without .git, or with a trailing slash, derives the same endpoint' '
	(
		cd wt &&
		git remote add short "$LFS_URL/tock/libtock-c" &&
		git remote add slash "$LFS_URL/tock/libtock-c/" &&
		git lfs env >../env2.out 2>&1
	) &&
	grep -qxF "Endpoint (short)=$LFS_URL/tock/libtock-c.git/info/lfs (auth=none)" env2.out &&
	grep -qxF "Endpoint (slash)=$LFS_URL/tock/libtock-c.git/info/lfs (auth=none)" env2.out
'

test_expect_success 'pushing via the "R" form, fetching via the "R.git" form: one repo' '
	(
		cd wt &&
		make_file three.bin 40000 seed-three &&
		git add three.bin &&
		git commit -q -m three &&
		GIT_LFS_SKIP_PUSH=1 git push -q bare main &&
		# --all offers one and two again: stored via the other form,
		# they must not be uploaded a second time.
		git -c lfs.url="$LFS_URL/tock/libtock-c/info/lfs" lfs push --all bare main
	) &&
	test "$(log_count "\"POST /tock/libtock-c/info/lfs/objects/batch\" 200 ")" -eq 1 &&
	oid=$(sha256_of wt/three.bin) &&
	test "$(log_count "\"PUT /tock/libtock-c/info/lfs/objects/$oid\" 200 ")" -eq 1 &&
	test "$(log_count "\"PUT ")" -eq 3 &&
	(
		cd clone1 &&
		git pull -q ../bare.git main &&
		cmp ../wt/three.bin three.bin
	) &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/$oid\" 200 40000 ")" -eq 1
'

test_expect_success 'objects pushed via "R.git" download via "R"' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q bare.git clone2 &&
	(
		cd clone2 &&
		git config lfs.url "$LFS_URL/tock/libtock-c/info/lfs" &&
		git lfs pull &&
		cmp ../wt/one.bin one.bin &&
		cmp ../wt/two.bin two.bin &&
		cmp ../wt/three.bin three.bin
	) &&
	test "$(log_count "\"POST /tock/libtock-c/info/lfs/objects/batch\" 200 ")" -eq 2
'

test_expect_success 'the membership is recorded once, under the canonical name' '
	test "$(sqlite3 "$DATA/meta.db" "select count(*) from journal where repo = '"'"'tock/libtock-c'"'"'")" -eq 3 &&
	test "$(sqlite3 "$DATA/meta.db" "select count(*) from journal")" -eq 3
'

test_expect_success 'another repo on the same server does not see these objects' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q bare.git clone3 &&
	(
		cd clone3 &&
		git remote set-url origin "$LFS_URL/tock/other.git" &&
		test_must_fail git lfs pull
	) &&
	log_wait "\"POST /tock/other.git/info/lfs/objects/batch\" 200 " 1 &&
	test "$(log_count "\"GET /tock/other")" -eq 0 &&
	! grep -q "\"PUT /tock/other" "$LFS_LOG" &&
	(cd clone3 && git cat-file -p HEAD:one.bin >../one.ptr) &&
	cmp one.ptr clone3/one.bin
'

test_expect_success 'a second push through the other form uploads nothing' '
	puts=$(log_count "\"PUT ") &&
	(cd wt && git -c lfs.url="$LFS_URL/tock/libtock-c/info/lfs" lfs push --all bare main) &&
	(cd wt && git lfs push --all origin main) &&
	test "$(log_count "\"PUT ")" -eq "$puts"
'

stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
