#!/bin/bash
test_description='access rules: the example configs of the docs, their rights tables, and config errors'
# 1. Every block between <!-- example-config: NAME --> and
#    <!-- /example-config --> in docs/*.md must pass --check-config.
# 2. Where the same file has a table between <!-- example-rights: NAME -->
#    and <!-- /example-rights -->, each row (repo) and user column (plus
#    `anonymous`) is checked twice: against `lfs-admin access` and against
#    a live server started with that block (download batch = read, upload
#    batch = write, forced unlock = admin). The `mirrored` column is
#    checked against `lfs-admin access` and against what `lfs-mirror sync`
#    publishes after a writer uploads to the repo. So the prose claim and
#    the behaviour are the same data.
# 3. Every key in the Keys table of docs/configuration.md is known to the
#    server; config errors are one line with file:line and a suggestion.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

DOCS="$TEST_ROOT/docs"

# example_names FILE: the names of the example-config blocks in FILE.
example_names() {
	sed -n 's/^<!-- example-config: \([a-z0-9-]*\) -->$/\1/p' "$1"
}

# extract_block FILE NAME: the block's code lines, de-indented; the test's
# own users file instead of /etc/lfs/users, and without the keys the test
# sets itself (listen, data, public-url: flags and hrefs of this machine).
extract_block() {
	awk -v name="$2" -v users="$3" '
		$0 == "<!-- example-config: " name " -->" { on = 1; next }
		on && $0 == "<!-- /example-config -->" { exit }
		on && /^    / {
			line = substr($0, 5)
			if (line ~ /^[ \t]*(listen|data|public-url)[ \t]*=/) next
			if (line ~ /^[ \t]*users[ \t]*=/) line = "    users = " users
			print line
		}
	' "$1"
}

