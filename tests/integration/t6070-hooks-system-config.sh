#!/bin/bash
test_description='lfs-hooks install on a machine whose system config drives git-lfs (Debian'"'"'s git-lfs package)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-hooks.sh"

nolfs_path

# What Debian's git-lfs package writes into /etc/gitconfig; git and
# lfs-hooks read this file instead (GIT_CONFIG_SYSTEM), without root.
cat >sysconfig <<'EOC'
[filter "lfs"]
	clean = git-lfs clean -- %f
	smudge = git-lfs smudge -- %f
	process = git-lfs filter-process
	required = true
EOC

test_expect_success 'setup: git itself sees git-lfs'"'"'s filter in the system config' '
	! command -v git-lfs &&
	unset GIT_CONFIG_NOSYSTEM &&
	export GIT_CONFIG_SYSTEM="$TRASH/sysconfig" &&
	git init -q probe &&
	test "$(git -C probe config filter.lfs.process)" = "git-lfs filter-process"
'

test_expect_success 'install works: the repository'"'"'s own keys override the system ones' '
	unset GIT_CONFIG_NOSYSTEM &&
	export GIT_CONFIG_SYSTEM="$TRASH/sysconfig" &&
	git init -q repo && (
		cd repo &&
		lfs-hooks install >../out 2>../err &&
		lfs-hooks track "*.a" >/dev/null &&
		make_file lib.a 20000 lib &&
		git add . &&
		git commit -q -m lib
	) &&
	cat err &&
	grep "system config" err &&
	git -C repo config --show-origin filter.lfs.process >origin &&
	grep "^file:.git/config" origin &&
	grep "lfs-hooks filter-process" origin &&
	git -C repo cat-file blob HEAD:lib.a >pointer &&
	grep "^oid sha256:$(sha256_of repo/lib.a)\$" pointer &&
	test -x repo/.git/hooks/pre-push
'

test_expect_success 'the system config still holds git-lfs'"'"'s keys (nothing uninstalled)' '
	grep "git-lfs filter-process" sysconfig
'

test_expect_success 'git-lfs'"'"'s own hook in this repository: refused' '
	unset GIT_CONFIG_NOSYSTEM &&
	export GIT_CONFIG_SYSTEM="$TRASH/sysconfig" &&
	git init -q lfshook && (
		cd lfshook &&
		printf "#!/bin/sh\ncommand -v git-lfs >/dev/null 2>&1 || exit 2\ngit lfs pre-push \"\$@\"\n" >.git/hooks/pre-push &&
		test_expect_code 1 lfs-hooks install 2>../err
	) &&
	grep "pre-push hook.*git-lfs" err &&
	test -z "$(git -C lfshook config --local filter.lfs.process)"
'

# core.hooksPath in the system file shows whether lfs-hooks reads it.
test_expect_success 'GIT_CONFIG_SYSTEM is the system config lfs-hooks reads' '
	unset GIT_CONFIG_NOSYSTEM &&
	printf "[core]\n\thooksPath = %s\n" "$TRASH/syshooks" >sys-hookspath &&
	export GIT_CONFIG_SYSTEM="$TRASH/sys-hookspath" &&
	git init -q viasys &&
	(cd viasys && lfs-hooks install >/dev/null) &&
	test -x syshooks/pre-push &&
	test_path_is_missing viasys/.git/hooks/pre-push
'

test_expect_success 'GIT_CONFIG_NOSYSTEM=1 hides it, as from git' '
	export GIT_CONFIG_NOSYSTEM=1 &&
	export GIT_CONFIG_SYSTEM="$TRASH/sys-hookspath" &&
	git init -q nosys &&
	(cd nosys && lfs-hooks install >/dev/null) &&
	test -x nosys/.git/hooks/pre-push &&
	test "$(ls syshooks | grep -c pre-push)" = 1
'

test_done
