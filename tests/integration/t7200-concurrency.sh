#!/bin/bash
test_description='concurrency: a slow upload blocks nobody; racing PUTs of one oid store only correct bytes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# Uploads in flight, wherever the store keeps them (test-lib.sh,
# upload_files): temp names in DATA/tmp or anonymous files.
tmp_count() { upload_files "$DATA" | wc -l; }
tmp_empty() { tmp_is_empty "$DATA" && [ "$(tmp_count)" -eq 0 ]; }
tmp_count_is() { [ "$(tmp_count)" -eq "$1" ]; }
# the bytes of the one upload in flight
tmp_has_at_least() { upload_has_at_least "$DATA" "$1"; }

SLOW_SIZE=$((8 * 1024 * 1024))
make_file slow.bin $SLOW_SIZE slow
SLOW=$(sha256_of slow.bin)
printf 'hello world\n' >hello.txt
H=$(sha256_of hello.txt)

RACE_SIZE=$((2 * 1024 * 1024))
make_file good.bin $RACE_SIZE good
make_file bad.bin $RACE_SIZE bad
RACE=$(sha256_of good.bin)

start_lfs_server

test_expect_success 'setup: server up, hello stored' '
	server_started &&
	test "$(http_status PUT "$LFS_URL/r/info/lfs/objects/$H" -T hello.txt)" = 200
'

test_expect_success 'a slow upload in progress does not delay a batch request' '
	auth=$(token upload r $SLOW $SLOW_SIZE) || return 1
	curl -sS -o /dev/null --limit-rate 100k -H "Authorization: $auth" -T slow.bin \
		"$LFS_URL/r/info/lfs/objects/$SLOW" 2>/dev/null &
	cpid=$! &&
	test_poll tmp_has_at_least 1 &&
	code=$(curl -sS -o body -w "%{http_code}" --max-time 20 -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$H\",\"size\":12}]}" \
		"$LFS_URL/r/info/lfs/objects/batch") &&
	test "$code" = 200 &&
	jq -e ".objects[0].actions.download.href" body &&
	code=$(curl -sS -o got -w "%{http_code}" --max-time 20 "$LFS_URL/r/info/lfs/objects/$H") &&
	test "$code" = 200 &&
	test_cmp hello.txt got &&
	code=$(curl -sS -o /dev/null -w "%{http_code}" --max-time 20 -T hello.txt "$LFS_URL/s/info/lfs/objects/$H") &&
	test "$code" = 200 &&
	# still running: the answers above did not wait for it
	kill -0 $cpid &&
	! tmp_has_at_least $SLOW_SIZE &&
	kill $cpid && { wait $cpid; true; } &&
	test_poll tmp_empty &&
	test ! -e "$(obj_path "$DATA" $SLOW)"
'

test_expect_success '8 concurrent PUTs of one oid, half corrupt: only correct bytes stored' '
	auth=$(token upload race $RACE $RACE_SIZE) &&
	# Each body comes through a FIFO: first half now, the rest once all
	# eight uploads have begun (8 files in flight), so none of them can find
	# the object already stored and skip reading its body.
	for i in 1 2 3 4 5 6 7 8
	do
		if [ $((i % 2)) = 0 ]; then src=good.bin; else src=bad.bin; fi
		mkfifo fifo$i || return 1
		curl -sS -o resp$i -w "%{http_code}" -H "Authorization: $auth" -T - \
			"$LFS_URL/race/info/lfs/objects/$RACE" <fifo$i >code$i 2>err$i &
		(
			head -c $((RACE_SIZE / 2)) $src &&
			while [ ! -e go ]; do sleep 0.05; done &&
			tail -c +$((RACE_SIZE / 2 + 1)) $src
		) >fifo$i &
	done &&
	test_poll tmp_count_is 8 &&
	touch go &&
	wait &&
	for i in 1 2 3 4 5 6 7 8
	do
		if [ $((i % 2)) = 0 ]; then want=200; else want=422; fi &&
		test "$(cat code$i)" = $want || { echo "PUT $i: got $(cat code$i), want $want" >&2; cat resp$i >&2; return 1; }
	done &&
	test_cmp good.bin "$(obj_path "$DATA" $RACE)" &&
	test "$(sha256_of "$(obj_path "$DATA" $RACE)")" = $RACE &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT size FROM journal WHERE repo = \"race\" AND oid = \"$RACE\"")" = $RACE_SIZE &&
	test_poll tmp_empty &&
	test "$(http_status GET "$LFS_URL/race/info/lfs/objects/$RACE")" = 200 &&
	test_cmp good.bin body
'

test_expect_success 'the log saw several transfers in flight' '
	grep -q "transfers in flight" "$LFS_LOG"
'

test_expect_success '8 concurrent corrupt PUTs of a new oid: all 422, nothing stored' '
	make_file new.bin 300000 new &&
	oid=$(sha256_of new.bin) &&
	auth=$(token upload race $oid 300000) &&
	for i in 1 2 3 4 5 6 7 8
	do
		make_file bad$i.bin 300000 bad$i || return 1
		curl -sS -o /dev/null -w "%{http_code}" -H "Authorization: $auth" -T bad$i.bin \
			"$LFS_URL/race/info/lfs/objects/$oid" >ncode$i &
	done &&
	wait &&
	for i in 1 2 3 4 5 6 7 8
	do
		test "$(cat ncode$i)" = 422 || return 1
	done &&
	test ! -e "$(obj_path "$DATA" $oid)" &&
	test_poll tmp_empty
'

test_expect_success 'many concurrent batch requests and downloads all succeed' '
	for i in $(seq 1 16)
	do
		curl -sS -o /dev/null -w "%{http_code}" -H "Content-Type: $LFS_TYPE" \
			--data-binary "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$RACE\",\"size\":$RACE_SIZE}]}" \
			"$LFS_URL/race/info/lfs/objects/batch" >bcode$i &
		curl -sS -o dl$i -w "%{http_code}" "$LFS_URL/race/info/lfs/objects/$RACE" >dcode$i &
	done &&
	wait &&
	for i in $(seq 1 16)
	do
		test "$(cat bcode$i)" = 200 && test "$(cat dcode$i)" = 200 && cmp -s good.bin dl$i || return 1
	done
'

stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
