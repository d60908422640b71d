#!/bin/bash
test_description='crash loop: kill -9 during uploads and at the store fault points; the store stays consistent'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# Servers are started and reaped at the top level (test bodies run in a
# subshell, which cannot wait for them); the tests upload, kill and check.

start() {
	start_lfs_server "$@" 2>"$TRASH/start.err" || return 1
	# lib-server.sh may see the listening line before its wrapper has
	# written the pid file; without a pid the kills below would miss.
	if [ -z "$LFS_PID" ]; then
		test_poll test -s "$LFS_LOG.pid" && LFS_PID=$(cat "$LFS_LOG.pid") &&
		test_atexit "kill -9 $LFS_PID 2>/dev/null"
	fi
}
server_gone() {
	! curl -s -o /dev/null --max-time 5 "$LFS_URL/healthz"
}
# The upload got no final answer (curl says 000, or 100 when the server
# died after "100 Continue").
no_answer() {
	case "$1" in 000|100) return 0 ;; esac
	echo "the upload got an answer: $1" >&2
	return 1
}
tmp_empty() { tmp_is_empty "$DATA"; }
# Bytes of the upload in flight: in DATA/tmp or an anonymous file
# (test-lib.sh, upload_files); t7301 runs this script with named temps.
tmp_has_at_least() { upload_has_at_least "$DATA" "$1"; }
# An upload in flight is in DATA/tmp exactly when the store uses named
# temps (which the server's log says; LFS_STORE_NAMED_TEMPS=1 forces it).
named_temps() { grep -q "uploads are named temp files in tmp/" "$LFS_LOG"; }
in_tmp_iff_named() {
	if named_temps; then ! tmp_is_empty "$DATA"; else tmp_is_empty "$DATA"; fi
}
# held REPO OID: the repo's batch answer offers a download.
held() {
	batch "$1" "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$2\",\"size\":$(stat -c %s "$3")}]}" >/dev/null &&
	jq -e ".objects[0].actions.download.href" "$TRASH/body" >/dev/null
}

