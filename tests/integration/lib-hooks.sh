# lib-hooks.sh: helpers for the lfs-hooks tests (t6xxx).

# A PATH without git-lfs: links to everything else in the usual places
# (the first directory wins, as on a PATH).
nolfs_path() {
	mkdir -p "$TRASH/nolfs-bin" &&
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		[ -d "$d" ] && ln -s "$d"/* "$TRASH/nolfs-bin/" 2>/dev/null
	done
	rm -f "$TRASH/nolfs-bin/git-lfs" &&
	PATH="$BIN:$TRASH/nolfs-bin"
	export PATH
}

clean_status() {
	git -C "$1" status --porcelain >"$TRASH/status" &&
	test_cmp /dev/null "$TRASH/status"
}
