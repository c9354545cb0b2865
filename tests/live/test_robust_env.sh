#!/bin/sh
# Environment faults (issue: robustness): missing capabilities (as nobody,
# and as root with some dropped), no BTF, tracefs not mounted (thptrace
# mounts it and says so, or says how), probe functions missing from the
# kernel (fall back, said once per probe).  Each failure is one line on
# stderr and exit 4; nothing is left loaded.
. "$(dirname "$0")/lib.sh"
need_root "the environment-fault tests (setpriv, unshare)"
. tests/workloads/robust_lib.sh
robust_init

# (robust_init made $THPTRACE a copy that other users can run)
T=$THPTRACE

# ---- capabilities: exit 4, naming what is missing ----
setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps -all \
	"$T" -- true >"$work/out" 2>"$work/err"
rc=$?
check "as nobody: exit 4 (got $rc)" [ "$rc" -eq 4 ]
check "as nobody: one line naming CAP_BPF and CAP_PERFMON" \
	one_line "$work/err" 'missing capabilities CAP_BPF and CAP_PERFMON \(or CAP_SYS_ADMIN\)'
check "as nobody: no sanitizer report" no_sanitizer "$work/err"

setpriv --bounding-set -bpf,-sys_admin --inh-caps -bpf,-sys_admin "$T" -- true >"$work/out" 2>"$work/err"
rc=$?
check "root without CAP_BPF, CAP_SYS_ADMIN: exit 4 (got $rc)" [ "$rc" -eq 4 ]
check "root without CAP_BPF, CAP_SYS_ADMIN: names CAP_BPF only" \
	one_line "$work/err" 'missing capability CAP_BPF \(or CAP_SYS_ADMIN\)'

setpriv --bounding-set -perfmon,-sys_admin --inh-caps -perfmon,-sys_admin "$T" -- true >"$work/out" 2>"$work/err"
rc=$?
check "root without CAP_PERFMON, CAP_SYS_ADMIN: exit 4 (got $rc)" [ "$rc" -eq 4 ]
check "root without CAP_PERFMON, CAP_SYS_ADMIN: names CAP_PERFMON only" \
	one_line "$work/err" 'missing capability CAP_PERFMON \(or CAP_SYS_ADMIN\)'

# ---- no BTF: /sys/kernel/btf hidden in a private mount namespace ----
unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$0" -- true' "$T" \
	>"$work/out" 2>"$work/err"
rc=$?
check "no BTF: exit 4 (got $rc)" [ "$rc" -eq 4 ]
check "no BTF: one line saying so" \
	one_line "$work/err" 'this kernel has no BTF \(/sys/kernel/btf/vmlinux: No such file or directory\)'
check "no BTF: no BPF program left behind" no_leftovers

# ---- tracefs not mounted: thptrace mounts it and says so ----
cat >"$work/notracefs.sh" <<'EOF'
umount /sys/kernel/tracing 2>/dev/null
umount /sys/kernel/debug/tracing 2>/dev/null
umount /sys/kernel/debug 2>/dev/null
if [ -e /sys/kernel/tracing/events ] || [ -e /sys/kernel/debug/tracing/events ]; then
	echo "cannot unmount tracefs here" >&2
	exit 99
fi
exec "$@"
EOF
unshare -m sh "$work/notracefs.sh" "$T" --json -- true >"$work/out" 2>"$work/err"
rc=$?
check "tracefs not mounted: runs (exit $rc)" [ "$rc" -eq 0 ]
check "tracefs not mounted: says it mounted it, once" \
	[ "$(grep -c '^thptrace: tracefs was not mounted: mounted it at /sys/kernel/tracing$' "$work/err")" -eq 1 ]
check "tracefs not mounted: the trace has its summary" grep -q '"event":"summary"' "$work/out"
check "tracefs not mounted: the host's tracefs is untouched" test -e /sys/kernel/tracing/events
check "tracefs not mounted: no sanitizer report" no_sanitizer "$work/err"

# ... and where it cannot be mounted (no CAP_SYS_ADMIN), it says how.
unshare -m sh "$work/notracefs.sh" setpriv --bounding-set -sys_admin --inh-caps -sys_admin \
	"$T" -- true >"$work/out" 2>"$work/err"
rc=$?
check "tracefs not mountable: exit 4 (got $rc)" [ "$rc" -eq 4 ]
check "tracefs not mountable: one line saying how" \
	one_line "$work/err" "tracefs is not mounted and mounting it failed \(Operation not permitted\): run 'mount -t tracefs nodev /sys/kernel/tracing'"
check "tracefs not mountable: no BPF program left behind" no_leftovers

# ---- probe functions missing from the kernel: fall back, say so once ----
# THPTRACE_BTF names the BTF thptrace reads function prototypes from; a tiny
# one without any kernel function looks like a kernel where every probed
# function was inlined or renamed.
if command -v "${CLANG:-clang}" >/dev/null 2>&1; then
	printf 'struct thp_x { int a; };\nstruct thp_x thp_x_var;\n' >"$work/tiny.c"
	"${CLANG:-clang}" -g -O2 -target bpf -c "$work/tiny.c" -o "$work/tiny.o"
	THPTRACE_BTF=$work/tiny.o "$T" --list-probes --json >"$work/probes.jsonl" 2>/dev/null
	THPTRACE_BTF=$work/tiny.o "$T" --json -- true >"$work/out" 2>"$work/err"
	rc=$?
	check "functions missing: the trace runs (exit $rc)" [ "$rc" -eq 0 ]
	check "functions missing: the trace has its summary" grep -q '"event":"summary"' "$work/out"
	for p in collapse_file retract_page_tables pmdp_collapse_flush do_set_pmd filemap_map_pages; do
		mech=$(sed -n "s/.*\"probe\":\"$p\".*\"mechanism\":\"\([a-z]*\)\".*/\1/p" "$work/probes.jsonl")
		n=$(grep -c "^thptrace: $p: " "$work/err")
		check "functions missing: $p is said at most once (uses ${mech:-?})" [ "$n" -le 1 ]
		if [ "$mech" = none ]; then
			check "functions missing: $p falls back to pagemap, said once" \
				[ "$(grep -c "^thptrace: $p: not probeable here (fentry: $p is not in the kernel's BTF" "$work/err")" -eq 1 ]
		fi
	done
	check "functions missing: nothing else on stderr" \
		sh -c "! grep -v '^thptrace: [a-z_, ]*: ' '$work/err'"
else
	echo "PASS: (no clang: the missing-function case is not run)"
fi
check "no BPF program left behind at the end" no_leftovers
finish
