#!/bin/bash
test_description='lfs-hooks trusts no server: credentials stay on the endpoint, server text is defanged'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-hooks.sh"

nolfs_path

# hostile-lfs.py: one process, two ports (home: the endpoint; other: a
# host:port that must never see the user's credentials).
mkdir -p hostile/objects
/usr/bin/python3 "$TEST_ROOT/tests/integration/hostile-lfs.py" "$TRASH/hostile" alice s3cret-pw &
HOSTILE_PID=$!
test_atexit "kill $HOSTILE_PID 2>/dev/null; wait $HOSTILE_PID 2>/dev/null"
test_poll test -s hostile/ports
read -r HOME_PORT OTHER_PORT <hostile/ports
HOME_URL=http://127.0.0.1:$HOME_PORT
SECRET_B64=$(printf 'alice:s3cret-pw' | base64)

# Fresh credentials for the endpoint (a 401 makes git's store forget them).
fresh_creds() {
	printf 'http://alice:s3cret-pw@127.0.0.1:%s\n' "$HOME_PORT" >"$TRASH/creds"
}

lfs_in() { (cd "$1" && shift && lfs-hooks "$@"); }

# Number of requests logged so far; the requests after such a mark.
mark() { wc -l <hostile/log; }
since() { tail -n +"$(($1 + 1))" hostile/log; }

test_expect_success 'setup: a repository with one LFS file, a clone without it' '
	test -n "$HOME_PORT" && test -n "$OTHER_PORT" &&
	: >>hostile/log &&
	git init -q --bare remote.git &&
	git init -q work && (
		cd work &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.a" >/dev/null &&
		git remote add origin "$TRASH/remote.git" &&
		git config credential.helper "store --file=$TRASH/creds" &&
		make_file lib.a 100000 lib &&
		git add . &&
		git commit -q -m lib
	) &&
	oid=$(sha256_of work/lib.a) &&
	cp work/lib.a "hostile/objects/$oid" &&
	git clone -q work dl &&
	git -C dl config credential.helper "store --file=$TRASH/creds" &&
	git -C dl cat-file blob HEAD:lib.a >pointer &&
	grep -q "^oid sha256:$oid" pointer
'

# check_case TRICK 'PATTERN OTHER MUST HAVE SEEN': home got the
# credentials for the batch, other got its request without them.
check_case() {
	since $m >seen && cat seen &&
	grep -q "^home POST /$1/info/lfs/objects/batch Basic $SECRET_B64\$" seen &&
	grep -q "^other $2" seen &&
	! grep "^other .*Basic" seen &&
	! grep "^other .*$SECRET_B64" hostile/log
}

push_case() {
	test_expect_success "push, $1: $2 gets no credentials" '
		fresh_creds &&
		git -C work config lfs.url "$HOME_URL/'"$1"'/info/lfs" &&
		m=$(mark) &&
		(cd work && lfs-hooks push origin main) >out 2>err;
		cat err &&
		check_case '"$1"' "'"$3"'"
	'
}

fetch_case() {
	test_expect_success "download, $1: $2 gets no credentials" '
		fresh_creds &&
		git -C dl config lfs.url "$HOME_URL/'"$1"'/info/lfs" &&
		rm -rf dl/.git/lfs/objects &&
		m=$(mark) &&
		(cd dl && lfs-hooks fetch) >out 2>err;
		cat err &&
		check_case '"$1"' "'"$3"'"
	'
}

push_case verify-other 'the verify href on another port' 'POST /verify '
push_case upload-other 'the upload href on another port' 'PUT /up/'
push_case verify-redirect 'a verify redirected to another port' 'POST /verify '
fetch_case dl-other 'the download href on another port' 'GET /dl/'
fetch_case dl-redirect 'a download redirected to another port' 'GET /dl/'
fetch_case batch-redirect 'a batch redirected to another port' 'POST /batch-redirect/info/lfs/objects/batch '

test_expect_success 'a batch redirected away that answers 401: the stored credentials are not rejected' '
	fresh_creds &&
	git -C dl config lfs.url "$HOME_URL/batch-redirect/info/lfs" &&
	rm -rf dl/.git/lfs/objects &&
	test_must_fail lfs_in dl fetch 2>err &&
	cat err &&
	grep "redirected to another host" err &&
	grep "alice:s3cret-pw@127.0.0.1:$HOME_PORT" creds
'

