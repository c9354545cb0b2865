#!/bin/sh
# Attaching to what already runs (issue 18), with tests/workloads/thp_resident.c:
# a process that has, before thptrace starts, an anonymous PMD-mapped
# region, a madvised anonymous region kept small, and a PMD-mapped file THP
# on a huge=advise tmpfs.
#  - -p: a snapshot (state events via snapshot) within a second; the huge
#    regions are `huge`, "already PMD-mapped when tracing began"; the small
#    one gets the reasons that apply now; report replays the same verdicts;
#  - --no-snapshot: nothing is known;
#  - --resnapshot: a split that no event announces (process_madvise from
#    another process) shows up, inferred;
#  - -a: the process, started before, is picked up.
. "$(dirname "$0")/lib.sh"
need_root "attaching to a running process"
RESIDENT=${RESIDENT:-$PWD/build/thp_resident}

# khugepaged at its default pace: the split below must not be collapsed
# again before a snapshot can see it (the tmpfs is what this test needs)
THP_ENV_SCAN_MS=10000
live_env_setup advise
rpid=
stop_resident() {
	[ -z "$rpid" ] || kill "$rpid" 2>/dev/null
	[ -z "$rpid" ] || wait "$rpid" 2>/dev/null
	rpid=
}
trap 'stop_resident; thp_env_restore' EXIT
trap 'stop_resident; thp_env_restore; exit 1' INT TERM HUP

"$RESIDENT" --hold 120 "$dir" > "$out/resident.txt" 2>&1 &
rpid=$!
for _ in $(seq 100); do
	grep -q '^ready$' "$out/resident.txt" && break
	kill -0 "$rpid" 2>/dev/null || break
	sleep 0.1
done
check "thp_resident is ready" grep -q '^ready$' "$out/resident.txt"
region_of() { sed -n "s/^thp_resident: pid [0-9]* .*$1 \(0x[0-9a-f]*\).*/\1/p" "$out/resident.txt"; }
huge=$(region_of anon_huge)
small=$(region_of anon_small)
file=$(region_of file_huge)

# verdict FILE REGION: "reason|why" of the region's verdict
verdict() {
	python3 - "$1" "$2" <<'PY'
import json, sys
region = int(sys.argv[2], 16)
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e["event"] == "verdict" and int(e["region"], 16) == region:
        print("%s|%s" % (e["reason"], e["why"]))
PY
}

# says TEXT ERE: the verdict line TEXT ("reason|why") matches ERE
says() { printf '%s\n' "$1" | grep -Eq "$2"; }

"$THPTRACE" -p "$rpid" --duration 1 --json -o "$out/attach.jsonl" 2> "$out/attach.err"
rc=$?
check "-p: exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "-p: the snapshot came within a second, as state events via snapshot with the madvise flags" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
s = [e for e in ev if e["event"] == "state" and e["via"] == "snapshot"]
want = {int(a, 16) for a in sys.argv[2:]}
got = {int(e["region"], 16) for e in s}
sys.exit(0 if want <= got and all(e["t"] < 1.0 and e["vm_hugepage"] is True for e in s
                                  if int(e["region"], 16) in want) else 1)' "$out/attach.jsonl" "$huge" "$small" "$file"
for r in "$huge" "$file"; do
	v=$(verdict "$out/attach.jsonl" "$r")
	check "-p: $r is huge, already PMD-mapped when tracing began (got '${v%%|*}')" \
		says "$v" '^huge\|.*Already PMD-mapped when tracing began'
done
v=$(verdict "$out/attach.jsonl" "$small")
check "-p: the small madvised region $small is not huge, with a reason (got '${v%%|*}')" \
	says "$v" '^(not_scanned|not_collapsed|scan_failed|not_eligible)\|.+'
