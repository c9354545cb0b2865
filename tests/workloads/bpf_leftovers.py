#!/usr/bin/env python3
"""Are thptrace's BPF programs gone?  For tests/live/test_robust_*.sh.

bpftool here has no "pids" column, so ownership is read from
/proc/PID/fdinfo (a program or link fd shows "prog_id:").  Programs are
"ours" by name: the functions under SEC() in bpf/*.bpf.c and bpf/*.bpf.h, cut to the
kernel's 15 characters.  Other thptrace runs may load and unload at the same
time: only ids that appeared after a snapshot and that no process holds
count as left behind.

  bpf_leftovers.py snapshot              our program ids now, one a line
  bpf_leftovers.py held PID              our program ids PID holds
  bpf_leftovers.py leaked SNAPFILE [S]   exit 1 (and list them) if programs of
                                         ours that appeared since SNAPFILE
                                         are still loaded and held by no
                                         process after S seconds (default 3)
  bpf_leftovers.py gone ID... [--wait S] exit 1 if any of these ids is still
                                         loaded after S seconds (default 3)
"""
import json
import os
import re
import subprocess
import sys
import time

BPF_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bpf")


def our_names():
    """The programs of thptrace.bpf.c and the parts it includes."""
    names = set()
    lines = []
    for f in sorted(os.listdir(BPF_DIR)):
        if f.endswith(".bpf.c") or f.endswith(".bpf.h"):
            lines += open(os.path.join(BPF_DIR, f)).read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("SEC(\"") and i + 1 < len(lines):
            # "int name(" or "int BPF_KPROBE(name, ...)"
            m = re.match(r"\s*int\s+(?:BPF_\w+\(\s*)?(\w+)", lines[i + 1])
            if m:
                names.add(m.group(1)[:15])
    return names


def loaded():
    """id -> name of every loaded BPF program."""
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("bpf_leftovers: bpftool prog show failed: " + out.stderr.strip())
    return {p["id"]: p.get("name", "") for p in json.loads(out.stdout or "[]")}


def ours():
    names = our_names()
    return {i for i, n in loaded().items() if n[:15] in names}


def held_by(pid):
    ids = set()
    d = "/proc/%s/fdinfo" % pid
    try:
        fds = os.listdir(d)
    except OSError:
        return ids
    for fd in fds:
        try:
            with open(os.path.join(d, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def held_by_anyone():
    ids = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            ids |= held_by(pid)
    return ids


def main(argv):
    if len(argv) >= 2 and argv[1] == "snapshot":
        for i in sorted(ours()):
            print(i)
        return 0
    if len(argv) == 3 and argv[1] == "held":
        for i in sorted(held_by(argv[2]) & ours()):
            print(i)
        return 0
    if len(argv) in (3, 4) and argv[1] == "leaked":
        before = {int(x) for x in open(argv[2]).read().split()}
        wait = float(argv[3]) if len(argv) == 4 else 3.0
        end = time.time() + wait
        while True:
            left = (ours() - before) - held_by_anyone()
            if not left or time.time() >= end:
                break
            time.sleep(0.2)
        if left:
            print("left behind:", " ".join(str(i) for i in sorted(left)))
            return 1
        return 0
    if len(argv) >= 3 and argv[1] == "gone":
        args, wait = argv[2:], 3.0
        if "--wait" in args:
            k = args.index("--wait")
            wait = float(args[k + 1])
            args = args[:k] + args[k + 2:]
        ids = {int(x) for x in args}
        end = time.time() + wait
        while True:
            left = ids & set(loaded())
            if not left or time.time() >= end:
                break
            time.sleep(0.2)
        if left:
            print("still loaded:", " ".join(str(i) for i in sorted(left)))
            return 1
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
