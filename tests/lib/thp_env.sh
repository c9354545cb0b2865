# shellcheck shell=sh
# shellcheck disable=SC3043 # 'local': dash, bash and busybox ash all have it
# thp_env.sh - the environment thptrace's live tests and demo need, set up and
# torn down again.  Source it (POSIX sh: dash, bash, busybox ash), as root:
#
#   . tests/lib/thp_env.sh
#   thp_env_setup "$dir" advise          # tmpfs huge=advise at $dir, fast khugepaged
#   demo=$(thp_env_copy_demo build/thp_demo "$dir")
#   "$demo" ...
#   # thp_env_restore runs from the EXIT/INT/TERM/HUP traps (calling it earlier is fine)
#
# thp_env_setup DIR [HUGE_MODE]
#     Mount a tmpfs at DIR with huge=HUGE_MODE (default advise),size=64m,
#     creating DIR if needed.  Lower khugepaged's scan_sleep_millisecs and
#     alloc_sleep_millisecs to 100 and mount tracefs at /sys/kernel/tracing if
#     it is not mounted.  Installs traps on EXIT INT TERM HUP that call
#     thp_env_restore (this replaces the caller's traps for those signals: a
#     caller that needs its own EXIT trap should call thp_env_restore from it).
#     Calling it again for the same DIR remounts with the new HUGE_MODE; for
#     another DIR it mounts that one too.
# thp_env_restore
#     Put back every knob, unmount what was mounted, remove directories that
#     thp_env_setup created.  Idempotent.
# thp_env_copy_demo SRC DIR
#     Copy SRC to DIR/thp_demo as a new file and print that path.  A new file
#     matters: tmpfs keeps a collapsed huge folio in its page cache, so a reused
#     copy would already be huge before the demo starts.
# thp_env_rmdir_on_restore DIR
#     Also remove the (empty) DIR on restore, e.g. one made by mktemp -d.
# thp_env_show
#     Print the khugepaged knobs and counters on one line.
#
# The khugepaged knobs are global, and several test scripts may run at once:
# the original values and the set of live users are kept under
# $THP_ENV_STATE_DIR (default /run/thptrace-env), guarded by flock(1).  The
# first user saves the originals, the last one to leave restores them; users
# that died without restoring are pruned by pid, so the next restore still
# puts the original values back.

THP_ENV_SYSFS=/sys/kernel/mm/transparent_hugepage
THP_ENV_TRACEFS=/sys/kernel/tracing
THP_ENV_STATE_DIR=${THP_ENV_STATE_DIR:-/run/thptrace-env}
THP_ENV_SCAN_MS=${THP_ENV_SCAN_MS:-100}
THP_ENV_ALLOC_MS=${THP_ENV_ALLOC_MS:-100}

# Per-shell state (kept if the file is sourced again): newline-separated
# lists, and a flag for the knob reference.
: "${THP_ENV_MOUNTS=}" "${THP_ENV_RMDIRS=}" "${THP_ENV_ACTIVE=}" "${THP_ENV_TRAPPED=}"

thp_env__err() {
	echo "thp_env: $*" >&2
}

thp_env__need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	thp_env__err "$1: must be run as root"
	return 1
}

# thp_env__in_list LIST ITEM: is ITEM a line of LIST?
thp_env__in_list() {
	case "
$1
" in
	*"
$2
"*) return 0 ;;
	esac
	return 1
}

# Lines of $1 in reverse order.
thp_env__reverse() {
	[ -n "$1" ] && printf '%s\n' "$1" | sed -n '1!G;h;$p'
}

thp_env__install_traps() {
	[ -n "$THP_ENV_TRAPPED" ] && return 0
	trap 'thp_env_restore' EXIT
	trap 'thp_env__on_signal INT' INT
	trap 'thp_env__on_signal TERM' TERM
	trap 'thp_env__on_signal HUP' HUP
	THP_ENV_TRAPPED=1
}

# Restore, then die of the same signal so the caller sees the usual status.
thp_env__on_signal() {
	thp_env_restore
	trap - EXIT INT TERM HUP
	kill -s "$1" "$$"
}

