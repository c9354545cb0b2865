# shellcheck shell=sh
# Sourced by guest-matrix.sh (busybox sh, cwd /out) where thp_anon is in the
# initramfs: one `thptrace --json --backend fentry` run per thp_anon mode
# (kprobe where no fentry program can attach: arm64 before 6.4), sent back
# as anon-MODE.jsonl and anon-log-MODE.txt, and anon-env.txt ("mthp none"
# on kernels without multi-size THP).  Issue 13.
K=/sys/kernel/mm/transparent_hugepage
anon_mode=$(sed 's/.*\[\(.*\)\].*/\1/' $K/enabled)
echo madvise >$K/enabled
if [ -d $K/hugepages-64kB ]; then
	echo "mthp $(ls -d $K/hugepages-*kB | tr '\n' ' ')" >anon-env.txt
else
	echo "mthp none" >anon-env.txt
fi
# fallback: a memory cgroup (v2) whose limit refuses the 2 MiB charge
cg=
if { [ -f /sys/fs/cgroup/cgroup.controllers ] || mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; } &&
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null && mkdir -p /sys/fs/cgroup/anon; then
	cg=/sys/fs/cgroup/anon
else
	echo "cgroup none" >>anon-env.txt
fi
send anon-env.txt
anon_backend=fentry
thptrace --backend fentry --list-probes >/dev/null 2>&1 || anon_backend=kprobe
for w in fault fallback sparse collapse ptes_none nohugepage mthp; do
	a=$w
	case $w in
	fallback) [ -n "$cg" ] || continue; a="fallback $cg" ;;
	ptes_none) a="sparse 20"; echo 64 >$K/khugepaged/max_ptes_none ;;
	sparse) a="sparse 20" ;;
	mthp)
		[ -d $K/hugepages-64kB ] || continue
		echo never >$K/hugepages-2048kB/enabled
		echo always >$K/hugepages-64kB/enabled
		;;
	esac
	# shellcheck disable=SC2086 # $a is the mode and its argument
	RUN_NAME=anon-$w run_limited "$RUN_TIMEOUT" thptrace --json --backend "$anon_backend" -o "anon-$w.jsonl" -- /usr/local/bin/thp_anon $a >"anon-log-$w.txt" 2>&1
	status "anon-$w" "$?"
	echo 511 >$K/khugepaged/max_ptes_none
	if [ "$w" = mthp ]; then
		echo inherit >$K/hugepages-2048kB/enabled
		echo never >$K/hugepages-64kB/enabled
	fi
	[ -f "anon-$w.jsonl" ] && send "anon-$w.jsonl"
	send "anon-log-$w.txt"
done
# -a in THP mode always (Debian's default; issue 14): the relevance filter
# stays on, and thp_anon plain's huge faults, without any madvise, are kept
echo always >$K/enabled
rm -f anon-always.jsonl
thptrace -a --json --backend "$anon_backend" -o anon-always.jsonl >anon-log-always.txt 2>&1 &
tp=$!
n=0
while [ "$n" -lt 100 ] && ! grep -q '"event":"context"' anon-always.jsonl 2>/dev/null; do
	sleep 0.1
	n=$((n + 1))
done
RUN_NAME=anon-always-plain run_limited "$RUN_TIMEOUT" /usr/local/bin/thp_anon plain >>anon-log-always.txt 2>&1
echo "thp_anon plain rc=$?" >>anon-log-always.txt
sleep 1
kill -INT "$tp"
n=0
while [ "$n" -lt 30 ] && kill -0 "$tp" 2>/dev/null; do
	sleep 1
	n=$((n + 1))
done
kill -KILL "$tp" 2>/dev/null
wait "$tp"
status anon-always "$?"
[ -f anon-always.jsonl ] && send anon-always.jsonl
send anon-log-always.txt
echo "$anon_mode" >$K/enabled
