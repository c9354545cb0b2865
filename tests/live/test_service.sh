#!/bin/sh
# Running as a service (issue 14): the shipped logrotate snippet, run by the
# real logrotate, rotates a live `thptrace -a --json -o` file and its
# SIGUSR1 makes thptrace write on into a new file of the same name, which
# begins with the context line and which `thptrace report` reads on its
# own; a SIGUSR1 without a rotation appends and loses nothing; the systemd
# unit passes `systemd-analyze verify` (against this build).
. "$(dirname "$0")/lib.sh"
need_root "a system-wide trace"
RESIDENT=${RESIDENT:-$PWD/build/thp_resident}
LIVES=${LIVES:-$PWD/build/thp_lives}
for tool in logrotate systemd-analyze; do
	command -v "$tool" >/dev/null || { echo "SKIP: needs $tool (tests/install-deps)"; exit 77; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/thptrace-service.XXXXXX") || exit 1
live_outs="$work"
tpid=
stop_trace() { [ -z "$tpid" ] || { kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null; tpid=; }; }
trap 'stop_trace' EXIT
trap 'stop_trace; exit 1' INT TERM HUP
mkdir -p "$work/log"
log=$work/log/thptrace.jsonl

# The snippet as shipped, for this log directory, its postrotate signalling
# this trace (the service's `systemctl kill` needs systemd running).
sed -e "s|/var/log/thptrace/|$work/log/|" \
    -e "s|systemctl kill .*|kill -USR1 \$(cat $work/tpid)|" \
    -e "s|create 0640 root adm|create 0640 root root|" contrib/logrotate/thptrace > "$work/logrotate.conf"
logrotate -d -s "$work/state.d" "$work/logrotate.conf" > "$work/lr-d.txt" 2>&1
check "the logrotate snippet parses (logrotate -d: $?)" sh -c "! grep -qi '^error' '$work/lr-d.txt'"

"$THPTRACE" -a --json -o "$log" --duration 8 2> "$work/err" &
tpid=$!
echo "$tpid" > "$work/tpid"
for _ in $(seq 50); do grep -q '"event":"context"' "$log" 2>/dev/null && break; sleep 0.1; done
"$LIVES" loss > "$work/loss1.txt"
logrotate -f -s "$work/state" "$work/logrotate.conf" 2> "$work/lr.err"
check "logrotate -f rotates the live file (exit $?)" [ -s "$log.1" ]
sleep 0.5
"$LIVES" loss > "$work/loss2.txt"
# A SIGUSR1 with nothing rotated: the file is appended to, not emptied.
before=$(wc -l < "$log")
kill -USR1 "$tpid"
sleep 0.3
after=$(wc -l < "$log")
check "a SIGUSR1 without a rotation keeps the file ($before lines, then $after)" [ "$after" -ge "$before" ]
wait "$tpid"
rc=$?
tpid=
check "thptrace ran on to its end (exit $rc)" [ "$rc" -eq 0 ]
check "nothing but probe notes on stderr" sh -c "! grep -v '^thptrace: [a-z_, ]*: ' '$work/err'"
check "the new file begins with the context line" \
	sh -c "head -n 1 '$log' | grep -q '^{\"event\":\"context\",\"schema_version\":1,\"time\":\"[0-9TZ:.-]*\",\"start_ns\":'"
check "the new file has the events after the rotation and ends with the summary" \
	sh -c "grep -q '\"event\":\"pmd_split\"' '$log' && tail -n 1 '$log' | grep -q '\"event\":\"summary\"'"
check "the rotated file has the events before it (the first workload's madvise)" sh -c \
	"r=\$(sed -n 's/^split \\(0x[0-9a-f]*\\) .*/\\1/p' '$work/loss1.txt'); grep -q \"\\\"event\\\":\\\"madvise\\\".*\\\"addr\\\":\\\"\$r\\\"\" '$log.1'"
check "the second loss's regions are in the new file only" sh -c \
	"r=\$(sed -n 's/^split \\(0x[0-9a-f]*\\) .*/\\1/p' '$work/loss2.txt'); grep -q \"\\\"region\\\":\\\"\$r\\\"\" '$log' && ! grep -q \"\\\"region\\\":\\\"\$r\\\"\" '$log.1'"
"$THPTRACE" report "$log" > "$work/report.txt" 2> "$work/report.err"
check "report reads the new file on its own (exit $?)" [ ! -s "$work/report.err" ]
"$THPTRACE" report "$log.1" > /dev/null 2> "$work/report1.err"
check "and the rotated one (exit $?)" [ ! -s "$work/report1.err" ]
# a second rotation: delaycompress compresses the first one now
: > "$work/tpid"
logrotate -f -s "$work/state" "$work/logrotate.conf" 2>> "$work/lr.err"
check "a second rotation compresses the older file" [ -s "$log.2.gz" ]

# The unit, verified against this build (the path of the binary put in).
sed "s|/usr/bin/thptrace|$THPTRACE|; /^Documentation=/d" contrib/systemd/thptrace.service > "$work/thptrace.service"
systemd-analyze verify "$work/thptrace.service" > "$work/verify.txt" 2>&1
rc=$?
cat "$work/verify.txt"
check "systemd-analyze verify accepts the unit (exit $rc)" [ "$rc" -eq 0 ] && [ ! -s "$work/verify.txt" ]
check "the unit keeps the hardening it documents" \
	sh -c "grep -q '^ProtectSystem=strict' contrib/systemd/thptrace.service && grep -q '^NoNewPrivileges=yes' contrib/systemd/thptrace.service && grep -q '^CapabilityBoundingSet=CAP_BPF ' contrib/systemd/thptrace.service"
finish
