#!/bin/bash
test_description='locks through lfs-cgi under Apache: git-lfs lock, locks, unlock; 50 concurrent lock requests for one path, one CGI process each: exactly one winner'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-apache.sh"
. "$TEST_ROOT/tests/integration/lib-cgi-apache.sh"

[ -x "$BIN/lfs-cgi" ] || { echo "Bail out! no $BIN/lfs-cgi (make cgi)"; exit 1; }
git lfs install --skip-repo >/dev/null || { echo "Bail out! git lfs install failed"; exit 1; }

start_cgi_service '[repo "tock/*"]' '	read = *' '	write = alice bob' ||
	{ echo "Bail out! the CGI service did not start"; exit 1; }
ALICE=$(cgi_creds alice) && BOB=$(cgi_creds bob) || { echo "Bail out! credentials"; exit 1; }
ENDPOINT="$CGI_URL/tock/game.git/info/lfs"

# server_locks: "path owner" lines, as the CGI lists them.
server_locks() {
	curl -sS -f -u alice:alice-pw -H "Accept: $LFS_TYPE" "$ENDPOINT/locks" |
		jq -r '.locks[] | "\(.path) \(.owner.name)"' | sort
}

test_expect_success 'setup: alice publishes a lockable file' '
	git init -q --bare origin.git &&
	git init -q alice && (
		cd alice &&
		git remote add origin ../origin.git &&
		git config lfs.url "$ENDPOINT" &&
		git config credential.helper "store --file=$ALICE" &&
		git lfs track --lockable "*.bin" >/dev/null &&
		printf "level one" >map.bin &&
		git add .gitattributes map.bin && git commit -q -m maps &&
		git push -q origin main
	) &&
	git clone -q -c lfs.url="$ENDPOINT" -c credential.helper="store --file=$BOB" origin.git bob
'

test_expect_success 'git lfs lock through the CGI' '
	(cd alice && git lfs lock map.bin) &&
	[ "$(server_locks)" = "map.bin alice" ]
'

test_expect_success 'git lfs locks lists it, for bob too' '
	(cd bob && git lfs locks) >out &&
	grep "^map.bin[[:space:]]*alice[[:space:]]*ID:" out
'

test_expect_success 'bob cannot take it' '
	! (cd bob && git lfs lock map.bin) 2>err &&
	[ "$(server_locks)" = "map.bin alice" ]
'

test_expect_success 'git lfs unlock through the CGI' '
	(cd alice && git lfs unlock map.bin) &&
	test_must_be_empty <(server_locks)
'

test_expect_success '50 concurrent lock requests for one path: one 201, 49 409' '
	for i in $(seq 1 50); do
		u=alice; [ $((i % 2)) = 0 ] && u=bob
		curl -sS -o "race-$i.json" -w "%{http_code}\n" -u "$u:$u-pw" \
			-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" \
			-d "{\"path\":\"race.bin\"}" "$ENDPOINT/locks" >"race-$i.code" &
	done &&
	wait &&
	cat race-*.code | sort | uniq -c | sed "s/^ *//" >codes &&
	printf "1 201\n49 409\n" >expect && test_cmp expect codes
'

test_expect_success 'the loser answers name the winner; the server holds exactly one lock' '
	winner=$(jq -r ".lock.owner.name" $(grep -l 201 race-*.code | sed "s/code$/json/")) &&
	for f in $(grep -l 409 race-*.code | sed "s/code$/json/"); do
		[ "$(jq -r ".lock.owner.name" "$f")" = "$winner" ] || exit 1
	done &&
	[ "$(server_locks)" = "race.bin $winner" ]
'

test_expect_success 'nothing of ours is left running' '
	test_poll eval "[ -z \"\$(cgi_procs)\" ]"
'

test_done
