#!/bin/bash
test_description='lfs-cgi install: the layout it writes works under Debian'"'"'s stock userdir block plus CGI (PUT allowed, credentials passed, objects static with the right type, no listing); it refuses foreign files and bad configs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"
. "$TEST_ROOT/tests/integration/lib-apache.sh"

[ -x "$BIN/lfs-cgi" ] || { echo "Bail out! no $BIN/lfs-cgi (make cgi)"; exit 1; }

# The account: ~tock, run by Apache as its owner (Apache's User, below).
ACCOUNT=$(id -un)
[ "$(id -u)" = 0 ] && ACCOUNT=www-data
as_account() {
	if [ "$(id -u)" = 0 ]; then runuser -u "$ACCOUNT" -- "$@"; else "$@"; fi
}
PH=$(apache_public_html tock) || { echo "Bail out! no public_html"; exit 1; }
HOMEDIR=$(dirname "$PH")
PRIV="$HOMEDIR/lfs"
mkdir -p "$PRIV" && htpasswd -bcB "$PRIV/users" alice alice-pw 2>/dev/null &&
	chown -R "$ACCOUNT" "$HOMEDIR" ||
	{ echo "Bail out! cannot set up the account"; exit 1; }

# A stand-in for the service (--program): says what it was given.
cat >"$PRIV/stub" <<'EOF'
#!/bin/sh
printf 'Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n'
printf 'method=%s\nauth=%s\npath=%s\nargs=%s\nuser=%s\n' "$REQUEST_METHOD" "$HTTP_AUTHORIZATION" "$PATH_INFO" "$*" "$(id -un)"
cat >/dev/null
EOF
chmod 755 "$PRIV/stub"

# config NAME [LINES...]: a config in PRIV with the service's keys plus LINES.
config() {
	local f="$PRIV/$1.conf"
	shift
	{
		printf '[server]\n\tdata = %s\n[auth]\n\tusers = %s\n' "$PRIV/data" "$PRIV/users"
		printf '[repo "tock/*"]\n\tread = *\n\twrite = alice\n'
		printf '%s\n' "$@"
	} >"$f" && chown "$ACCOUNT" "$f" && printf '%s\n' "$f"
}
CFG=$(config lfs)

APACHE_MODULES="cgi"
APACHE_DIR_CONF="    Options +ExecCGI
    AddHandler cgi-script .cgi"
start_apache "FileInfo AuthConfig Limit Indexes" || { echo "Bail out! apache did not start"; exit 1; }
BASE="$APACHE_URL/~tock/lfs"
BASE_LOG=$APACHE_ACCESS_LOG
# The same tree under Debian's block with no CGI additions and no
# .htaccess honoured: what the host gives before the web team helps.
APACHE_DIR_CONF=""
start_apache "None" apache-stock || { echo "Bail out! stock apache did not start"; exit 1; }
STOCK="$APACHE_URL/~tock/lfs"

test_expect_success 'install lays out the CGI, .htaccess and objects/, and prints the lfs.url pattern' '
	as_account "$BIN/lfs-cgi" install "$PH/lfs" --url "$BASE/" --config "$CFG" --program "$PRIV/stub" >out &&
	grep -Fx "  lfs.url = $BASE/lfs-server.cgi/<repo>.git/info/lfs" out &&
	test -x "$PH/lfs/lfs-server.cgi" && test -f "$PH/lfs/.htaccess" && test -d "$PH/lfs/objects" &&
	[ "$(stat -c %a "$PH/lfs/lfs-server.cgi")" = 755 ] &&
	[ "$(stat -c %U "$PH/lfs/lfs-server.cgi")" = "$ACCOUNT" ] &&
	(cd "$PH/lfs" && sha256sum -c --quiet .lfs-cgi-manifest) &&
	[ "$(stat -c %a "$PRIV/data")" = 700 ] &&
	jq -e --arg d "$PH/lfs" --arg u "$BASE" ".public_dir == \$d and .base_url == \$u" "$PRIV/data/cgi-site.json"
'

test_expect_success 'the CGI runs as the account, with the config and nothing of the request on its command line' '
	[ "$(http_status GET "$BASE/lfs-server.cgi/tock/app.git/info/lfs/locks?x")" = 200 ] &&
	grep -Fx "user=$ACCOUNT" body &&
	grep -Fx "args=--config $CFG --public-dir $PH/lfs" body &&
	grep -Fx "path=/tock/app.git/info/lfs/locks" body
