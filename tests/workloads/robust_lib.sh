# shellcheck shell=sh
# Shared by tests/live/test_robust_*.sh, sourced after tests/live/lib.sh (so
# $THPTRACE, check and finish exist).  robust_init sets $work (a private
# directory, mode 0755, removed at exit unless the caller's traps replace
# ours: then call robust_cleanup yourself), copies $THPTRACE there (and
# points $THPTRACE at the copy) and builds $RL (tests/workloads/robust_load).
#
#   try NAME RC REGEX [--no-bpf-check] -- ARGS...
#       Run thptrace ARGS (stdout to $work/out, stderr to $work/err) and check:
#       exit status RC, stderr exactly one line "thptrace: ..." matching
#       REGEX (grep -E), no sanitizer report, and none of our BPF programs
#       left loaded without an owner.
#   one_line FILE REGEX     FILE has exactly one line, "thptrace: " + REGEX
#   no_sanitizer FILE       no ASan/UBSan/LSan report in FILE
#   no_leftovers            none of our programs loaded since robust_init is
#                           held by no process (waits up to 3 s)
#   proc_state PID          "STATE TRACERPID" from /proc/PID/status ("gone" if none)
#   fds_clean PID           PID holds no BPF fd (program, map or link)

LEFT=tests/workloads/bpf_leftovers.py

robust_cleanup() {
	[ -n "${work:-}" ] && rm -rf "$work"
}

robust_init() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/thptrace-robust.XXXXXX") || exit 1
	trap robust_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	if [ ! -x "$THPTRACE" ]; then
		echo "FAIL: no executable $THPTRACE (run make, or set THPTRACE)"
		exit 1
	fi
	for t in bpftool python3 setpriv unshare; do
		command -v "$t" >/dev/null 2>&1 || { echo "SKIP: needs $t"; exit 77; }
	done
	# A private copy: a rebuild of the work tree's binary meanwhile (make
	# in another shell) must not pull it from under a running test.
	chmod 0755 "$work"
	cp "$THPTRACE" "$work/thptrace" && chmod 0755 "$work/thptrace" || exit 1
	THPTRACE=$work/thptrace
	RL=$work/robust_load
	${CC:-cc} -O2 -Wall -o "$RL" tests/workloads/robust_load.c || {
		echo "FAIL: cannot build tests/workloads/robust_load.c"
		exit 1
	}
	python3 "$LEFT" snapshot >"$work/bpf.before" || exit 1
}

no_sanitizer() {
	! grep -Eq 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$1"
}

one_line() {
	[ "$(wc -l <"$1")" -eq 1 ] && grep -Eq "^thptrace: ($2)" "$1"
}

no_leftovers() {
	python3 "$LEFT" leaked "$work/bpf.before" 3
}

proc_state() {
	awk '/^State:/ { s = $2 } /^TracerPid:/ { t = $2 } END { if (s == "") print "gone"; else print s, t }' \
		"/proc/$1/status" 2>/dev/null || echo gone
}

fds_clean() {
	! ls -l "/proc/$1/fd" 2>/dev/null | grep -Eq 'bpf-prog|bpf-map|bpf_link|bpf-link'
}

try() {	# try NAME RC REGEX [--no-bpf-check] -- ARGS...
	name=$1 want=$2 re=$3
	shift 3
	bpfcheck=1
	[ "$1" = --no-bpf-check ] && { bpfcheck=0; shift; }
	[ "$1" = -- ] && shift
	"$THPTRACE" "$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $name: exit status $got, expected $want"
		sed 's/^/    stderr: /' "$work/err" | head -5
		failures=$((failures + 1))
		return
	fi
	check "$name: exit $want, one line on stderr /$re/" one_line "$work/err" "$re"
	[ "$(wc -l <"$work/err")" -eq 1 ] || sed 's/^/    stderr: /' "$work/err" | head -5
	check "$name: no sanitizer report" no_sanitizer "$work/err"
	[ "$bpfcheck" -eq 1 ] && check "$name: no BPF program left behind" no_leftovers
	return 0
}
