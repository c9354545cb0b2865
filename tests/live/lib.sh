# Shared by tests/live/test_*.sh: root check, the binaries, PASS/FAIL
# counting, and a tmpfs (huge=advise) with the demo in it, all restored on
# exit by tests/lib/thp_env.sh's trap.
cd "$(dirname "$0")/../.." || exit 1
THPTRACE=${THPTRACE:-$PWD/thptrace}
DEMO=${DEMO:-$PWD/build/thp_demo}
failures=0
live_outs=

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $1 needs root (BPF, tmpfs mounts, khugepaged knobs)"
		exit 77
	fi
}

check() {	# check "what" command...
	what=$1
	shift
	if "$@"; then
		echo "PASS: $what"
	else
		echo "FAIL: $what"
		failures=$((failures + 1))
	fi
}

# Outputs are kept only when something failed, and then named.
finish() {
	if [ "$failures" -eq 0 ]; then
		# shellcheck disable=SC2086
		[ -z "$live_outs" ] || rm -rf $live_outs
	elif [ -n "$live_outs" ]; then
		echo "outputs kept in:$live_outs"
	fi
	[ "$failures" -eq 0 ]
	exit $?
}

# live_env_setup [HUGE_MODE]: sets $dir (a tmpfs) and $demo (the demo copied in).
live_env_setup() {
	. tests/lib/thp_env.sh
	dir=$(mktemp -d "${TMPDIR:-/tmp}/thptrace-test.XXXXXX") || exit 1
	thp_env_rmdir_on_restore "$dir" || exit 1
	thp_env_setup "$dir" "${1:-advise}" || exit 1
	demo=$(thp_env_copy_demo "$DEMO" "$dir") || exit 1
	out=$dir.out
	mkdir -p "$out"
	live_outs="$live_outs $out"
}