'

test_expect_success 'PUT reaches the CGI (the stock block allows only GET POST OPTIONS)' '
	[ "$(http_status PUT "$BASE/lfs-server.cgi/tock/app.git/info/lfs/objects/x" --data-binary abc)" = 200 ] &&
	grep -Fx "method=PUT" body
'

test_expect_success 'without the .htaccess the stock block refuses that PUT' '
	[ "$(http_status PUT "$STOCK/lfs-server.cgi/tock/app.git/info/lfs/objects/x" --data-binary abc)" = 403 ]
'

test_expect_success 'the Authorization header reaches the CGI' '
	[ "$(http_status POST "$BASE/lfs-server.cgi/tock/app.git/info/lfs/objects/batch" -u alice:alice-pw -d "{}")" = 200 ] &&
	grep -Fx "auth=Basic $(printf alice:alice-pw | base64)" body
'

OBJ_FILE=object.bin
make_file $OBJ_FILE 100000 cgi-install
OID=$(sha256_of $OBJ_FILE)
test_expect_success 'an object in the static tree is served by Apache as application/octet-stream, byte for byte' '
	obj=$(obj_path "$PH/lfs" "$OID") &&
	as_account mkdir -p "$(dirname "$obj")" &&
	cp $OBJ_FILE "$obj" && chmod 644 "$obj" &&
	[ "$(http_status GET "$(obj_path "$BASE" "$OID")")" = 200 ] &&
	cmp body $OBJ_FILE &&
	tr -d "\r" <headers | grep -ix "content-type: application/octet-stream" &&
	grep -F "\"GET /~tock/lfs/objects/${OID:0:2}/${OID:2:2}/$OID HTTP/1.1\" 200" "$BASE_LOG"
'

test_expect_success 'Range on a static object is Apache'"'"'s: 206 with the bytes asked for' '
	[ "$(http_status GET "$(obj_path "$BASE" "$OID")" -r 10-19)" = 206 ] &&
	cmp body <(tail -c +11 $OBJ_FILE | head -c 10)
'

for dir in "objects/" "objects/${OID:0:2}/" "objects/${OID:0:2}/${OID:2:2}/"; do
	test_expect_success "no listing of $dir" '
		code=$(http_status GET "$BASE/'"$dir"'") &&
		[ "$code" = 403 ] && ! grep -q "$OID" body
	'
done

test_expect_success 'the manifest is not served' '
	[ "$(http_status GET "$BASE/.lfs-cgi-manifest")" = 403 ]
'

test_expect_success 'running the install again upgrades its own files' '
	as_account "$BIN/lfs-cgi" install "$PH/lfs" --url "$BASE" --config "$CFG" --program "$PRIV/stub" >/dev/null &&
	(cd "$PH/lfs" && sha256sum -c --quiet .lfs-cgi-manifest)
'

test_expect_success 'an upgrade to another program rewrites the wrapper, which then runs it' '
	cp "$PRIV/stub" "$PRIV/stub2" && sed -i "s/^printf .method/printf \"v=2\\n\"; &/" "$PRIV/stub2" &&
	as_account "$BIN/lfs-cgi" install "$PH/lfs" --url "$BASE" --config "$CFG" --program "$PRIV/stub2" >/dev/null &&
	grep -F "$PRIV/stub2" "$PH/lfs/lfs-server.cgi" &&
	(cd "$PH/lfs" && sha256sum -c --quiet .lfs-cgi-manifest) &&
	[ "$(http_status GET "$BASE/lfs-server.cgi/tock/app.git/info/lfs/locks")" = 200 ] &&
	grep -Fx "v=2" body &&
	as_account "$BIN/lfs-cgi" install "$PH/lfs" --url "$BASE" --config "$CFG" --program "$PRIV/stub" >/dev/null
'

test_expect_success 'an install over a changed .htaccess is refused, and nothing changes' '
	echo "# mine" >>"$PH/lfs/.htaccess" &&
	cp "$PH/lfs/.htaccess" htaccess.before &&
	test_expect_code 1 as_account "$BIN/lfs-cgi" install "$PH/lfs" --url "$BASE" --config "$CFG" --program "$PRIV/stub" 2>err &&
	grep "htaccess was changed since lfs-cgi install wrote it" err &&
	cmp htaccess.before "$PH/lfs/.htaccess" &&
	sed -i "\$d" "$PH/lfs/.htaccess" && (cd "$PH/lfs" && sha256sum -c --quiet .lfs-cgi-manifest)
