#!/bin/bash
test_description='git-lfs end to end: 20 objects with 8 concurrent transfers; concurrent pushes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

COUNT=20

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
LFS_ENDPOINT="$LFS_URL/tock/libtock-c.git/info/lfs"

test_expect_success 'setup: 20 small files of different sizes' '
	git lfs install --skip-repo &&
	git init -q --bare origin.git &&
	git init -q work &&
	(
		cd work &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git config lfs.concurrenttransfers 8 &&
		git lfs track "*.bin" &&
		mkdir files &&
		i=1 &&
		while [ $i -le $COUNT ]; do
			make_file files/f$i.bin $((i * 3001 + 17)) seed-$i || exit 1
			i=$((i + 1))
		done &&
		git add .gitattributes files &&
		git commit -q -m "twenty files"
	) &&
	for f in work/files/*.bin; do sha256_of "$f"; done | sort >oids &&
	test "$(sort -u oids | wc -l)" -eq $COUNT
'

test_expect_success 'the push with 8 concurrent transfers uploads every object once' '
	(cd work && git lfs env | grep -qx "ConcurrentTransfers=8" && git push -q origin main) &&
	test "$(log_count "\"PUT ")" -eq $COUNT &&
	test "$(grep "\"PUT " "$LFS_LOG" | grep -c "\" 200 ")" -eq $COUNT &&
	while read -r oid; do
		p=$(obj_path "$DATA" "$oid") &&
		test "$(sha256_of "$p")" = "$oid" || return 1
	done <oids &&
	test "$(objects_snapshot | wc -l)" -eq $COUNT &&
	tmp_emptied "$DATA"
'

test_expect_success 'a clone with 8 concurrent transfers gets every file back' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q origin.git clone &&
	(
		cd clone &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git config lfs.concurrenttransfers 8 &&
		git lfs pull
	) &&
	test "$(log_count "\"GET /tock/libtock-c/info/lfs/objects/")" -eq $COUNT &&
	for f in work/files/*.bin; do
		cmp "$f" "clone/files/${f##*/}" || return 1
	done &&
	(cd clone && git lfs fsck)
'

# Two clients push at once: different new objects to two repos, and the same
# new object to one repo.  Whatever the interleaving, both must succeed and
# the store must hold each object once, intact.
test_expect_success 'two concurrent pushes of the same new objects both succeed' '
	git init -q --bare race.git &&
	for r in r1 r2; do
		git init -q $r &&
		(
			cd $r &&
			git remote add origin ../race.git &&
			git config lfs.url "$LFS_URL/tock/race.git/info/lfs" &&
			git lfs track "*.bin" &&
			i=1 &&
			while [ $i -le 4 ]; do
				make_file same$i.bin $((i * 50000)) race-$i || exit 1
				i=$((i + 1))
			done &&
			git add .gitattributes same*.bin &&
			git commit -q -m "$r" &&
			git checkout -q -b $r
		) || return 1
	done &&
	for f in r1/same*.bin; do sha256_of "$f"; done | sort >race.oids || exit 1
	(cd r1 && git push -q origin r1 >../r1.out 2>&1; echo $? >../r1.rc) &
	(cd r2 && git push -q origin r2 >../r2.out 2>&1; echo $? >../r2.rc) &
	wait
	test "$(cat r1.rc)" = 0 && test "$(cat r2.rc)" = 0 || { cat r1.out r2.out >&2; exit 1; }
	while read -r oid; do
		p=$(obj_path "$DATA" "$oid") &&
		test "$(sha256_of "$p")" = "$oid" || return 1
	done <race.oids &&
	test "$(objects_snapshot | wc -l)" -eq $((COUNT + 4)) &&
	tmp_emptied "$DATA" &&
	test "$(grep "\"PUT /tock/race/" "$LFS_LOG" | grep -vc "\" 200 ")" -eq 0
'

test_expect_success 'both racing branches clone back intact' '
	GIT_LFS_SKIP_SMUDGE=1 git clone -q -b r2 race.git race-clone &&
	(
		cd race-clone &&
		git config lfs.url "$LFS_URL/tock/race/info/lfs" &&
		git lfs pull
	) &&
	for f in r1/same*.bin; do
		cmp "$f" "race-clone/${f##*/}" || return 1
	done
'

stop_lfs_server 2>stop.err
echo $? >stop.rc
test_expect_success 'server stops cleanly' '
	test "$(cat stop.rc)" = 0 || { cat stop.err >&2; false; }
'

test_done
