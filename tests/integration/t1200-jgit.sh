#!/bin/bash
test_description='JGit 4.11 (Debian libjgit-java) as an unmodified LFS client: push and clone in anonymous mode, clone of a public repo with auth on'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/tests/integration/lib-server.sh"

# JGit's built-in LFS (filter.lfs.useJGitBuiltin) does the batch calls and
# transfers itself; git and git-lfs only prepare and cross-check.  Git
# objects live in local bare repositories; LFS objects go to our server.
# JGit 4.11 sends no credentials over HTTP, so with auth on it can only
# read public repos.

JAR=/usr/share/java
CP="$TRASH/jgit:$JAR/org.eclipse.jgit.jar:$JAR/org.eclipse.jgit.lfs.jar:$JAR/gson.jar:$JAR/slf4j-api.jar:$JAR/slf4j-nop.jar:$JAR/jsch.jar:$JAR/javaewah.jar"
jgit() {
	java -cp "$CP" JgitLfs "$@"
}

# same_files DIR1 DIR2 FILE...: each FILE is byte-identical in both.
same_files() {
	local a="$1" b="$2" f
	shift 2
	for f in "$@"; do
		cmp "$a/$f" "$b/$f" || return 1
	done
}

# stored FILE: the server's data dir holds FILE's object under its hash.
stored() {
	local oid
	oid=$(sha256_of "$1") && cmp "$1" "$(obj_path "$DATA" "$oid")"
}

test_expect_success 'setup: JgitLfs builds against Debian libjgit-java' '
	mkdir -p "$TRASH/jgit" &&
	javac -d "$TRASH/jgit" -cp "$CP" "$TEST_ROOT/tests/integration/jgit/JgitLfs.java" &&
	test -f "$TRASH/jgit/JgitLfs.class"
'

start_lfs_server || { echo "Bail out! lfs-server did not start"; exit 1; }
ANON_URL=$LFS_URL

test_expect_success 'anonymous mode: JGit pushes LFS objects through the batch API' '
	git init -q --bare anon.git &&
	git init -q -b main jw &&
	(
		cd jw &&
		git remote add origin ../anon.git &&
		git config lfs.url "$ANON_URL/jgit/anon.git/info/lfs" &&
		printf "*.bin filter=lfs diff=lfs merge=lfs -text\n" >.gitattributes &&
		make_file a.bin 200000 jgit-a &&
		make_file b.bin 1 jgit-b &&
		make_file c.bin 3000000 jgit-c
	) &&
	jgit push jw &&
	stored jw/a.bin && stored jw/b.bin && stored jw/c.bin &&
	git -C anon.git cat-file -p main:a.bin >pointer &&
	grep -q "^oid sha256:$(sha256_of jw/a.bin)$" pointer &&
	grep -q "^size 200000$" pointer
'

test_expect_success 'anonymous mode: JGit clones and checks out the real bytes' '
	jgit clone "$TRASH/anon.git" jc "$ANON_URL/jgit/anon.git/info/lfs" &&
	same_files jw jc a.bin b.bin c.bin
'

test_expect_success 'anonymous mode: git-lfs clones what JGit pushed' '
	git lfs install --skip-repo >/dev/null &&
	git -c lfs.url="$ANON_URL/jgit/anon.git/info/lfs" clone -q anon.git gc &&
	(cd gc && git config lfs.url "$ANON_URL/jgit/anon.git/info/lfs" && git lfs pull) &&
	same_files jw gc a.bin b.bin c.bin
'

stop_lfs_server || echo "# first server did not stop cleanly"

# Auth on: alice writes tock/*, everyone reads it.
htpasswd -B -C 4 -c -b "$TRASH/users" alice secret-a 2>/dev/null
cat >"$TRASH/auth.conf" <<EOF
[auth]
	users = $TRASH/users
[repo "tock/*"]
	read = *
	write = alice
EOF
DATA="$TRASH/data-auth"
start_lfs_server --config "$TRASH/auth.conf" || { echo "Bail out! auth server did not start"; exit 1; }

test_expect_success 'auth on: alice pushes with git-lfs' '
	printf "http://alice:secret-a@%s\n" "${LFS_URL#http://}" >"$TRASH/creds" &&
	git init -q --bare pub.git &&
	git init -q -b main pw &&
	(
		cd pw &&
		git lfs install --local >/dev/null &&
		git config credential.helper "store --file=$TRASH/creds" &&
		git remote add origin ../pub.git &&
		git config lfs.url "$LFS_URL/tock/libtock-c.git/info/lfs" &&
		git lfs track "*.a" >/dev/null &&
		make_file libtock.a 400000 pub-a &&
		make_file libc.a 70000 pub-b &&
		git add .gitattributes libtock.a libc.a &&
		git commit -q -m libs &&
		git push -q origin main
	) &&
	stored pw/libtock.a && stored pw/libc.a
'

test_expect_success 'auth on: JGit clones the public repo anonymously' '
	jgit clone "$TRASH/pub.git" pc "$LFS_URL/tock/libtock-c.git/info/lfs" &&
	same_files pw pc libtock.a libc.a
'

test_expect_success 'auth on: JGit cannot push anonymously (401 from the batch API)' '
	(
		cd pc &&
		make_file new.a 1000 pub-new &&
		printf "*.a filter=lfs diff=lfs merge=lfs -text\n" >.gitattributes
	) &&
	test_must_fail jgit push pc &&
	test_must_fail stored pc/new.a
'

test_done