test_expect_success 'download on the endpoint itself carries the credentials (control)' '
	fresh_creds &&
	git -C dl config lfs.url "$HOME_URL/dl-home/info/lfs" &&
	rm -rf dl/.git/lfs/objects &&
	m=$(mark) &&
	(cd dl && lfs-hooks fetch) &&
	oid=$(sha256_of work/lib.a) &&
	since $m >seen && cat seen &&
	grep -q "^home GET /dl/$oid Basic $SECRET_B64\$" seen &&
	cmp work/lib.a "$(obj_path dl/.git/lfs "$oid")"
'

test_expect_success 'bad bytes from an href on another host: the warning names that host, not the server' '
	fresh_creds &&
	git -C dl config lfs.url "$HOME_URL/dl-bad-other/info/lfs" &&
	git -C dl config lfs.transfer.maxretries 0 &&
	rm -rf dl/.git/lfs/objects &&
	test_must_fail lfs_in dl fetch 2>err &&
	cat err &&
	grep "from http://127.0.0.1:$OTHER_PORT .*corrupt" err &&
	! grep "from $HOME_URL.*corrupt" err &&
	test_path_is_missing "$(obj_path dl/.git/lfs "$(sha256_of work/lib.a)")"
'

tmp_has_bytes() {
	test -n "$(find dl/.git/lfs/tmp -name "obj-*" -size +0 2>/dev/null)"
}

# (TERM, not INT: a shell without job control starts background
# commands with SIGINT ignored.)
test_expect_success 'a download interrupted mid-object: its partial file goes at the next run' '
	fresh_creds &&
	git -C dl config lfs.url "$HOME_URL/dl-stall/info/lfs" &&
	rm -rf dl/.git/lfs/objects dl/.git/lfs/tmp || exit 1
	(cd dl && exec lfs-hooks fetch) 2>/dev/null &
	pid=$!
	test_poll tmp_has_bytes &&
	kill -TERM $pid &&
	{ wait $pid; true; } &&
	tmp_has_bytes &&
	git -C dl config lfs.url "$HOME_URL/dl-home/info/lfs" &&
	(cd dl && lfs-hooks fetch) &&
	cmp work/lib.a "$(obj_path dl/.git/lfs "$(sha256_of work/lib.a)")" &&
	test -z "$(ls dl/.git/lfs/tmp)"
'

# No byte of a server message reaches the terminal as a control character.
no_controls() {
	! LC_ALL=C grep -q "[[:cntrl:]]" "$1"
}

test_expect_success 'per-object error messages: control characters replaced' '
	fresh_creds &&
	git -C dl config lfs.url "$HOME_URL/ansi/info/lfs" &&
	rm -rf dl/.git/lfs/objects &&
	test_must_fail lfs_in dl fetch 2>err &&
	cat -A err &&
	grep -q gotcha err &&
	no_controls err
'

test_expect_success 'an HTTP error message: control characters replaced' '
	fresh_creds &&
	git -C dl config lfs.url "$HOME_URL/ansi-status/info/lfs" &&
	test_must_fail lfs_in dl fetch 2>err &&
	cat -A err &&
	grep -q "HTTP 500" err &&
	grep -q gotcha err &&
	no_controls err
'

test_expect_success 'a committed lfs.pushurl = file://... is refused: pushes are not diverted' '
	git init -q --bare diverted.git &&
	git init -q --bare remote2.git &&
	git init -q commit-url && (
		cd commit-url &&
		lfs-hooks install >/dev/null &&
		lfs-hooks track "*.a" >/dev/null &&
		git config -f .lfsconfig lfs.pushurl "file://$TRASH/diverted.git" &&
		git remote add origin "$TRASH/remote2.git" &&
		make_file big.a 50000 big &&
		git add . &&
		git commit -q -m big &&
		git push -q origin main 2>../err
	) &&
	cat err &&
	grep "ignoring lfs.pushurl" err &&
	oid=$(sha256_of commit-url/big.a) &&
	cmp commit-url/big.a "$(obj_path remote2.git/lfs "$oid")" &&
	test_path_is_missing diverted.git/lfs
'

test_expect_success 'the same file:// URL in the user'"'"'s own git config: taken' '
	(
		cd commit-url &&
		git config remote.backup.url "file://$TRASH/diverted.git" &&
		make_file big2.a 50000 big2 &&
		git add . &&
		git commit -q -m big2 &&
		git push -q origin main 2>../err
	) &&
	cat err &&
	! grep "ignoring" err &&
	oid=$(sha256_of commit-url/big2.a) &&
	cmp commit-url/big2.a "$(obj_path diverted.git/lfs "$oid")"
'

test_done
