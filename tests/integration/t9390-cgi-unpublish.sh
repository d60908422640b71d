#!/bin/bash
test_description='lfs-cgi unpublish: a repo made private leaves the static tree, except objects a still-public repo holds; a public repo is refused'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

[ -x "$BIN/lfs-cgi" ] || { echo "Bail out! no $BIN/lfs-cgi (make cgi)"; exit 1; }

PH="$TRASH/home/public_html"
PRIV="$TRASH/home/lfs"
DATA="$PRIV/data"
mkdir -p "$PH" "$PRIV" && htpasswd -bcB "$PRIV/users" alice alice-pw 2>/dev/null ||
	{ echo "Bail out! setup"; exit 1; }

# conf GONE_READ: tock/gone readable by GONE_READ; tock/pub by anyone.
conf() {
	cat >"$PRIV/lfs.conf" <<-EOF
	[server]
		data = $DATA
	[auth]
		users = $PRIV/users
	[repo "tock/pub"]
		read = *
		write = alice
	[repo "tock/gone"]
		read = $1
		write = alice
	EOF
}
conf '*'

test_expect_success 'setup: install; tock/gone holds X and Y, tock/pub holds Y and Z, all in the static tree' '
	"$BIN/lfs-cgi" install "$PH/lfs" --url http://127.0.0.1/~u/lfs --config "$PRIV/lfs.conf" >/dev/null
'
start_lfs_server --config "$PRIV/lfs.conf" || { echo "Bail out! lfs-server did not start"; exit 1; }
LFS_URL="${LFS_URL%/}"
for f in X Y Z; do make_file $f 2000 "unpublish-$f"; done
test_expect_success 'setup: uploads through the daemon, objects published by hand as the CGI would' '
	lfs_upload tock/gone X -u alice:alice-pw && lfs_upload tock/gone Y -u alice:alice-pw &&
	lfs_upload tock/pub Y -u alice:alice-pw && lfs_upload tock/pub Z -u alice:alice-pw &&
	for f in X Y Z; do
		o=$(obj_path "$PH/lfs" "$(sha256_of $f)") &&
		mkdir -p "$(dirname "$o")" && cp $f "$o" || exit 1
	done
'
stop_lfs_server

test_expect_success 'a repo still public is refused, and nothing is removed' '
	test_expect_code 1 "$BIN/lfs-cgi" unpublish tock/gone --config "$PRIV/lfs.conf" 2>err &&
	grep "still readable by anyone" err &&
	for f in X Y Z; do test -f "$(obj_path "$PH/lfs" "$(sha256_of $f)")" || exit 1; done
'

conf alice
test_expect_success 'made private, then unpublished: it prints what it did' '
	"$BIN/lfs-cgi" unpublish tock/gone.git --config "$PRIV/lfs.conf" >out &&
	grep "unpublished tock/gone: removed 1 object from $PH/lfs/objects, kept 1 " out
'
for row in "X gone only:missing" "Y also in tock/pub:present" "Z only in tock/pub:present"; do
	f=${row%% *} what=${row##*:}
	test_expect_success "$f (${row%:*}) is $what in the static tree" '
		o=$(obj_path "$PH/lfs" "$(sha256_of '"$f"')") &&
		if [ '"$what"' = missing ]; then test_path_is_missing "$o"; else cmp '"$f"' "$o"; fi
	'
done

test_expect_success 'the data store keeps every object (only the public copies go)' '
	for f in X Y Z; do test -f "$(obj_path "$DATA" "$(sha256_of $f)")" || exit 1; done
'

test_expect_success 'a second run removes nothing more' '
	"$BIN/lfs-cgi" unpublish tock/gone --config "$PRIV/lfs.conf" >out &&
	grep "removed 0 objects" out
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 "$BIN/lfs-cgi" unpublish --config "$PRIV/lfs.conf" &&
	test_expect_code 2 "$BIN/lfs-cgi" unpublish tock/gone &&
	test_expect_code 2 "$BIN/lfs-cgi" unpublish ../x --config "$PRIV/lfs.conf" &&
	"$BIN/lfs-cgi" unpublish --help | grep "private in the config first"
'

test_done
