#!/bin/sh
# `-a` on a busy machine (issue 14), with tests/workloads/thp_short.c: many
# short processes, each madvising and touching one 2 MiB region, beside a
# process that faults a lot and never asks for huge pages.
#  - every short process gets its own verdict: the kernel reuses a freed
#    mm_struct for the next process, and thptrace must not merge them;
#  - each process's verdict is written when it exits (streaming), not at
#    the end, and exactly once;
#  - the relevance filter: faults in the madvised regions are recorded,
#    the other process's are only counted (faults_unrecorded in the
#    summary), and it leaves no line at all; --faults all records them;
#  - report replays the trace to the same verdicts;
#  - in THP mode always (Debian's default) the filter stays on: a process
#    that gets a huge page at a fault without any madvise (thp_anon plain)
#    matters from its 2 MiB allocation on, one that never does leaves no
#    line; where do_huge_pmd_anonymous_page can be probed, its regions get
#    their verdicts (this host cannot: the QEMU matrix checks that part).
. "$(dirname "$0")/lib.sh"
need_root "tracing every process"
SHORT=${SHORT:-$PWD/build/thp_short}
N=300

live_env_setup advise
trap 'thp_env_restore' EXIT
trap 'thp_env_restore; exit 1' INT TERM HUP

# run_all OUT [OPTIONS]: -a while the short processes and the faulter run
run_all() {
	f=$1
	shift
	"$THPTRACE" -a --json -o "$f" "$@" 2> "$f.err" &
	tp=$!
	for _ in $(seq 100); do
		grep -q '"event":"context"' "$f" 2>/dev/null && break
		sleep 0.05
	done
	# about 16 MiB of small pages, no madvise: faults thptrace need not keep
	awk 'BEGIN { for (i = 0; i < 200000; i++) a[i] = i }' &
	ap=$!
	"$SHORT" "$N" 2 > "$f.short"
	src=$?
	wait "$ap"
	echo "$ap" > "$f.awkpid"
	sleep 0.5
	kill -INT "$tp"
	wait "$tp"
	trc=$?
	check "thp_short ran its $N processes (exit $src)" [ "$src" -eq 0 ]
	check "-a stopped by SIGINT exits 0 (got $trc)" [ "$trc" -eq 0 ]
}

run_all "$out/all.jsonl"
python3 - "$out/all.jsonl" "$N" "$(cat "$out/all.jsonl.awkpid")" > "$out/check.txt" <<'PY'
import json, sys
path, n, awk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = [json.loads(l) for l in open(path, encoding="utf-8")]
kids = {e["pid"]: i for i, e in enumerate(lines) if e["event"] == "exit" and e["comm"] == "thp_short"
        and e["pid"] == e["tgid"]}
# the parent is a thp_short too: its children are those that madvised
madvised = {e["pid"] for e in lines if e["event"] == "madvise" and e["comm"] == "thp_short"}
kids = {p: i for p, i in kids.items() if p in madvised}
verdicts = {}
mms = {}
for i, e in enumerate(lines):
    if e["event"] == "verdict" and e["target_pid"] in kids:
        verdicts.setdefault(e["target_pid"], []).append(i)
        mms.setdefault(e["mm"], set()).add(e["target_pid"])
summary = [e for e in lines if e["event"] == "summary"]
summary_at = next(i for i, e in enumerate(lines) if e["event"] == "summary")
print("children", len(kids))
print("one_verdict_each", sum(1 for p in kids if len(verdicts.get(p, [])) == 1))
print("merged_mms", sum(1 for s in mms.values() if len(s) > 1))
print("written_at_exit", sum(1 for p, i in kids.items() if verdicts.get(p) and i < verdicts[p][0] < summary_at
                              and verdicts[p][0] - i < 50))
print("kid_faults", sum(1 for e in lines if e["event"] == "fault" and e.get("target_pid") in kids))
print("awk_lines", sum(1 for e in lines if e.get("pid") == awk or e.get("target_pid") == awk))
print("unrecorded", summary[0].get("faults_unrecorded", -1) if summary else -1)
print("kid_exit_counts", sum(1 for e in lines if e["event"] == "exit" and e["pid"] in kids and "faults_unrecorded" in e))
PY
val() { sed -n "s/^$1 //p" "$out/check.txt"; }
check "the $N short processes were seen (got $(val children))" [ "$(val children)" -eq "$N" ]
check "... each has exactly one verdict (got $(val one_verdict_each))" [ "$(val one_verdict_each)" -eq "$N" ]
check "... and no mm id holds two processes (got $(val merged_mms))" [ "$(val merged_mms)" -eq 0 ]
check "... each verdict written right after its process's exit, before the summary (got $(val written_at_exit))" \
	[ "$(val written_at_exit)" -eq "$N" ]
