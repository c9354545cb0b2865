#!/bin/sh
# shellcheck disable=SC2016 # the sh -c scripts below take their arguments as $1, $2
# test_doctor.sh - live test of `thptrace doctor` (root; exits 77 to skip otherwise).
#
#   tests/live/test_doctor.sh           (THPTRACE=path/to/thptrace to choose the binary;
#                                        default: the work tree's ./thptrace)
#
# As root: text and --json output; every JSON line parses; every probe of the
# story (collapse_file ... filemap_map_pages) is named; the kernel release is
# `uname -r`; the doctor_verdict line comes last; lines stay under 100
# columns; --help and a bad option behave.  In a private mount namespace
# (tmpfs mounts and shmem_enabled bound over, the machine untouched): the
# tmpfs list and the memfd verdict follow them.  Then as nobody (setpriv):
# doctor still exits 0 and says that probe trials need root.
# Prints one PASS/FAIL/SKIP line per check; exits 1 if any check failed.

# The binary, made absolute before moving to the work tree's root.
T=${THPTRACE:-}
case $T in
"") ;;
/*) ;;
*) T=$PWD/$T ;;
esac
cd "$(dirname "$0")/../.." || exit 1
T=${T:-$PWD/thptrace}
PROBES="collapse_file retract_page_tables pmdp_collapse_flush do_set_pmd filemap_map_pages"
pass=0 fail=0

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test_doctor needs root (probe trials, setpriv)"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: test_doctor needs python3 to parse the JSON output"
	exit 77
fi
if [ ! -x "$T" ]; then
	echo "FAIL: no executable $T (run make, or set THPTRACE)"
	exit 1
fi

tmp=$(mktemp -d /tmp/test_doctor.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
ko() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() {	# check NAME COMMAND...: PASS if COMMAND succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else ko "$name"; fi
}

release=$(uname -r)

# ---- text, as root ----
"$T" doctor >"$tmp/text" 2>"$tmp/text.err"
rc=$?
check "doctor exits 0 as root (rc=$rc)" [ "$rc" -eq 0 ]
check "doctor writes nothing to stderr" [ ! -s "$tmp/text.err" ]
check "text shows kernel release $release" \
	grep -Eq "^ *kernel release: +$(printf '%s' "$release" | sed 's/[.[\*^$]/\\&/g')( |$)" "$tmp/text"
for p in $PROBES; do
	check "text names probe $p" grep -q "^ *$p " "$tmp/text"
done
for s in "^system" "^kernel config" "^THP settings" "^tmpfs mounts" "^probes" "^verdict"; do
	check "text has heading '$s'" grep -q "$s" "$tmp/text"
done
check "text has the file THP verdict" grep -Eq "^  file THP: (yes|no)" "$tmp/text"
check "text mentions CONFIG_READ_ONLY_THP_FOR_FS" grep -q "CONFIG_READ_ONLY_THP_FOR_FS" "$tmp/text"
check "text shows khugepaged/max_ptes_none" grep -q "khugepaged/max_ptes_none:" "$tmp/text"
check "text has the anonymous THP section" grep -q "^anonymous THP" "$tmp/text"
check "anonymous THP: defrag in words, the multi-size THP line" \
	sh -c "grep -q '^  defrag: .*: ' '$tmp/text' && grep -q '^  multi-size THP: ' '$tmp/text'"
"$T" doctor --pid=$$ >"$tmp/pid.text" 2>&1
check "doctor --pid=PID shows that process's PR_GET_THP_DISABLE" grep -q "^  pid $$: .*PR_GET_THP_DISABLE is 0" "$tmp/pid.text"
"$T" doctor --json -p $$ >"$tmp/pid.json" 2>&1
check "doctor --json -p PID has the process_thp_disable check" \
	grep -q '"check":"process_thp_disable".*"pid":'"$$"',"value":false' "$tmp/pid.json"
long=$(awk 'length > 99' "$tmp/text" | wc -l)
check "text lines are shorter than 100 columns ($long longer)" [ "$long" -eq 0 ]

# ---- JSON, as root ----
"$T" doctor --json >"$tmp/json" 2>"$tmp/json.err"
rc=$?
check "doctor --json exits 0 as root (rc=$rc)" [ "$rc" -eq 0 ]
# shellcheck disable=SC2086 # one argument per probe name
python3 - "$tmp/json" "$release" $PROBES >"$tmp/json.check" 2>&1 <<'EOF'
import json, sys
path, release, probes = sys.argv[1], sys.argv[2], sys.argv[3:]
lines = open(path, encoding="utf-8").read().splitlines()
objs, bad = [], 0
for n, l in enumerate(lines, 1):
    try:
        objs.append(json.loads(l))
    except ValueError as e:
        bad += 1
        print(f"FAIL json line {n} does not parse: {e}: {l[:80]}")
def res(ok, what):
    print(("PASS " if ok else "FAIL ") + what)
res(bad == 0 and len(lines) > 0, f"every JSON line parses ({len(lines)} lines, {bad} bad)")
res(all(isinstance(o, dict) and "event" in o for o in objs), "every JSON line is an object with event")
rel = [o.get("value") for o in objs if o.get("event") == "doctor" and o.get("check") == "kernel_release"]
res(rel == [release], f"json kernel_release is {release} (got {rel})")
names = {o.get("probe") for o in objs if o.get("event") == "probe"}
for p in probes:
    res(p in names, f"json has a probe line for {p}")
for c in ("btf", "lockdown", "CONFIG_KPROBES", "CONFIG_READ_ONLY_THP_FOR_FS", "shmem_enabled",
          "khugepaged/scan_sleep_millisecs"):
    res(any(o.get("check") == c for o in objs), f"json has check {c}")
v = [o for o in objs if o.get("event") == "doctor_verdict"]
res(len(v) == 1 and objs and objs[-1] is v[0], "json ends with exactly one doctor_verdict line")
res(bool(v) and isinstance(v[0].get("file_thp"), bool) and v[0].get("probes_tried") is True,
    "json verdict has file_thp and probes_tried=true")
EOF
while IFS= read -r line; do
	case $line in
	PASS*) ok "${line#PASS }" ;;
	FAIL*) ko "${line#FAIL }" ;;
	*) ko "json check: $line" ;;
	esac
done <"$tmp/json.check"

# ---- mounts and shmem modes, in a private mount namespace ----
# Nothing here changes the machine: the tmpfs mounts and the shmem_enabled
# values (bind mounts over the sysfs files) exist only in the namespace.  A
# tmpfs whose point has a space is listed with its huge=; one hidden by a
# later mount on the same point is not; memfd follows shmem_enabled.
S=/sys/kernel/mm/transparent_hugepage
if [ -d "$S" ] && command -v unshare >/dev/null 2>&1 &&
	unshare -m --propagation private true 2>/dev/null; then
	mkdir -p "$tmp/mnt/thp dir" "$tmp/mnt/hidden"
	printf 'always within_size advise [never] deny force\n' >"$tmp/shmem.never"
	printf 'always within_size [advise] never deny force\n' >"$tmp/shmem.advise"
	printf 'always [inherit] within_size advise never\n' >"$tmp/shmem.inherit"
	unshare -m --propagation private sh -c '
		T=$1 tmp=$2 S=$3
		per_size=$S/hugepages-$(($(cat "$S/hpage_pmd_size") / 1024))kB/shmem_enabled
		mount -t tmpfs -o huge=within_size,size=4m thptest "$tmp/mnt/thp dir" &&
		mount -t tmpfs -o huge=advise,size=4m thptest "$tmp/mnt/hidden" &&
		mount -t ramfs thptest "$tmp/mnt/hidden" || exit 1
		if [ -e "$per_size" ]; then mount --bind "$tmp/shmem.inherit" "$per_size" || exit 1; fi
		mount --bind "$tmp/shmem.never" "$S/shmem_enabled" &&
		"$T" doctor --json >"$tmp/ns.never.json" &&
		mount --bind "$tmp/shmem.advise" "$S/shmem_enabled" &&
		"$T" doctor --json >"$tmp/ns.advise.json"
	' sh "$T" "$tmp" "$S" >"$tmp/ns.err" 2>&1
	rc=$?
	check "doctor in a private mount namespace ran (rc=$rc)" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || cat "$tmp/ns.err"
	python3 - "$tmp" >"$tmp/ns.check" 2>&1 <<'EOF'
import json, sys
tmp = sys.argv[1]
spaced, hidden = tmp + "/mnt/thp dir", tmp + "/mnt/hidden"
def load(name):
    objs = [json.loads(l) for l in open(f"{tmp}/ns.{name}.json", encoding="utf-8")]
    mounts = {o["mount"]: o["value"] for o in objs if o.get("check") == "tmpfs" and "mount" in o}
    return mounts, objs[-1]
def res(ok, what):
    print(("PASS " if ok else "FAIL ") + what)
never_mounts, never = load("never")
advise_mounts, advise = load("advise")
res(never_mounts.get(spaced) == "within_size", f"a tmpfs at a point with a space is listed with huge=within_size (got {never_mounts.get(spaced)})")
res(spaced in never.get("tmpfs_huge_mounts", []), "the verdict counts that mount for file THP")
res(hidden not in never_mounts and hidden not in never.get("tmpfs_huge_mounts", []),
    "a tmpfs hidden by a later mount on its point is not listed")
res(never.get("memfd_shm") is False, f"shmem_enabled=never: memfd_shm false (got {never.get('memfd_shm')})")
res(advise.get("memfd_shm") is True, f"shmem_enabled=advise: memfd_shm true (got {advise.get('memfd_shm')})")
EOF
	while IFS= read -r line; do
		case $line in
		PASS*) ok "${line#PASS }" ;;
		FAIL*) ko "${line#FAIL }" ;;
		*) ko "namespace check: $line" ;;
		esac
	done <"$tmp/ns.check"
else
	echo "SKIP: mount namespace checks (no THP sysfs, or unshare cannot make a mount namespace)"
fi

# ---- usage ----
"$T" doctor --help >"$tmp/help" 2>&1
rc=$?
check "doctor --help exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
check "doctor --help shows an example" grep -q "thptrace doctor --json" "$tmp/help"
check "doctor --help documents the non-root behaviour" grep -q "need root" "$tmp/help"
"$T" doctor --no-such-option >"$tmp/bad" 2>"$tmp/bad.err"
rc=$?
check "unknown option exits 2 (rc=$rc)" [ "$rc" -eq 2 ]
check "unknown option: one line on stderr, none on stdout" \
	sh -c '[ "$(wc -l <"$1")" -eq 1 ] && [ ! -s "$2" ]' sh "$tmp/bad.err" "$tmp/bad"

# ---- as nobody ----
if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	grp=$(id -gn nobody 2>/dev/null)
	getent group nogroup >/dev/null 2>&1 && grp=nogroup
	# A copy that nobody can reach, whatever the work tree's permissions.
	cp "$T" "$tmp/thptrace" && chmod 755 "$tmp" "$tmp/thptrace"
	asnobody() { (cd / && setpriv --reuid=nobody --regid="$grp" --clear-groups "$@"); }
	asnobody "$tmp/thptrace" doctor >"$tmp/nr.text" 2>"$tmp/nr.err"
	rc=$?
	check "doctor exits 0 as nobody (rc=$rc)" [ "$rc" -eq 0 ]
	check "doctor as nobody says probe trials need root" \
		grep -q "probe trials need root" "$tmp/nr.text"
	check "doctor as nobody still shows kernel release and verdict" \
		sh -c 'grep -q "kernel release: *$2" "$1" && grep -q "^  file THP: " "$1"' \
		sh "$tmp/nr.text" "$release"
	asnobody "$tmp/thptrace" doctor --json >"$tmp/nr.json" 2>>"$tmp/nr.err"
	rc=$?
	check "doctor --json exits 0 as nobody (rc=$rc)" [ "$rc" -eq 0 ]
	check "doctor --json as nobody parses, says probe trials need root, ends with the verdict" \
		python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert objs[-1]["event"] == "doctor_verdict" and objs[-1]["probes_tried"] is False
assert any(o.get("reason") == "probe trials need root" for o in objs)
' "$tmp/nr.json"
else
	echo "SKIP: non-root checks (setpriv or user nobody missing)"
fi

echo "test_doctor: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
