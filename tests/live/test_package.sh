#!/bin/sh
# shellcheck disable=SC2016 # the sh -c scripts below take their arguments as $1, $2
# The Debian package, the man page and the bash completion (issue 15).
#
# First, without the package: man/thptrace.8 is in step with the work
# tree's binary (tests/live/check_man.py: the options and exit codes of
# --help, report --help and doctor --help, the version, and the
# THPTRACE_* variables src/util/config.c reads).  Then the
# package is built by dpkg-buildpackage from a copy of the tree in a temp
# dir, lintian finds no error in it, and it is installed into this machine
# with dpkg: /usr/bin/thptrace --help, --version (the package's version),
# --list-probes, `man -w thptrace` (the installed page is the tree's),
# the completion where bash-completion loads it (and it completes what
# --help lists).  The package is purged on every exit path (trap), and
# nothing that was there before it was installed is gone after.
#
# Skips (exit 77, a failure under CI=true) when a tool is missing
# (tests/install-deps installs them) or when thptrace is already installed
# here, as a package or by `make install PREFIX=/usr`: the test does not
# replace what it did not put there.  Two runs on one machine take turns
# (flock).  About 40 s on a 2-CPU machine, 25-35 s of it the package build.
. "$(dirname "$0")/lib.sh"
need_root "the package test (it installs the .deb with dpkg and purges it)"

for tool in dpkg-buildpackage dh lintian man python3 bash flock; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: test_package needs $tool (tests/install-deps installs it)"
		exit 77
	fi
done
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
if [ ! -r "$BASH_COMPLETION" ]; then
	echo "SKIP: test_package needs bash-completion (tests/install-deps installs it)"
	exit 77
fi
if [ ! -x "$THPTRACE" ]; then
	echo "FAIL: no executable $THPTRACE (run make, or set THPTRACE)"
	exit 1
fi
# One package test at a time on a machine: they install the same package.
exec 9>/run/lock/thptrace-test-package.lock || exit 1
if ! flock -w 600 9; then
	echo "FAIL: another test_package.sh held /run/lock/thptrace-test-package.lock for 10 minutes"
	exit 1
fi
case $(dpkg-query -W -f='${db:Status-Status}' thptrace 2>/dev/null) in
'' | not-installed) ;;
*)
	echo "SKIP: the thptrace package is already installed here; not replacing it"
	exit 77
	;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/thptrace-package.XXXXXX") || exit 1
live_outs="$live_outs $tmp"
installed=

# dpkg ARGS...: dpkg, waiting up to 120 s for a lock another apt or dpkg holds.
dpkg_locked() {
	tries=0
	while :; do
		dpkg "$@" >"$tmp/dpkg.log" 2>&1 && return 0
		if ! grep -q 'lock' "$tmp/dpkg.log" || [ "$tries" -ge 60 ]; then
			cat "$tmp/dpkg.log"
			return 1
		fi
		tries=$((tries + 1))
		sleep 2
	done
}

purge() {
	[ -n "$installed" ] || return 0
	installed=
	dpkg_locked --purge thptrace
}
cleanup() {
	if ! purge; then
		echo "FAIL: dpkg --purge thptrace failed: the package is still installed"
		exit 1
	fi
}
trap 'cleanup' EXIT
trap 'cleanup; rm -rf "$tmp"; trap - EXIT; exit 130' INT
trap 'cleanup; rm -rf "$tmp"; trap - EXIT; exit 143' TERM
trap 'cleanup; rm -rf "$tmp"; trap - EXIT; exit 129' HUP

# ---- the man page against the tree's binary ----
python3 tests/live/check_man.py "$THPTRACE" man/thptrace.8 --changelog debian/changelog \
	--config-c src/util/config.c >"$tmp/check_man" 2>&1
rc=$?
sed 's/^/  /' "$tmp/check_man"
check "man/thptrace.8 is in step with thptrace --help (check_man.py: $rc)" [ "$rc" -eq 0 ]

# ---- build the package from a copy of the tree ----
mkdir "$tmp/src" || exit 1
tar -c --exclude-vcs --exclude=./build --exclude=./thptrace . | tar -x -C "$tmp/src" ||
	{ echo "FAIL: cannot copy the tree to $tmp/src"; exit 1; }
