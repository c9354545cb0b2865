#!/bin/sh
# How thptrace loads (issue 6): raw tracepoints where the kernel's BTF
# vouches for their arguments, CO-RE against the trimmed BTF, and the two
# fallbacks (perf-event tracepoints, the whole BTF) each still tracing the
# demo's whole chain; and a program refused at the real load falling back.  No BPF link or program outlives a run.
. "$(dirname "$0")/lib.sh"
need_root "the loading test"
command -v bpftool >/dev/null 2>&1 || { echo "SKIP: no bpftool to count BPF links"; exit 77; }
live_env_setup advise

# kind_of PROBE FILE: the tracepoint_kind --list-probes --json gave PROBE
# (where it has variant rows, the one that uses a tracepoint).
kind_of() {
	python3 -c '
import json, sys
kinds = []
for l in open(sys.argv[2]):
    e = json.loads(l)
    if e.get("probe") == sys.argv[1]:
        kinds.append(e.get("tracepoint_kind", "-"))
# a probe with variant rows: the kind of the one that serves
print(([k for k in kinds if k != "-"] or kinds or ["-"])[0])' "$1" "$2"
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

# A program the kernel refuses at the real load (THPTRACE_TEST_FAIL_LOAD
# forces it): its probe falls back as after a failed trial, one line says
# so, and the trace goes on (issue 16).  The raw collapse_file program
# gives way to the perf-event one, and the chain is still traced.
run_chain failraw THPTRACE_TEST_FAIL_LOAD=collapse_file_raw
check "failraw: one line names the refused program and the fallback" \
	[ "$(grep -c '^thptrace: collapse_file: raw tracepoint program collapse_file_raw refused at load: THPTRACE_TEST_FAIL_LOAD; using the perf-event tracepoint$' "$out/failraw.stderr")" -eq 1 ]
check "failraw: the collapse came by the perf-event tracepoint" grep -q '"event":"collapse_file".*"nr":' "$out/failraw.jsonl"
# The fault program, always on: its perf-event twin serves.
run_chain failfault THPTRACE_TEST_FAIL_LOAD=page_fault_user_raw
check "failfault: one line names the fallback" \
	[ "$(grep -c '^thptrace: fault: raw tracepoint program page_fault_user_raw refused at load: .*; using the perf-event tracepoint$' "$out/failfault.stderr")" -eq 1 ]
# Nothing left to fall back to (perf-event only, and its program refused):
# the probe is dropped, not the run; the page states still give the verdict.
rm -f "$dir/thp_demo"; demo=$(thp_env_copy_demo "$DEMO" "$dir")
THPTRACE_PERF_TRACEPOINTS=1 THPTRACE_TEST_FAIL_LOAD=collapse_file_tp "$THPTRACE" --json -o "$out/failtp.jsonl" \
	-- "$demo" > "$out/failtp.stdout" 2> "$out/failtp.stderr"
rc=$?
region=$(sed -n 's/^thp_demo: pid [0-9]* region \(0x[0-9a-f]*\)-.*/\1/p' "$out/failtp.stdout")
check "failtp: thptrace exits 0, not 5 ($rc)" [ "$rc" -eq 0 ]
check "failtp: one line says collapse_file is not traced" \
	[ "$(grep -c '^thptrace: collapse_file: tracepoint program collapse_file_tp refused at load: THPTRACE_TEST_FAIL_LOAD; not traced: pagemap sampling stands in$' "$out/failtp.stderr")" -eq 1 ]
check "failtp: no collapse_file event" sh -c "! grep -q '\"event\":\"collapse_file\"' '$out/failtp.jsonl'"
check "failtp: the region is still judged huge" python3 tests/live/check_jsonl.py "$out/failtp.jsonl" verdict "$region" huge pmd
# A name that is no program: nothing is forced, nothing said.
THPTRACE_TEST_FAIL_LOAD=no_such_program "$THPTRACE" -o "$out/nosuch.out" -- /bin/true 2> "$out/nosuch.stderr"
rc=$?
check "an unknown THPTRACE_TEST_FAIL_LOAD changes nothing" sh -c "[ $rc -eq 0 ] && ! grep -q 'program .* refused at load' '$out/nosuch.stderr'"

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