# The invariants after any crash and restart: DATA/tmp is empty, every
# object file sits at its place and hashes to its name, and every journal
# row has its object file with the recorded size.
check_store() {
	tmp_empty || { echo "DATA/tmp is not empty:" >&2; ls -la "$DATA/tmp" >&2; return 1; }
	(cd "$DATA" && find objects -type f) | while read -r f; do
		name=${f##*/}
		[ "$f" = "objects/${name:0:2}/${name:2:2}/$name" ] || { echo "misplaced: $f" >&2; exit 1; }
		[ "$(sha256_of "$DATA/$f")" = "$name" ] || { echo "corrupt: $f" >&2; exit 1; }
	done || return 1
	sqlite3 -separator ' ' "$DATA/meta.db" "SELECT repo, oid, size FROM journal" >"$TRASH/rows" || return 1
	while read -r repo oid size; do
		f=$(obj_path "$DATA" "$oid")
		[ -f "$f" ] || { echo "journal row $repo $oid has no file" >&2; return 1; }
		[ "$(stat -c %s "$f")" = "$size" ] || { echo "journal row $repo $oid: size $size, file $(stat -c %s "$f")" >&2; return 1; }
	done <"$TRASH/rows"
}

start
test_expect_success 'the server keeps uploads the way LFS_STORE_NAMED_TEMPS asks' '
	server_started &&
	if store_named_temps; then named_temps; else true; fi
'
kill9_lfs_server

# One object per fault run.
for i in 1 2 3 4 5 6; do
	make_file f$i.bin $((100000 + i * 37)) fault$i
done
# 8 MiB: large uploads reach the file a 1 MiB slot at a time
# (lfs-server/store/direct.c), so the last kill offset below must leave
# whole slots still to come.
BIG_SIZE=$((8 * 1024 * 1024))
make_file big.bin $BIG_SIZE big
BIG=$(sha256_of big.bin)
kills=0

# --- store-synced: killed after the temp file is fsynced, before the link
for i in 1 2 3; do
	LFS_FAULT=store-synced start
	test_expect_success "store-synced #$i: the server dies during the upload" '
		server_started &&
		oid=$(sha256_of f'$i'.bin) &&
		auth=$(token upload r $oid $(stat -c %s f'$i'.bin)) &&
		code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: $auth" -T f'$i'.bin \
			"$LFS_URL/r/info/lfs/objects/$oid") ;
		no_answer "$code" &&
		test_poll server_gone
	'
	kill9_lfs_server
	kills=$((kills + 1))
	start
	test_expect_success "store-synced #$i: consistent after restart, object not there" '
		server_started &&
		check_store &&
		oid=$(sha256_of f'$i'.bin) &&
		test ! -e "$(obj_path "$DATA" $oid)" &&
		! held r $oid f'$i'.bin
	'
	kill9_lfs_server
done

# --- store-linked: killed after the object is linked, before its row
for i in 4 5 6; do
	LFS_FAULT=store-linked start
	test_expect_success "store-linked #$i: the server dies during the upload" '
		server_started &&
		oid=$(sha256_of f'$i'.bin) &&
		auth=$(token upload r $oid $(stat -c %s f'$i'.bin)) &&
		code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: $auth" -T f'$i'.bin \
			"$LFS_URL/r/info/lfs/objects/$oid") ;
		no_answer "$code" &&
		test_poll server_gone
	'
	kill9_lfs_server
	kills=$((kills + 1))
	start
	test_expect_success "store-linked #$i: consistent after restart; the repo does not hold it yet" '
		server_started &&
		check_store &&
		oid=$(sha256_of f'$i'.bin) &&
		test_cmp f'$i'.bin "$(obj_path "$DATA" $oid)" &&
		! held r $oid f'$i'.bin
	'
	test_expect_success "store-linked #$i: a retried upload succeeds and is downloadable" '
		oid=$(sha256_of f'$i'.bin) &&
		test "$(batch r "{\"operation\":\"upload\",\"objects\":[{\"oid\":\"$oid\",\"size\":$(stat -c %s f'$i'.bin)}]}")" = 200 &&
		auth=$(jq -er ".objects[0].actions.upload.header.Authorization" body) &&
		test "$(http_status PUT "$LFS_URL/r/info/lfs/objects/$oid" -H "Authorization: $auth" -T f'$i'.bin)" = 200 &&
		held r $oid f'$i'.bin &&
		href=$(jq -er ".objects[0].actions.download.href" body) &&
		auth=$(jq -r ".objects[0].actions.download.header.Authorization // empty" body) &&
		test "$(http_status GET "$href" ${auth:+-H "Authorization: $auth"})" = 200 &&
		test_cmp f'$i'.bin body &&
		check_store
	'
	kill9_lfs_server
done

# --- kill -9 at increasing offsets of a large upload
for off in 1 262144 1048576 2097152 3145728 3670016; do
	start
	test_expect_success "kill -9 once $off bytes of the upload are written" '
		server_started &&
		auth=$(token upload big $BIG $BIG_SIZE) || return 1
		curl -s -o /dev/null --limit-rate 2M -H "Authorization: $auth" -T big.bin \
			"$LFS_URL/big/info/lfs/objects/$BIG" &
		cpid=$!
		POLL_TRIES=600 test_poll tmp_has_at_least '$off' &&
		in_tmp_iff_named &&
		kill -9 $LFS_PID &&
		test_poll server_gone;
		rc=$?
		kill $cpid 2>/dev/null
		wait $cpid
		test $rc = 0
	'
	kill9_lfs_server
	kills=$((kills + 1))
	start
	test_expect_success "after the kill at $off: consistent, the upload left nothing" '
		server_started &&
		check_store &&
		! held big $BIG big.bin
	'
	kill9_lfs_server
done

# --- the group commit: uploads that finish together share one round of
# directory fsyncs (store) and one transaction for their rows (meta).  The
# server dies at a round reached only after three uploads, one at a time,
# were answered, while a burst of eight is in flight: the 4th commit, or
# the 10th directory fsync (each of the three makes two or three: its new
# objects/ab/cd, objects/ab and, for a new ab, objects/).  Every upload
# that got its 200 must be held after the restart; the others may or may
# not be.
g=0
for spec in store-group-synced:10 meta-rows-written:4 meta-group-committed:4; do
	point=${spec%:*}
	g=$((g + 1))
	for i in $(seq 11); do
		make_file g$g-$i.bin $((1000 + i * 97 + g)) group$g-$i
	done
	LFS_FAULT=$spec start
	test_expect_success "$point: three uploads answered, then the server dies in a burst of eight" '
		server_started &&
		for i in 1 2 3; do
			oid=$(sha256_of g'$g'-$i.bin) &&
			auth=$(token upload g $oid $(stat -c %s g'$g'-$i.bin)) &&
			test "$(http_status PUT "$LFS_URL/g/info/lfs/objects/$oid" -H "Authorization: $auth" \
				-T g'$g'-$i.bin)" = 200 || return 1
			echo 200 >code'$g'-$i
		done &&
		for i in 4 5 6 7 8 9 10 11; do
			oid=$(sha256_of g'$g'-$i.bin) &&
			auth=$(token upload g $oid $(stat -c %s g'$g'-$i.bin)) &&
			{ curl -s -o /dev/null -w "%{http_code}" -H "Authorization: $auth" -T g'$g'-$i.bin \
				"$LFS_URL/g/info/lfs/objects/$oid" >code'$g'-$i & } || return 1
		done
		wait
		test_poll server_gone
	'
	kill9_lfs_server
	kills=$((kills + 1))
	start
	test_expect_success "$point: consistent after restart; every answered upload is held" '
		server_started &&
		check_store &&
		acked=0 &&
		for i in $(seq 11); do
			grep -qx 200 code'$g'-$i || continue
			acked=$((acked + 1))
			held g "$(sha256_of g'$g'-$i.bin)" g'$g'-$i.bin ||
				{ echo "g'$g'-$i.bin was answered 200 but is not held" >&2; return 1; }
		done &&
		test $acked -ge 3
	'
	kill9_lfs_server
done

start
test_expect_success "$kills kill points; then the large upload completes and is downloadable" '
	test '$kills' -ge 10 &&
	server_started &&
	auth=$(token upload big $BIG $BIG_SIZE) &&
	test "$(http_status PUT "$LFS_URL/big/info/lfs/objects/$BIG" -H "Authorization: $auth" -T big.bin)" = 200 &&
	held big $BIG big.bin &&
	curl -sS -o got "$LFS_URL/big/info/lfs/objects/$BIG" &&
	test_cmp big.bin got &&
	check_store &&
	test "$(sqlite3 "$DATA/meta.db" "SELECT count(*) FROM journal WHERE repo IN ('"'r'"', '"'big'"')")" = 4
'

stop_rc
test_expect_success 'SIGTERM: the server stops cleanly' '
	stopped_cleanly
'

test_done
