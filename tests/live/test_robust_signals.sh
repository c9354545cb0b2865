#!/bin/sh
# Stopping thptrace (issue: robustness).  SIGINT or SIGTERM: the report is
# finished, the probes go, and a CMD thptrace started gets the signal too;
# thptrace exits with CMD's status (130, 143), or 0 with -p.  A second
# signal exits at once.  A CMD that outlives the signal by 5 s is left
# running, untraced.  A closed output (| head -1) ends thptrace quietly with
# CMD running on, neither stopped nor traced.  Ctrl-Z on CMD leaves it
# stopped for SIGCONT, untraced.  Never a BPF program left loaded.
. "$(dirname "$0")/lib.sh"
need_root "the signal tests (BPF, ptrace)"
. tests/workloads/robust_lib.sh
robust_init

# A background job of a non-interactive shell starts with SIGINT ignored, and
# thptrace hands CMD the dispositions it found: start it with the default.
dfl() {	# call it in the background: $! is then thptrace's pid
	exec python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_exit PID SECS: wait for our child PID to end, at most SECS seconds;
# sets $rc (999 on timeout) and $elapsed (tenths of a second).
wait_exit() {
	t0=$(now_ms)
	elapsed=0
	while [ "$elapsed" -lt $(($2 * 10)) ]; do
		case $(proc_state "$1") in gone | Z*) break ;; esac
		sleep 0.05
		elapsed=$((($(now_ms) - t0) / 100))
	done
	case $(proc_state "$1") in
	gone | Z*) wait "$1"; rc=$? ;;
	*) rc=999; kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null ;;
	esac
}

# started TPID COMM: wait (up to 10 s) until thptrace TPID has released its
# CMD (a child named COMM) and holds its programs; sets $cmdpid and $progs.
started() {
	i=0 cmdpid='' progs=''
	while [ $i -lt 100 ]; do
		cmdpid=$(pgrep -P "$1" -x "$2" | head -1)
		[ -n "$cmdpid" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$cmdpid" ] || return 1
	# Attached before CMD was let go: its programs are there now.
	progs=$(python3 "$LEFT" held "$1" | tr '\n' ' ')
	[ -n "$progs" ]
}

only_notes() {	# stderr holds nothing but the probe notes
	! grep -v '^thptrace: [a-z_, ]*: ' "$1"
}

progs_gone() {
	# shellcheck disable=SC2086 # a list of ids
	python3 "$LEFT" gone $progs
}

# ---- SIGINT and SIGTERM reach CMD; its status is thptrace's ----
for sig in INT TERM; do
	case $sig in INT) want=130 ;; TERM) want=143 ;; esac
	dfl "$THPTRACE" -- sleep 30 >"$work/out" 2>"$work/err" &
	tpid=$!
	if ! started "$tpid" sleep; then
		echo "FAIL: SIG$sig: thptrace did not start sleep"
		failures=$((failures + 1))
		kill -KILL "$tpid"
		continue
	fi
	kill -s "$sig" "$tpid"
	wait_exit "$tpid" 10
	check "SIG$sig: thptrace exits with CMD's status $want (got $rc)" [ "$rc" -eq "$want" ]
	check "SIG$sig: promptly, no grace wait (${elapsed}00 ms)" [ "$elapsed" -le 30 ]
	check "SIG$sig: the summary says why and CMD's status" \
		grep -q "stopped: SIG$sig, command exit status $want" "$work/out"
	check "SIG$sig: the verdicts and summary were printed" grep -q '^summary: ' "$work/out"
	check "SIG$sig: CMD is gone" [ "$(proc_state "$cmdpid")" = gone ]
	check "SIG$sig: nothing but probe notes on stderr" only_notes "$work/err"
	check "SIG$sig: no sanitizer report" no_sanitizer "$work/err"
	check "SIG$sig: its BPF programs are gone" progs_gone
done

