#!/bin/bash
test_description='unlock --force: an owner may force her own lock without admin; someone else'\''s still needs admin'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# alice and bob write tock/*, carol administers it.  git-lfs asks for
# --force whenever the locked file has local changes, so an owner who
# edited her file could not release her own lock.

htpasswd -B -C 4 -bc users alice alice-pw 2>/dev/null &&
htpasswd -B -C 4 -b users bob bob-pw 2>/dev/null &&
htpasswd -B -C 4 -b users carol carol-pw 2>/dev/null &&
cat >server.cfg <<EOF || { echo "Bail out! cannot write the config"; exit 1; }
[auth]
	users = $TRASH/users
[repo "tock/*"]
	write = alice bob
	admin = carol
EOF

start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start"; exit 1; }
LFS_ENDPOINT="$LFS_URL/tock/game.git/info/lfs"
HOSTPORT=${LFS_URL#http://}
printf 'http://alice:alice-pw@%s\n' "$HOSTPORT" >creds-alice

lock() {
	curl -sS -o body -w "%{http_code}" -u "$1:$1-pw" -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"path\":\"$2\"}" "$LFS_ENDPOINT/locks"
}
unlock() {
	curl -sS -o body -w "%{http_code}" -u "$1:$1-pw" -H "Content-Type: $LFS_TYPE" \
		--data-binary "{\"force\":$3}" "$LFS_ENDPOINT/locks/$2/unlock"
}
paths() {
	curl -sS -f -u carol:carol-pw "$LFS_ENDPOINT/locks" | jq -r '.locks[].path' | sort
}

# Rows: locker | path | unlocker | force | status | lock left afterwards?
while IFS='|' read -r locker path unlocker force want left; do
	test_expect_success "$locker's lock, $unlocker unlocks with force=$force: $want" '
		test "$(lock "$locker" "$path")" = 201 &&
		id=$(jq -r .lock.id body) &&
		code=$(unlock "$unlocker" "$id" "$force") &&
		{ test "$code" = "$want" || { echo "status $code: $(cat body)" >&2; false; }; } &&
		jq -e ".message // .lock.id | type == \"string\"" body &&
		if [ "$left" = yes ]; then
			paths | grep -qx "$path" && test "$(unlock carol "$id" true)" = 200
		else
			jq -e ".lock.id == \"$id\" and .lock.owner.name == \"$locker\"" body &&
			! paths | grep -qx "$path"
		fi
	'
done <<'ROWS'
alice|own-force.bin|alice|true|200|no
alice|own-plain.bin|alice|false|200|no
alice|other-force.bin|bob|true|403|yes
alice|other-plain.bin|bob|false|403|yes
alice|admin-force.bin|carol|true|200|no
alice|admin-plain.bin|carol|false|403|yes
ROWS

test_expect_success 'force on a lock that does not exist: 404, for writers and admins' '
	test "$(unlock alice 0123456789abcdef0123456789abcdef true)" = 404 &&
	test "$(unlock carol 0123456789abcdef0123456789abcdef true)" = 404
'

test_expect_success 'git-lfs: alice edits her locked file; plain unlock refuses, unlock --force releases it' '
	git lfs install --skip-repo &&
	git init -q --bare origin.git &&
	git init -q alice &&
	(
		cd alice &&
		git remote add origin ../origin.git &&
		git config lfs.url "$LFS_ENDPOINT" &&
		git config credential.helper "store --file=$TRASH/creds-alice" &&
		git lfs track --lockable "*.bin" &&
		make_file a.bin 3000 seed-a &&
		git add .gitattributes a.bin &&
		git commit -q -m first &&
		git push -q origin main &&
		git lfs lock a.bin &&
		make_file a.bin 3001 seed-changed &&
		test_must_fail git lfs unlock a.bin >../plain.out 2>&1 &&
		git lfs unlock --force a.bin
	) &&
	cat plain.out &&
	! paths | grep -qx a.bin
'

test_expect_success 'the server stops cleanly' '
	stop_lfs_server
'

test_done