start=$(date +%s)
(cd "$tmp/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	dpkg-buildpackage -b -us -uc -Jauto) >"$tmp/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -b -us -uc succeeds ($rc, $(($(date +%s) - start)) s; log $tmp/build.log)" \
	[ "$rc" -eq 0 ]
deb=$tmp/thptrace_$(dpkg-parsechangelog -l debian/changelog -S Version)_$(dpkg --print-architecture).deb
if [ "$rc" -ne 0 ] || [ ! -f "$deb" ]; then
	tail -n 20 "$tmp/build.log"
	echo "FAIL: no package $deb"
	failures=$((failures + 1))
	finish
fi

# ---- lintian ----
lintian --tag-display-limit 0 "$tmp"/thptrace_*.changes >"$tmp/lintian" 2>"$tmp/lintian.err"
rc=$?
grep -v 'running with root privileges' "$tmp/lintian.err" >>"$tmp/lintian"
sed 's/^/  lintian: /' "$tmp/lintian"
check "lintian reports no error (rc $rc)" sh -c '[ "$1" -eq 0 ] && ! grep -q "^E: " "$2"' sh "$rc" "$tmp/lintian"
[ -s "$tmp/lintian" ] && echo "NOTE: lintian: $(grep -c '^[WIP]: ' "$tmp/lintian") warnings or notes (above)"

# ---- what the package would replace, and what is there before ----
dpkg-deb --fsys-tarfile "$deb" | tar -t >"$tmp/contents" || { echo "FAIL: cannot list $deb"; exit 1; }
sed -n 's|^\./\(.*[^/]\)$|/\1|p' "$tmp/contents" >"$tmp/files"
clash=
while read -r f; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		clash=$f
		break
	fi
done <"$tmp/files"
if [ -n "$clash" ]; then
	echo "SKIP: $clash exists and is not the package's (make install PREFIX=/usr?); not overwriting it"
	[ "$failures" -eq 0 ] || finish
	rm -rf "$tmp"
	exit 77
fi
# The entries of every directory the package has files in, before.
entries() {
	sed -n 's|^\./\(.*\)/$|/\1|p' "$tmp/contents" | while read -r d; do
		[ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1
	done | sort
}
entries >"$tmp/before"

# ---- install ----
installed=1	# from here on, purged on every exit path
dpkg_locked -i "$deb"
rc=$?
check "dpkg -i installs $(basename "$deb") ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || finish
check "dpkg says /usr/bin/thptrace is the package's" sh -c 'dpkg -S /usr/bin/thptrace | grep -q "^thptrace: "'

/usr/bin/thptrace --help >"$tmp/help" 2>&1
rc=$?
check "/usr/bin/thptrace --help exits 0 ($rc)" [ "$rc" -eq 0 ]
check "--help starts with its usage line" grep -q '^Usage: thptrace ' "$tmp/help"
v=$(/usr/bin/thptrace --version)
pv=$(dpkg-query -W -f='${Version}' thptrace)
check "--version ($v) is the package's version ($pv)" [ "$v" = "thptrace ${pv%%-*}" ]

/usr/bin/thptrace --list-probes >"$tmp/probes" 2>&1
rc=$?
check "/usr/bin/thptrace --list-probes exits 0 ($rc)" [ "$rc" -eq 0 ]
check "--list-probes names collapse_file" grep -q 'collapse_file' "$tmp/probes"

page=$(man -w thptrace 2>"$tmp/man.err")
check "man -w thptrace finds the package's page ($page)" [ "$page" = /usr/share/man/man8/thptrace.8.gz ]
check "the installed man page is the tree's" sh -c 'gzip -dc "$1" | cmp -s - man/thptrace.8' sh "$page"
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >"$tmp/man.txt" 2>"$tmp/man.err"
rc=$?
check "man renders it without warnings ($rc$(head -c 200 "$tmp/man.err" | tr '\n' ' '))" \
	sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ]' sh "$rc" "$tmp/man.err"
check "the rendered page has EXIT STATUS" grep -q '^EXIT STATUS' "$tmp/man.txt"

# ---- the service and its logrotate snippet ----
check "the package holds the systemd unit and the logrotate snippet" \
	sh -c "dpkg -L thptrace | grep -qx /lib/systemd/system/thptrace.service && dpkg -L thptrace | grep -qx /etc/logrotate.d/thptrace"
check "the service is not enabled by installing it" \
	sh -c "! ls /etc/systemd/system/*.wants/thptrace.service >/dev/null 2>&1"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify /lib/systemd/system/thptrace.service >"$tmp/verify" 2>&1
	check "systemd-analyze verify accepts the installed unit ($?)" [ ! -s "$tmp/verify" ]
fi

# ---- bash completion: where bash-completion looks, and what it completes ----
compdir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null)
compdir=${compdir:-/usr/share/bash-completion/completions}
check "the completion is in bash-completion's directory ($compdir)" [ -f "$compdir/thptrace" ]
# The completion of each line, as bash-completion's loader finds it.
cat >"$tmp/complete.bash" <<'EOF'
. "$1"
__load_completion thptrace || { echo "no completion loaded"; exit 1; }
complete -p thptrace
c() {
	COMP_LINE=$1
	COMP_POINT=${#COMP_LINE}
	read -ra COMP_WORDS <<<"$COMP_LINE"
	[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_thptrace thptrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' '
	echo
}
echo "main: $(c 'thptrace --')"
echo "report: $(c 'thptrace report --')"
echo "doctor: $(c 'thptrace doctor --')"
echo "backend: $(c 'thptrace --backend ')"
echo "by: $(c 'thptrace report --by ')"
echo "sub: $(c 'thptrace ')"
echo "pid: $(c 'thptrace -p ')"
echo "self: $$"
echo "svg: $(c "thptrace --svg $2/svgtar")"
EOF
: >"$tmp/svgtarget-x"
bash "$tmp/complete.bash" "$BASH_COMPLETION" "$tmp" >"$tmp/complete.out" 2>&1
sed 's/^/  /' "$tmp/complete.out"
got() { sed -n "s/^$1: //p" "$tmp/complete.out" | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' '; }
longs() { sed -n '/^\(OPTIONS\|Options\):/,$p' "$1" |
	sed -n 's/^ \{1,6\}\(-[^ ], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u | tr '\n' ' '; }
check "bash-completion loads the installed completion (-F _thptrace)" \
	grep -q '^complete -F _thptrace thptrace$' "$tmp/complete.out"
/usr/bin/thptrace report --help >"$tmp/help.report" 2>&1
/usr/bin/thptrace doctor --help >"$tmp/help.doctor" 2>&1
want=$( (longs "$tmp/help" | tr ' ' '\n'; echo --) | sed '/^$/d' | sort -u | tr '\n' ' ')
check "'thptrace --<Tab>' completes --help's options and -- ($(got main))" [ "$(got main)" = "$want" ]
check "'thptrace report --<Tab>' completes report --help's options" [ "$(got report)" = "$(longs "$tmp/help.report")" ]
check "'thptrace doctor --<Tab>' completes doctor --help's options" [ "$(got doctor)" = "$(longs "$tmp/help.doctor")" ]
check "'--backend <Tab>' completes auto fentry kprobe tracepoint" [ "$(got backend)" = "auto fentry kprobe tracepoint " ]
check "'report --by <Tab>' completes mapping region" [ "$(got by)" = "mapping region " ]
check "'thptrace <Tab>' completes the subcommands" [ "$(got sub)" = "doctor report " ]
self=$(sed -n 's/^self: //p' "$tmp/complete.out")
check "'-p <Tab>' completes PIDs, the shell's own ($self) among them" \
	sh -c 'printf " %s " "$1" | grep -q " $2 "' sh "$(got pid)" "$self"
check "'--svg <Tab>' completes file names" [ "$(got svg)" = "$tmp/svgtarget-x " ]

# ---- purge ----
purge
rc=$?
check "dpkg --purge thptrace succeeds ($rc)" [ "$rc" -eq 0 ]
status=$(dpkg-query -W -f='${db:Status-Status}' thptrace 2>/dev/null)
case $status in '' | not-installed) gone_ok=1 ;; *) gone_ok= ;; esac
check "the package is gone (status '$status')" [ -n "$gone_ok" ]
left=
while read -r f; do
	[ -e "$f" ] && left="$left $f"
done <"$tmp/files"
check "no file of the package is left${left:+:$left}" [ -z "$left" ]
entries >"$tmp/after"
gone=$(comm -23 "$tmp/before" "$tmp/after" | tr '\n' ' ')
check "purging removed nothing that was there before${gone:+ (gone: $gone)}" [ -z "$gone" ]

finish