# ---- -p: SIGINT stops the trace, exit 0, the process runs on ----
sleep 30 &
spid=$!
"$THPTRACE" --json -p "$spid" >"$work/out" 2>"$work/err" &
tpid=$!
i=0
while [ $i -lt 100 ] && ! grep -q '"event":"context"' "$work/out"; do sleep 0.1; i=$((i + 1)); done
progs=$(python3 "$LEFT" held "$tpid" | tr '\n' ' ')
kill -INT "$tpid"
wait_exit "$tpid" 10
check "-p, SIGINT: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "-p, SIGINT: the summary says SIGINT" grep -q '"event":"summary".*"stopped":"SIGINT"' "$work/out"
check "-p, SIGINT: the target runs on, untraced ($(proc_state "$spid"))" [ "$(proc_state "$spid")" = "S 0" ]
check "-p, SIGINT: its BPF programs are gone" progs_gone

# ---- -p: the target is killed mid-trace: report, exit 0 ----
"$THPTRACE" --json -p "$spid" >"$work/out" 2>"$work/err" &
tpid=$!
i=0
while [ $i -lt 100 ] && ! grep -q '"event":"context"' "$work/out"; do sleep 0.1; i=$((i + 1)); done
kill -KILL "$spid"
wait_exit "$tpid" 10
wait "$spid" 2>/dev/null
check "-p, target killed: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "-p, target killed: promptly (${elapsed}00 ms)" [ "$elapsed" -le 30 ]
check "-p, target killed: the summary says it exited" \
	grep -q '"event":"summary".*"stopped":"target exited"' "$work/out"
check "-p, target killed: nothing but probe notes on stderr" only_notes "$work/err"

# ---- a second SIGINT exits at once, even while CMD is being waited for ----
dfl "$THPTRACE" -- sh -c 'trap "" INT; exec sleep 30' >"$work/out" 2>"$work/err" &
tpid=$!
if started "$tpid" sleep; then
	kill -INT "$tpid"
	sleep 1
	check "second SIGINT: thptrace is still waiting for CMD after the first" \
		sh -c "case '$(proc_state "$tpid")' in [RS]*) exit 0 ;; *) exit 1 ;; esac"
	kill -INT "$tpid"
	wait_exit "$tpid" 10
	check "second SIGINT: exit 130 (got $rc)" [ "$rc" -eq 130 ]
	check "second SIGINT: at once, not after the 5 s grace (${elapsed}00 ms)" [ "$elapsed" -le 20 ]
	check "second SIGINT: CMD is neither stopped nor traced ($(proc_state "$cmdpid"))" \
		[ "$(proc_state "$cmdpid")" = "S 0" ]
	check "second SIGINT: CMD holds no BPF fd" fds_clean "$cmdpid"
	check "second SIGINT: the BPF programs are gone" progs_gone
	kill -KILL "$cmdpid" 2>/dev/null
else
	echo "FAIL: second SIGINT: thptrace did not start its CMD"
	failures=$((failures + 1))
	kill -KILL "$tpid"
fi

# ---- CMD ignores the signal: thptrace gives up after 5 s, CMD runs on ----
"$THPTRACE" -- sh -c 'trap "" TERM; exec sleep 30' >"$work/out" 2>"$work/err" &
tpid=$!
if started "$tpid" sleep; then
	kill -TERM "$tpid"
	wait_exit "$tpid" 15
	check "CMD ignores SIGTERM: exit 143 (got $rc)" [ "$rc" -eq 143 ]
	check "CMD ignores SIGTERM: after the 5 s grace (${elapsed}00 ms)" \
		sh -c "[ $elapsed -ge 48 ] && [ $elapsed -le 100 ]"
	check "CMD ignores SIGTERM: one line says it was left running" \
		grep -q "^thptrace: 'sh' (pid $cmdpid) is still running 5 s after SIGTERM: left it running, untraced$" "$work/err"
	check "CMD ignores SIGTERM: the summary was printed" grep -q '^summary: ' "$work/out"
	check "CMD ignores SIGTERM: CMD runs on, untraced ($(proc_state "$cmdpid"))" \
		[ "$(proc_state "$cmdpid")" = "S 0" ]
	check "CMD ignores SIGTERM: CMD holds no BPF fd" fds_clean "$cmdpid"
	check "CMD ignores SIGTERM: the BPF programs are gone" progs_gone
	kill -KILL "$cmdpid" 2>/dev/null
