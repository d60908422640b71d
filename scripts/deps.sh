#!/bin/sh
# Checks that the build and test dependencies are installed; installs the
# missing Debian packages with apt-get when run as root, otherwise prints
# the exact command and fails; with --check it never installs (a plain
# `make` builds or fails, it does not change the machine).
# Usage: scripts/deps.sh [--check] build|test|bench|fuzz|deb
set -eu
check_only=
if [ "${1:-}" = --check ]; then
	check_only=t
	shift
fi
need=""
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
have_cmd() { command -v "$1" >/dev/null 2>&1; }

command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
have_cmd cc || need="$need gcc"
have_cmd make || need="$need make"
have_pc libmicrohttpd || need="$need libmicrohttpd-dev"
have_pc jansson || need="$need libjansson-dev"
have_pc libcrypto || need="$need libssl-dev"
have_pc libgit2 || need="$need libgit2-dev"
have_pc sqlite3 || need="$need libsqlite3-dev"
have_pc libcurl || need="$need libcurl4-openssl-dev"
have_pc libxcrypt || need="$need libcrypt-dev"
have_pc libpq || need="$need libpq-dev"
have_pc libsystemd || need="$need libsystemd-dev"
case "${1:-build}" in
test|bench)
	have_cmd git || need="$need git"
	have_cmd git-lfs || need="$need git-lfs"
	have_cmd curl || need="$need curl"
	have_cmd prove || need="$need perl"
	have_cmd nginx || [ -x /usr/sbin/nginx ] || need="$need nginx"
	have_cmd sqlite3 || need="$need sqlite3"
	have_cmd openssl || need="$need openssl"
	have_cmd htpasswd || need="$need apache2-utils"
	[ -x /usr/sbin/apache2 ] || need="$need apache2"
	have_cmd jq || need="$need jq"
	[ -x /usr/sbin/logrotate ] || need="$need logrotate"
	have_cmd goaccess || need="$need goaccess"
	have_cmd python3 || need="$need python3"
	have_cmd mandoc || need="$need mandoc"
	have_cmd systemd-analyze || need="$need systemd"
	have_cmd javac || need="$need default-jdk-headless"
	[ -f /usr/share/java/org.eclipse.jgit.lfs.jar ] || need="$need libjgit-java"
	# /metrics is checked with Prometheus' parser, the status page in a browser.
	/usr/bin/python3 -c "import prometheus_client.parser" 2>/dev/null || need="$need python3-prometheus-client"
	have_cmd chromium || need="$need chromium"
	/usr/bin/python3 -c "import yaml" 2>/dev/null || need="$need python3-yaml"
	# The S3 tests: s3rver (pinned, from npm) and an independent client.
	have_cmd node || need="$need nodejs"
	have_cmd npm || need="$need npm"
	/usr/bin/python3 -c "import boto3" 2>/dev/null || need="$need python3-boto3"
	# SigV4 signatures are compared with botocore's (t9050).
	/usr/bin/python3 -c "import botocore.auth" 2>/dev/null || need="$need python3-botocore"
	# tests/services/postgres.sh starts a throwaway cluster with these.
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql"
	;;
esac
case "${1:-build}" in
bench)
	have_cmd wrk || need="$need wrk"
	have_cmd strace || need="$need strace"
	# JGit's LFS server, the peer in make bench (tests/bench/jgit/): its
	# servlets and the Jetty 9 they run on.
	[ -f /usr/share/java/org.eclipse.jgit.lfs.server.jar ] || need="$need libjgit-java"
	[ -f /usr/share/java/jetty9-server.jar ] || need="$need libjetty9-java"
	[ -f /usr/share/java/servlet-api.jar ] || need="$need libservlet-api-java"
	;;
fuzz) have_cmd clang || need="$need clang" ;;
esac
# Packaging (make deb); t8300 builds the packages, lints them and runs their
# sysusers and tmpfiles snippets into a scratch root.
case "${1:-build}" in
test|deb)
	have_cmd dpkg-buildpackage || need="$need dpkg-dev"
	have_cmd dh || need="$need debhelper"
	have_cmd fakeroot || need="$need fakeroot"
	have_cmd lintian || need="$need lintian"
	have_pc libsystemd || need="$need libsystemd-dev"
	;;
esac
case "${1:-build}" in
test) have_cmd systemd-sysusers || need="$need systemd" ;;
esac
[ -z "$need" ] && exit 0
if [ -n "$check_only" ]; then
	echo "missing packages:$need" >&2
	echo "install them with: make deps   (or: sudo apt-get install$need)" >&2
	exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing:$need" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >&2
	# A freshly installed nginx may start a system instance; tests start their own.
	exit 0
fi
echo "missing packages; run: sudo apt-get install$need" >&2
exit 1
