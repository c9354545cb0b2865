#!/usr/bin/env python3
"""Keeps man/thptrace.8 in step with thptrace's own help.

usage: check_man.py THPTRACE MANPAGE [--changelog FILE] [--config-c FILE]
  For `thptrace --help` and the man page's OPTIONS, `thptrace report --help`
  and COMMANDS "thptrace report", `thptrace doctor --help` and COMMANDS
  "thptrace doctor": the same options, each with the same short form and
  argument name ("-p, --pid=PID"), both ways.  The exit codes of each
  help's "Exit status:" paragraph and of the man page's EXIT STATUS (its
  .TP tags that are numbers; report and doctor in their own .SS) are the
  same.  The version of `thptrace --version`, the man page's .TH and, when
  given, debian/changelog's first entry are the same.  With --config-c
  (src/util/config.c), every THPTRACE_* variable it reads, other than the
  THPTRACE_TEST_* ones, is a .TP item of ENVIRONMENT, and vice versa.
Needs no root.  Prints PASS/FAIL lines; exits 1 if any check failed."""
import argparse
import re
import subprocess
import sys

failures = 0


def check(what, ok, detail=""):
    global failures
    if ok:
        print(f"PASS: {what}")
    else:
        failures += 1
        print(f"FAIL: {what}{': ' + detail if detail else ''}")


def run_help(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, check=False)
    if p.returncode != 0:
        sys.exit(f"FAIL: {binary} {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


# "  -p, --pid=PID     Trace ...", "      --usage", "  --json    one ..."
HELP_OPT = re.compile(r"^ {1,6}(?:(-\S), )?(--[a-z][a-z-]*)(?:=(\S+))?(?: {2,}|$)")


def help_options(text):
    """The option signatures a help prints after its OPTIONS: heading."""
    out = set()
    seen_heading = False
    for line in text.splitlines():
        if re.match(r"^(OPTIONS|Options):", line):
            seen_heading = True
            continue
        m = HELP_OPT.match(line) if seen_heading else None
        if m:
            short, long_, arg = m.groups()
            out.add(f"{short + ', ' if short else ''}{long_}{'=' + arg if arg else ''}")
    return out


def help_exit_codes(text):
    """The numbers of the 'Exit status:' paragraph that are exit codes."""
    m = re.search(r"^Exit status:(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    if not m:
        return None
    # Not 128 of 128+N, not "5 s" (a time).
    return set(re.findall(r"(?<![\d+])\b(\d+)\b(?![+\d]| s\b)", m.group(1)))


def roff_text(line):
    line = re.sub(r"\\f[BIRP]", "", line)
    return line.replace("\\-", "-").replace("\\(aq", "'").replace("\\ ", " ").strip()


def man_sections(path):
    """{'.SH name': {'': [lines before any .SS], '.SS name': [lines]}}"""
    secs = {}
    sh = ss = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".SH "):
                sh, ss = line[4:].strip('"'), ""
                secs[sh] = {ss: []}
            elif line.startswith(".SS ") and sh is not None:
                ss = line[4:].strip('"')
                secs[sh][ss] = []
            elif sh is not None:
                secs[sh][ss].append(line)
    return secs


def tp_tags(lines):
    """The line after each .TP."""
    return [lines[i + 1] for i, l in enumerate(lines[:-1]) if l.startswith(".TP")]


def man_options(lines):
    return {t for t in map(roff_text, tp_tags(lines)) if t.startswith("-")}


def man_exit_codes(lines):
    out = set()
    for t in tp_tags(lines):
        m = re.fullmatch(r"\.B (\d+)", t.strip())
        if m:
            out.add(m.group(1))
    return out


def subsection(sec, word):
    """Lines of the .SS whose title names `thptrace WORD`, else None."""
    for title, lines in sec.items():
        if re.match(rf"thptrace {word}\b", roff_text(title)):
            return lines
    return None


def compare(what, from_help, from_man):
    check(f"{what}: every option of --help is in the man page",
          from_help <= from_man, "missing " + ", ".join(sorted(from_help - from_man)))
    check(f"{what}: every option in the man page is in --help",
          from_man <= from_help, "not in --help: " + ", ".join(sorted(from_man - from_help)))


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("binary")
    ap.add_argument("manpage")
    ap.add_argument("--changelog")
    ap.add_argument("--config-c")
    args = ap.parse_args()
    binary, manpage = args.binary, args.manpage
    secs = man_sections(manpage)
    for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS",
                 "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
        check(f"the man page has a {name} section", name in secs)
    if failures:
        return 1

    helps = {
        "thptrace": run_help(binary, "--help"),
        "thptrace report": run_help(binary, "report", "--help"),
        "thptrace doctor": run_help(binary, "doctor", "--help"),
    }
    cmds = {
        "thptrace report": subsection(secs["COMMANDS"], "report"),
        "thptrace doctor": subsection(secs["COMMANDS"], "doctor"),
    }
    exits = {
        "thptrace report": subsection(secs["EXIT STATUS"], "report"),
        "thptrace doctor": subsection(secs["EXIT STATUS"], "doctor"),
    }
    for name in cmds:
        check(f"COMMANDS has a subsection for {name}", cmds[name] is not None)
        check(f"EXIT STATUS has a subsection for {name}", exits[name] is not None)
    if failures:
        return 1
    man_opts = {"thptrace": man_options(sum(secs["OPTIONS"].values(), []))}
    man_opts.update({k: man_options(v) for k, v in cmds.items()})
    man_exits = {"thptrace": man_exit_codes(secs["EXIT STATUS"][""])}
    man_exits.update({k: man_exit_codes(v) for k, v in exits.items()})

    for name, text in helps.items():
        opts = help_options(text)
        check(f"{name} --help lists options ({len(opts)})", len(opts) >= 2)
        compare(name, opts, man_opts[name])
        codes = help_exit_codes(text)
        check(f"{name} --help has an 'Exit status:' paragraph", codes is not None)
        codes = codes or set()
        check(f"{name}: the same exit codes in --help ({' '.join(sorted(codes, key=int))})"
              f" and the man page ({' '.join(sorted(man_exits[name], key=int))})",
              codes == man_exits[name] and codes)

    version = run_help(binary, "--version").split()[-1]
    th = next((l for l in open(manpage, encoding="utf-8") if l.startswith(".TH ")), "")
    check(f"the man page's .TH names thptrace {version}", f'"thptrace {version}"' in th, th.strip())
    if args.changelog:
        with open(args.changelog, encoding="utf-8") as f:
            m = re.match(r"thptrace \(([^)]+)\)", f.readline())
        deb = m.group(1) if m else None
        check(f"debian/changelog's version ({deb}) is thptrace --version's ({version})",
              deb is not None and (deb == version or deb.startswith(version + "-")))
    if args.config_c:
        with open(args.config_c, encoding="utf-8") as f:
            src = set(re.findall(r'"(THPTRACE_[A-Z0-9_]+)"', f.read()))
        src = {v for v in src if not v.startswith("THPTRACE_TEST_")}
        man = {roff_text(t).removeprefix(".B ") for t in tp_tags(secs["ENVIRONMENT"][""])}
        check(f"{args.config_c} reads THPTRACE_* variables ({len(src)})", len(src) > 0)
        check("every THPTRACE_* variable (but THPTRACE_TEST_*) is in ENVIRONMENT",
              src <= man, "missing " + ", ".join(sorted(src - man)))
        check("ENVIRONMENT names only variables thptrace reads",
              man <= src, "not read: " + ", ".join(sorted(man - src)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