'

test_expect_success 'an install over files it did not write is refused, and writes nothing' '
	as_account mkdir "$PH/other" &&
	echo "#!/bin/sh" >"$PH/other/lfs-server.cgi" &&
	cp "$PH/other/lfs-server.cgi" cgi.before &&
	test_expect_code 1 as_account "$BIN/lfs-cgi" install "$PH/other" --url "$APACHE_URL/~tock/other" --config "$CFG" --program "$PRIV/stub" 2>err &&
	grep "lfs-server.cgi exists and was not written by lfs-cgi install" err &&
	cmp cgi.before "$PH/other/lfs-server.cgi" &&
	test_path_is_missing "$PH/other/.htaccess" && test_path_is_missing "$PH/other/objects" &&
	jq -e --arg d "$PH/lfs" ".public_dir == \$d" "$PRIV/data/cgi-site.json"
'

# badconf NAME DATA USERS [EXTRA]: a config with those values ("-" = unset).
badconf() {
	local f="$PRIV/$1.conf"
	{
		printf '[server]\n'
		[ "$2" = - ] || printf '\tdata = %s\n' "$2"
		printf '[auth]\n'
		[ "$3" = - ] || printf '\tusers = %s\n' "$3"
		printf '%b\n' "$4"
	} >"$f" && chown "$ACCOUNT" "$f" && printf '%s\n' "$f"
}
# Config refusals, one line each; nothing is written for any of them.
while IFS='|' read -r name data users extra why; do
	test_expect_success "refused: $name" '
		f=$(badconf bad "'"$data"'" "'"$users"'" "'"$extra"'") &&
		test_expect_code 1 as_account "$BIN/lfs-cgi" install "$PH/bad" --url "$BASE" --config "$f" --program "$PRIV/stub" 2>err &&
		cat err && grep -F -- "'"$why"'" err &&
		test_path_is_missing "$PH/bad"
	'
done <<EOF
no auth.users|$PRIV/data|-||auth.users is not set
no server.data (the default is relative)|-|$PRIV/users||needs an absolute path
relative server.data|lfs-data|$PRIV/users||needs an absolute path
server.data under public_html|$PH/data|$PRIV/users||under the web root
auth.users under public_html|$PRIV/data|$PH/users||under the web root
an unknown key|$PRIV/data|$PRIV/users|[server]\\n\\tcolour = blue|colour
S3 storage|$PRIV/data|$PRIV/users|[storage]\\n\\ttype = s3\\n[s3]\\n\\tendpoint = http://127.0.0.1:1\\n\\tbucket = b|storage.type
EOF

test_expect_success 'refused: a config file under public_html' '
	cp "$CFG" "$PH/lfs.conf" &&
	test_expect_code 1 as_account "$BIN/lfs-cgi" install "$PH/bad" --url "$BASE" --config "$PH/lfs.conf" --program "$PRIV/stub" 2>err &&
	grep "under the web root" err && test_path_is_missing "$PH/bad"
'

test_expect_success 'refused: a data directory the account does not own' '
	[ "$(id -u)" = 0 ] || { echo "# skipped: needs root"; exit 0; }
	mkdir -p "$TRASH/rootdata" && chmod 755 "$TRASH/rootdata" &&
	f=$(badconf rootdata "$TRASH/rootdata" "$PRIV/users") &&
	test_expect_code 1 as_account "$BIN/lfs-cgi" install "$PH/bad" --url "$BASE" --config "$f" --program "$PRIV/stub" 2>err &&
	grep "must own it" err
'

test_expect_success 'usage errors exit 2; --help exits 0' '
	test_expect_code 2 "$BIN/lfs-cgi" install "$PH/lfs" --config "$CFG" &&
	test_expect_code 2 "$BIN/lfs-cgi" install "$PH/lfs" --url ftp://x --config "$CFG" &&
	test_expect_code 2 "$BIN/lfs-cgi" install a b --url "$BASE" --config "$CFG" &&
	"$BIN/lfs-cgi" install --help >out && grep "lfs.url" out
'

test_done
