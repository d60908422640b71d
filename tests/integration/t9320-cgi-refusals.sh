#!/bin/bash
test_description='lfs-cgi refuses a set-up that would expose its data: 500, the reason in the error log, nothing created'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-cgi.sh"

# The web root here: $TRASH/www (DOCUMENT_ROOT), $TRASH/home/public_html
# (CONTEXT_DOCUMENT_ROOT, as mod_userdir sets it) and the public directory
# the CGI lives in.  Each refused set-up must answer 500 with a JSON body
# that says nothing of the set-up, log one line on stderr (which Apache
# keeps in its error log) and create nothing.

: >users
add_user users alice alice-pw || { echo "Bail out! htpasswd failed"; exit 1; }
mkdir -p www home/public_html/lfs/objects private && chmod 700 private
CGI_PUBLIC=$TRASH/home/public_html/lfs
CGI_CONFIG=$TRASH/cgi.cfg
WEB=(-e "DOCUMENT_ROOT=$TRASH/www" -e "CONTEXT_DOCUMENT_ROOT=$TRASH/home/public_html")

# conf DATA [USERS-LINE]: the CGI's config with that data dir.
conf() {
	printf '[server]\n\tdata = %s\n%s\n' "$1" "${2-[auth]
	users = $TRASH/users}" >"$CGI_CONFIG"
}

# refused WHY-PATTERN: the last request was refused with 500, a JSON body
# and WHY in the log line.
refused() {
	[ "$code" = 500 ] &&
	jq -e ".message | test(\"not set up correctly\")" "$TRASH/cgi.body" &&
	tail -n 1 "$TRASH/cgi.log" | grep -E "refusing to serve: .*$1"
}

test_expect_success 'a good set-up serves (the rows below differ in one thing each)' '
	conf "$TRASH/private/data" &&
	code=$(cgi_request GET /healthz "${WEB[@]}") && [ "$code" = 200 ] &&
	rm -rf private/data
'

while IFS='|' read -r name why data extra; do
	[ -n "$name" ] || continue
	test_expect_success "refused: $name" "
		conf $(printf %q "$data") ${extra:+$(printf %q "$extra")} &&
		code=\$(cgi_request GET /healthz \"\${WEB[@]}\") &&
		refused $(printf %q "$why") &&
		test_path_is_missing $(printf %q "$data")
	"
done <<EOF
auth.users unset|auth.users is not set|$TRASH/private/d1|[repo "x/*"]
server.data relative|is relative|lfs-data|
server.data under DOCUMENT_ROOT|under DOCUMENT_ROOT|$TRASH/www/lfs-data|
server.data under the userdir web root|under CONTEXT_DOCUMENT_ROOT|$TRASH/home/public_html/data|
server.data in the public directory, inside the userdir web root|under CONTEXT_DOCUMENT_ROOT|$CGI_PUBLIC/data|
EOF

test_expect_success 'refused: server.data in the public directory of SCRIPT_FILENAME, without web root variables' '
	conf "$CGI_PUBLIC/data" &&
	code=$(cgi_request GET /healthz) &&
	refused "the CGI.s public directory" &&
	test_path_is_missing "$CGI_PUBLIC/data"
'

test_expect_success 'refused: a data dir reached through a symbolic link into the web root' '
	mkdir -p www/hidden && ln -s "$TRASH/www/hidden" private/link &&
	conf "$TRASH/private/link" &&
	code=$(cgi_request GET /healthz "${WEB[@]}") &&
	refused "under DOCUMENT_ROOT" &&
	test_must_be_empty "$(ls -A www/hidden)"
'

test_expect_success 'refused: the public directory given with --public-dir counts too' '
	mkdir -p elsewhere/objects && conf "$TRASH/elsewhere/data" &&
	env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO=/healthz \
		"$BIN/lfs-cgi" --config "$CGI_CONFIG" --public-dir "$TRASH/elsewhere" </dev/null >raw 2>err &&
	[ "$(cgi_split raw)" = 500 ] && grep "public directory" err &&
	test_path_is_missing elsewhere/data
'

test_expect_success 'refused: a data dir owned by another user than the one the CGI runs as' '
	mkdir -p private/theirs && chmod 700 private/theirs &&
	if [ "$(id -u)" = 0 ]; then chown nobody private/theirs; else
		echo "not root: the test dir cannot belong to someone else" >&2; false; fi &&
	conf "$TRASH/private/theirs" &&
	code=$(cgi_request GET /healthz "${WEB[@]}") &&
	refused "belongs to uid $(id -u nobody), but this CGI runs as uid $(id -u)" &&
	test_must_be_empty "$(ls -A private/theirs)"
'

# Until a build has those backends, the config itself refuses the value.
test_expect_success 'refused: storage.type s3 and meta.type postgresql (not in the portable CGI)' '
	conf "$TRASH/private/d2" &&
	printf "[storage]\n\ttype = s3\n[s3]\n\tendpoint = http://127.0.0.1:9\n\tbucket = b\n" >>"$CGI_CONFIG" &&
	code=$(cgi_request GET /healthz "${WEB[@]}") &&
	refused "storage.type.*s3.*(not supported by this build|the CGI mode serves local storage only)" &&
	conf "$TRASH/private/d2" &&
	printf "[meta]\n\ttype = postgresql\n" >>"$CGI_CONFIG" &&
	code=$(cgi_request GET /healthz "${WEB[@]}") &&
	refused "meta.type.*postgresql.*(not supported by this build|the CGI mode serves sqlite metadata only)" &&
	test_path_is_missing private/d2
'

test_expect_success 'refused: no --config, and a config that does not exist' '
	env -i GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET PATH_INFO=/healthz \
		"$BIN/lfs-cgi" </dev/null >raw 2>err &&
	[ "$(cgi_split raw)" = 500 ] && grep "no --config" err &&
	CGI_CONFIG=$TRASH/missing.cfg &&
	code=$(cgi_request GET /healthz) && refused "missing.cfg"
'

test_expect_success 'outside a web server it serves nothing: usage error, exit 2' '
	test_expect_code 2 env -i "$BIN/lfs-cgi" --config "$CGI_CONFIG" </dev/null >out 2>err &&
	test_must_be_empty out && grep "GATEWAY_INTERFACE" err
'

test_done
