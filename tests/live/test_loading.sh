#!/bin/sh
# How thptrace loads (issue 6): raw tracepoints where the kernel's BTF
# vouches for their arguments, CO-RE against the trimmed BTF, and the two
# fallbacks (perf-event tracepoints, the whole BTF) each still tracing the
# demo's whole chain.  No BPF link or program outlives a run.
. "$(dirname "$0")/lib.sh"
need_root "the loading test"
command -v bpftool >/dev/null 2>&1 || { echo "SKIP: no bpftool to count BPF links"; exit 77; }
live_env_setup advise

# kind_of PROBE FILE: the tracepoint_kind --list-probes --json gave PROBE.
kind_of() {
	python3 -c '
import json, sys
for l in open(sys.argv[2]):
    e = json.loads(l)
    if e.get("probe") == sys.argv[1]:
        print(e.get("tracepoint_kind", "-"))' "$1" "$2"
}

"$THPTRACE" --list-probes --json > "$out/probes.jsonl" 2>&1
check "--list-probes --json exits 0" [ $? -eq 0 ]
# page_fault_user's arguments have not changed since 4.15: with BTF it is raw.
check "fault uses a raw tracepoint" [ "$(kind_of fault "$out/probes.jsonl")" = raw ]
for p in collapse_file filemap_map_pages scan_file madvise exec exit; do
	k=$(kind_of "$p" "$out/probes.jsonl")
	check "$p names its tracepoint kind ($k)" sh -c "[ '$k' = raw ] || [ '$k' = perf_event ] || [ '$k' = - ]"
done
THPTRACE_PERF_TRACEPOINTS=1 "$THPTRACE" --list-probes --json > "$out/probes-perf.jsonl" 2>&1
check "THPTRACE_PERF_TRACEPOINTS=1 makes fault a perf-event tracepoint" \
	[ "$(kind_of fault "$out/probes-perf.jsonl")" = perf_event ]
THPTRACE_PERF_TRACEPOINTS=1 "$THPTRACE" --list-probes > "$out/probes-perf.txt" 2>&1
check "the text table says why not raw" grep -q 'not raw: THPTRACE_PERF_TRACEPOINTS is set' "$out/probes-perf.txt"

links() { bpftool link list 2>/dev/null | grep -c '^[0-9]*:'; }
progs() { bpftool prog list 2>/dev/null | grep -c '^[0-9]*:'; }
links0=$(links) progs0=$(progs)

# run_chain LABEL ENV...: the demo's chain under thptrace with ENV set.
run_chain() {
	label=$1; shift
	rm -f "$dir/thp_demo"; demo=$(thp_env_copy_demo "$DEMO" "$dir")
	env "$@" "$THPTRACE" --json -o "$out/$label.jsonl" -- "$demo" > "$out/$label.stdout" 2> "$out/$label.stderr"
	rc=$?
	region=$(sed -n 's/^thp_demo: pid [0-9]* region \(0x[0-9a-f]*\)-.*/\1/p' "$out/$label.stdout")
	check "$label: thptrace exits 0" [ "$rc" -eq 0 ]
	check "$label: collapse, not present, refault, PMD for $region" \
		python3 tests/live/check_jsonl.py "$out/$label.jsonl" chain "$region"
	check "$label: every JSON line parses" python3 tests/live/check_jsonl.py "$out/$label.jsonl" parses
}
run_chain default THPTRACE_UNUSED=1
check "default: relocated against the trimmed BTF (no fallback line)" \
	sh -c "! grep -q 'trimmed BTF' '$out/default.stderr'"
check "default: the madvise was seen" grep -q '"event":"madvise"' "$out/default.jsonl"
check "default: the exec was seen, with its file" grep -q '"event":"exec".*thp_demo' "$out/default.jsonl"
run_chain perf THPTRACE_PERF_TRACEPOINTS=1
check "perf: the madvise was seen" grep -q '"event":"madvise"' "$out/perf.jsonl"
run_chain fullbtf THPTRACE_FULL_BTF=1
# A trimmed BTF that cannot serve: the whole one is used, and one line says so.
run_chain badtrim THPTRACE_TEST_EMPTY_CORE_BTF=1
check "badtrim: one line names the fallback" \
	[ "$(grep -c '^thptrace: relocating against the trimmed BTF failed (.*); used the whole BTF$' "$out/badtrim.stderr")" -eq 1 ]

"$THPTRACE" -o "$out/true.out" -- /bin/true 2>/dev/null
check "thptrace -- /bin/true exits 0" [ $? -eq 0 ]
# The kernel frees programs after an RCU grace period: allow it 5 s.
i=0
while [ $i -lt 50 ] && { [ "$(links)" -ne "$links0" ] || [ "$(progs)" -ne "$progs0" ]; }; do
	sleep 0.1; i=$((i + 1))
done
check "no BPF link outlives the runs ($links0 before, $(links) after)" [ "$(links)" -eq "$links0" ]
check "no BPF program outlives the runs ($progs0 before, $(progs) after)" [ "$(progs)" -eq "$progs0" ]
finish
