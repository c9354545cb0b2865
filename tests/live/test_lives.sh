#!/bin/sh
# Region lives and losses on this kernel (issue 12), with
# tests/workloads/thp_lives.c:
#  - the same 2 MiB address mapped, collapsed by khugepaged and unmapped
#    three times (refaulted after MADV_NOHUGEPAGE, refaulted, untouched):
#    three lives, each with its own right verdict;
#  - an anonymous PMD split by mprotect of one page, another zapped by
#    MADV_DONTNEED: inferred from the page state, the syscall named;
#  - four more split by munmap, mremap, MADV_PAGEOUT and MADV_FREE of part
#    of them, with /proc/vmstat's thp_split_pmd as support.
. "$(dirname "$0")/lib.sh"
need_root "the region lives workload"
LIVES=${LIVES:-$PWD/build/thp_lives}

# verdicts FILE REGION: "life:reason:final:unmapped?" for each verdict there
verdicts() {
	python3 - "$1" "$2" <<'PY'
import json, sys
region = int(sys.argv[2], 16)
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e["event"] == "verdict" and int(e["region"], 16) == region:
        print("%d:%s:%s:%s" % (e["life"], e["reason"], e["final"],
                               "unmapped" if e["unmapped_t"] is not None else "-"))
PY
}

# milestone_has FILE REGION WHAT TEXT: a milestone WHAT of the region says TEXT
milestone_has() {
	milestone "$1" "$2" "$3" | grep -qF "$4"
}

# milestone FILE REGION WHAT: the details of that milestone of the region
milestone() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
region = int(sys.argv[2], 16)
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e["event"] == "verdict" and int(e["region"], 16) == region:
        for m in e["milestones"]:
            if m["what"] == sys.argv[3]:
                print(m["detail"])
PY
}

live_env_setup advise
"$THPTRACE" --json -o "$out/lives.jsonl" -- "$LIVES" lives "$dir" > "$out/lives.stdout" 2>&1
rc=$?
check "lives: the workload ran (exit $rc)" [ "$rc" -eq 0 ]
check "lives: JSON parses" python3 tests/live/check_jsonl.py "$out/lives.jsonl" parses
at=$(sed -n 's/^address \(0x[0-9a-f]*\)$/\1/p' "$out/lives.stdout")
got=$(verdicts "$out/lives.jsonl" "$at" | tr '\n' ' ')
want="1:refaulted_as_pte:pte:unmapped 2:huge:pmd:unmapped 3:collapsed_not_refaulted:none:unmapped "
check "lives: three verdicts at $at, each right (got '$got')" [ "$got" = "$want" ]
check "lives: munmap events traced" python3 tests/live/check_jsonl.py "$out/lives.jsonl" has munmap
"$THPTRACE" report --by region "$out/lives.jsonl" > "$out/lives.txt" 2>&1
check "lives: the text report lists three mapped-and-unmapped lives" \
	[ "$(grep -c '^  life [123]: mapped at [0-9.]*, unmapped at' "$out/lives.txt")" -eq 3 ]
check "lives: life 3's why says it was unmapped, not that the process exited" \
	grep -q "not mapped at all when it was unmapped" "$out/lives.txt"
"$THPTRACE" report "$out/lives.jsonl" > "$out/lives.bymap.txt" 2>&1
# each life maps another file there: its own mapping, a one-region
# mapping shown in full
check "lives: by mapping (the default), each life's file is a mapping of its own, shown in full" \
	sh -c "grep -q '^mappings (4, with 4 regions;' '$out/lives.bymap.txt' && [ \$(grep -c '^  life [123]: mapped at [0-9.]*, unmapped at' '$out/lives.bymap.txt') -eq 3 ]"
thp_env_restore

