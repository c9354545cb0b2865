#!/bin/sh
# Anonymous and multi-size THP on this kernel (issue 13), with
# tests/workloads/thp_anon.c: each pattern gets its verdict and a true why
# from tracepoints, pagemap/kpageflags and the fault counters:
#  - huge at fault (became_huge at_fault, kmem:mm_page_alloc order 9);
#  - fault_fallback under a memory cgroup limit (cause cgroup_charge);
#  - sparse touches collapsed by khugepaged (became_huge khugepaged);
#  - refused by khugepaged/max_ptes_none set low (scan_failed, the knob);
#  - MADV_COLLAPSE (became_huge madv_collapse);
#  - MADV_NOHUGEPAGE and PR_SET_THP_DISABLE (not_eligible, the rule);
#  - mTHP (mthp, the size) where the kernel has hugepages-64kB;
#  - report replays each saved trace to the same verdicts.
# Every knob changed here (max_ptes_none, the per-size enabled, a memory
# cgroup) is put back on every exit path.
. "$(dirname "$0")/lib.sh"
need_root "anonymous THP tracing"
ANON=${ANON:-$PWD/build/thp_anon}
T=/sys/kernel/mm/transparent_hugepage
saved=
cg=

anon_restore() {
	# shellcheck disable=SC2086
	for kv in $saved; do
		printf '%s\n' "${kv#*=}" >"$T/${kv%%=*}" 2>/dev/null || echo "test_anon: cannot restore ${kv%%=*}" >&2
	done
	saved=
	if [ -n "$cg" ] && [ -d "$cg" ]; then
		rmdir "$cg" 2>/dev/null || echo "test_anon: cannot remove $cg" >&2
	fi
	cg=
	thp_env_restore
}

# set_knob NAME VALUE: save NAME's current value (first time), then set it
set_knob() {
	case " $saved " in
	*" $1="*) ;;
	*)
		v=$(sed 's/.*\[\(.*\)\].*/\1/' "$T/$1") || return 1
		saved="$saved $1=$v"
		;;
	esac
	printf '%s\n' "$2" >"$T/$1"
}

# restore_knob NAME: put NAME back now (others may share the machine)
restore_knob() {
	keep=
	for kv in $saved; do
		if [ "${kv%%=*}" = "$1" ]; then
			printf '%s\n' "${kv#*=}" >"$T/$1" || echo "test_anon: cannot restore $1" >&2
		else
			keep="$keep $kv"
		fi
	done
	saved=$keep
}

# verdicts FILE: "reason:became:fallback:mthp|why" per region, address order
verdicts() {
	python3 - "$1" <<'PY'
import json, sys
rows = []
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e["event"] == "verdict" and not e["file"]:
        rows.append((int(e["region"], 16), "%s:%s:%s:%s|%s" % (e["reason"], e.get("became_huge", "-"),
                     e.get("fallback_cause", "-"), e.get("mthp_sizes", "-"), e["why"])))
for _, r in sorted(rows):
    print(r)
PY
}

# run NAME ARGS...: trace the workload, JSON to $out/NAME.jsonl
run() {
	name=$1
	shift
	"$THPTRACE" --json -o "$out/$name.jsonl" -- "$ANON" "$@" >"$out/$name.stdout" 2>&1
	rc=$?
	check "$name: the workload ran (exit $rc)" [ "$rc" -eq 0 ]
	verdicts "$out/$name.jsonl" >"$out/$name.verdicts"
	"$THPTRACE" report --json "$out/$name.jsonl" >"$out/$name.replay.jsonl" 2>&1
	verdicts "$out/$name.replay.jsonl" >"$out/$name.replay.verdicts"
	check "$name: report replays it to the same verdicts" cmp -s "$out/$name.verdicts" "$out/$name.replay.verdicts"
}

# expect NAME PATTERN WHY: both regions' verdict lines match PATTERN and say WHY
expect() {
	n=$(grep -c "^$2" "$out/$1.verdicts")
	check "$1: both regions '$2' (got: $(cut -d'|' -f1 "$out/$1.verdicts" | tr '\n' ' '))" [ "$n" -eq 2 ]
	check "$1: the why says '$3'" grep -qF "$3" "$out/$1.verdicts"
}

live_env_setup advise
trap 'anon_restore' EXIT
trap 'anon_restore; trap - INT; kill -INT $$' INT
trap 'anon_restore; trap - TERM; kill -TERM $$' TERM
trap 'anon_restore; trap - HUP; kill -HUP $$' HUP
if grep -q '\[never\]' "$T/enabled"; then
	echo "SKIP: transparent_hugepage/enabled is never"
	exit 77
fi

run fault fault
expect fault "huge:at_fault:" "A fault made it huge directly"

run sparse sparse 30
expect sparse "huge:khugepaged:" "khugepaged collapsed its small pages into a huge page"

set_knob khugepaged/max_ptes_none 64
run ptes_none sparse 30
expect ptes_none "scan_failed:" "Decided by khugepaged/max_ptes_none = 64"
# the perf-event tracepoint has a frame number, no folio: the address
# comes from the target's pagemap
THPTRACE_PERF_TRACEPOINTS=1
export THPTRACE_PERF_TRACEPOINTS
run ptes_none_perf sparse 30
unset THPTRACE_PERF_TRACEPOINTS
expect ptes_none_perf "scan_failed:" "Decided by khugepaged/max_ptes_none = 64"
check "ptes_none_perf: the scans' addresses came from pagemap" \
	grep -q '"event":"scan_pmd".*"addr":"0x[0-9a-f]*".*"result":"SCAN_EXCEED_NONE_PTE"' "$out/ptes_none_perf.jsonl"
restore_knob khugepaged/max_ptes_none

run collapse collapse
expect collapse "huge:madv_collapse:" "MADV_COLLAPSE collapsed its small pages into a huge page"

run nohugepage nohugepage
expect nohugepage "not_eligible:" "MADV_NOHUGEPAGE"

run disabled disabled
expect disabled "not_eligible:" "PR_SET_THP_DISABLE"

memcg=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
if [ -d /sys/fs/cgroup/memory ] && [ -n "$memcg" ]; then
	cg=/sys/fs/cgroup/memory${memcg%/}/thptrace-anon-$$
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.subtree_control; then
	cg=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup | sed 's,/$,,')/thptrace-anon-$$
fi
if [ -n "$cg" ] && mkdir "$cg" 2>/dev/null; then
	run fallback fallback "$cg"
	expect fallback "fault_fallback:-:cgroup_charge:" "memory cgroup's limit refused"
	rmdir "$cg" 2>/dev/null
	cg=
else
	cg=
	echo "SKIP: fallback: no memory cgroup can be made here"
fi

if [ -d "$T/hugepages-64kB" ]; then
	set_knob hugepages-2048kB/enabled never
	set_knob hugepages-64kB/enabled always
	run mthp mthp
	expect mthp "mthp:-:-:64kB" "multi-size THP folios of 64 kB"
else
	echo "SKIP: mthp: this kernel has no multi-size THP (hugepages-64kB)"
fi
anon_restore
trap - EXIT INT TERM HUP
finish
