#!/bin/sh
# The guest script of `make vmtest` (runs as /guest-script under guest-init,
# busybox sh, cwd /out).  Sends back with `send`:
#   env.txt           kernel facts: probe points, tracepoints, kprobe PMU, THP
#   probes.txt        thptrace --list-probes
#   doctor.txt        thptrace doctor
#   out-BACKEND.jsonl thptrace --json --backend BACKEND -- /thp/thp_demo
#   out-failload.jsonl, log-failload.txt  the same with collapse_file's fexit
#                     refused at load (THPTRACE_TEST_FAIL_LOAD)
#   log-BACKEND.txt   its stdout/stderr (the demo's lines, with its region)
#   status.txt        "NAME rc=N" per command run
#   hang-BACKEND.txt  ps and kernel stacks when a run had to be killed
# Without /usr/local/bin/thptrace it runs the bpftool fallback (btf-funcs.txt,
# events.txt) and the demo alone (demo.txt), and writes thptrace-missing.
# Per-command timeouts keep the whole run well inside boot's timeout.
T=/sys/kernel/tracing
FUNCS="collapse_file|retract_page_tables|pmdp_collapse_flush|do_set_pmd|filemap_map_pages|khugepaged_scan_file|khugepaged_scan_mm_slot"
RUN_TIMEOUT=${RUN_TIMEOUT:-60}

status() { echo "$1 rc=$2" >>status.txt; }

# What every task is doing, for a command that did not finish in time.
hang_report() {
	echo "uptime $(cut -d' ' -f1 /proc/uptime)"
	ps
	for d in /proc/[0-9]*; do
		c=$(cat "$d/comm" 2>/dev/null) || continue
		case "$c" in thp* | khugepaged) ;; *) continue ;; esac
		echo "== ${d#/proc/} $c $(grep -E '^State' "$d/status" | tr -s '\t' ' ') wchan=$(cat "$d/wchan" 2>/dev/null)"
		cat "$d/stack" 2>/dev/null
	done
}

# run_limited SECS CMD...: CMD's status, or 124 if it was still running after
# SECS s (then SIGTERM, and SIGKILL 5 s later).  busybox's timeout passes on
# the child's status, which hides a tool that exits 0 on SIGTERM.
run_limited() {
	_secs=$1
	shift
	rm -f /tmp/timed-out
	"$@" &
	_pid=$!
	(
		_n=0
		while [ "$_n" -lt "$_secs" ] && kill -0 "$_pid" 2>/dev/null; do
			sleep 1
			_n=$((_n + 1))
		done
		if kill -0 "$_pid" 2>/dev/null; then
			: >/tmp/timed-out
			hang_report >/tmp/hang.txt 2>&1
			kill -TERM "$_pid" 2>/dev/null
			sleep 5
			kill -KILL "$_pid" 2>/dev/null
		fi
	) </dev/null >/dev/null 2>&1 &
	_wd=$!
	wait "$_pid"
	_rc=$?
	wait "$_wd"
	if [ -e /tmp/timed-out ]; then
		rm -f /tmp/timed-out
		[ ! -f /tmp/hang.txt ] || mv /tmp/hang.txt "hang-${RUN_NAME:-run}.txt"
		return 124
	fi
	return "$_rc"
}

# A fresh copy of the demo for each run: its page cache (maybe already a THP
# from the previous run) goes away with the old inode.
fresh_demo() {
	rm -f /thp/thp_demo
	cp /usr/local/bin/thp_demo /thp/thp_demo && chmod 755 /thp/thp_demo
}

{
	echo "release $(uname -r)"
	for p in $T/events/exceptions/page_fault_user \
		/sys/bus/event_source/devices/kprobe/type \
		$T/events/huge_memory/mm_khugepaged_collapse_file \
		$T/events/huge_memory/mm_khugepaged_scan_file \
		$T/events/filemap/mm_filemap_map_pages \
		$T/events/thp/set_migration_pmd \
		$T/events/syscalls/sys_enter_madvise \
		/sys/kernel/btf/vmlinux; do
		if [ -e "$p" ]; then echo "exists $p"; else echo "missing $p"; fi
	done
	echo "kprobe_pmu_type $(cat /sys/bus/event_source/devices/kprobe/type 2>/dev/null || echo none)"
	echo "thp_enabled $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
	echo "thp_shmem_enabled $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled)"
	echo "khugepaged_scan_sleep_ms $(cat /sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs)"
	echo "thp_mount $(grep ' /thp ' /proc/mounts)"
	echo "lockdown $(cat /sys/kernel/security/lockdown 2>/dev/null || echo n/a)"
	for f in $(echo "$FUNCS" | tr '|' ' '); do
		if grep -qE "^[0-9a-f]+ [tT] $f\$" /proc/kallsyms; then echo "kallsyms $f"; else echo "kallsyms-missing $f"; fi
	done
} >env.txt 2>&1
send env.txt