# extract_table FILE NAME: the table's rows, header first, cells separated
# by '|' without surrounding blanks or backticks.
extract_table() {
	awk -v name="$2" '
		$0 == "<!-- example-rights: " name " -->" { on = 1; next }
		on && $0 == "<!-- /example-rights -->" { exit }
		on && /^\|/ && !/^\| *---/ {
			gsub(/`/, ""); gsub(/ *\| */, "|"); sub(/^\|/, ""); sub(/\|$/, ""); print
		}
	' "$1"
}

cell() { printf '%s\n' "$1" | cut -d'|' -f"$2"; }
ncells() { printf '%s\n' "$1" | awk -F'|' '{ print NF }'; }

# creds USER: curl arguments for USER (none for anonymous).
creds() { [ "$1" = anonymous ] || printf -- '-u\n%s:%s-pw\n' "$1" "$1"; }

PROBE_LOCK=0123456789abcdef0123456789abcdef

# server_level REPO USER: none, read, write or admin, as the server answers.
server_level() {
	local repo="$1" user="$2" c
	mapfile -t c < <(creds "$user")
	local empty='{"operation":"download","objects":[]}'
	local r w a
	r=$(batch "$repo" "$empty" "${c[@]}")
	w=$(batch "$repo" '{"operation":"upload","objects":[]}' "${c[@]}")
	# Admin = may force away someone else's lock: plant one (SQLite lets
	# a second writer in beside the server), try, and clean up.
	sqlite3 "$DATA/meta.db" "INSERT OR REPLACE INTO locks (id, repo, path, owner, locked_at) VALUES ('$PROBE_LOCK', '${repo%.git}', 'probe.bin', 'probe-owner', '2026-01-01T00:00:00Z')" || return 1
	a=$(http_status POST "$LFS_URL/$repo/info/lfs/locks/$PROBE_LOCK/unlock" "${c[@]}" \
		-H "Accept: $LFS_TYPE" -H "Content-Type: $LFS_TYPE" --data-binary '{"force":true}')
	sqlite3 "$DATA/meta.db" "DELETE FROM locks WHERE id = '$PROBE_LOCK'" || return 1
	if [ "$a" = 200 ]; then echo admin
	elif [ "$w" = 200 ]; then echo write
	elif [ "$r" = 200 ]; then echo read
	else echo none
	fi
}

# admin_level CFG REPO USER: the same, as `lfs-admin access` states it.
admin_level() {
	local out
	out=$("$BIN/lfs-admin" --config "$1" access "$2") || return 1
	has() {
		local list
		list=$(printf '%s\n' "$out" | sed -n "s/^$1: *//p")
		case "$list" in
		"* "*) return 0 ;;
		nobody) return 1 ;;
		esac
		[ "$2" != anonymous ] && printf '%s\n' "$list" | tr ' ' '\n' | grep -qx "$2"
	}
	if has admin "$3"; then echo admin
	elif has write "$3"; then echo write
	elif has read "$3"; then echo read
	else echo none
	fi
}

admin_mirrored() {
	"$BIN/lfs-admin" --config "$1" access "$2" | sed -n 's/^mirrored: *\([a-z]*\).*/\1/p'
}

level_of() { case "$1" in —|-|"") echo none ;; *) echo "$1" ;; esac; }

blocks=0
for doc in "$DOCS"/*.md; do
	for name in $(example_names "$doc"); do
		blocks=$((blocks + 1))
		base=$(basename "$doc" .md)-$name
		extract_block "$doc" "$name" "$TRASH/$base.users" >"$base.cfg"
		extract_table "$doc" "$name" >"$base.table"

		test_expect_success "$base: the block is there and passes --check-config" '
			grep -q "^\[" "$base.cfg" &&
			: >"$base.users" &&
			for u in $(head -n1 "$base.table" | tr "|" "\n" | sed "1,2d;\$d"); do
				[ "$u" = anonymous ] || htpasswd -B -C 4 -b "$base.users" "$u" "$u-pw" 2>/dev/null || exit 1
			done &&
			"$BIN/lfs-server" --check-config --config "$base.cfg" >out &&
			grep -q "^$base.cfg: ok" out
		'
		[ -s "$base.table" ] || continue

		header=$(head -n1 "$base.table")
		n=$(ncells "$header")
		auth_on=$(grep -c "^ *users *=" "$base.cfg")
		DATA="$TRASH/data-$base"
		start_lfs_server --config "$base.cfg" || { echo "Bail out! lfs-server did not start with $base.cfg"; exit 1; }
		tail -n +2 "$base.table" >"$base.rows"
		while IFS= read -r row; do
			repo=$(cell "$row" 1)
			writer=
			[ "$auth_on" = 0 ] && writer=anonymous
			for ((i = 3; i < n; i++)); do
				user=$(cell "$header" $i)
				want=$(level_of "$(cell "$row" $i)")
				case "$want" in write|admin) [ -n "$writer" ] || writer=$user ;; esac
				test_expect_success "$base: $repo as $user: $want" '
					got=$(admin_level "$base.cfg" "$repo" "$user") &&
					echo "lfs-admin access says $got" &&
					test "$got" = "$want" &&
					got=$(server_level "$repo" "$user") &&
					echo "the server says $got" &&
					test "$got" = "$want"
				'
			done
			want=$(cell "$row" "$n")
			section=$(cell "$row" 2)
			test_expect_success "$base: $repo: section $section, mirrored $want" '
				if [ "$section" = none ]; then
					"$BIN/lfs-admin" --config "$base.cfg" access "$repo" | grep -q "^section: *none"
				else
					"$BIN/lfs-admin" --config "$base.cfg" access "$repo" |
						grep -qF "section:  [repo \"$section\"]"
				fi &&
				test "$(admin_mirrored "$base.cfg" "$repo")" = "$want" &&
				if [ -n "$writer" ]; then
					printf "%s %s\n" "$base" "$repo" >obj &&
					mapfile -t c < <(creds "$writer") &&
					lfs_upload "$repo" obj "${c[@]}" &&
					"$BIN/lfs-mirror" sync --from "$DATA" --to "mirror-$base" &&
					if [ "$want" = yes ]; then
						test -f "$(obj_path "mirror-$base" "$(sha256_of obj)")"
					else
						test_path_is_missing "$(obj_path "mirror-$base" "$(sha256_of obj)")"
					fi
				else
					echo "(no writer in the table: the feed is not checked for $repo)"
				fi
			'
		done <"$base.rows"
		stop_lfs_server || echo "Bail out! lfs-server did not stop cleanly"
	done
done

test_expect_success 'the docs hold the example blocks this test knows of' '
	test "$blocks" -ge 4 &&
	test -s configuration-rights.table && test -s deploy-deploy.table
'

# Every key of docs/configuration.md's table is one the server knows
# (config.c's table): set to a junk value it may be a bad value, never an
# unknown key. `.write` after `repo.PATTERN.read` means repo.PATTERN.write.
awk '/^## Keys/ { on = 1; next } /^## / { on = 0 } on && /^\| `/' "$DOCS/configuration.md" |
	cut -d'|' -f2 | grep -o '`[^`]*`' | tr -d '`' |
	awk '/^\./ { print prefix $0; next } { print; p = $0; sub(/\.[^.]*$/, "", p); prefix = p }' |
	sed 's/PATTERN/x/; s/NAME/x/' >documented-keys
while read -r key; do
	test_expect_success "documented key $key is known" '
		sect=${key%%.*} name=${key##*.} &&
		if [ "$sect.$name" = "$key" ]; then
			printf "[%s]\n\t%s = junk-value\n" "$sect" "$name" >key.cfg
		else
			sub=${key#*.} && sub=${sub%.*} &&
			printf "[%s \"%s\"]\n\t%s = junk-value\n" "$sect" "$sub" "$name" >key.cfg
		fi &&
		{ "$BIN/lfs-server" --check-config --config key.cfg >/dev/null 2>err; true; } &&
		cat err &&
		! grep -qE "unknown (key|section)|takes no name|needs a name" err
	'
done <documented-keys

test_expect_success 'the keys table was found' 'test "$(wc -l <documented-keys)" -ge 30'

# Config errors: exit 1, one line with file:line, key and a suggestion.
# Each row: config text | words the one line must hold.
cat >errors.txt <<'EOF'
[sever]\n\tlisten = 127.0.0.1:1\n|bad.cfg:1: unknown section [sever] (did you mean [server]?)
[repo "a/*"]\n\traed = *\n|bad.cfg:2: unknown key 'repo.a/*.raed' (did you mean 'repo.a/*.read'?)
[server]\n\tlistne = 127.0.0.1:0\n|bad.cfg:2: unknown key 'server.listne' (did you mean 'server.listen'?)
[mirror "m"]\n\tulr = https://m.example\n|bad.cfg:2: unknown key 'mirror.m.ulr' (did you mean 'mirror.m.url'?)
[server]\n\tlisten = 127.0.0.1:99999\n|bad.cfg:2: bad value for 'server.listen'
[server]\n\tmax-object-size = 4gb\n|bad.cfg:2: bad value for 'server.max-object-size': '4gb' is not a number
[repo "a/*"]\n\tread = alice\n\tmirror = true\n|bad.cfg:3: repo.a/*.mirror: mirror = true needs read = *
[repo "a/*"]\n\tread = *\n[repo "a/p-*"]\n\tmirror = true\n|bad.cfg:4: repo.a/p-*.mirror
[repo "a/*.git"]\n\tread = *\n|bad.cfg:2: repo.a/*.git.read
[storage]\n\ttype = s3\n|bad.cfg:2: bad value for 'storage.type': 's3' is not supported by this build
[meta]\n\ttype = mysql\n|bad.cfg:2: bad value for 'meta.type': 'mysql' is not one of sqlite|postgresql
EOF
while IFS='|' read -r text want; do
	test_expect_success "refused with one line: $want" '
		printf "$text" >bad.cfg &&
		test_expect_code 1 "$BIN/lfs-server" --config bad.cfg --listen 127.0.0.1:0 \
			--data "$TRASH/never" 2>err &&
		test "$(wc -l <err)" = 1 &&
		grep -qF "$want" err &&
		test_path_is_missing "$TRASH/never" &&
		test_expect_code 1 "$BIN/lfs-server" --check-config --config bad.cfg 2>err &&
		grep -qF "$want" err
	'
done <errors.txt

test_expect_success 'a bad --listen value is a usage error (exit 2, usage line)' '
	test_expect_code 2 "$BIN/lfs-server" --listen 127.0.0.1:99999 --data "$TRASH/never" 2>err &&
	grep -q "99999" err &&
	grep -q "^usage: lfs-server" err &&
	test_path_is_missing "$TRASH/never"
'

test_expect_success 'lfs-admin access: usage errors and the .git suffix dropped' '
	test_expect_code 2 "$BIN/lfs-admin" --data "$TRASH" access tock/x 2>err &&
	grep -q "access needs --config" err &&
	test_expect_code 2 "$BIN/lfs-admin" --config configuration-rights.cfg access 2>err &&
	test_expect_code 2 "$BIN/lfs-admin" --config configuration-rights.cfg access "a/../b" 2>err &&
	"$BIN/lfs-admin" --config configuration-rights.cfg access tock/private-keys.git >out &&
	grep -q "^repo: *tock/private-keys$" out
'

test_done
