#!/bin/sh
# Targets and address filters (issue 2): -p PID, -a, --range inside and
# outside the demo's region, --text and --file; the filters run in BPF, so an
# excluded region must leave no event at all.
. "$(dirname "$0")/lib.sh"
need_root "the target and filter tests"
live_env_setup advise
J=tests/live/check_jsonl.py

region_of() { sed -n 's/^thp_demo: pid [0-9]* region \(0x[0-9a-f]*\)-.*/\1/p' "$1"; }

# count FILE EVENT REGION: events of that kind whose addr or region is in REGION
count() {
	python3 - "$@" <<'PY'
import json, sys
path, kind, region = sys.argv[1], sys.argv[2], int(sys.argv[3], 16)
n = 0
for line in open(path):
    e = json.loads(line)
    a = e.get("addr") or e.get("region")
    if e["event"] == kind and a and region <= int(a, 16) < region + (2 << 20):
        n += 1
print(n)
PY
}

fresh() { rm -f "$dir/thp_demo"; demo=$(thp_env_copy_demo "$DEMO" "$dir"); }

# --text and --file: the demo's region is in both.
for opt in --text "--file=$dir/thp_demo"; do
	fresh
	name=$(echo "$opt" | sed 's/[^a-z]//g')
	"$THPTRACE" --json "$opt" -o "$out/$name.jsonl" -- "$demo" > "$out/$name.stdout" 2>&1
	check "$opt: exit 0" [ $? -eq 0 ]
	r=$(region_of "$out/$name.stdout")
	check "$opt: collapse, not present, refault, PMD" python3 $J "$out/$name.jsonl" chain "$r"
	check "$opt: the anonymous region's madvise is filtered out" \
		[ "$(grep -c '"behavior":"MADV_HUGEPAGE"' "$out/$name.jsonl")" -eq 1 ]
done

# --range outside everything the demo maps: nothing about its region.
fresh
"$THPTRACE" --json --range 0x10000-0x20000 -o "$out/outside.jsonl" -- "$demo" > "$out/outside.stdout" 2>&1
rc=$?
r=$(region_of "$out/outside.stdout")
# 0x10000 is below mmap_min_addr: no mapping is there, and thptrace says so.
check "--range outside every mapping is refused (exit 3)" [ "$rc" -eq 3 ]
check "... with one line naming the range" grep -q "range 0x10000-0x20000 is outside every mapping" "$out/outside.stdout"

fresh
# A range that is mapped (the stack) but far from the region.
"$THPTRACE" --json --range 0x7ff000000000-0x7fffffffffff -o "$out/stack.jsonl" -- "$demo" > "$out/stack.stdout" 2>&1
check "--range elsewhere: exit 0" [ $? -eq 0 ]
r=$(region_of "$out/stack.stdout")
for k in collapse_file fault state madvise; do
	check "--range elsewhere: no $k event in the demo's region" [ "$(count "$out/stack.jsonl" $k "$r")" -eq 0 ]
done

# -p: attach to a running demo before khugepaged gets to it.
fresh
# An attached process has no exit stop: it holds a while after its touch so
# that its last state can still be read.
# The demo waits 4 s before its madvise: thptrace attaches well before that,
# even as a slow sanitizer build.
"$demo" --delay 4 --hold 1 > "$out/p.stdout" 2>&1 &
dpid=$!
"$THPTRACE" --json -p "$dpid" -o "$out/p.jsonl" > "$out/p.thptrace" 2>&1
rc=$?
wait "$dpid"
check "-p: thptrace exits 0 when the process ends" [ "$rc" -eq 0 ]
r=$(region_of "$out/p.stdout")
check "-p: the collapse of $r is attributed to it" python3 - "$out/p.jsonl" "$r" "$dpid" <<'PY'
import json, sys
region, pid = int(sys.argv[2], 16), int(sys.argv[3])
ok = any(e["event"] == "collapse_file" and e.get("target_pid") == pid
         and int(e.get("addr", "0x0"), 16) == region for e in map(json.loads, open(sys.argv[1])))
sys.exit(0 if ok else 1)
PY
check "-p: the verdict is huge" python3 $J "$out/p.jsonl" verdict "$r" huge pmd

# -a: everything, for a while; the demo's collapse is attributed to it.
fresh
"$THPTRACE" --json -a --duration 8 -o "$out/a.jsonl" > "$out/a.thptrace" 2>&1 &
tpid=$!
# Start the demo once thptrace is attached: its first line says so.
n=0
while ! grep -q '"event":"context"' "$out/a.jsonl" 2>/dev/null && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
"$demo" > "$out/a.stdout" 2>&1
wait "$tpid"
check "-a: thptrace exits 0 after --duration" [ $? -eq 0 ]
r=$(region_of "$out/a.stdout")
dpid=$(sed -n 's/^thp_demo: pid \([0-9]*\) .*/\1/p' "$out/a.stdout")
check "-a: every line parses" python3 $J "$out/a.jsonl" parses
check "-a: the demo's collapse is there, attributed to its pid $dpid" python3 - "$out/a.jsonl" "$r" "$dpid" <<'PY'
import json, sys
region, pid = int(sys.argv[2], 16), int(sys.argv[3])
ok = any(e["event"] == "collapse_file" and e.get("comm") == "khugepaged"
         and e.get("target_pid") == pid and int(e.get("addr", "0x0"), 16) == region
         for e in map(json.loads, open(sys.argv[1])))
sys.exit(0 if ok else 1)
PY
check "-a: stopped by duration" sh -c "tail -n1 '$out/a.jsonl' | grep -q '\"stopped\":\"duration\"'"
finish