check "-p: its why does not guess about before tracing" sh -c '! printf "%s\n" "$1" | grep -q "Already PMD-mapped"' - "$v"
"$THPTRACE" report --json "$out/attach.jsonl" > "$out/replay.jsonl" 2>&1
check "-p: report gives the same verdicts" \
	sh -c "grep '\"event\":\"verdict\"' '$out/attach.jsonl' > '$out/a'; grep '\"event\":\"verdict\"' '$out/replay.jsonl' > '$out/b'; [ -s '$out/a' ] && cmp -s '$out/a' '$out/b'"
"$THPTRACE" -p "$rpid" --duration 0.5 > "$out/attach.txt" 2>&1
check "-p text: the timeline starts with the snapshot" grep -q 'state .*\[snapshot\]$' "$out/attach.txt"

"$THPTRACE" -p "$rpid" --duration 0.5 --no-snapshot --json -o "$out/nosnap.jsonl" 2>/dev/null
check "--no-snapshot: no snapshot, no verdict" \
	sh -c "! grep -q '\"via\":\"snapshot\"\\|\"event\":\"verdict\"' '$out/nosnap.jsonl'"

# A PMD lost without any event of the target: another process pages part
# of it out (process_madvise), which splits it; the periodic snapshot sees it.
"$THPTRACE" -p "$rpid" --duration 2 --resnapshot 0.05 --json -o "$out/resnap.jsonl" 2>/dev/null &
tpid=$!
sleep 0.6
python3 - "$rpid" "$huge" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
fd = os.pidfd_open(int(sys.argv[1]))
iov = iovec(int(sys.argv[2], 16), 16 * 4096)
# process_madvise(pidfd, iovec, 1, MADV_PAGEOUT, 0), x86_64 and arm64: 440
if libc.syscall(440, fd, ctypes.byref(iov), 1, 21, 0) < 0:
    sys.exit("process_madvise: %s" % os.strerror(ctypes.get_errno()))
PY
check "resnapshot: process_madvise paged part of $huge out" [ $? -eq 0 ]
wait "$tpid"
# khugepaged may have collapsed it again since (another test may run it
# fast): then it is huge, the split one of its milestones
v=$(verdict "$out/resnap.jsonl" "$huge")
check "resnapshot: $huge was split, not by a system call of the process (got '${v%%|*}')" python3 -c '
import json, sys
r = int(sys.argv[2], 16)
v = [json.loads(l) for l in open(sys.argv[1])]
v = [e for e in v if e["event"] == "verdict" and int(e["region"], 16) == r]
ok = v and (v[-1]["reason"] == "split" and "not by a system call of the process" in v[-1]["why"] or
            any(m["what"] == "split" and "not by a system call" in m["detail"] for m in v[-1]["milestones"]))
sys.exit(0 if ok else 1)' "$out/resnap.jsonl" "$huge"
check "resnapshot: a later snapshot showed it" python3 -c '
import json, sys
r = int(sys.argv[2], 16)
s = [json.loads(l) for l in open(sys.argv[1])]
s = [e for e in s if e["event"] == "state" and e["via"] == "snapshot" and int(e["region"], 16) == r]
sys.exit(0 if len(s) >= 2 and s[0]["state"] == "pmd" and any(e["state"] == "pte" for e in s[1:]) else 1)' "$out/resnap.jsonl" "$huge"

"$THPTRACE" -a --duration 1 --json -o "$out/all.jsonl" 2>/dev/null
check "-a: the process started before is picked up, its file THP huge" python3 -c '
import json, sys
pid, r = int(sys.argv[2]), int(sys.argv[3], 16)
v = [json.loads(l) for l in open(sys.argv[1])]
v = [e for e in v if e["event"] == "verdict" and e["target_pid"] == pid and int(e["region"], 16) == r]
sys.exit(0 if v and v[-1]["reason"] == "huge" else 1)' "$out/all.jsonl" "$rpid" "$file"

"$THPTRACE" --resnapshot 1 -- /bin/true > /dev/null 2> "$out/usage.err"
rc=$?
check "--resnapshot with a CMD: usage error, exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "... with a one-line message" [ "$(wc -l < "$out/usage.err")" -eq 1 ]
stop_resident
finish
