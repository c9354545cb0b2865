#!/bin/sh
# The jq, sqlite3 and lnav recipes of README.md (issue 14), run as they
# are written there: each ```sh block after a "<!-- recipe: NAME -->" line
# is taken from the file and run by sh in a directory holding run.jsonl, so
# the documentation and this test cannot drift apart.  The only change: the
# installed path /usr/share/thptrace/ becomes this tree's (the lnav format
# is contrib/lnav/thptrace.json), and HOME is a new directory (lnav -i
# writes there).  On tests/data/report/multi_region.jsonl the results are
# known exactly; on jvm_heap.jsonl (140 regions), and as root on a live
# trace of the demo, the three tools count the same verdicts.
. "$(dirname "$0")/lib.sh"
doc=README.md
root=$PWD

for tool in jq sqlite3 lnav; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: needs $tool (tests/install-deps)"
		exit 77
	fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/thptrace-recipes.XXXXXX") || exit 1
live_outs="$live_outs $work"

# recipe NAME: the block's text, as the document has it
recipe() {
	awk -v name="$1" '
		$0 == "<!-- recipe: " name " -->" { want = 1; next }
		want == 1 && /^```sh$/ { want = 2; next }
		want == 2 && /^```$/ { exit }
		want == 2 { print }' "$doc"
}

# run NAME DIR: run the recipe in DIR (which has run.jsonl); stdout to DIR/NAME.out
run() {
	recipe "$1" | sed "s|/usr/share/thptrace/lnav/|$root/contrib/lnav/|g" > "$2/$1.sh"
	(cd "$2" && HOME=$2/home sh -e ./"$1".sh > "$1.out" 2> "$1.err")
	rc=$?
	[ ! -s "$2/$1.err" ] || sed 's/^/  stderr: /' "$2/$1.err"
	check "$(basename "$2"): recipe $1 runs (exit $rc)" [ "$rc" -eq 0 ]
}

names=$(sed -n 's/^<!-- recipe: \([a-z-]*\) -->$/\1/p' "$doc")
names_line=$(echo $names)	# one line
check "README.md has the five recipes ($names_line)" \
	[ "$names_line" = "verdict-counts not-huge region-timeline sqlite lnav" ]
for n in $names; do
	recipe "$n" > "$work/$n.block"
	check "recipe $n is a non-empty sh block" [ -s "$work/$n.block" ]
done

# all NAME FILE: every recipe on a copy of FILE in $work/NAME
all() {
	d=$work/$1
	mkdir -p "$d/home"
	cp "$2" "$d/run.jsonl"
	for n in $names; do
		run "$n" "$d"
	done
}

