#!/bin/sh
# schema/thptrace-events.schema.json against real output (issue 14): its
# enums are the code's names; wrong lines fail it; every line that `report
# --json` writes for tests/data/report/*.jsonl, that a live trace of the
# demo writes (and its replay), that -p on a running process writes, and
# that --list-probes --json and doctor --json write is valid and begins
# with "event" then "schema_version".  And the version check of `report`:
# a trace without schema_version (before it existed) replays as version 1,
# byte for byte; one of a newer version is refused, exit 8, one line.
# Needs python3-jsonschema; root for the live part.
. "$(dirname "$0")/lib.sh"
schema=schema/thptrace-events.schema.json
RESIDENT=${RESIDENT:-$PWD/build/thp_resident}

if [ ! -x "$THPTRACE" ]; then
	echo "SKIP: no $THPTRACE (run make first)"
	exit 77
fi
# Debian's python3-jsonschema is for /usr/bin/python3; a python3 earlier in
# PATH (pyenv, venv) may have its own or none.
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	echo "SKIP: needs python3-jsonschema (tests/install-deps)"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/thptrace-schema.XXXXXX") || exit 1
live_outs="$live_outs $work"

# validate FILE...: each FILE's every line (check_schema.py prints the checks)
validate() {
	"$PY" tests/live/check_schema.py "$schema" validate "$@"
	[ $? -eq 0 ] || failures=$((failures + 1))
}

check "the schema is valid JSON Schema and its enums are the code's names" \
	"$PY" tests/live/check_schema.py "$schema" enums src
check "wrong lines fail the schema, good ones pass" "$PY" tests/live/check_schema.py "$schema" negative

