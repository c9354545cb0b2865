#!/bin/sh
# The core tracer on this machine (issue 2): the demo under thptrace shows
# the collapse of its region, the region not present, the refault and the
# PMD mapping; --list-probes names a mechanism for every probe; every JSON
# line parses; text output is aligned and uncoloured when piped.
. "$(dirname "$0")/lib.sh"
need_root "the core tracer test"
live_env_setup advise

"$THPTRACE" --json -o "$out/demo.jsonl" -- "$demo" > "$out/demo.stdout" 2> "$out/demo.stderr"
rc=$?
cat "$out/demo.stdout" "$out/demo.stderr"
check "thptrace exits with the demo's status 0" [ "$rc" -eq 0 ]
region=$(sed -n 's/^thp_demo: pid [0-9]* region \(0x[0-9a-f]*\)-.*/\1/p' "$out/demo.stdout")
check "the demo printed its region ($region)" [ -n "$region" ]
check "every JSON line parses" python3 tests/live/check_jsonl.py "$out/demo.jsonl" parses
check "collapse, not present, refault, PMD for $region" \
	python3 tests/live/check_jsonl.py "$out/demo.jsonl" chain "$region"
check "the region's verdict is huge" \
	python3 tests/live/check_jsonl.py "$out/demo.jsonl" verdict "$region" huge pmd
check "a summary line ends the stream" sh -c "tail -n 1 '$out/demo.jsonl' | grep -q '\"event\":\"summary\"'"
check "no kernel pointer (0xffff...) in the output" sh -c "! grep -qi '0xffff' '$out/demo.jsonl'"

# Text, piped: aligned header, no escape sequences.
rm -f "$dir/thp_demo"; demo=$(thp_env_copy_demo "$DEMO" "$dir")
"$THPTRACE" --text -- "$demo" > "$out/demo.txt" 2>&1
check "text run exits 0" [ $? -eq 0 ]
check "text has the column header" grep -q '^   TIME(s) EVENT  *ACTOR  *ADDRESS  *DETAIL' "$out/demo.txt"
check "text has no colour when piped" sh -c "! grep -q \"$(printf '\033')\" '$out/demo.txt'"
check "text reports the region's verdict" grep -q 'reason: huge' "$out/demo.txt"

"$THPTRACE" --list-probes > "$out/probes.txt" 2>&1
check "--list-probes exits 0" [ $? -eq 0 ]
for p in collapse_file retract_page_tables pmdp_collapse_flush do_set_pmd filemap_map_pages \
	scan_file fault madvise exec exit; do
	check "--list-probes names a mechanism for $p" \
		grep -Eq "^$p +uses (fentry/fexit|kprobe/kretprobe|tracepoint|none)" "$out/probes.txt"
done
finish
