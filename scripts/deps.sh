#!/bin/sh
# Checks that the build and test dependencies are installed; installs the
# missing Debian packages with apt-get when run as root, otherwise prints
# the exact command and fails. Usage: scripts/deps.sh build|test|bench|fuzz
set -eu
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
	have_cmd javac || need="$need default-jdk-headless"
	[ -f /usr/share/java/org.eclipse.jgit.lfs.jar ] || need="$need libjgit-java"
	;;
esac
case "${1:-build}" in
bench) have_cmd wrk || need="$need wrk" ;;
fuzz) have_cmd clang || need="$need clang" ;;
esac
[ -z "$need" ] && exit 0
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
