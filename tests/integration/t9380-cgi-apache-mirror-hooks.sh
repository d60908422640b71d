#!/bin/bash
test_description='the CGI-hosted service with the project'"'"'s own tools: lfs-hooks pushes and clones through it, lfs-mirror syncs and verifies from it (mirrored objects only)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-apache.sh"
. "$TEST_ROOT/tests/integration/lib-cgi-apache.sh"

[ -x "$BIN/lfs-cgi" ] || { echo "Bail out! no $BIN/lfs-cgi (make cgi)"; exit 1; }
PATH="$BIN:$PATH"
export PATH

start_cgi_service '[repo "tock/*"]' '	read = *' '	write = alice' '	mirror = true' \
	'[repo "tock/private-*"]' '	read = rita' '	write = alice' \
	'[journal]' '	readers = *' ||
	{ echo "Bail out! the CGI service did not start"; exit 1; }
ALICE=$(cgi_creds alice) || { echo "Bail out! credentials"; exit 1; }
M="$TRASH/mirror"

for f in a b c d; do make_file "$f.a" 200000 "cgi-hooks-$f"; done
make_file secret.bin 3000 cgi-hooks-secret

test_expect_success 'lfs-hooks pushes three libraries through the CGI' '
	git init -q --bare app.git &&
	git init -q work && (
		cd work &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.a" >/dev/null &&
		git config -f .lfsconfig lfs.url "$CGI_URL/tock/app.git/info/lfs" &&
		git config credential.helper "store --file=$ALICE" &&
		git remote add origin "$TRASH/app.git" &&
		cp ../a.a ../b.a ../c.a . &&
		git add . && git commit -q -m libs &&
		git push -q origin main
	) &&
	for f in a b c; do
		cmp $f.a "$(obj_path "$CGI_DATA" "$(sha256_of $f.a)")" &&
		cmp $f.a "$(obj_path "$CGI_PUBLIC" "$(sha256_of $f.a)")" || exit 1
	done
'

test_expect_success 'a fresh clone with lfs-hooks gets them from the static tree' '
	git clone -q app.git clone &&
	(cd clone && lfs-hooks install >/dev/null) &&
	for f in a b c; do
		cmp $f.a clone/$f.a && cgi_static_gets "$(sha256_of $f.a)" >/dev/null || exit 1
	done
'

test_expect_success 'setup: an object of a private repo' '
	lfs_upload tock/private-x secret.bin -u alice:alice-pw
'

test_expect_success 'lfs-mirror sync from the CGI brings exactly the mirrored objects' '
	lfs-mirror sync --from "$CGI_URL" --to "$M" >out 2>err &&
	grep "^synced 3 objects (600000 bytes)" out &&
	(cd "$M" && find objects -type f | sort) >actual &&
	for f in a b c; do
		h=$(sha256_of $f.a) && echo "objects/${h:0:2}/${h:2:2}/$h"
	done | sort >expect &&
	test_cmp expect actual &&
	for f in a b c; do cmp $f.a "$(obj_path "$M" "$(sha256_of $f.a)")" || exit 1; done
'

test_expect_success 'a new push, then sync again: only the new object comes' '
	(cd work && cp ../d.a . && git add d.a && git commit -q -m more && git push -q origin main) &&
	lfs-mirror sync --from "$CGI_URL" --to "$M" >out 2>err &&
	grep "^synced 1 objects\? (200000 bytes)" out &&
	cmp d.a "$(obj_path "$M" "$(sha256_of d.a)")" &&
	test_path_is_missing "$(obj_path "$M" "$(sha256_of secret.bin)")"
'

test_expect_success 'lfs-mirror verify against the CGI finds the mirror sound' '
	lfs-mirror verify "$M" --from "$CGI_URL" >out 2>&1 || { cat out; exit 1; }
'

test_expect_success 'nothing of ours is left running' '
	test_poll eval "[ -z \"\$(cgi_procs)\" ]"
'

test_done
