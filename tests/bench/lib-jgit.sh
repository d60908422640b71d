# lib-jgit.sh: sourced by the bench scripts.  Builds tests/bench/jgit/
# JgitLfsServer.java against Debian's libjgit-java and libjetty9-java
# jars (build/bench-jgit/) and starts it as a peer LFS server.
#
#   jgit_build                   javac into $ROOT/build/bench-jgit
#   jgit_start serve DIR LOG     JGit's LFS server storing in DIR
#   jgit_start noop - LOG        the no-op floor server
#   jgit_stop                    SIGTERM, then SIGKILL after 10 s
# jgit_start sets JGIT_PID and JGIT_URL (the LFS endpoint: batch at
# $JGIT_URL/objects/batch).  The caller defines die().

JGIT_JARS=/usr/share/java
JGIT_CLASSES=$ROOT/build/bench-jgit
JGIT_PID=
JGIT_URL=
jgit_classpath() {
	local j cp=$JGIT_CLASSES
	# jgit.lfs.server is built against the servlet 3.1 API; Debian's
	# servlet-api.jar (4.0, still javax.servlet) is what its jetty9 uses.
	for j in org.eclipse.jgit.lfs.server org.eclipse.jgit.lfs org.eclipse.jgit gson \
		servlet-api jetty9-server jetty9-servlet jetty9-security jetty9-http \
		jetty9-io jetty9-util slf4j-api slf4j-nop; do
		[ -f "$JGIT_JARS/$j.jar" ] || die "missing $JGIT_JARS/$j.jar (run scripts/deps.sh bench)"
		cp=$cp:$JGIT_JARS/$j.jar
	done
	echo "$cp"
}

jgit_build() {
	command -v javac >/dev/null && command -v java >/dev/null ||
		die "missing javac (run scripts/deps.sh bench)"
	JGIT_CP=$(jgit_classpath)
	mkdir -p "$JGIT_CLASSES"
	javac -nowarn -d "$JGIT_CLASSES" -cp "$JGIT_CP" "$ROOT/tests/bench/jgit/JgitLfsServer.java" ||
		die "JgitLfsServer.java did not compile against Debian's jgit and jetty9 jars"
}

jgit_start() { # serve DIR LOG | noop - LOG
	local i=0 line=
	: >"$3.out"
	if [ "$1" = serve ]; then
		java -cp "$JGIT_CP" JgitLfsServer serve "$2" >"$3.out" 2>"$3" &
	else
		java -cp "$JGIT_CP" JgitLfsServer noop >"$3.out" 2>"$3" &
	fi
	JGIT_PID=$!
	while [ $i -lt 600 ]; do
		line=$(grep -m1 '^listening on http' "$3.out" 2>/dev/null || true)
		[ -n "$line" ] && break
		kill -0 "$JGIT_PID" 2>/dev/null || { cat "$3" >&2; die "JgitLfsServer exited during start"; }
		sleep 0.05
		i=$((i + 1))
	done
	[ -n "$line" ] || die "JgitLfsServer did not become ready in 30 s"
	JGIT_URL=${line#listening on }
}

jgit_stop() {
	local pid=$JGIT_PID i=0
	[ -n "$pid" ] || return 0
	JGIT_PID=
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		# a reaped-but-waiting child counts as gone once it is a zombie
		[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
