#!/bin/sh
# `thptrace report` on the recorded traces in tests/data/report/ (no root, no
# BPF): one file per verdict reason plus a three-region file, each replayed
# to the verdict its name says, the JSON replay equal to the file byte for
# byte, the text report naming the reason; a file with a corrupted line and
# one cut mid-line still report, with the line numbers on stderr and exit 1;
# every --svg picture parses as XML, has one lane per region, and renders with
# rsvg-convert to a PNG of the SVG's size; the text report draws the same
# SVG as the JSON one, and gives the same text twice.
. "$(dirname "$0")/lib.sh"
data=tests/data/report
out=$(mktemp -d "${TMPDIR:-/tmp}/thptrace-report.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT INT TERM HUP

if [ ! -x "$THPTRACE" ]; then
	echo "SKIP: no $THPTRACE (run make first)"
	exit 77
fi
for tool in python3 rsvg-convert; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: needs $tool"
		exit 77
	fi
done

# reasons FILE: the verdict reasons of a JSON Lines file, in order, space separated.
reasons() {
	python3 - "$1" <<'EOF'
import json, sys
print(" ".join(json.loads(l)["reason"] for l in open(sys.argv[1], encoding="utf-8")
               if l.strip() and json.loads(l).get("event") == "verdict"))
EOF
}

# svg_check SVG PNG LANES: XML parses, LANES lanes, each element inside its
# lane, the PNG (rsvg-convert) as large as the SVG says.
svg_check() {
	python3 - "$1" "$2" "$3" <<'EOF'
import re, struct, sys
import xml.etree.ElementTree as ET
svg, png, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(svg).getroot()
assert root.tag == NS + "svg", root.tag
W, H = float(root.get("width")), float(root.get("height"))
lanes = [g for g in root.iter(NS + "g") if g.get("class") == "lane"]
if len(lanes) != want:
    sys.exit("%d lanes, want %d" % (len(lanes), want))
for g in lanes:
    y0, h = float(g.get("data-y")), float(g.get("data-h"))
    x0, x1 = float(g.get("data-x0")), float(g.get("data-x1"))
    for el in g:
        tag, cls = el.tag[len(NS):], el.get("class", "")
        plot = cls.startswith("st-") or cls.startswith("mk-")
        lo, hi = (x0, x1) if plot else (0, W)
        if tag == "rect":
            xs = [float(el.get("x")), float(el.get("x")) + float(el.get("width"))]
            ys = [float(el.get("y")), float(el.get("y")) + float(el.get("height"))]
        elif tag == "circle":
            r = float(el.get("r"))
            xs = [float(el.get("cx")) - r, float(el.get("cx")) + r]
            ys = [float(el.get("cy")) - r, float(el.get("cy")) + r]
        elif tag == "polygon":
            pts = [tuple(map(float, p.split(","))) for p in el.get("points").split()]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        elif tag == "text":
            xs, ys = [float(el.get("x"))], [float(el.get("y"))]
        else:
            sys.exit("unexpected <%s> in a lane" % tag)
        if min(xs) < lo or max(xs) > hi or min(ys) < y0 or max(ys) > y0 + h:
            sys.exit("<%s class=%s> at x %s y %s outside its lane" % (tag, cls, xs, ys))
b = open(png, "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
if (w, h) != (int(W), int(round(H))):
    sys.exit("PNG is %dx%d, the SVG %gx%g" % (w, h, W, H))
EOF
}

# replay NAME LANES "REASONS" STATUS: the common checks for one file.
replay() {
	name=$1 lanes=$2 want=$3 status=$4
	f=$data/$name.jsonl
	"$THPTRACE" report --json --by region --svg "$out/$name.svg" "$f" > "$out/$name.jsonl" 2> "$out/$name.err"
	rc=$?
	check "$name: report --json exits $status" [ "$rc" -eq "$status" ]
	got=$(reasons "$out/$name.jsonl")
	check "$name: verdicts '$want' (got '$got')" [ "$got" = "$want" ]
	"$THPTRACE" report --by region --svg "$out/$name.text.svg" "$f" > "$out/$name.txt" 2> /dev/null
	check "$name: the text report draws the same SVG as the JSON one" cmp -s "$out/$name.svg" "$out/$name.text.svg"
	"$THPTRACE" report --by region "$f" > "$out/$name.2.txt" 2> /dev/null
	check "$name: a second text report is the same, byte for byte" cmp -s "$out/$name.txt" "$out/$name.2.txt"
	for r in $want; do
		check "$name: text report says 'reason: $r'" grep -q "reason: $r\$" "$out/$name.txt"
	done
	check "$name: text ends with the summary" grep -q '^  lost: [0-9]*$' "$out/$name.txt"
	rsvg-convert -o "$out/$name.png" "$out/$name.svg" 2> "$out/$name.rsvg"
	rc=$?
	cat "$out/$name.rsvg"
	ok=no; [ "$rc" -eq 0 ] && [ ! -s "$out/$name.rsvg" ] && ok=yes
	check "$name: rsvg-convert renders the SVG without errors" [ "$ok" = yes ]
	check "$name: SVG is XML with $lanes lane(s) drawn inside, PNG of its size" \
		svg_check "$out/$name.svg" "$out/$name.png" "$lanes"
}

for r in huge not_scanned not_eligible scan_failed collapsed_not_refaulted refaulted_as_pte; do
	replay "$r" 1 "$r" 0
	check "$r: the JSON replay is the recorded file, byte for byte" \
		cmp -s "$data/$r.jsonl" "$out/$r.jsonl"
	check "$r: nothing on stderr" [ ! -s "$out/$r.err" ]
done

replay multi_region 3 "huge collapsed_not_refaulted scan_failed" 0
check "multi_region: the JSON replay is the recorded file, byte for byte" \
	cmp -s "$data/multi_region.jsonl" "$out/multi_region.jsonl"
check "multi_region: the file name is escaped in the SVG" \
	grep -q 'we&lt;ird&gt; &amp; &quot;name&apos;s&quot;.so' "$out/multi_region.svg"

# Recorded live on 6.18 (fault and map_pages lines, and mapping syscalls
# far from the regions, left out): lives at one address, losses, an early end.
replay lives 4 "huge refaulted_as_pte huge collapsed_not_refaulted" 0
replay split_zapped 2 "split zapped" 0
replay unmapped_early 2 "unmapped_early unmapped_early" 0
for r in lives split_zapped unmapped_early; do
	check "$r: the JSON replay is the recorded file, byte for byte" \
		cmp -s "$data/$r.jsonl" "$out/$r.jsonl"
	check "$r: nothing on stderr" [ ! -s "$out/$r.err" ]
done
check "lives: the text report lists three lives under one address" \
	[ "$(grep -c '^  life [123]: mapped at [0-9.]*, unmapped at' "$out/lives.txt")" -eq 3 ]
check "split_zapped: the replay infers the pmd_split and pmd_zap again" \
	[ "$(grep -c '"event":"pmd_\(split\|zap\)".*"inferred":true' "$out/split_zapped.jsonl")" -eq 2 ]

# Recorded in the QEMU matrix with --backend fentry (fault and map_pages
# lines left out): the way back as the function probes see it.
replay observed_causes 4 "split split huge huge" 0
replay migrated 1 "huge" 0
for r in observed_causes migrated; do
	check "$r: the JSON replay is the recorded file, byte for byte" \
		cmp -s "$data/$r.jsonl" "$out/$r.jsonl"
	check "$r: nothing on stderr" [ ! -s "$out/$r.err" ]
done
check "observed_causes: splits seen by the probe, each named by its syscall" \
	[ "$(grep -c 'the PMD mapping was split (probe split_huge_pmd), by \(munmap of part of it\|mremap\|MADV_PAGEOUT\|MADV_FREE\) at' "$out/observed_causes.txt")" -ge 4 ]
check "observed_causes: the deferred split after the partial munmap" \
	grep -q 'deferred split at [0-9.]* s, by munmap of part of it' "$out/observed_causes.txt"
check "observed_causes: the huge page itself split by MADV_PAGEOUT" \
	grep -q 'the huge page itself (order 9) was split into order-0 pages, by MADV_PAGEOUT' "$out/observed_causes.txt"
check "migrated: the migration and its actor in the why" \
	grep -q 'A migration moved it at [0-9.]* s, by thp_lives (the process' "$out/migrated.txt"

# Anonymous memory (issue 13), recorded with tests/workloads/thp_anon.c on
# 6.18 (tracepoints) and in the QEMU matrix on 6.12 (--backend fentry).
replay anon_fallback 2 "fault_fallback fault_fallback" 0
replay anon_ptes_none 2 "scan_failed scan_failed" 0
replay anon_sparse 2 "huge huge" 0
replay anon_sparse_fentry 2 "huge huge" 0
replay anon_mthp 2 "mthp mthp" 0
replay anon_fallback_fentry 2 "fault_fallback fault_fallback" 0
for r in anon_fallback anon_ptes_none anon_sparse anon_sparse_fentry anon_mthp anon_fallback_fentry; do
	check "$r: the JSON replay is the recorded file, byte for byte" \
		cmp -s "$data/$r.jsonl" "$out/$r.jsonl"
	check "$r: nothing on stderr" [ ! -s "$out/$r.err" ]
done
check "anon_fallback: the cause is the cgroup's charge" \
	[ "$(grep -c '"fallback_cause":"cgroup_charge"' "$out/anon_fallback.jsonl")" -eq 2 ]
check "anon_ptes_none: the why names the knob and its value" \
	grep -q 'Decided by khugepaged/max_ptes_none = 64' "$out/anon_ptes_none.txt"
check "anon_sparse: khugepaged made both, inferred from the tracepoint" \
	[ "$(grep -c '"became_huge":"khugepaged","became_inferred":true' "$out/anon_sparse.jsonl")" -eq 2 ]
check "anon_sparse_fentry: khugepaged made both, seen by fexit" \
	[ "$(grep '"became_huge":"khugepaged"' "$out/anon_sparse_fentry.jsonl" | grep -vc became_inferred)" -eq 2 ]
check "anon_fallback_fentry: the fallback seen by do_huge_pmd_anonymous_page, not inferred" \
	[ "$(grep -c '"fallback_cause":"cgroup_charge","fallback_inferred":false' "$out/anon_fallback_fentry.jsonl")" -eq 2 ]
check "anon_mthp: the sizes are named" \
	[ "$(grep -c '"mthp_sizes":"64kB"' "$out/anon_mthp.jsonl")" -eq 2 ]

# By mapping, on recorded JVMs (OpenJDK 17, -XX:+UseTransparentHugePages
# -Xms256m -Xmx256m on 6.18): started under thptrace with
# -XX:+AlwaysPreTouch (fault and map_pages lines and far mapping syscalls
# left out), and attached to with -p (its snapshot).
for r in jvm_heap jvm_attach; do
	"$THPTRACE" report --json "$data/$r.jsonl" > "$out/$r.jsonl" 2> "$out/$r.err"
	check "$r: the JSON replay is the recorded file, byte for byte" cmp -s "$data/$r.jsonl" "$out/$r.jsonl"
	"$THPTRACE" report --svg "$out/$r.svg" "$data/$r.jsonl" > "$out/$r.txt" 2>> "$out/$r.err"
	check "$r: nothing on stderr" [ ! -s "$out/$r.err" ]
	check "$r: a short text report (at most 100 lines)" [ "$(wc -l < "$out/$r.txt")" -le 100 ]
	check "$r: one screen of SVG, well-formed and rendered" python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
sys.exit(0 if float(r.get("height")) <= 1200 and sum(1 for g in r.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "lane mapping") >= 2 else 1)' "$out/$r.svg"
	rsvg-convert -o "$out/$r.png" "$out/$r.svg" 2> "$out/$r.rsvg"
	check "$r: rsvg-convert renders it without errors" sh -c "[ \$? -eq 0 ] && [ ! -s '$out/$r.rsvg' ]"
done
check "jvm_heap: the heap in one line: how it became huge, and its exception" \
	grep -q '^  127 of 128 regions huge at fault by [0-9.]* s; 1 split$' "$out/jvm_heap.txt"
check "jvm_heap: the split region is named with its reason and why" \
	grep -q 'split into small pages (inferred from pagemap), by mmap at' "$out/jvm_heap.txt"
check "jvm_attach: the heap: huge before tracing, the rest never touched, as address runs with an example" \
	sh -c "grep -q '^  73 of 127 regions huge already PMD-mapped when tracing began by [0-9.]* s; 54 untouched$' '$out/jvm_attach.txt' && grep -q '^  untouched: 54 regions: 0xf8400000-0xff000000 (54)$' '$out/jvm_attach.txt'"
check "jvm_attach: --by region lists all 137 regions" \
	[ "$("$THPTRACE" report --by region "$data/jvm_attach.jsonl" | grep -c 'reason: ')" -eq 137 ]

replay corrupted 1 huge 1
check "corrupted: stderr names line 6" \
	grep -q '^thptrace: report: line 6: not a JSON object: column [0-9]*: ' "$out/corrupted.err"
check "corrupted: stderr counts 1 bad line" \
	grep -q '^thptrace: report: 1 of 17 lines could not be parsed' "$out/corrupted.err"
check "corrupted: only line 6 is reported" [ "$(grep -c ': line ' "$out/corrupted.err")" -eq 1 ]
check "corrupted: the summary line is still used" \
	grep -q '^summary: 3.017 s traced, stopped: target exited, command exit status 0$' "$out/corrupted.txt"

replay truncated 1 collapsed_not_refaulted 1
check "truncated: stderr names the cut last line 11" \
	grep -q '^thptrace: report: line 11: incomplete last line' "$out/truncated.err"
check "truncated: no summary line, so it says end of input" \
	grep -q '^summary: .* stopped: end of input$' "$out/truncated.txt"

# stdin, and the usage errors
"$THPTRACE" report --by region - < "$data/huge.jsonl" > "$out/stdin.txt" 2>&1
check "report - reads standard input" cmp -s "$out/stdin.txt" "$out/huge.txt"
"$THPTRACE" report > /dev/null 2>&1
check "report without a file exits 2" [ $? -eq 2 ]
"$THPTRACE" report "$out/nonexistent.jsonl" > /dev/null 2> "$out/nofile.err"
rc=$?
check "report of a missing file exits 2 ($rc)" [ "$rc" -eq 2 ]
check "... with a one-line message" [ "$(wc -l < "$out/nofile.err")" -eq 1 ]
"$THPTRACE" report --help > "$out/help.txt" 2>&1
rc=$?
check "report --help exits 0 ($rc)" [ "$rc" -eq 0 ]
check "report --help shows an example" grep -q 'thptrace report --svg run.svg run.jsonl' "$out/help.txt"
finish
