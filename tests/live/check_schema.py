#!/usr/bin/env python3
"""thptrace's JSON Lines against schema/thptrace-events.schema.json.

usage: check_schema.py SCHEMA validate FILE...
         every line of every FILE is valid against SCHEMA (JSON Schema
         2020-12, python3-jsonschema) and begins {"event":...,"schema_version":N,
         (the version the schema's const says); prints the count per event
  check_schema.py SCHEMA negative
         lines that are wrong (a wrong type, an unknown event or key, a
         missing key, a bad enum value, no or a newer schema_version) fail,
         and a good line of each kind passes: the schema means something
  check_schema.py SCHEMA enums SRCDIR
         the schema's enums are the names in the C tables of SRCDIR (src/):
         event kinds, via, page states, verdict reasons, milestones, madvise
         names, summary counts, probe backends and mechanisms, huge_how
Prints PASS/FAIL lines; exits 1 if any check failed."""
import json
import os
import re
import sys

import jsonschema

failures = 0


def check(what, ok, detail=""):
    global failures
    if ok:
        print(f"PASS: {what}")
    else:
        failures += 1
        print(f"FAIL: {what}{': ' + detail if detail else ''}")


def validator(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return schema, cls(schema)


def first_error(v, obj):
    errs = sorted(v.iter_errors(obj), key=lambda e: len(list(e.absolute_path)))
    if not errs:
        return None
    # the deepest reason is the useful one (if/then wraps the event's own)
    e = errs[0]
    while e.context:
        e = sorted(e.context, key=lambda c: -len(list(c.absolute_path)))[0]
    path = "/".join(str(p) for p in e.absolute_path)
    return f"{path or '(line)'}: {e.message[:200]}"


def validate(schema_path, files):
    schema, v = validator(schema_path)
    version = schema["properties"]["schema_version"]["const"]
    head = re.compile(r'^\{"event":"[a-z_]+","schema_version":%d[,}]' % version)
    for path in files:
        counts, bad, timed = {}, [], []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    bad.append(f"line {n}: not JSON: {e}")
                    continue
                err = first_error(v, obj)
                if err:
                    bad.append(f"line {n} ({obj.get('event')}): {err}")
                elif not head.match(line):
                    bad.append(f"line {n}: does not begin with \"event\" then \"schema_version\":{version}")
                else:
                    counts[obj["event"]] = counts.get(obj["event"], 0) + 1
                    if obj["event"] not in ("probe", "doctor", "doctor_verdict"):
                        timed.append(("time" in obj, n))
        # a trace that has a wall clock (its context's time) has it on every line
        if any(t for t, _ in timed) and not all(t for t, _ in timed):
            bad.append("lines without \"time\" in a trace with one: " +
                       ", ".join(str(n) for t, n in timed if not t)[:200])
        kinds = " ".join(f"{k}={counts[k]}" for k in sorted(counts))
        check(f"{os.path.basename(path)}: every line valid ({kinds})", not bad and counts,
              "; ".join(bad[:5]) + (f"; ... {len(bad)} in all" if len(bad) > 5 else "") if bad else "no lines")


GOOD = {
    "exec": '{"event":"exec","schema_version":1,"time":"2026-12-02T12:34:56.000412Z","t":0.000412,"ts_ns":1,"pid":4242,"tgid":4242,"comm":"thp_demo",'
            '"via":"tracepoint","mm":1,"target_pid":4242,"file":"thp_demo"}',
    "state": '{"event":"state","schema_version":1,"t":0.5,"ts_ns":2,"pid":4242,"tgid":4242,"comm":"","via":"pagemap",'
             '"mm":1,"target_pid":4242,"region":"0x7f3a4c000000","state":"pmd","thp":true,"present":512}',
    "verdict": '{"event":"verdict","schema_version":1,"region":"0x7f3a4c000000","file":"","target_pid":1,"mm":1,'
               '"life":1,"mapped_t":0.1,"unmapped_t":null,"final":"pmd","reason":"huge","why":"w","milestones":'
               '[{"t":0.2,"what":"pmd_mapped","detail":"d"}],"milestones_dropped":0,"unmapped_s":null,'
               '"madvise_to_pmd_s":0.1}',
    "summary": '{"event":"summary","schema_version":1,"t":3.0,"stopped":"target exited","exit_status":0,"lost":0,'
               '"counts":{"exec":1,"fault":3}}',
}

# (what is wrong, the line): each must fail
BAD = [
    ("no schema_version", GOOD["exec"].replace('"schema_version":1,', "")),
    ("a newer schema_version", GOOD["exec"].replace('"schema_version":1', '"schema_version":2')),
    ("schema_version as a string", GOOD["exec"].replace('"schema_version":1', '"schema_version":"1"')),
    ("an unknown event", GOOD["exec"].replace('"event":"exec"', '"event":"exce"')),
    ("no event", GOOD["exec"].replace('"event":"exec",', "")),
    ("pid as a string", GOOD["exec"].replace('"pid":4242', '"pid":"4242"')),
    ("a negative pid", GOOD["exec"].replace('"pid":4242', '"pid":-1')),
    ("an unknown via", GOOD["exec"].replace('"via":"tracepoint"', '"via":"ebpf"')),
    ("an unknown key", GOOD["exec"].replace('"file":"thp_demo"', '"file":"thp_demo","colour":"red"')),
    ("no ts_ns", GOOD["exec"].replace('"ts_ns":1,', "")),
    ("an address as a number", GOOD["state"].replace('"region":"0x7f3a4c000000"', '"region":139888470212608')),
    ("an address in upper case", GOOD["state"].replace('"region":"0x7f3a4c000000"', '"region":"0x7F3A4C000000"')),
    ("an unknown page state", GOOD["state"].replace('"state":"pmd"', '"state":"huge"')),
    ("a state without present", GOOD["state"].replace(',"present":512', "")),
    ("an unknown verdict reason", GOOD["verdict"].replace('"reason":"huge"', '"reason":"big"')),
    ("an unknown milestone", GOOD["verdict"].replace('"what":"pmd_mapped"', '"what":"pmd_mappd"')),
    ("life 0", GOOD["verdict"].replace('"life":1', '"life":0')),
    ("a count of an unknown kind", GOOD["summary"].replace('"fault":3', '"faults":3')),
    ("counts as an array", GOOD["summary"].replace('{"exec":1,"fault":3}', '[1,3]')),
    ("a time without microseconds", GOOD["exec"].replace('56.000412Z', '56Z')),
    ("a time in local time", GOOD["exec"].replace('56.000412Z', '56.000412+01:00')),
    ("a time as a number", GOOD["exec"].replace('"2026-12-02T12:34:56.000412Z"', '1796214896.000412')),
    ("a verdict key on an exec", GOOD["exec"].replace('"file":"thp_demo"', '"file":"thp_demo","reason":"huge"')),
]


def negative(schema_path):
    _, v = validator(schema_path)
    for name, line in GOOD.items():
        err = first_error(v, json.loads(line))
        check(f"a good {name} line passes", err is None, err or "")
    for what, line in BAD:
        check(f"fails: {what}", first_error(v, json.loads(line)) is not None, line)


def c_table(text, name):
    """The strings of `static const char *const NAME[...] = { [X] = "s", ... }`
    or `{ "a", "b" }`, in order."""
    m = re.search(r"\b%s\s*\[[^\]]*\]\s*=\s*\{(.*?)\};" % re.escape(name), text, re.S)
    if not m:
        sys.exit(f"FAIL: no table {name} in the source")
    return re.findall(r'"([^"]*)"', m.group(1))


def enums(schema_path, src):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    defs = schema["$defs"]

    def read(p):
        with open(os.path.join(src, p), encoding="utf-8") as f:
            return f.read()

    event_c, verdict_c = read("model/event.c"), read("model/verdict.c")
    probes_c, mappings_c = read("probe/probes_print.c"), read("sinks/out_mappings.c")
    kinds = c_table(event_c, "kind_names")
    madv = re.findall(r'\{\s*\d+,\s*"(MADV_[A-Z_]+)"\s*\}', event_c)
    backends = c_table(re.search(r"backend_name\(.*?\n\}", probes_c, re.S).group(0), "n")
    mechs = c_table(re.search(r"mech_name\(.*?\n\}", probes_c, re.S).group(0), "n")
    # lines not of enum ev_kind: sinks/out_mappings.c, probe/probes_print.c, cli/doctor*.c
    others = {"mapping", "probe", "doctor", "doctor_verdict"}

    def same(what, schema_list, code_list):
        a, b = set(schema_list), set(code_list)
        check(f"{what}: the schema's {len(a)} names are the code's", a == b and len(a) == len(schema_list),
              f"only in the schema: {sorted(a - b)}; only in the code: {sorted(b - a)}")

    same("event", schema["properties"]["event"]["enum"], (set(kinds) - {"none"}) | others)
    same("event definitions", [k for k in defs if k in set(kinds) | others], (set(kinds) - {"none"}) | others)
    same("via", defs["via"]["enum"], c_table(event_c, "via_names"))
    same("page state", defs["page_state"]["enum"], c_table(event_c, "state_names"))
    same("verdict reason", defs["verdict_reason"]["enum"], c_table(verdict_c, "reason_names"))
    same("milestone", defs["milestone"]["enum"], c_table(verdict_c, "ms_names"))
    same("madvise name", defs["madv_name"]["enum"], madv)
    same("summary counts", defs["counted_kind"]["enum"], kinds[kinds.index("exec"):kinds.index("lost")])
    same("probe backend", defs["probe"]["properties"]["backend"]["enum"], backends)
    same("probe mechanism", defs["probe"]["properties"]["mechanism"]["enum"], mechs)
    same("mapping huge_how", defs["mapping"]["properties"]["huge_how"]["required"], c_table(mappings_c, "how"))
    with open(os.path.join(src, "sinks/json_schema.h"), encoding="utf-8") as f:
        ver = int(re.search(r"THPTRACE_JSON_SCHEMA_VERSION\s+(\d+)", f.read()).group(1))
    check(f"schema_version: the schema's const is the code's ({ver})",
          schema["properties"]["schema_version"]["const"] == ver == defs["head"]["properties"]["schema_version"]["const"])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    schema_path, what, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if what == "validate":
        validate(schema_path, args)
    elif what == "negative":
        negative(schema_path)
    elif what == "enums":
        enums(schema_path, args[0])
    else:
        sys.exit(f"unknown check {what}")
    return 1 if failures else 0


sys.exit(main())
