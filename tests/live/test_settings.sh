#!/bin/sh
# A THP knob changed during the run (issue 12): with shmem_enabled set to
# advise before the run, the traced command writes never into it; the JSON
# has the start value in the opening context line, then one `settings`
# line (knob shmem_enabled, value never, old advise) within half a second
# of the change, counted in the summary; `report --json` gives that file
# back byte for byte and the text report shows the change.  shmem_enabled
# is put back as it was on every exit path (trap).
. "$(dirname "$0")/lib.sh"
need_root "the settings test (it traces live and writes shmem_enabled)"
S=/sys/kernel/mm/transparent_hugepage
if [ ! -w "$S/shmem_enabled" ]; then
	echo "SKIP: no writable $S/shmem_enabled"
	exit 77
fi
orig=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$S/shmem_enabled")
if [ -z "$orig" ]; then
	echo "SKIP: cannot read the selected value of $S/shmem_enabled"
	exit 77
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/thptrace-settings.XXXXXX") || exit 1
live_outs="$live_outs $out"

restore() {
	echo "$orig" > "$S/shmem_enabled" 2>/dev/null ||
		echo "thptrace test: cannot put shmem_enabled back to $orig" >&2
}
trap 'restore' EXIT
trap 'restore; rm -rf "$out"; trap - EXIT; exit 130' INT
trap 'restore; rm -rf "$out"; trap - EXIT; exit 143' TERM
trap 'restore; rm -rf "$out"; trap - EXIT; exit 129' HUP

echo advise > "$S/shmem_enabled" || { echo "FAIL: cannot set shmem_enabled to advise"; exit 1; }

"$THPTRACE" --json -o "$out/run.jsonl" -- sh -c \
	"sleep 0.7; echo never > $S/shmem_enabled; sleep 1.2" 2> "$out/stderr"
rc=$?
check "the trace exits 0 ($rc)" [ "$rc" -eq 0 ]
check "shmem_enabled is never once the command wrote it" grep -q '\[never\]' "$S/shmem_enabled"
check "the opening context has the start value (advise)" \
	sh -c "head -n 1 '$out/run.jsonl' | grep -q '^{\"event\":\"context\",\"schema_version\":1,\"time\":\"[0-9TZ:.-]*\",\"start_ns\":[0-9]*,.*\"shmem_enabled\":\"advise\"'"
grep '^{"event":"settings",.*"knob":"shmem_enabled",' "$out/run.jsonl" > "$out/settings.lines"
cat "$out/settings.lines"
check "one settings line for shmem_enabled" [ "$(wc -l < "$out/settings.lines")" -eq 1 ]
check "it says value never, old advise, via sysfs" \
	grep -q '^{"event":"settings","schema_version":1,"time":"[0-9TZ:.-]*","t":[0-9.]*,"ts_ns":[0-9]*,"pid":0,"tgid":0,"comm":"","via":"sysfs","knob":"shmem_enabled","value":"never","old":"advise"}$' \
	"$out/settings.lines"
t=$(sed -n 's/^{"event":"settings","schema_version":1,"time":"[0-9TZ:.-]*","t":\([0-9.]*\),.*/\1/p' "$out/settings.lines")
check "it comes within half a second of the change at 0.7 s (t=$t)" \
	awk -v t="$t" 'BEGIN { exit !(t >= 0.6 && t <= 1.5) }'
check "the summary counts it" grep -q '^{"event":"summary",.*"settings":[1-9]' "$out/run.jsonl"
check "the end context still closes the trace" grep -q '^{"event":"context","schema_version":1,"time":"[0-9TZ:.-]*","full_scans_end":' "$out/run.jsonl"

"$THPTRACE" report --json -o "$out/replay.jsonl" "$out/run.jsonl" 2> "$out/replay.err"
rc=$?
cat "$out/replay.err"
check "report --json parses every line (exit $rc)" [ "$rc" -eq 0 ]
check "report --json gives the live JSON back, byte for byte" cmp "$out/run.jsonl" "$out/replay.jsonl"
"$THPTRACE" report -o "$out/replay.txt" "$out/run.jsonl"
check "the text report shows the change" \
	grep -q ' settings  *-  *-  *shmem_enabled: advise -> never \[sysfs\]$' "$out/replay.txt"

restore
check "shmem_enabled is back to $orig" grep -q "\[$orig\]" "$S/shmem_enabled"
finish