if [ -x /usr/local/bin/thptrace ]; then
	run_limited "$RUN_TIMEOUT" thptrace --list-probes >probes.txt 2>&1
	status list-probes $?
	send probes.txt
	run_limited "$RUN_TIMEOUT" thptrace doctor >doctor.txt 2>&1
	status doctor $?
	send doctor.txt
	for b in fentry kprobe auto tracepoint; do
		[ -x /usr/local/bin/thp_demo ] && fresh_demo
		RUN_NAME=$b run_limited "$RUN_TIMEOUT" thptrace --json --backend "$b" -o "out-$b.jsonl" -- /thp/thp_demo >"log-$b.txt" 2>&1
		rc=$?
		status "thptrace-$b" "$rc"
		echo "== thptrace --backend $b: exit $rc$([ "$rc" = 124 ] && echo " (killed after $RUN_TIMEOUT s)")"
		tail -n 5 "log-$b.txt"
		[ -f "out-$b.jsonl" ] && send "out-$b.jsonl"
		send "log-$b.txt"
		[ ! -f "hang-$b.txt" ] || send "hang-$b.txt"
	done
	# A program the kernel refuses at the real load (forced by
	# THPTRACE_TEST_FAIL_LOAD): collapse_file's fexit, whichever shape
	# serves here; the probe falls back to kprobes and the run goes on.
	if grep -q 'collapse_file(mm, file, start, hpage, ...))$' probes.txt; then
		p=collapse_file_old_fexit
	else
		p=collapse_file_fexit
	fi
	[ -x /usr/local/bin/thp_demo ] && fresh_demo
	RUN_NAME=failload run_limited "$RUN_TIMEOUT" env THPTRACE_TEST_FAIL_LOAD=$p thptrace --json -o out-failload.jsonl -- /thp/thp_demo >log-failload.txt 2>&1
	status thptrace-failload "$?"
	[ -f out-failload.jsonl ] && send out-failload.jsonl
	send log-failload.txt
	# The way back, where function probes see it (tests/workloads/thp_lives.c):
	#   loss     an anonymous PMD split by mprotect, another zapped by
	#            MADV_DONTNEED;
	#   causes   four split by munmap, mremap, MADV_PAGEOUT, MADV_FREE of
	#            part of them (a deferred split, a folio split);
	#   migrate  one moved to NUMA node 1 by move_pages (the VM has two
	#            nodes), also by the thp tracepoints.
	if [ -x /usr/local/bin/thp_lives ]; then
		for w in loss causes migrate; do
			bs="fentry kprobe"
			[ "$w" = migrate ] && bs="fentry kprobe tracepoint"
			for b in $bs; do
				RUN_NAME=$w-$b run_limited "$RUN_TIMEOUT" thptrace --json --backend "$b" -o "$w-$b.jsonl" -- /usr/local/bin/thp_lives "$w" >"$w-log-$b.txt" 2>&1
				status "$w-$b" "$?"
				[ -f "$w-$b.jsonl" ] && send "$w-$b.jsonl"
				send "$w-log-$b.txt"
			done
		done
	fi
	# Anonymous THP by function probes (tests/workloads/thp_anon.c; judged
	# by tests/vm/check-anon): THP mode madvise for the runs, so that
	# sparse and MADV_COLLAPSE start from small pages.
	[ ! -x /usr/local/bin/thp_anon ] || . /usr/local/bin/guest-anon.sh
else
	echo "thptrace is not in the initramfs" >thptrace-missing
	send thptrace-missing
	# bpftool fallback: which of the functions have BTF, which tracepoints exist.
	if command -v bpftool >/dev/null; then
		bpftool btf dump file /sys/kernel/btf/vmlinux format raw |
			grep -E "FUNC '($FUNCS)'" >btf-funcs.txt 2>&1
		status bpftool-btf $?
		send btf-funcs.txt
	fi
	ls $T/events/huge_memory $T/events/filemap >events.txt 2>&1
	status ls-events $?
	send events.txt
	if [ -x /usr/local/bin/thp_demo ]; then
		fresh_demo
		run_limited "$RUN_TIMEOUT" /thp/thp_demo >demo.txt 2>&1
		status thp_demo $?
		cat demo.txt
		send demo.txt
	fi
fi
send status.txt
# The guest script "fails" only on missing results; vmtest judges them.
exit 0
