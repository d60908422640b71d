#!/bin/bash
test_description='the LFS service as a CGI under Apache (lfs-cgi install, stock userdir + CGI): git-lfs push and clone of a libtock-shaped repo, public objects served as static files, no process between requests; a private repo stays out of the static tree'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-apache.sh"
. "$TEST_ROOT/tests/integration/lib-cgi-apache.sh"

[ -x "$BIN/lfs-cgi" ] || { echo "Bail out! no $BIN/lfs-cgi (make cgi)"; exit 1; }
git lfs install --skip-repo >/dev/null || { echo "Bail out! git lfs install failed"; exit 1; }

ARCHS="cortex-m0 cortex-m4 rv32imc"
TOOLCHAINS="gcc-12.2 gcc-13.2"
SIZE=5000000

start_cgi_service '[repo "tock/*"]' '	read = *' '	write = alice' \
	'[repo "tock/private-*"]' '	read = rita' '	write = alice' ||
	{ echo "Bail out! the CGI service did not start"; exit 1; }
ALICE=$(cgi_creds alice) && RITA=$(cgi_creds rita) && BOB=$(cgi_creds bob) ||
	{ echo "Bail out! credentials"; exit 1; }
ENDPOINT="$CGI_URL/tock/libtock-c.git/info/lfs"

# make_libs RELEASE DIR: one libtock.a per toolchain and architecture; the
# second release rebuilds only with the newer toolchain.
make_libs() {
	for tc in $TOOLCHAINS; do
		for arch in $ARCHS; do
			seed="$1-$tc-$arch"
			[ "$1" = v2 ] && [ "$tc" = gcc-12.2 ] && seed="v1-$tc-$arch"
			mkdir -p "$2/lib/$tc/$arch" &&
			make_file "$2/lib/$tc/$arch/libtock.a" $SIZE "$seed" || return 1
		done
	done
}
same_libs() {
	for tc in $TOOLCHAINS; do
		for arch in $ARCHS; do
			cmp "$1/lib/$tc/$arch/libtock.a" "$TRASH/$2/lib/$tc/$arch/libtock.a" || return 1
		done
	done
}
all_oids() {
	for r in v1 v2; do
		for tc in $TOOLCHAINS; do
			for arch in $ARCHS; do sha256_of "$r/lib/$tc/$arch/libtock.a"; done
		done
	done | sort -u
}
no_cgi_left() {
	[ -z "$(cgi_procs)" ]
}

test_expect_success 'setup: two releases, 3 architectures x 2 toolchains, a bare remote' '
	make_libs v1 v1 && make_libs v2 v2 &&
	[ "$(all_oids | wc -l)" = 9 ] &&
	git init -q --bare libtock-c.git
'

test_expect_success 'alice pushes both tags through the CGI' '
	git init -q work && (
		cd work &&
		git lfs track "*.a" >/dev/null &&
		git config -f .lfsconfig lfs.url "$ENDPOINT" &&
		git config credential.helper "store --file=$ALICE" &&
		git remote add origin "$TRASH/libtock-c.git" &&
		cp -r ../v1/lib . && git add .gitattributes .lfsconfig lib &&
		git commit -q -m "release 1" && git tag v1 &&
		cp -r ../v2/lib . && git add lib && git commit -q -m "release 2" && git tag v2 &&
		git push -q origin main v1 v2
	)
'

test_expect_success 'every object is in the data store and, the repo being public, in the static tree' '
	for oid in $(all_oids); do
		cmp "$(obj_path "$CGI_DATA" $oid)" "$(obj_path "$CGI_PUBLIC" $oid)" || exit 1
	done &&
	[ "$(find "$CGI_PUBLIC/objects" -type f | wc -l)" = 9 ]
'

test_expect_success 'no process of ours runs between requests' '
	test_poll no_cgi_left
'

test_expect_success 'an anonymous clone gets both releases byte for byte' '
	git clone -q libtock-c.git clone &&
	same_libs clone v2 &&
	git -C clone checkout -q v1 && same_libs clone v1
'

test_expect_success 'Apache served every object as a static file, none through the CGI' '
	for oid in $(all_oids); do
		cgi_static_gets $oid >/dev/null || { echo "no static GET of $oid" >&2; exit 1; }
	done &&
	! grep "GET /~tock/lfs/lfs-server.cgi/[^ ]*/objects/[0-9a-f]" "$APACHE_ACCESS_LOG" &&
	grep -c "POST /~tock/lfs/lfs-server.cgi/tock/libtock-c.git/info/lfs/objects/batch" "$APACHE_ACCESS_LOG"
'

test_expect_success 'and nothing of ours is left running after the clone' '
	test_poll no_cgi_left
'

make_file fw.bin 300000 private-fw
FW=$(sha256_of fw.bin)
FWSIZE=$(wc -c <fw.bin)
test_expect_success 'alice uploads to a private repo through the CGI' '
	lfs_upload tock/private-fw fw.bin -u alice:alice-pw &&
	cmp fw.bin "$(obj_path "$CGI_DATA" $FW)"
'

DL="{\"operation\":\"download\",\"objects\":[{\"oid\":\"$FW\",\"size\":$FWSIZE}]}"
test_expect_success 'private repo: anonymous gets 401 with LFS-Authenticate' '
	[ "$(batch tock/private-fw "$DL")" = 401 ] &&
	tr -d "\r" <headers | grep -i "^LFS-Authenticate: Basic"
'

test_expect_success 'private repo: a stranger gets 404' '
	[ "$(batch tock/private-fw "$DL" -u bob:bob-pw)" = 404 ]
'

test_expect_success 'private repo: the reader downloads through the CGI, not the static tree' '
	[ "$(batch tock/private-fw "$DL" -u rita:rita-pw)" = 200 ] &&
	href=$(jq -r ".objects[0].actions.download.href" body) &&
	case "$href" in "$CGI_URL"/*) ;; *) echo "href $href" >&2; exit 1 ;; esac &&
	auth=$(jq -r ".objects[0].actions.download.header.Authorization // empty" body) &&
	if [ -n "$auth" ]; then curl -sSf -H "Authorization: $auth" -o got "$href"
	else curl -sSf -u rita:rita-pw -o got "$href"; fi &&
	cmp got fw.bin
'

test_expect_success 'private repo: nothing of it is in the static tree, nor fetchable there' '
	test_path_is_missing "$(obj_path "$CGI_PUBLIC" $FW)" &&
	[ "$(http_status GET "$(obj_path "$CGI_BASE" $FW)")" = 404 ]
'

test_expect_success 'a public repo answers anonymous downloads with static hrefs' '
	oid=$(all_oids | head -n1) &&
	[ "$(batch tock/libtock-c "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$oid\",\"size\":$SIZE}]}")" = 200 ] &&
	[ "$(jq -r ".objects[0].actions.download.href" body)" = "$(obj_path "$CGI_BASE" $oid)" ]
'

test_expect_success 'nothing of ours is left running' '
	test_poll no_cgi_left
'

test_done
