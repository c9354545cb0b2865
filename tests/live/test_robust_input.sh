#!/bin/sh
# Bad input (issue: robustness): every mistake gives one line on stderr that
# names it, a documented exit status (2 usage, 3 target, 5 BPF, 6 output,
# 126/127 CMD), no crash or sanitizer report, and no BPF program left loaded.
# A CMD that never got past its exec is not left running.
. "$(dirname "$0")/lib.sh"
need_root "the bad-input tests (BPF)"
. tests/workloads/robust_lib.sh
robust_init

# ---- usage: exit 2, before anything is loaded ----
try "no target at all" 2 'no target' --no-bpf-check --
try "-a with -p" 2 '-a and -p cannot be used together' --no-bpf-check -- -a -p 1
try "CMD with -p" 2 'give either CMD, -p PID or -a' --no-bpf-check -- -p 1 -- true
try "unknown long option" 2 "unrecognized option '--bogus'" --no-bpf-check -- --bogus -- true
try "unknown short option" 2 "invalid option -- 'Z'" --no-bpf-check -- -Z -- true
try "option without its argument" 2 "option '--range' requires an argument" --no-bpf-check -- --range
for d in 0 -1 abc nan inf 1e9 ''; do
	try "--duration '$d'" 2 "--duration '$d': not a positive number" --no-bpf-check -- \
		--duration "$d" -- true
done
try "malformed --range" 2 "range 'zz': expected START-END" --no-bpf-check -- --range zz -- true
try "inverted --range" 2 "range '0x2000-0x1000': start is not below end" --no-bpf-check -- \
	--range 0x2000-0x1000 -- true
try "-p not a number" 2 "-p 'abc': not a process id" --no-bpf-check -- -p abc
try "-u unknown user" 2 '-u no-such-user-x: no such user' --no-bpf-check -- -u no-such-user-x -- true
try "-u without CMD" 2 '-u applies only to a CMD' --no-bpf-check -- -u nobody -a
try "--text with -a" 2 '--text and --file need one target process' --no-bpf-check -- --text -a
try "--backend unknown" 2 "--backend 'x': expected auto" --no-bpf-check -- --backend x -- true
THPTRACE_RINGBUF_BYTES=5000 "$THPTRACE" -- true >/dev/null 2>"$work/err"
rc=$?
check "THPTRACE_RINGBUF_BYTES=5000: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "THPTRACE_RINGBUF_BYTES=5000: one line" one_line "$work/err" 'THPTRACE_RINGBUF_BYTES=5000: expected a power of two'

# ---- the command: 127 not found, 126 not executable ----
try "CMD not found in PATH" 127 "cannot run 'no-such-cmd-x': command not found" -- -- no-such-cmd-x
try "CMD path does not exist" 127 "cannot run '/nonexistent/cmd': No such file or directory" -- \
	-- /nonexistent/cmd
printf 'not a program\n' >"$work/plain"
chmod 0644 "$work/plain"
try "CMD not executable" 126 "cannot run '$work/plain': Permission denied" -- -- "$work/plain"
try "CMD is a directory" 126 "cannot run '$work': Permission denied" -- -- "$work"
try "-u nobody, CMD it may not run" 126 "cannot run '$work/plain': Permission denied" -- \
	-u nobody -- "$work/plain"

# ---- -p: exit 3 ----
true &
gone=$!
wait "$gone"
try "-p of an exited process" 3 "-p $gone: no such process" -- -p "$gone"
try "-p of a kernel thread" 3 '-p 2: is a kernel thread \(kthreadd\)' -- -p 2
# A zombie: sleep 0.1's parent execs sleep 5, which never reaps it.
sh -c 'sleep 0.1 & exec sleep 5' &
zparent=$!
sleep 0.5
zombie=$(pgrep -P "$zparent" | head -1)
if [ -n "$zombie" ] && [ "$(proc_state "$zombie" | cut -d' ' -f1)" = Z ]; then
	try "-p of a zombie" 3 "-p $zombie: has exited \(sleep is a zombie\)" -- -p "$zombie"
else
	echo "FAIL: could not make a zombie to test -p on"
	failures=$((failures + 1))
