#!/bin/bash
test_description='a data dir of the first release (tests/fixtures/datadir-v1) is served in full by this server'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

FIX="$TEST_ROOT/tests/fixtures"
MANIFEST="$FIX/datadir-v1.manifest"
cp -R "$FIX/datadir-v1" "$DATA" && chmod 600 "$DATA/secret" &&
cp "$FIX/datadir-v1.htpasswd" users || { echo "Bail out! cannot copy the fixture"; exit 1; }
# The same rules as make-datadir-v1.sh (valid under old and new ACL rules).
cat >server.cfg <<CFG
[auth]
	users = $TRASH/users
[journal]
	readers = *
[repo "tock/*"]
	read = *
	write = alice
	mirror = true
[repo "private/*"]
	read = bob
	write = bob
[repo "bob/*"]
	read = bob
	write = bob
CFG

schema_version() {
	sqlite3 "$1" "PRAGMA user_version"
}

# The newest schema version: what this server gives a new data dir.
DATA="$TRASH/fresh" start_lfs_server --config server.cfg &&
stop_lfs_server || { echo "Bail out! lfs-server did not start on an empty data dir"; exit 1; }
NEWEST=$(schema_version "$TRASH/fresh/meta.db")

test_expect_success 'the fixture is of schema version 3, not newer than this server' '
	test "$(schema_version "$DATA/meta.db")" = 3 &&
	test "$NEWEST" -ge 3
'

start_lfs_server --config server.cfg || { echo "Bail out! lfs-server did not start on the fixture"; exit 1; }

test_expect_success 'the schema was migrated to the newest version' '
	test "$(schema_version "$DATA/meta.db")" = "$NEWEST"
'

# One TAP line per object row of the manifest: batch download as the
# repo's reader, then GET the href; the bytes must hash to the oid.
while read -r kind repo oid size content; do
	[ "$kind" = object ] || continue
	case "$repo" in
	tock/*) user=alice ;;
	*) user=bob ;;
	esac
	test_expect_success "$repo serves $oid ($content)" '
		code=$(batch "$repo.git" "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":$size}]}" -u $user:$user) &&
		test "$code" = 200 &&
		href=$(jq -r ".objects[0].actions.download.href" "$TRASH/body") &&
		auth=$(jq -r ".objects[0].actions.download.header.Authorization // empty" "$TRASH/body") &&
		if test -n "$auth"; then
			code=$(http_status GET "$href" -H "Authorization: $auth")
		else
			code=$(http_status GET "$href")
		fi &&
		test "$code" = 200 &&
		test "$(sha256_of "$TRASH/body")" = "$oid" &&
		test "$(wc -c <"$TRASH/body")" = "$size" &&
		printf "%s\n" "$content" | cmp - "$TRASH/body"
	'
done <"$MANIFEST"

test_expect_success 'repo membership is kept: a private object is not in the public repo' '
	oid=$(awk "\$1 == \"object\" && \$2 == \"private/secret\" && \$5 == \"only\" { print \$3 }" "$MANIFEST") &&
	test -n "$oid" &&
	batch tock/libtock-c "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":23}]}" -u alice:alice &&
	test "$(jq -r ".objects[0].error.code" "$TRASH/body")" = 404
'

for repo in tock/libtock-c private/secret; do
	test_expect_success "the locks of $repo are listed with their ids, paths and owners" '
		user=$(awk "\$1 == \"lock\" && \$2 == \"$repo\" { print \$4; exit }" "$MANIFEST") &&
		code=$(http_status GET "$LFS_URL/$repo.git/info/lfs/locks" -u $user:$user -H "Accept: $LFS_TYPE") &&
		test "$code" = 200 &&
		jq -r ".locks[] | \"lock $repo \(.id) \(.owner.name) \(.path)\"" "$TRASH/body" | sort >actual &&
		grep "^lock $repo " "$MANIFEST" | sort >expect &&
		test_cmp expect actual
	'
done

test_expect_success 'the mirror feed lists its entries, in order, with their seqs' '
	code=$(http_status GET "$LFS_URL/_lfs/journal?after=0&limit=100") &&
	test "$code" = 200 &&
	jq -r ".entries[] | \"feed \(.seq) \(.oid) \(.size)\"" "$TRASH/body" >actual &&
	grep "^feed " "$MANIFEST" >expect &&
	test_cmp expect actual &&
	test "$(jq -r .next "$TRASH/body")" = null
'

test_expect_success 'a new upload to a mirrored repo joins the feed after the old entries' '
	make_file new.bin 3000 new &&
	lfs_upload tock/kernel new.bin -u alice:alice &&
	http_status GET "$LFS_URL/_lfs/journal?after=4&limit=100" >/dev/null &&
	test "$(jq -r ".entries | length" "$TRASH/body")" = 1 &&
	test "$(jq -r ".entries[0].seq" "$TRASH/body")" -gt 4 &&
	test "$(jq -r ".entries[0].oid" "$TRASH/body")" = "$(sha256_of new.bin)"
'

test_expect_success 'lfs-admin fsck is clean on the upgraded data dir' '
	"$BIN/lfs-admin" --data "$DATA" fsck >out 2>err &&
	grep -q "^fsck: 7 objects .* 8 journal rows, 5 feed rows, 0 orphans: 0 problems$" out
'

test_expect_success 'lfs-admin uploads lists the old rows with their users, then the new one' '
	"$BIN/lfs-admin" --data "$DATA" uploads >out &&
	cut -f3,4,6 out >actual &&
	{ awk "\$1 == \"object\" { u = (\$2 ~ /^tock/) ? \"alice\" : \"bob\"; printf \"%s\t%s\t%s\n\", \$2, u, \$3 }" "$MANIFEST" &&
	  printf "tock/kernel\talice\t%s\n" "$(sha256_of new.bin)"; } >expect &&
	test_cmp expect actual
'

test_expect_success 'server stops cleanly' 'stop_lfs_server'

start_lfs_server --config server.cfg || { echo "Bail out! no second start"; exit 1; }
test_expect_success 'a second start finds nothing to migrate' '
	! grep -q "schema migrated" "$LFS_LOG" &&
	test "$(schema_version "$DATA/meta.db")" = "$NEWEST"
'
test_expect_success 'server stops cleanly again' 'stop_lfs_server'

test_expect_success 'a data dir of a newer schema is refused with a clear error, and left alone' '
	cp -R "$FIX/datadir-v1" newer && chmod 600 newer/secret &&
	sqlite3 newer/meta.db "PRAGMA user_version = $((NEWEST + 1))" &&
	test_expect_code 1 timeout 20 "$BIN/lfs-server" --listen 127.0.0.1:0 --data newer 2>err &&
	grep -q "schema version $((NEWEST + 1)), newer than this lfs-server" err &&
	test "$(schema_version newer/meta.db)" = $((NEWEST + 1))
'

test_done