# report --json on every recorded trace
for f in tests/data/report/*.jsonl; do
	name=$(basename "$f" .jsonl)
	"$THPTRACE" report --json "$f" > "$work/report-$name.jsonl" 2> /dev/null
	rc=$?
	check "report --json $name exits 0 or 1 ($rc)" [ "$rc" -le 1 ]
done
validate "$work"/report-*.jsonl

# schema_version: none is version 1; newer is refused
sed 's/"schema_version":1,//' tests/data/report/huge.jsonl > "$work/v0.jsonl"
check "a trace without schema_version (older thptrace) has none" sh -c "! grep -q schema_version '$work/v0.jsonl'"
"$THPTRACE" report --json "$work/v0.jsonl" > "$work/v0.out" 2> "$work/v0.err"
check "... replays as version 1: exit 0, byte for byte the replay of the recorded trace" \
	sh -c "[ $? -eq 0 ] && [ ! -s '$work/v0.err' ] && cmp -s '$work/v0.out' '$work/report-huge.jsonl'"
# time: a trace without it (older thptrace) replays without it, otherwise the same
sed 's/"time":"[^"]*",//' tests/data/report/huge.jsonl > "$work/notime.jsonl"
"$THPTRACE" report --json "$work/notime.jsonl" > "$work/notime.out" 2> "$work/notime.err"
check "a trace without \"time\" replays without it, exit 0, byte for byte the trace" \
	sh -c "[ $? -eq 0 ] && [ ! -s '$work/notime.err' ] && cmp -s '$work/notime.out' '$work/notime.jsonl'"
sed '1s/"time":"2026-12-02T12:00:00.000000Z"/"time":"2026-12-02 12:00:00"/' tests/data/report/huge.jsonl > "$work/badtime.jsonl"
"$THPTRACE" report "$work/badtime.jsonl" > /dev/null 2> "$work/badtime.err"
rc=$?
check "a context whose time is not YYYY-MM-DDTHH:MM:SS.ffffffZ is a bad line: exit 1, the line and the time named ($rc)" \
	sh -c "[ $rc -eq 1 ] && grep -q '^thptrace: report: line 1: context: \"time\": \"2026-12-02 12:00:00\" is not' '$work/badtime.err'"
sed '3s/"schema_version":1,/"schema_version":2,/' tests/data/report/huge.jsonl > "$work/v2.jsonl"
"$THPTRACE" report "$work/v2.jsonl" > "$work/v2.out" 2> "$work/v2.err"
rc=$?
check "a trace with schema_version 2 is refused with exit 8 ($rc)" [ "$rc" -eq 8 ]
check "... and one line on stderr naming the line and the version" \
	sh -c "[ \"\$(wc -l < '$work/v2.err')\" -eq 1 ] && grep -q '^thptrace: report: line 3: schema_version 2: written by a newer thptrace (this one reads 1)$' '$work/v2.err'"
check "... and no verdicts or summary" sh -c "! grep -q 'reason:\\|summary' '$work/v2.out'"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the live part needs root (BPF)"
	[ "$failures" -eq 0 ] || finish
	exit 77
fi

"$THPTRACE" --list-probes --json > "$work/probes.jsonl" 2> /dev/null
check "--list-probes --json exits 0" [ $? -eq 0 ]
"$THPTRACE" doctor --json > "$work/doctor.jsonl" 2> /dev/null
check "doctor --json exits 0" [ $? -eq 0 ]
validate "$work/probes.jsonl" "$work/doctor.jsonl"

# live: the demo from its first instruction, and its replay
live_env_setup advise
before=$(date +%s)
"$THPTRACE" --json -o "$out/demo.jsonl" -- "$demo" > "$out/demo.stdout" 2> "$out/demo.stderr"
rc=$?
after=$(date +%s)
check "the live trace of the demo exits 0 ($rc)" [ "$rc" -eq 0 ]
check "... with verdicts" grep -q '"event":"verdict"' "$out/demo.jsonl"
# "time" (for lnav and log tools): on every line, the wall clock of the run
check "... every line has its wall-clock \"time\"" \
	sh -c "[ \"\$(grep -c '^{\"event\":\"[a-z_]*\",\"schema_version\":1,\"time\":\"' '$out/demo.jsonl')\" -eq \"\$(wc -l < '$out/demo.jsonl')\" ]"
check "... between the run's start ($before) and end ($after), in order from the context to the summary" \
	"$PY" -c '
import json, sys, datetime
lines = [json.loads(l) for l in open(sys.argv[1])]
ts = [datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() for o in lines]
lo, hi = int(sys.argv[2]), int(sys.argv[3]) + 1
assert lines[0]["event"] == "context" and lines[-1]["event"] == "summary"
assert all(lo <= t <= hi for t in ts), (lo, hi, min(ts), max(ts))
assert ts[0] == min(ts) and ts[-1] == max(ts), (ts[0], ts[-1])
# an event is at the start plus its t (to a microsecond)
assert all(abs(t - ts[0] - o["t"]) < 2e-6 for t, o in zip(ts, lines) if "ts_ns" in o)
' "$out/demo.jsonl" "$before" "$after"
"$THPTRACE" report --json "$out/demo.jsonl" > "$out/demo.replay.jsonl" 2> /dev/null
check "its replay exits 0" [ $? -eq 0 ]
validate "$out/demo.jsonl" "$out/demo.replay.jsonl"

# live: -p on a process that runs already (its snapshot: state via snapshot)
if [ -x "$RESIDENT" ]; then
	"$RESIDENT" --hold 60 "$dir" > "$out/resident.txt" 2>&1 &
	rpid=$!
	for _ in $(seq 100); do
		grep -q '^ready$' "$out/resident.txt" && break
		kill -0 "$rpid" 2>/dev/null || break
		sleep 0.1
	done
	check "thp_resident is ready" grep -q '^ready$' "$out/resident.txt"
	"$THPTRACE" -p "$rpid" --duration 1 --json -o "$out/attach.jsonl" 2> "$out/attach.err"
	rc=$?
	kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null
	check "-p exits 0 ($rc)" [ "$rc" -eq 0 ]
	check "... with the snapshot's state events" grep -q '"via":"snapshot"' "$out/attach.jsonl"
	validate "$out/attach.jsonl"
else
	check "build/thp_resident is built (make)" false
fi
finish