# counts DIR: the verdict counts by each tool, as "reason=N ..." sorted
counts() {
	jq_c=$(awk '{ print $2 "=" $1 }' "$1/verdict-counts.out" | sort | tr '\n' ' ')
	sql_c=$(grep -E '^[a-z_]+\|[0-9]+$' "$1/sqlite.out" | awk -F'|' '{ print $1 "=" $2 }' | sort | tr '\n' ' ')
	lnav_c=$(awk 'NR > 1 && NF == 2 { print $1 "=" $2 }' "$1/lnav.out" | sort | tr '\n' ' ')
	python_c=$(python3 -c '
import json, sys, collections
c = collections.Counter(json.loads(l)["reason"] for l in open(sys.argv[1]) if json.loads(l)["event"] == "verdict")
print(" ".join(sorted("%s=%d" % kv for kv in c.items())) + " ")' "$1/run.jsonl")
}

# 1. exact results on a recorded trace: three regions of one file
all multi tests/data/report/multi_region.jsonl
d=$work/multi
counts "$d"
want="collapsed_not_refaulted=1 huge=1 scan_failed=1 "
check "multi: jq counts the verdicts ($jq_c)" [ "$jq_c" = "$want" ]
check "multi: sqlite3 counts the verdicts ($sql_c)" [ "$sql_c" = "$want" ]
check "multi: lnav counts the verdicts ($lnav_c)" [ "$lnav_c" = "$want" ]
check "multi: the regions not huge, each with its why" sh -c "
	[ \$(wc -l < '$d/not-huge.out') -eq 2 ] &&
	grep -q '^0x7f3a4c200000 collapsed_not_refaulted: khugepaged built a huge page' '$d/not-huge.out' &&
	grep -q '^0x7f3a4c400000 scan_failed: khugepaged tried to collapse' '$d/not-huge.out'"
tab=$(printf '\t')
check "multi: the region's timeline has its collapse, its three states and ends with the verdict" sh -c "
	grep -q '^1.5101*${tab}collapse_file${tab}SCAN_SUCCEED\$' '$d/region-timeline.out' &&
	[ \$(grep -c '${tab}state${tab}' '$d/region-timeline.out') -eq 3 ] &&
	tail -n 1 '$d/region-timeline.out' | grep -q '^${tab}verdict${tab}huge\$'"
check "multi: the timeline has nothing of the other regions" \
	sh -c "! grep -q 'SCAN_PAGE_LRU' '$d/region-timeline.out'"
check "multi: sqlite3 lists the madvise-to-PMD time of the huge region" \
	grep -q '^0x7f3a4c000000|2\.2' "$d/sqlite.out"
check "lnav -i installed the format into the new HOME" \
	sh -c "ls '$d'/home/.lnav/formats/installed/*.json '$d'/home/.config/lnav/formats/installed/*.json 2>/dev/null | grep -q thptrace"
# the format's parse, field by field
HOME=$d/home lnav -n -c ";SELECT count(*), min(region), max(t) FROM thptrace_log WHERE event = 'verdict' OR event = 'summary'" \
	"$d/run.jsonl" > "$d/fields.out" 2>&1
check "lnav: the verdict and summary lines come through with their region and t" \
	grep -qE '^ *4 +0x7f3a4c000000 +12\.504213 *$' "$d/fields.out"
HOME=$d/home lnav -n -c ";SELECT count(*) FROM thptrace_log" "$d/run.jsonl" > "$d/lines.out" 2>&1
check "lnav: every line of the file is a log line ($(tail -n 1 "$d/lines.out" | tr -d ' '))" \
	[ "$(tail -n 1 "$d/lines.out" | tr -d ' ')" = "$(wc -l < "$d/run.jsonl")" ]
HOME=$d/home lnav -n -c ";SELECT log_level, count(*) FROM thptrace_log WHERE event = 'verdict' GROUP BY log_level ORDER BY log_level" \
	"$d/run.jsonl" > "$d/levels.out" 2>&1
check "lnav: a huge verdict is info, the two others are warnings" \
	sh -c "grep -qE '^info +1 *\$' '$d/levels.out' && grep -qE '^warning +2 *\$' '$d/levels.out'"

# 2. a bigger recorded trace: the tools agree
all jvm tests/data/report/jvm_heap.jsonl
counts "$work/jvm"
check "jvm: jq, sqlite3 and lnav count the same verdicts as python ($python_c)" \
	sh -c "[ '$jq_c' = '$python_c' ] && [ '$sql_c' = '$python_c' ] && [ '$lnav_c' = '$python_c' ] && [ -n '$python_c' ]"

# 3. live, as root: the demo's own trace
if [ "$(id -u)" -eq 0 ]; then
	live_env_setup advise
	"$THPTRACE" --json -o "$out/demo.jsonl" -- "$demo" > /dev/null 2> "$out/demo.err"
	rc=$?
	cat "$out/demo.err"
	check "the live trace of the demo exits 0 ($rc)" [ "$rc" -eq 0 ]
	all live "$out/demo.jsonl"
	counts "$work/live"
	check "live: jq, sqlite3 and lnav count the same verdicts as python ($python_c)" \
		sh -c "[ '$jq_c' = '$python_c' ] && [ '$sql_c' = '$python_c' ] && [ '$lnav_c' = '$python_c' ] && [ -n '$python_c' ]"
else
	echo "(not root: the live trace is left out)"
fi
finish
