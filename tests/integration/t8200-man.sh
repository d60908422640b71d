#!/bin/bash
test_description='man pages: mandoc -T lint clean, one per binary, every --help option in its page, every config key of docs/configuration.md in lfs-server.conf(5)'
. "$(dirname "$0")/test-lib.sh"

MAN="$TEST_ROOT/man"

# render PAGE: the page as plain text (no overstrike), as man shows it.
render() {
	mandoc -T ascii "$1" | sed 's/.\x08//g'
}

# has_word FILE WORD: WORD (a key or an option) appears in FILE as a whole,
# not as part of a longer key or option.
has_word() {
	local re
	re=$(printf '%s' "$2" | sed 's/[.]/[.]/g')
	grep -qE -- "(^|[^A-Za-z0-9.-])$re([^A-Za-z0-9-]|$)" "$1"
}

for page in "$MAN"/*.[1-8]; do
	name=$(basename "$page")
	test_expect_success "mandoc -T lint -W warning: $name" "
		mandoc -T lint -W warning '$page' >lint.out 2>&1
		rc=\$?
		cat lint.out
		test \$rc = 0 && test_must_be_empty lint.out
	"
done

# The binaries (build/bin) and the config file, each with its section.
while read -r name section; do
	test_expect_success "$name($section): a page, named and sectioned as its file" "
		test -f '$MAN/$name.$section' &&
		grep -qix '.Dt $name $section' '$MAN/$name.$section'
	"
done <<'EOF_PAGES'
lfs-server 8
lfs-server.conf 5
lfs-admin 8
git-lfs-authenticate 8
lfs-mirror 1
lfs-hooks 1
EOF_PAGES

test_expect_success 'every binary in build/bin has a page' '
	for b in "$BIN"/*; do
		n=$(basename "$b")
		ls "$MAN/$n".[18] >/dev/null 2>&1 || { echo "no page for $n"; return 1; }
	done
'

# Every long option the binary's --help names is in its page.
for b in lfs-server lfs-admin git-lfs-authenticate lfs-mirror lfs-hooks; do
	test_expect_success "$b: every option of --help is in its page" "
		'$BIN/$b' --help >help.out &&
		grep -o -- '--[a-z][a-z-]*' help.out | sort -u >opts &&
		test -s opts &&
		render '$MAN/$b'.[18] >page.txt &&
		while read -r opt; do
			has_word page.txt \"\$opt\" || { echo \"\$opt not in the page\"; return 1; }
		done <opts
	"
done

# docs/configuration.md's key table, one key per line; '.write' after
# 'repo.PATTERN.read' stands for 'repo.PATTERN.write'.
awk -F'|' '
	/^## Keys/ { on = 1; next }
	/^## / { on = 0 }
	on && /^\| `/ {
		cell = $2
		while (match(cell, /`[^`]+`/)) {
			k = substr(cell, RSTART + 1, RLENGTH - 2)
			cell = substr(cell, RSTART + RLENGTH)
			if (k ~ /^\./) {
				k = prefix substr(k, 2)
			} else {
				prefix = k
				sub(/[^.]*$/, "", prefix)
			}
			print k
		}
	}
' "$TEST_ROOT/docs/configuration.md" >"$TRASH/keys"
render "$MAN/lfs-server.conf.5" >"$TRASH/conf.txt"

test_expect_success 'docs/configuration.md: the key table was read' '
	test $(wc -l <keys) -ge 40 &&
	grep -qx server.listen keys && grep -qx repo.PATTERN.write keys &&
	grep -qx metrics.readers keys
'

while read -r key; do
	test_expect_success "lfs-server.conf(5) lists $key" "has_word conf.txt '$key'"
done <"$TRASH/keys"

test_done
