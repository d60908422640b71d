#!/usr/bin/env bash
# with.sh COMMAND...: runs COMMAND (the test suite) with the services that
# several tests share started once around it: every tests/services/NAME.sh
# that answers `start DIR` with `export VAR=...` lines.  Tests find a
# service through those variables; a test run alone (no variables) starts
# its own.  The services are stopped however COMMAND ends.
set -u
here=$(cd "$(dirname "$0")" && pwd)
base=${LFS_SERVICES_DIR:-$(pwd)/build/services}
started=()

stop_all() {
	local name
	for name in "${started[@]}"; do
		"$here/$name.sh" stop "$base/$name" >/dev/null 2>&1 ||
			echo "with.sh: stopping $name failed (see $base/$name)" >&2
	done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

for script in "$here"/*.sh; do
	name=$(basename "$script" .sh)
	[ "$name" = with ] && continue
	rm -rf "${base:?}/$name"
	mkdir -p "$base/$name"
	if ! exports=$("$script" start "$base/$name"); then
		echo "with.sh: $name did not start (see $base/$name); its tests start their own" >&2
		continue
	fi
	started+=("$name")
	eval "$exports"
done
"$@"