thp_env__write() {
	printf '%s\n' "$2" >"$1" 2>/dev/null && return 0
	thp_env__err "cannot write $2 to $1"
	return 1
}

# Take a reference on the shared knob state; the first user saves originals.
thp_env__acquire() {
	mkdir -p "$THP_ENV_STATE_DIR/users" || return 1
	(
		flock 9 || exit 1
		cd "$THP_ENV_STATE_DIR" || exit 1
		for f in users/*; do
			[ -e "$f" ] || continue
			kill -0 "${f#users/}" 2>/dev/null || rm -f "$f"
		done
		if [ ! -f saved ]; then
			scan=$(cat "$THP_ENV_SYSFS/khugepaged/scan_sleep_millisecs") || exit 1
			alloc=$(cat "$THP_ENV_SYSFS/khugepaged/alloc_sleep_millisecs") || exit 1
			tracefs=0
			if [ ! -d "$THP_ENV_TRACEFS/events" ]; then
				mount -t tracefs nodev "$THP_ENV_TRACEFS" ||
					{ thp_env__err "cannot mount tracefs at $THP_ENV_TRACEFS"; exit 1; }
				tracefs=1
			fi
			printf 'scan=%s\nalloc=%s\ntracefs=%s\n' "$scan" "$alloc" "$tracefs" >saved.tmp &&
				mv saved.tmp saved || exit 1
		fi
		: >"users/$$" || exit 1
		thp_env__write "$THP_ENV_SYSFS/khugepaged/scan_sleep_millisecs" "$THP_ENV_SCAN_MS" &&
			thp_env__write "$THP_ENV_SYSFS/khugepaged/alloc_sleep_millisecs" "$THP_ENV_ALLOC_MS"
	) 9>"$THP_ENV_STATE_DIR/lock"
}

# Drop our reference; the last user puts the originals back.
thp_env__release() {
	[ -d "$THP_ENV_STATE_DIR" ] || return 0
	(
		flock 9 || exit 1
		cd "$THP_ENV_STATE_DIR" || exit 1
		rm -f "users/$$"
		for f in users/*; do
			[ -e "$f" ] || continue
			kill -0 "${f#users/}" 2>/dev/null && exit 0 # still in use
			rm -f "$f"
		done
		[ -f saved ] || exit 0
		scan='' alloc='' tracefs='' rc=0
		while IFS='=' read -r k v; do
			case $k in
			scan) scan=$v ;;
			alloc) alloc=$v ;;
			tracefs) tracefs=$v ;;
			esac
		done <saved
		[ -n "$scan" ] && { thp_env__write "$THP_ENV_SYSFS/khugepaged/scan_sleep_millisecs" "$scan" || rc=1; }
		[ -n "$alloc" ] && { thp_env__write "$THP_ENV_SYSFS/khugepaged/alloc_sleep_millisecs" "$alloc" || rc=1; }
		if [ "$tracefs" = 1 ]; then
			umount "$THP_ENV_TRACEFS" 2>/dev/null ||
				{ thp_env__err "cannot unmount $THP_ENV_TRACEFS (busy?)"; rc=1; }
		fi
		[ "$rc" -eq 0 ] && rm -f saved
		exit "$rc"
	) 9>"$THP_ENV_STATE_DIR/lock"
}

thp_env_setup() {
	thp_env__need_root thp_env_setup || return 1
	if [ $# -lt 1 ] || [ -z "$1" ]; then
		thp_env__err "usage: thp_env_setup DIR [always|never|advise|within_size|deny|force]"
		return 1
	fi
	local dir="$1" mode="${2:-advise}"
	case $mode in
	always | never | advise | within_size | deny | force) ;;
	*) thp_env__err "thp_env_setup: bad huge mode '$mode'"; return 1 ;;
	esac
	thp_env__install_traps
	if [ ! -d "$dir" ]; then
		# Remember each directory mkdir -p creates, outermost first.
		local d="$dir" created=''
		while [ ! -e "$d" ]; do
			created="$d${created:+
$created}"
			d=$(dirname "$d")
		done
		mkdir -p "$dir" || { thp_env__err "cannot create $dir"; return 1; }
		while IFS= read -r d; do
			d=$(cd "$d" && pwd -P) || return 1
			THP_ENV_RMDIRS="${THP_ENV_RMDIRS:+$THP_ENV_RMDIRS
}$d"
		done <<EOF
$created
EOF
	fi
	dir=$(cd "$dir" && pwd -P) || return 1
	if thp_env__in_list "$THP_ENV_MOUNTS" "$dir"; then
		mount -o "remount,huge=$mode" "$dir" ||
			{ thp_env__err "cannot remount $dir with huge=$mode"; return 1; }
	else
		if mountpoint -q "$dir"; then
			thp_env__err "$dir is already a mount point"
			return 1
		fi
		mount -t tmpfs -o "huge=$mode,size=64m" thptrace-tmpfs "$dir" ||
			{ thp_env__err "cannot mount a tmpfs (huge=$mode) at $dir"; return 1; }
		THP_ENV_MOUNTS="${THP_ENV_MOUNTS:+$THP_ENV_MOUNTS
}$dir"
	fi
	if [ -z "$THP_ENV_ACTIVE" ]; then
		THP_ENV_ACTIVE=1 # set first: a failed acquire must still be released
		thp_env__acquire || { thp_env__err "cannot set the khugepaged knobs"; return 1; }
	fi
	case $(cat "$THP_ENV_SYSFS/enabled" 2>/dev/null) in
	*"[never]"*) thp_env__err "warning: THP enabled=never: khugepaged may not run" ;;
	esac
	return 0
}

thp_env_restore() {
	local d rc=0
	if [ -n "$THP_ENV_ACTIVE" ]; then
		thp_env__release || rc=1
		THP_ENV_ACTIVE=
	fi
	while IFS= read -r d; do
		[ -n "$d" ] || continue
		if ! umount "$d" 2>/dev/null; then
			if umount -l "$d" 2>/dev/null; then
				thp_env__err "$d was busy: detached it (lazy unmount)"
			else
				thp_env__err "cannot unmount $d"
				rc=1
			fi
		fi
	done <<EOF
$(thp_env__reverse "$THP_ENV_MOUNTS")
EOF
	THP_ENV_MOUNTS=
	while IFS= read -r d; do
		[ -n "$d" ] || continue
		rmdir "$d" 2>/dev/null || { thp_env__err "cannot remove $d"; rc=1; }
	done <<EOF
$(thp_env__reverse "$THP_ENV_RMDIRS")
EOF
	THP_ENV_RMDIRS=
	return $rc
}

thp_env_rmdir_on_restore() {
	local dir
	dir=$(cd "$1" && pwd -P) || return 1
	thp_env__in_list "$THP_ENV_RMDIRS" "$dir" && return 0
	THP_ENV_RMDIRS="${THP_ENV_RMDIRS:+$THP_ENV_RMDIRS
}$dir"
	thp_env__install_traps
}

thp_env_copy_demo() {
	thp_env__need_root thp_env_copy_demo || return 1
	if [ $# -ne 2 ] || [ ! -f "$1" ] || [ ! -d "$2" ]; then
		thp_env__err "usage: thp_env_copy_demo SRC DIR (got '${1-}' '${2-}')"
		return 1
	fi
	local dst="$2/thp_demo"
	if ! { rm -f "$dst" && cp "$1" "$dst" && chmod 0755 "$dst"; }; then
		thp_env__err "cannot copy $1 to $dst"
		return 1
	fi
	printf '%s\n' "$dst"
}

thp_env_show() {
	local k out=
	for k in scan_sleep_millisecs alloc_sleep_millisecs pages_to_scan full_scans pages_collapsed; do
		out="$out $k=$(cat "$THP_ENV_SYSFS/khugepaged/$k" 2>/dev/null)"
	done
	echo "khugepaged:$out"
}
