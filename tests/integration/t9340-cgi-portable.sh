#!/bin/bash
test_description='lfs-cgi is portable: nothing but glibc at run time, glibc 2.34 at most, runs with an empty environment from anywhere'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-cgi.sh"

# A university web host runs another distribution without our libraries:
# build/bin/lfs-cgi (make cgi) links everything but glibc statically, and
# no HTTP server or client library at all (docs/architecture.md, "CGI
# mode").  The oldest glibc it needs is documented; this checks it.
CGI=$BIN/lfs-cgi
GLIBC_MAX=2.34

test_expect_success 'ldd shows only glibc (libc, libm, the loader, the vDSO)' '
	ldd "$CGI" >ldd.out &&
	cat ldd.out &&
	! grep -vE "^[[:space:]]*(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|(libc|libm|libpthread|libdl|librt)\.so\.[0-9]+ =>)" ldd.out &&
	! grep -E "not found" ldd.out
'

test_expect_success "no glibc symbol newer than $GLIBC_MAX" '
	objdump -T "$CGI" | grep -o "GLIBC_[0-9][0-9.]*" | sed s/GLIBC_// | sort -uV >versions &&
	test_file_not_empty versions &&
	newest=$(tail -n 1 versions) &&
	[ "$(printf "%s\n%s\n" "$newest" $GLIBC_MAX | sort -V | tail -n 1)" = $GLIBC_MAX ] ||
	{ echo "needs glibc $newest" >&2; false; }
'

test_expect_success 'no HTTP server or client library inside' '
	! nm "$CGI" | grep -E " [TtU] (MHD_|curl_)"
'

test_expect_success 'a copy in a fresh directory runs with an empty environment' '
	mkdir fresh && cp "$CGI" fresh/lfs-server.cgi && cd fresh &&
	env -i ./lfs-server.cgi --version >out &&
	grep "^lfs-cgi " out
'

: >users
add_user users alice alice-pw || { echo "Bail out! htpasswd failed"; exit 1; }
printf '[server]\n\tdata = %s\n[auth]\n\tusers = %s\n[repo "pub/*"]\n\tread = *\n\twrite = alice\n' \
	"$TRASH/data" "$TRASH/users" >cgi.cfg

test_expect_success 'the copy serves a request with nothing but the CGI variables, from another directory' '
	mkdir -p pub/lfs/objects elsewhere &&
	cp "$CGI" pub/lfs/lfs-server.cgi &&
	(cd elsewhere && printf "%s" "{\"operation\":\"download\",\"objects\":[{\"oid\":\"$(printf %064d 1)\",\"size\":1}]}" >body &&
	 env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST PATH_INFO=/pub/a.git/info/lfs/objects/batch \
		CONTENT_TYPE=application/vnd.git-lfs+json CONTENT_LENGTH=$(wc -c <body) \
		SCRIPT_NAME=/~alice/lfs/lfs-server.cgi SCRIPT_FILENAME="$TRASH/pub/lfs/lfs-server.cgi" \
		SERVER_NAME=cgi.test SERVER_PORT=80 \
		"$TRASH/pub/lfs/lfs-server.cgi" --config "$TRASH/cgi.cfg" <body >"$TRASH/raw") &&
	[ "$(cgi_split "$TRASH/raw")" = 200 ] &&
	jq -e ".objects[0].error.code == 404" "$TRASH/cgi.body"
'

test_done
