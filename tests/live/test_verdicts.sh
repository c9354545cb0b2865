#!/bin/sh
# Per-region verdicts on this machine (issue 3): each scenario of the demo
# must end with the right reason and final state for the demo's region.
. "$(dirname "$0")/lib.sh"
need_root "the verdict scenarios"

# scenario NAME HUGE_MODE EXPECT_REASON EXPECT_FINAL DEMO_OPTIONS...
scenario() {
	name=$1 mode=$2 reason=$3 final=$4
	shift 4
	live_env_setup "$mode"
	"$THPTRACE" --json -o "$out/$name.jsonl" -- "$demo" "$@" > "$out/$name.stdout" 2>&1
	rc=$?
	region=$(sed -n 's/^thp_demo: pid [0-9]* region \(0x[0-9a-f]*\)-.*/\1/p' "$out/$name.stdout")
	if [ -z "$region" ]; then
		cat "$out/$name.stdout"
		check "$name: the demo printed its region" false
		return
	fi
	check "$name: JSON parses (thptrace exit $rc)" python3 tests/live/check_jsonl.py "$out/$name.jsonl" parses
	if ! python3 tests/live/check_jsonl.py "$out/$name.jsonl" verdict "$region" "$reason" "$final"; then
		cat "$out/$name.stdout"
		grep -v '"event":"\(fault\|filemap_map_pages\)"' "$out/$name.jsonl"
		check "$name: verdict $reason, final $final" false
	else
		check "$name: verdict $reason, final $final" true
	fi
	thp_env_restore
}

scenario huge advise huge pmd
scenario madv_collapse advise huge pmd --collapse
scenario collapsed_not_refaulted advise collapsed_not_refaulted none --no-touch
scenario refaulted_as_pte advise refaulted_as_pte pte --nohuge-before-touch
# A file-only MADV_HUGEPAGE process: khugepaged never registers it on 6.18.
scenario not_scanned advise not_scanned pte --no-anon --timeout 3
# tmpfs mounted huge=never: khugepaged will not collapse its files.
scenario not_eligible never not_eligible pte --timeout 3

# A file the process itself holds open for writing: its region's facts say
# so (the descriptors are listed from /proc/PID/fd, whatever their number).
live_env_setup advise
cat > "$dir/writer.py" <<'PY'
import mmap, os, sys, time
path = sys.argv[1]
with open(path, "wb") as f:
    f.truncate(4 << 20)
for _ in range(1100):             # push the writable descriptor past fd 1024
    os.dup(0)
f = open(path, "r+b")
m = mmap.mmap(f.fileno(), 4 << 20, prot=mmap.PROT_READ)
m.madvise(mmap.MADV_HUGEPAGE)
sum(m[i] for i in range(0, 4 << 20, 4096))
time.sleep(0.3)
PY
ulimit -n 4096
"$THPTRACE" --json -o "$out/writer.jsonl" -- python3 "$dir/writer.py" "$dir/data" > "$out/writer.stdout" 2>&1
check "open for writing: traced (exit $?)" python3 tests/live/check_jsonl.py "$out/writer.jsonl" parses
check "open for writing: region_file says open_for_write 1" \
	grep -q '"event":"region_file".*"file":"[^"]*/data".*"open_for_write":1' "$out/writer.jsonl"
thp_env_restore

# memfd and shared anonymous memory are shmem, governed by shmem_enabled:
# their region facts say is_shmem 1 and no tmpfs mount.
live_env_setup advise
cat > "$dir/shm.py" <<'PY'
import mmap, os, time
fd = os.memfd_create("thpmemfd"); os.ftruncate(fd, 4 << 20)
m1 = mmap.mmap(fd, 4 << 20, mmap.MAP_SHARED); m1.madvise(mmap.MADV_HUGEPAGE); m1[0] = 1
m2 = mmap.mmap(-1, 4 << 20, mmap.MAP_SHARED); m2.madvise(mmap.MADV_HUGEPAGE); m2[0] = 1
time.sleep(0.3)
PY
"$THPTRACE" --json -o "$out/shm.jsonl" -- python3 "$dir/shm.py" > "$out/shm.stdout" 2>&1
check "memfd and shared anonymous: traced (exit $?)" python3 tests/live/check_jsonl.py "$out/shm.jsonl" parses
for f in '/memfd:thpmemfd (deleted)' '/dev/zero (deleted)'; do
	check "$f: region_file says is_shmem 1, tmpfs_huge \"\"" \
		grep -qF "\"file\":\"$f\",\"tmpfs_huge\":\"\",\"is_shmem\":1" "$out/shm.jsonl"
done
thp_env_restore
finish