check "... their faults in the madvised regions are recorded (got $(val kid_faults))" [ "$(val kid_faults)" -ge "$N" ]
check "... with each exit's count of faults not recorded (got $(val kid_exit_counts))" [ "$(val kid_exit_counts)" -eq "$N" ]
check "the faulter that never asked for huge pages left no line (got $(val awk_lines))" [ "$(val awk_lines)" -eq 0 ]
check "... its faults are counted in the summary's faults_unrecorded (got $(val unrecorded))" \
	[ "$(val unrecorded)" -gt 1000 ]

"$THPTRACE" report --json "$out/all.jsonl" > "$out/replay.jsonl"
grep '"event":"verdict"' "$out/all.jsonl" > "$out/live.verdicts"
grep '"event":"verdict"' "$out/replay.jsonl" > "$out/replay.verdicts"
check "report replays the same verdicts, in the same order ($(wc -l < "$out/live.verdicts") lines)" \
	cmp -s "$out/live.verdicts" "$out/replay.verdicts"

# --faults all: today's default for a CMD, every fault recorded
N=20
run_all "$out/every.jsonl" --faults all
awk_faults=$(grep -c "\"pid\":$(cat "$out/every.jsonl.awkpid"),.*\"event\":\"fault\"\|\"event\":\"fault\".*\"pid\":$(cat "$out/every.jsonl.awkpid")," "$out/every.jsonl")
check "--faults all: the faulter's faults are recorded (got $awk_faults)" [ "$awk_faults" -gt 1000 ]
check "... and the summary has no faults_unrecorded" sh -c "! grep -q '\"event\":\"summary\".*faults_unrecorded' '$out/every.jsonl'"

# THP mode always, restored on every way out
ANON=${ANON:-$PWD/build/thp_anon}
T=/sys/kernel/mm/transparent_hugepage
was=$(sed 's/.*\[\(.*\)\].*/\1/' "$T/enabled")
restore_enabled() {
	[ -z "$was" ] || echo "$was" > "$T/enabled" || echo "test_system_wide: cannot restore enabled=$was" >&2
	was=
}
trap 'restore_enabled; thp_env_restore' EXIT
trap 'restore_enabled; thp_env_restore; exit 1' INT TERM HUP
echo always > "$T/enabled"
f=$out/always.jsonl
"$THPTRACE" -a --json -o "$f" 2> "$f.err" &
tp=$!
for _ in $(seq 100); do
	grep -q '"event":"context"' "$f" 2>/dev/null && break
	sleep 0.05
done
for _ in $(seq 50); do /bin/true; done
"$ANON" plain > "$f.anon" 2>&1 &
ap=$!
wait "$ap"
arc=$?
sleep 0.5
kill -INT "$tp"
wait "$tp"
trc=$?
restore_enabled
check "always: thp_anon plain ran (exit $arc)" [ "$arc" -eq 0 ]
check "always: -a stopped by SIGINT exits 0 (got $trc)" [ "$trc" -eq 0 ]
python3 - "$f" "$ap" > "$out/check.txt" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ap = int(sys.argv[2])
ctx = lines[0]
summary = [e for e in lines if e["event"] == "summary"]
mine = [e for e in lines if e.get("pid") == ap or e.get("target_pid") == ap]
print("mode", ctx.get("thp_enabled"))
print("unrecorded", summary[0].get("faults_unrecorded", -1) if summary else -1)
print("pmd_allocs", sum(1 for e in mine if e["event"] == "page_alloc" and e.get("order") == 9))
print("exit", sum(1 for e in mine if e["event"] == "exit" and e["pid"] == ap))
print("true_lines", sum(1 for e in lines if e.get("comm") == "true"))
print("huge_faults", sum(1 for e in mine if e["event"] == "huge_fault"))
print("huge_at_fault", sum(1 for e in mine if e["event"] == "verdict" and e["reason"] in ("huge", "fault_fallback")))
PY
check "always: the context says THP mode always (got $(val mode))" [ "$(val mode)" = always ]
check "always: the filter stays on: faults counted, not recorded (got $(val unrecorded))" [ "$(val unrecorded)" -gt 100 ]
check "always: thp_anon's 2 MiB allocations at its faults are kept, no madvise needed (got $(val pmd_allocs))" \
	[ "$(val pmd_allocs)" -ge 2 ]
check "always: ... and so is its exit: THP concerns it (got $(val exit))" [ "$(val exit)" -eq 1 ]
check "always: the 50 processes that never had a huge page left no line (got $(val true_lines))" [ "$(val true_lines)" -eq 0 ]
if [ "$(val huge_faults)" -gt 0 ]; then
	check "always: each region the huge faults made has its verdict (got $(val huge_at_fault))" \
		[ "$(val huge_at_fault)" -ge 2 ]
else
	echo "(always: no do_huge_pmd_anonymous_page probe here; its regions' verdicts are the QEMU matrix's check)"
fi

"$THPTRACE" -a --faults sometimes > "$out/usage.txt" 2>&1
rc=$?
check "--faults sometimes: usage error, exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "... in one line" [ "$(wc -l < "$out/usage.txt")" -eq 1 ]
finish
