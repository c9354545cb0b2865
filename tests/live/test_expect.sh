#!/bin/sh
# --expect, the CI gate (issue 14): a run whose regions all end with a
# listed verdict keeps CMD's status; one region outside the list makes
# thptrace exit 7 with one line per such region (its reason and why), even
# when CMD succeeded; `report --expect` does the same on a saved trace;
# a verdict name that does not exist is a usage error (exit 2, one line).
. "$(dirname "$0")/lib.sh"
need_root "the demo under thptrace"
data=tests/data/report

live_env_setup advise
"$THPTRACE" --expect huge -o "$out/pass.txt" -- "$demo" > "$out/pass.stdout" 2> "$out/pass.err"
rc=$?
check "--expect huge on the demo (every region huge): the demo's status, 0 (got $rc)" [ "$rc" -eq 0 ]
check "... and no --expect line" sh -c "! grep -q -- '--expect' '$out/pass.err'"

# The seed's flake: collapsed, never touched again: not present at the end.
demo=$(thp_env_copy_demo "$DEMO" "$dir")
"$THPTRACE" --expect huge -o "$out/fail.txt" -- "$demo" --no-touch > "$out/fail.stdout" 2> "$out/fail.err"
rc=$?
region=$(sed -n 's/^thp_demo: pid [0-9]* region \(0x[0-9a-f]*\)-.*/\1/p' "$out/fail.stdout")
check "--expect huge, the demo --no-touch (it exits 0 itself): exit 7 (got $rc)" [ "$rc" -eq 7 ]
check "... one line for its region ($region): collapsed_not_refaulted, with the why" \
	grep -q "^thptrace: --expect: $region-0x[0-9a-f]* (pid [0-9]*, life 1) ended collapsed_not_refaulted: .*not present" "$out/fail.err"
check "... and no line for a region that ended huge" \
	sh -c "! grep -- '--expect: ' '$out/fail.err' | grep -q 'ended huge'"
demo=$(thp_env_copy_demo "$DEMO" "$dir")
"$THPTRACE" --expect huge,collapsed_not_refaulted -o /dev/null -- "$demo" --no-touch > /dev/null 2>&1
rc=$?
check "--expect huge,collapsed_not_refaulted on the same: 0 (got $rc)" [ "$rc" -eq 0 ]
thp_env_restore

"$THPTRACE" report --expect huge "$data/refaulted_as_pte.jsonl" > /dev/null 2> "$out/report.err"
rc=$?
check "report --expect huge on a refaulted_as_pte trace: exit 7 (got $rc)" [ "$rc" -eq 7 ]
check "... with its line" grep -q '^thptrace: --expect: 0x[0-9a-f]*-0x[0-9a-f]* (pid [0-9]*, life 1) ended refaulted_as_pte: ' "$out/report.err"
"$THPTRACE" report --expect refaulted_as_pte "$data/refaulted_as_pte.jsonl" > /dev/null 2>&1
check "report --expect refaulted_as_pte on it: 0" [ $? -eq 0 ]
"$THPTRACE" --expect hug -- /bin/true > /dev/null 2> "$out/usage.err"
rc=$?
check "--expect hug: usage error, exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "... in one line that names the verdicts" \
	sh -c "[ \$(wc -l < '$out/usage.err') -eq 1 ] && grep -q \"'hug' is no verdict (huge, \" '$out/usage.err'"
finish