"$THPTRACE" --json -o "$out/loss.jsonl" -- "$LIVES" loss > "$out/loss.stdout" 2>&1
rc=$?
check "loss: the workload ran (exit $rc)" [ "$rc" -eq 0 ]
split=$(sed -n 's/^split \(0x[0-9a-f]*\) zap .*/\1/p' "$out/loss.stdout")
zap=$(sed -n 's/^split 0x[0-9a-f]* zap \(0x[0-9a-f]*\)$/\1/p' "$out/loss.stdout")
got=$(verdicts "$out/loss.jsonl" "$split")
check "loss: the mprotected region is split (got '$got')" [ "$got" = "1:split:pte:-" ]
check "loss: its split names mprotect and is marked inferred" \
	milestone_has "$out/loss.jsonl" "$split" split "(inferred from pagemap), by mprotect at"
got=$(verdicts "$out/loss.jsonl" "$zap")
check "loss: the MADV_DONTNEED region is zapped (got '$got')" [ "$got" = "1:zapped:none:-" ]
check "loss: its zap names MADV_DONTNEED and is marked inferred" \
	milestone_has "$out/loss.jsonl" "$zap" zapped "(inferred from pagemap), by MADV_DONTNEED at"
check "loss: the timeline has a pmd_split by mprotect and a pmd_zap by MADV_DONTNEED, via pagemap, inferred" \
	python3 -c '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
def has(kind, cause):
    return any(e["event"] == kind and e.get("cause") == cause and e["via"] == "pagemap"
               and e.get("inferred") is True for e in evs)
sys.exit(0 if has("pmd_split", "mprotect") and has("pmd_zap", "MADV_DONTNEED") else 1)' "$out/loss.jsonl"
"$THPTRACE" report --json "$out/loss.jsonl" > "$out/loss.replay.jsonl" 2>&1
check "loss: the replay infers the same pmd_split and pmd_zap lines" \
	sh -c "grep -E '\"event\":\"pmd_(split|zap)\"' '$out/loss.jsonl' > '$out/a'; grep -E '\"event\":\"pmd_(split|zap)\"' '$out/loss.replay.jsonl' > '$out/b'; [ -s '$out/a' ] && cmp -s '$out/a' '$out/b'"
# Four more causes, each a syscall over part of a PMD-mapped region: the
# split inferred from the page state names it, and /proc/vmstat's
# thp_split_pmd supports it.
"$THPTRACE" --json -o "$out/causes.jsonl" -- "$LIVES" causes > "$out/causes.stdout" 2>&1
rc=$?
check "causes: the workload ran (exit $rc)" [ "$rc" -eq 0 ]
"$THPTRACE" report --by region "$out/causes.jsonl" > "$out/causes.txt" 2>&1
for c in munmap mremap pageout free; do
	at=$(tr ' ' '\n' < "$out/causes.stdout" | grep -A1 -x "$c" | sed -n 2p)
	case $c in
	munmap) by="by munmap of part of it at" ;;
	mremap) by="by mremap at" ;;
	pageout) by="by MADV_PAGEOUT at" ;;
	free) by="by MADV_FREE at" ;;
	esac
	got=$(verdicts "$out/causes.jsonl" "$at")
	# where another test runs khugepaged fast, it may have collapsed the
	# region again before the end: huge, the split a milestone
	check "causes: the $c region ($at) is split (got '$got')" \
		sh -c '[ "$1" = "1:split:pte:-" ] || [ "$1" = "1:huge:pmd:-" ]' - "$got"
	check "causes: its split says '$by', inferred" \
		milestone_has "$out/causes.jsonl" "$at" split "(inferred from pagemap), $by"
	[ "$got" = "1:split:pte:-" ] && check "causes: its why has the thp_split_pmd support" \
		sh -c "grep -A12 '^$at' '$out/causes.txt' | grep -q 'thp_split_pmd rose by [0-9]* since .*which supports it'"
done
check "causes: every inferred split carries thp_split_pmd_delta in JSON" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
s = [e for e in ev if e["event"] == "pmd_split"]
sys.exit(0 if len(s) == 4 and all(e.get("inferred") and e.get("thp_split_pmd_delta", 0) >= 1 for e in s) else 1)' "$out/causes.jsonl"
finish