fi
kill "$zparent" 2>/dev/null
wait "$zparent" 2>/dev/null
# thptrace's own pid is known once it runs: exec it from a shell.
sh -c 'exec "$0" -p $$' "$THPTRACE" >"$work/out" 2>"$work/err"
rc=$?
check "-p of thptrace itself: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "-p of thptrace itself: one line" one_line "$work/err" '-p [0-9]+: that is thptrace itself'
# Exits while thptrace loads its probes: a test knob holds thptrace for 1 s
# after its first check of the pid, so the process ends in between.
sleep 0.3 &
short=$!
export THPTRACE_TEST_ATTACH_DELAY_US=1000000
try "-p that exits while attaching" 3 "-p $short(: no such process|: has exited| exited while attaching)" -- -p "$short"
unset THPTRACE_TEST_ATTACH_DELAY_US
wait "$short" 2>/dev/null

# ---- ranges and files against the target's mappings: exit 3, CMD killed ----
try "--range outside every mapping" 3 '--range 0x1000-0x2000 is outside every mapping' -- \
	--range 0x1000-0x2000 -- sleep 7.71
try "--file not mapped by the target" 3 '--file /etc/hostname is not mapped by process' -- \
	--file /etc/hostname -- sleep 7.72
try "--file that does not exist" 3 '--file /nonexistent/f: No such file or directory' -- \
	--file /nonexistent/f -- sleep 7.73
sleep 0.3
check "a CMD whose trace could not start is not left running" sh -c '! pgrep -f "sleep 7.7[123]" >/dev/null'
# --text needs the executable's ELF headers: as root without the DAC
# capabilities, an execute-only binary of another user cannot be read.
mkdir -p "$work/xo"
chmod 0755 "$work" "$work/xo"
cp "$(command -v sleep)" "$work/xo/xsleep"
chown nobody "$work/xo/xsleep"
chmod 0111 "$work/xo/xsleep"
setpriv --bounding-set -dac_override,-dac_read_search --inh-caps -dac_override,-dac_read_search \
	"$THPTRACE" --text -- "$work/xo/xsleep" 7.74 >"$work/out" 2>"$work/err"
rc=$?
check "--text on an unreadable executable: exit 3 (got $rc)" [ "$rc" -eq 3 ]
check "--text on an unreadable executable: one line naming it" \
	one_line "$work/err" "--text: cannot read $work/xo/xsleep: .*Permission denied"
check "--text on an unreadable executable: no BPF program left behind" no_leftovers
sleep 0.3
check "--text failure kills the held CMD" sh -c '! pgrep -f "xsleep 7.7[4]" >/dev/null'

# ---- output: exit 6 ----
try "-o into a missing directory" 6 "cannot write '/nonexistent/dir/t.jsonl': No such file or directory" -- \
	-o /nonexistent/dir/t.jsonl -- true
try "--svg into a missing directory" 6 "cannot write '/nonexistent/dir/t.svg': No such file or directory" -- \
	--svg /nonexistent/dir/t.svg -- true
"$THPTRACE" -- true >/dev/full 2>"$work/err"
rc=$?
# The probe notes come first on this kernel: the error is the last line.
check "stdout on a full device: exit 6 (got $rc)" [ "$rc" -eq 6 ]
check "stdout on a full device: says so" \
	sh -c "tail -n 1 '$work/err' | grep -q '^thptrace: cannot write to standard output: No space left on device'"
"$THPTRACE" -- true >&- 2>"$work/err"
rc=$?
check "stdout closed: exit 6 (got $rc)" [ "$rc" -eq 6 ]
check "stdout closed: one line" one_line "$work/err" 'standard output is closed: give -o FILE'

# ---- a backend that cannot load at all: exit 5 ----
"$THPTRACE" --list-probes --json >"$work/probes.jsonl" 2>/dev/null
if grep -q '"fentry":"ok"' "$work/probes.jsonl"; then
	echo "PASS: --backend fentry works on this kernel (nothing to refuse)"
else
	try "--backend fentry where no fentry program loads" 5 \
		'--backend fentry: no fentry program can attach on this kernel \(refused at load' -- \
		--backend fentry -- true
fi
finish
