#!/bin/sh
# Round trip (root: a live trace): the demo traced with --json and --svg,
# then its JSON Lines replayed by `thptrace report`: every line parses, the
# events come back as the same JSON lines, every region gets the same
# verdict (reason, final state, milestones, why), the text report names the
# same reasons, and both SVGs (live and replayed) parse, have one lane per
# region and render with rsvg-convert to a PNG of their size.  Without the
# context's start_ns the replay knows times to 6 decimals only, so durations
# are compared to 1 us; when the live JSON carries the machine context
# ('context' with start_ns, and 'region_file' lines), the replayed JSON and
# SVG must equal the live ones byte for byte.
. "$(dirname "$0")/lib.sh"
need_root "the report round trip (it traces the demo live)"
for tool in python3 rsvg-convert; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: needs $tool"
		exit 77
	fi
done
live_env_setup advise

"$THPTRACE" --json -o "$out/live.jsonl" --svg "$out/live.svg" -- "$demo" > "$out/demo.stdout" 2> "$out/demo.stderr"
rc=$?
cat "$out/demo.stderr"
check "the live trace exits 0 ($rc)" [ "$rc" -eq 0 ]
check "the live trace wrote verdicts" grep -q '"event":"verdict"' "$out/live.jsonl"

"$THPTRACE" report --json -o "$out/replay.jsonl" --svg "$out/replay.svg" "$out/live.jsonl" 2> "$out/replay.err"
rc=$?
cat "$out/replay.err"
check "report parses every line of the live JSON (exit $rc)" [ "$rc" -eq 0 ]
check "report says nothing on stderr" [ ! -s "$out/replay.err" ]
"$THPTRACE" report -o "$out/replay.txt" "$out/live.jsonl"
check "report (text) exits 0" [ $? -eq 0 ]

check "the events come back as the same JSON lines" sh -c \
	"grep -v '\"event\":\"verdict\"' '$out/live.jsonl' > '$out/a'; grep -v '\"event\":\"verdict\"' '$out/replay.jsonl' > '$out/b'; cmp '$out/a' '$out/b'"

python3 - "$out/live.jsonl" "$out/replay.jsonl" "$out/replay.txt" > "$out/cmp.txt" 2>&1 <<'EOF'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
# With the context's start_ns the replay has the live run's exact times;
# without it only "t" with 6 decimals, so a duration may differ by 1 us.
exact = any(o.get("event") == "context" and "start_ns" in o for o in lines)
def verdicts(p):
    return [json.loads(l) for l in open(p, encoding="utf-8")
            if l.strip() and json.loads(l).get("event") == "verdict"]
def same(k, a, b):
    if exact or a is None or b is None:
        return a == b
    if k in ("unmapped_s", "madvise_to_pmd_s"):
        return abs(a - b) <= 2.5e-6
    if k == "why":
        return re.sub(r"[0-9.]+", "#", a) == re.sub(r"[0-9.]+", "#", b)
    return a == b
live, rep = verdicts(sys.argv[1]), verdicts(sys.argv[2])
text = open(sys.argv[3], encoding="utf-8", errors="replace").read()
bad = 0
if len(live) != len(rep):
    print("%d live verdicts, %d replayed" % (len(live), len(rep))); bad = 1
for a, b in zip(live, rep):
    for k in ("region", "mm", "final", "reason", "milestones", "unmapped_s", "madvise_to_pmd_s", "why"):
        if not same(k, a.get(k), b.get(k)):
            print("region %s: %s differs:\n  live   %r\n  replay %r" % (a.get("region"), k, a.get(k), b.get(k)))
            bad = 1
    if "reason: %s\n" % a["reason"] not in text:
        print("text report lacks 'reason: %s'" % a["reason"]); bad = 1
print("verdicts (%s times):" % ("exact" if exact else "6-decimal"),
      ", ".join("%s %s" % (v["region"], v["reason"]) for v in live))
sys.exit(bad)
EOF
rc=$?
cat "$out/cmp.txt"
check "replayed verdicts equal the live ones" [ "$rc" -eq 0 ]

lanes=$(grep -c '"event":"verdict"' "$out/live.jsonl")
for which in live replay; do
	python3 - "$out/$which.svg" "$lanes" <<'EOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
n = sum(1 for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "lane")
sys.exit(0 if n == int(sys.argv[2]) else "%d lanes, want %s" % (n, sys.argv[2]))
EOF
	check "$which SVG parses with one lane per region ($lanes)" [ $? -eq 0 ]
	rsvg-convert -o "$out/$which.png" "$out/$which.svg" 2> "$out/$which.rsvg"
	rc=$?
	ok=no; [ "$rc" -eq 0 ] && [ ! -s "$out/$which.rsvg" ] && ok=yes
	check "$which SVG renders with rsvg-convert" [ "$ok" = yes ]
	size=$(python3 -c "import struct,sys; b=open(sys.argv[1],'rb').read(24); print('%dx%d' % struct.unpack('>II', b[16:24]))" "$out/$which.png")
	want=$(python3 -c "import sys, xml.etree.ElementTree as ET; r=ET.parse(sys.argv[1]).getroot(); print('%dx%d' % (int(float(r.get('width'))), round(float(r.get('height')))))" "$out/$which.svg")
	check "$which PNG is ${want} ($size)" [ "$size" = "$want" ]
done

if grep -q '"event":"context".*"start_ns"' "$out/live.jsonl" && grep -q '"event":"region_file"' "$out/live.jsonl"; then
	check "with the context in the JSON, the replayed JSON is the live JSON" cmp -s "$out/live.jsonl" "$out/replay.jsonl"
	check "with the context in the JSON, the replayed SVG is the live SVG" cmp -s "$out/live.svg" "$out/replay.svg"
else
	echo "NOTE: the live JSON has no context/region_file lines: byte-for-byte JSON and SVG not checked"
fi
finish
