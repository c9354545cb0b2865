#!/usr/bin/env python3
"""Assertions on thptrace's JSON Lines, shared by the live tests.

usage: check_jsonl.py FILE CHECK [ARGS...]
  parses          every line is one JSON object with "event"
  chain REGION    collapse_file succeeded at REGION (hex), the region went
                  not present (state none), a fault in it came after that,
                  then state pmd: the seed's collapse-and-refault story
  verdict REGION REASON [FINAL]
  has EVENT       at least one event of that name
Prints PASS/FAIL lines; exits 1 on the first failure."""
import json
import sys

OK_RESULTS = ("SCAN_SUCCEED", "SCAN_PTE_MAPPED_HUGEPAGE")


def load(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                obj = json.loads(line)
            except ValueError as e:
                sys.exit(f"FAIL: {path}:{n} does not parse: {e}: {line[:120]!r}")
            if not isinstance(obj, dict) or "event" not in obj:
                sys.exit(f"FAIL: {path}:{n} is not an event object")
            out.append(obj)
    return out


def in_region(ev, region, key="addr"):
    a = ev.get(key)
    return a is not None and region <= int(a, 16) < region + (2 << 20)


def chain(evs, region):
    coll = [e for e in evs if e["event"] == "collapse_file" and e.get("result") in OK_RESULTS
            and in_region(e, region)]
    if not coll:
        return f"no successful collapse_file at {region:#x}"
    for e in coll:
        for k in ("file", "pgoff", "result", "via", "pid", "comm", "t", "ts_ns"):
            if k not in e:
                return f"collapse_file lacks {k}"
    states = [e for e in evs if e["event"] == "state" and int(e["region"], 16) == region]
    none = [e for e in states if e["state"] == "none"]
    if not none:
        return "the region was never seen not present (state none)"
    t_none = none[0]["t"]
    faults = [e for e in evs if e["event"] == "fault" and in_region(e, region) and e["t"] >= t_none]
    if not faults:
        return "no fault in the region after it went not present"
    pmd = [e for e in states if e["state"] == "pmd" and e["t"] >= faults[0]["t"]]
    if not pmd:
        return "no state pmd after the refault"
    if not pmd[-1].get("thp"):
        return "state pmd without thp"
    return None


def main():
    path, what, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    evs = load(path)
    if what == "parses":
        err = None if evs else "no events at all"
    elif what == "chain":
        err = chain(evs, int(args[0], 16))
    elif what == "verdict":
        region = int(args[0], 16)
        v = [e for e in evs if e["event"] == "verdict" and int(e["region"], 16) == region]
        if not v:
            err = f"no verdict for {region:#x}"
        elif v[0]["reason"] != args[1]:
            err = f"verdict reason {v[0]['reason']!r}, expected {args[1]!r}: {v[0].get('why')}"
        elif len(args) > 2 and v[0]["final"] != args[2]:
            err = f"final state {v[0]['final']!r}, expected {args[2]!r}"
        else:
            err = None
    elif what == "has":
        err = None if any(e["event"] == args[0] for e in evs) else f"no {args[0]} event"
    else:
        sys.exit(f"unknown check {what}")
    if err:
        print(f"FAIL: {what} {' '.join(args)}: {err}")
        sys.exit(1)
    print(f"PASS: {what} {' '.join(args)}")


main()