else
	echo "FAIL: ignored SIGTERM: thptrace did not start its CMD"
	failures=$((failures + 1))
	kill -KILL "$tpid"
fi

# ---- SIGINT while the probes load: exit 130, nothing left ----
dfl "$THPTRACE" -- sleep 7.61 >"$work/out" 2>"$work/err" &
tpid=$!
i=0
while [ $i -lt 200 ] && [ "$(cat "/proc/$tpid/comm" 2>/dev/null)" != thptrace ]; do
	sleep 0.01
	i=$((i + 1))
done
kill -INT "$tpid"
wait_exit "$tpid" 10
check "SIGINT while starting: exit 130 (got $rc)" [ "$rc" -eq 130 ]
check "SIGINT while starting: no sanitizer report" no_sanitizer "$work/err"
sleep 0.2
check "SIGINT while starting: no CMD left" sh -c '! pgrep -f "sleep 7.6[1]" >/dev/null'
check "SIGINT while starting: no BPF program left behind" no_leftovers

# ---- output closed early: quiet, exit 0, CMD runs on untraced ----
for mode in --json --text; do
	flag=$mode
	[ "$mode" = --text ] && flag=-v && flag=''
	# shellcheck disable=SC2086 # $flag is empty or one word
	{ "$THPTRACE" $flag -- sleep 2.5 2>"$work/err"; echo $? >"$work/rc"; } | head -1 >"$work/first"
	cmdpid=$(pgrep -f "^sleep 2.[5]$" | head -1)
	st=$(proc_state "${cmdpid:-0}")
	check "reader gone ($mode): thptrace exits 0 ($(cat "$work/rc"))" [ "$(cat "$work/rc")" -eq 0 ]
	check "reader gone ($mode): quiet (only probe notes)" only_notes "$work/err"
	check "reader gone ($mode): no sanitizer report" no_sanitizer "$work/err"
	check "reader gone ($mode): the reader got its line" [ -s "$work/first" ]
	check "reader gone ($mode): CMD still runs, neither stopped nor traced ($st)" [ "$st" = "S 0" ]
	[ -n "$cmdpid" ] && check "reader gone ($mode): CMD holds no BPF fd" fds_clean "$cmdpid"
	[ -n "$cmdpid" ] && kill "$cmdpid"
done
check "reader gone: no BPF program left behind" no_leftovers

# ---- Ctrl-Z on CMD: stays stopped, untraced, resumes on SIGCONT ----
# CMD sleeps long enough to be found and stopped on a loaded machine (with
# 1.5 s, a busy CI host once let it end first).
"$THPTRACE" --json -- sleep 4 >"$work/out" 2>"$work/err" &
tpid=$!
if started "$tpid" sleep; then
	kill -STOP "$cmdpid"
	sleep 0.5
	check "SIGSTOP on CMD: it stays stopped, untraced ($(proc_state "$cmdpid"))" \
		[ "$(proc_state "$cmdpid")" = "T 0" ]
	kill -CONT "$cmdpid"
	wait_exit "$tpid" 10
	check "SIGSTOP, SIGCONT: thptrace ends with CMD, exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "SIGSTOP, SIGCONT: the summary has CMD's status" \
		grep -q '"event":"summary".*"stopped":"target exited","exit_status":0' "$work/out"
else
	echo "FAIL: SIGSTOP: thptrace did not start its CMD"
	failures=$((failures + 1))
	kill -KILL "$tpid"
fi

# ---- CMD killed by a signal mid-trace: 128+N, like a shell ----
for s in KILL SEGV; do
	case $s in KILL) want=137 ;; SEGV) want=139 ;; esac
	"$THPTRACE" --json -- sh -c "sleep 0.3; kill -$s \$\$" >"$work/out" 2>"$work/err"
	rc=$?
	check "CMD killed by SIG$s: exit $want (got $rc)" [ "$rc" -eq "$want" ]
	check "CMD killed by SIG$s: the summary has status $want" \
		grep -q "\"event\":\"summary\".*\"exit_status\":$want" "$work/out"
	check "CMD killed by SIG$s: nothing but probe notes on stderr" only_notes "$work/err"
done
check "no BPF program left behind at the end" no_leftovers
finish
