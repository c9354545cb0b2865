#!/bin/sh
# Runtime faults (issue: robustness): a full ring buffer is counted and
# reported, the trace goes on and exits 0; processes that vanish between an
# event and its /proc reads are marked (state "unknown", present -1), never
# a crash; an exec under thptrace replaces the mm it samples; -u runs CMD as
# another user while thptrace stays root.
. "$(dirname "$0")/lib.sh"
need_root "the runtime-fault tests (BPF, tmpfs)"
. tests/workloads/robust_lib.sh
robust_init
live_env_setup advise	# $dir: a huge=advise tmpfs; its trap replaces ours
trap 'thp_env_restore; robust_cleanup; rm -rf "$out"' EXIT

only_notes() {	# stderr holds nothing but the probe notes
	! grep -v '^thptrace: [a-z_, ]*: ' "$1"
}

# ---- ring buffer overflow: lost records counted, the trace goes on ----
# 64 MiB of anonymous page faults (16384) into a 4 KiB ring buffer.
THPTRACE_RINGBUF_BYTES=4096 "$THPTRACE" --json -o "$work/rb.jsonl" -- "$RL" faults 64 \
	>"$work/out" 2>"$work/err"
rc=$?
check "ring buffer overflow: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "ring buffer overflow: the workload ran to its end" grep -q 'touched 16384 pages' "$work/out"
check "ring buffer overflow: 'lost' events in the stream" grep -q '"event":"lost","schema_version":1,"time":"[0-9TZ:.-]*","t":[0-9.]*,.*"count":[1-9]' "$work/rb.jsonl"
check "ring buffer overflow: the summary counts them" \
	grep -q '"event":"summary".*"stopped":"target exited","exit_status":0,"lost":[1-9]' "$work/rb.jsonl"
check "ring buffer overflow: every JSON line parses" python3 tests/live/check_jsonl.py "$work/rb.jsonl" parses
check "ring buffer overflow: lost events sum to the summary's count" python3 - "$work/rb.jsonl" <<'EOF'
import json, sys
lost = summary = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["event"] == "lost":
        lost += d["count"]
    elif d["event"] == "summary":
        summary = d["lost"]
sys.exit(0 if lost == summary > 0 else 1)
EOF
check "ring buffer overflow: nothing but probe notes on stderr" only_notes "$work/err"
check "ring buffer overflow: no sanitizer report" no_sanitizer "$work/err"
# Text: the summary line says it too.
THPTRACE_RINGBUF_BYTES=4096 "$THPTRACE" -- "$RL" faults 64 >"$work/out" 2>"$work/err"
rc=$?
check "ring buffer overflow, text: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "ring buffer overflow, text: 'lost: N' in the summary" grep -Eq '^  lost: [1-9][0-9]*$' "$work/out"

# ---- /proc races: processes gone before their sample ----
# Children madvise a tmpfs file and exit 100 ms later; a 100 ms pause
# between each drain and its samples (a test knob) makes many of them exit in
# that window, whatever the machine's speed.
head -c 8M /dev/zero >"$dir/racefile"
THPTRACE_TEST_SAMPLE_DELAY_US=100000 "$THPTRACE" -a --json -o "$work/race.jsonl" --duration 6 \
	>"$work/out" 2>"$work/err" &
tpid=$!
i=0
while [ $i -lt 100 ] && ! grep -q '"event":"context"' "$work/race.jsonl" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.3
"$RL" madv-exit "$dir/racefile" 20 100 >/dev/null
wait "$tpid"
rc=$?
check "/proc races (-a): exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "/proc races: every JSON line parses" python3 tests/live/check_jsonl.py "$work/race.jsonl" parses
check "/proc races: the summary was written" grep -q '"event":"summary".*"stopped":"duration"' "$work/race.jsonl"
check "/proc races: nothing but probe notes on stderr" only_notes "$work/err"
check "/proc races: no sanitizer report" no_sanitizer "$work/err"
check "/proc races: vanished processes' regions are marked, once each" python3 - "$work/race.jsonl" <<'EOF'
import collections, json, sys
madv = set()
marks = collections.Counter()
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d["event"] == "madvise" and d.get("comm") == "robust_load":
        madv.add(d["tgid"])
    if d["event"] == "state" and d["state"] == "unknown":
        marks[(d.get("mm"), d["region"])] += 1
        if d["present"] != -1:
            sys.exit("an unknown state without present -1: " + line)
print("    %d children madvised, %d regions marked unknown" % (len(madv), len(marks)))
sys.exit(0 if madv and marks and max(marks.values()) == 1 else 1)
EOF

# ---- exec under thptrace: the sampled mm is replaced ----
head -c 8M /dev/zero >"$dir/execfile"
"$THPTRACE" --json -o "$work/exec.jsonl" -- "$RL" madv-exec "$dir/execfile" >"$work/out" 2>"$work/err"
rc=$?
check "exec after madvise: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "exec after madvise: both execs seen" [ "$(grep -c '"event":"exec"' "$work/exec.jsonl")" -eq 2 ]
check "exec after madvise: every JSON line parses" python3 tests/live/check_jsonl.py "$work/exec.jsonl" parses
check "exec after madvise: nothing but probe notes on stderr" only_notes "$work/err"

# ---- -u: CMD runs as that user, thptrace as root ----
"$THPTRACE" --json -o "$work/u.jsonl" -u nobody -- id -u >"$work/out" 2>"$work/err"
rc=$?
check "-u nobody: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "-u nobody: id -u prints 65534 ($(cat "$work/out"))" [ "$(cat "$work/out")" = 65534 ]
"$THPTRACE" --json -o "$work/u.jsonl" -u nobody -- sh -c 'id -un; id -G' >"$work/out" 2>"$work/err"
check "-u nobody: user name and groups are nobody's ($(tr '\n' ' ' <"$work/out"))" \
	[ "$(head -1 "$work/out")/$(sed -n 2p "$work/out")" = "nobody/$(id -G nobody)" ]
check "-u nobody: the trace saw the command" grep -q '"event":"exec"' "$work/u.jsonl"
"$THPTRACE" --json -o "$work/u.jsonl" -u 65534 -- id -u >"$work/out" 2>"$work/err"
check "-u 65534 (a uid): id -u prints 65534" [ "$(cat "$work/out")" = 65534 ]

# ---- CMD starts as it would without thptrace: no signal blocked ----
"$THPTRACE" --json -o "$work/sig.jsonl" -- grep '^SigBlk:' /proc/self/status >"$work/out" 2>"$work/err"
check "CMD starts with no signal blocked ($(cat "$work/out"))" \
	grep -Eq '^SigBlk:[[:space:]]+0+$' "$work/out"
check "no BPF program left behind at the end" no_leftovers
finish
