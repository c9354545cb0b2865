#!/bin/sh
# Round trip (root: a live trace): the demo traced with
# `--json -o run.jsonl --svg live.svg`, then replayed by `thptrace report`
# through the same pipeline (pipeline/pipeline.c):
#   - `report --svg replay.svg run.jsonl` (text) and `report --json
#     run.jsonl` parse every line and say nothing on stderr;
#   - the live JSON carries what a replay needs (the opening context with
#     start_ns, region_file lines), so the replay is exact: the replayed
#     SVG is the live SVG byte for byte (from the text and the JSON
#     report alike), the verdict lines of the live and the replayed JSON
#     are identical, and so is every other line;
#   - a second text replay gives the same text byte for byte, and the
#     same SVG (determinism); the text names every verdict's reason;
#   - both SVGs parse, have one lane per mapping, and render with
#     rsvg-convert to a PNG of their size.
. "$(dirname "$0")/lib.sh"
need_root "the report round trip (it traces the demo live)"
for tool in python3 rsvg-convert; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: needs $tool"
		exit 77
	fi
done
live_env_setup advise

"$THPTRACE" --json -o "$out/run.jsonl" --svg "$out/live.svg" -- "$demo" > "$out/demo.stdout" 2> "$out/demo.stderr"
rc=$?
cat "$out/demo.stderr"
check "the live trace exits 0 ($rc)" [ "$rc" -eq 0 ]
check "the live trace wrote verdicts" grep -q '"event":"verdict"' "$out/run.jsonl"
check "the live trace wrote the SVG" [ -s "$out/live.svg" ]
check "the live JSON opens with the context and its start_ns" \
	sh -c "head -n 1 '$out/run.jsonl' | grep -q '^{\"event\":\"context\",\"schema_version\":1,\"time\":\"[0-9TZ:.-]*\",\"start_ns\":[0-9]*,'"
check "the live JSON has the end context" \
	grep -q '^{"event":"context","schema_version":1,"time":"[0-9TZ:.-]*","full_scans_end":-\{0,1\}[0-9]*,"duration_s":' "$out/run.jsonl"
check "the live JSON has region_file lines" grep -q '^{"event":"region_file",' "$out/run.jsonl"

# The replays, as the README shows them.
"$THPTRACE" report --svg "$out/replay.svg" "$out/run.jsonl" > "$out/replay.txt" 2> "$out/replay.err"
rc=$?
cat "$out/replay.err"
check "report --svg (text) parses every line of the live JSON (exit $rc)" [ "$rc" -eq 0 ]
check "report --svg (text) says nothing on stderr" [ ! -s "$out/replay.err" ]
"$THPTRACE" report --json "$out/run.jsonl" > "$out/replay.jsonl" 2> "$out/replay-json.err"
rc=$?
cat "$out/replay-json.err"
check "report --json parses every line of the live JSON (exit $rc)" [ "$rc" -eq 0 ]
check "report --json says nothing on stderr" [ ! -s "$out/replay-json.err" ]
"$THPTRACE" report --json --svg "$out/replay-json.svg" -o "$out/replay-o.jsonl" "$out/run.jsonl"
check "report --json --svg -o exits 0" [ $? -eq 0 ]
"$THPTRACE" report --svg "$out/replay2.svg" "$out/run.jsonl" > "$out/replay2.txt" 2> /dev/null
check "a second text replay exits 0" [ $? -eq 0 ]

# Exactness.
check "the replayed SVG is the live SVG, byte for byte" cmp "$out/live.svg" "$out/replay.svg"
check "the SVG of the JSON report is the live SVG, byte for byte" cmp "$out/live.svg" "$out/replay-json.svg"
grep '^{"event":"verdict",' "$out/run.jsonl" > "$out/live.verdicts"
grep '^{"event":"verdict",' "$out/replay.jsonl" > "$out/replay.verdicts"
check "the verdict lines of the live and the replayed JSON are identical" \
	cmp "$out/live.verdicts" "$out/replay.verdicts"
check "the replayed JSON is the live JSON, byte for byte" cmp "$out/run.jsonl" "$out/replay.jsonl"
check "report -o writes what report writes to stdout" cmp "$out/replay.jsonl" "$out/replay-o.jsonl"
check "a second text replay gives the same text, byte for byte" cmp "$out/replay.txt" "$out/replay2.txt"
check "a second replay draws the same SVG" cmp "$out/replay.svg" "$out/replay2.svg"

"$THPTRACE" report --by region "$out/run.jsonl" > "$out/replay-regions.txt" 2> /dev/null
python3 - "$out/run.jsonl" "$out/replay-regions.txt" > "$out/cmp.txt" 2>&1 <<'PYEOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
text = open(sys.argv[2], encoding="utf-8", errors="replace").read()
verdicts = [o for o in lines if o.get("event") == "verdict"]
bad = 0
for v in verdicts:
    if "reason: %s\n" % v["reason"] not in text:
        print("text report lacks 'reason: %s'" % v["reason"]); bad = 1
    if v["why"] not in text:
        print("text report lacks the why of %s: %r" % (v["region"], v["why"])); bad = 1
print("verdicts:", ", ".join("%s %s" % (v["region"], v["reason"]) for v in verdicts))
sys.exit(bad)
PYEOF
rc=$?
cat "$out/cmp.txt"
check "the text report --by region names every verdict's reason and why" [ "$rc" -eq 0 ]
check "the text report by mapping (the default) has a summary line per mapping" \
	[ "$(grep -c '^0x[0-9a-f]*-0x[0-9a-f]* .* (pid [0-9]*, mm [0-9]*), [0-9]* regions\{0,1\}$' "$out/replay.txt")" -eq "$(grep -c '"event":"mapping"' "$out/run.jsonl")" ]

# By mapping (the default): a lane per mapping, the regions whose verdict
# differs from its majority beneath it.
maps=$(grep -c '"event":"mapping"' "$out/run.jsonl")
for which in live replay; do
	python3 - "$out/$which.svg" "$maps" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
n = sum(1 for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "lane mapping")
sys.exit(0 if n == int(sys.argv[2]) and float(root.get("height")) <= 1200 else "%d mapping lanes, want %s" % (n, sys.argv[2]))
PYEOF
	check "$which SVG parses with one lane per mapping ($maps), at most 1200 px tall" [ $? -eq 0 ]
	rsvg-convert -o "$out/$which.png" "$out/$which.svg" 2> "$out/$which.rsvg"
	rc=$?
	ok=no; [ "$rc" -eq 0 ] && [ ! -s "$out/$which.rsvg" ] && ok=yes
	check "$which SVG renders with rsvg-convert" [ "$ok" = yes ]
	size=$(python3 -c "import struct,sys; b=open(sys.argv[1],'rb').read(24); print('%dx%d' % struct.unpack('>II', b[16:24]))" "$out/$which.png")
	want=$(python3 -c "import sys, xml.etree.ElementTree as ET; r=ET.parse(sys.argv[1]).getroot(); print('%dx%d' % (int(float(r.get('width'))), round(float(r.get('height')))))" "$out/$which.svg")
	check "$which PNG is ${want} ($size)" [ "$size" = "$want" ]
done
finish
