#!/bin/bash
test_description='git-lfs end to end: fetch --all brings objects of older commits, fsck passes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# has_local DIR OID: the clone DIR caches OID, with the right bytes.
has_local() {
	local p
	p=$(obj_path "$1/.git/lfs" "$2") &&
	test -f "$p" && test "$(sha256_of "$p")" = "$2"
}

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
LFS_ENDPOINT="$LFS_URL/tock/libtock-c.git/info/lfs"

# Three versions of one path and a file deleted later, over four commits
# and two branches; the oids go to files since test bodies run in
# subshells.
test_expect_success 'setup: history with several versions of LFS files' '
	git lfs install --skip-repo &&
	git init -q --bare origin.git &&
	git init -q wt &&
	(
		cd wt &&
		git remote add origin ../origin.git &&
		git config -f .lfsconfig lfs.url "$LFS_ENDPOINT" &&
		git lfs track "*.bin" &&
		make_file data.bin 40000 v1 && sha256_of data.bin >../oid.v1 &&
		make_file gone.bin 1234 gone && sha256_of gone.bin >../oid.gone &&
		git add .lfsconfig .gitattributes data.bin gone.bin &&
		git commit -q -m v1 &&
		make_file data.bin 41000 v2 && sha256_of data.bin >../oid.v2 &&
		git rm -q gone.bin &&
		git commit -q -a -m v2 &&
		git checkout -q -b side &&
		make_file side.bin 777 side && sha256_of side.bin >../oid.side &&
		git add side.bin &&
		git commit -q -m side &&
		git checkout -q main &&
		make_file data.bin 42000 v3 && sha256_of data.bin >../oid.v3 &&
		git commit -q -a -m v3 &&
		git push -q origin main side
	) &&
	test "$(log_count "\"PUT ")" -eq 5 &&
	for v in v1 v2 v3 gone side; do
		p=$(obj_path "$DATA" "$(cat oid.$v)") &&
		test "$(sha256_of "$p")" = "$(cat oid.$v)" || return 1
	done
'

test_expect_success 'a clone fetches only what its checkout needs' '
	git clone -q origin.git clone &&
	cmp wt/data.bin clone/data.bin &&
	has_local clone "$(cat oid.v3)" &&
	! has_local clone "$(cat oid.v1)" &&
	! has_local clone "$(cat oid.v2)" &&
	! has_local clone "$(cat oid.gone)" &&
	! has_local clone "$(cat oid.side)"
'

test_expect_success 'git lfs fetch --all gets the objects of every commit and ref' '
	gets=$(log_count "\"GET ") &&
	(cd clone && git lfs fetch --all) &&
	for v in v1 v2 v3 gone side; do
		has_local clone "$(cat oid.$v)" || return 1
	done &&
	# v3 was there already: four new downloads, each 200.
	test "$(log_count "\"GET ")" -eq $((gets + 4)) &&
	test "$(log_count "$(cat oid.v1)\" 200 40000 ")" -eq 1 &&
	test "$(log_count "$(cat oid.gone)\" 200 1234 ")" -eq 1
'

# fsck looks at one commit (HEAD by default): check every commit of every ref.
fsck_all() {
	local c
	for c in $(git rev-list --all); do
		git lfs fsck "$c" >>../fsck.out 2>&1 || { cat ../fsck.out >&2; return 1; }
	done
}

test_expect_success 'git lfs fsck passes on every commit of the clone' '
	(cd clone && fsck_all) &&
	test "$(grep -c "Git LFS fsck OK" fsck.out)" -eq 4
'

test_expect_success 'older versions check out from the local cache, without the server' '
	gets=$(log_count "\"GET ") &&
	(
		cd clone &&
		git checkout -q HEAD~2 &&
		make_file ../v1.expect 40000 v1 &&
		cmp ../v1.expect data.bin &&
		cmp ../wt/.lfsconfig .lfsconfig &&
		make_file ../gone.expect 1234 gone &&
		cmp ../gone.expect gone.bin &&
		git checkout -q main
	) &&
	test "$(log_count "\"GET ")" -eq "$gets"
'

test_expect_success 'a corrupt local object fails fsck; fetch --all repairs it' '
	p=$(obj_path clone/.git/lfs "$(cat oid.v1)") &&
	chmod u+w "$p" &&
	printf x >>"$p" &&
	(cd clone && test_must_fail git lfs fsck HEAD~2 >../fsck.bad 2>&1) &&
	grep -q "$(cat oid.v1)" fsck.bad &&
	test_path_is_missing "$p" &&
	(cd clone && git lfs fetch --all && fsck_all) &&
	test "$(sha256_of "$p")" = "$(cat oid.v1)" &&
	test "$(log_count "$(cat oid.v1)\" 200 40000 ")" -eq 2
'

stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
