/* `thptrace doctor`: what this machine offers for tracing file THP collapse
 * and refault, and whether file THP can happen here at all.
 *
 * Everything is read or tried, not assumed (doctor_facts.c): the probe
 * mechanisms are really loaded and attached, the lockdown mode is read from
 * securityfs, the tmpfs huge= modes come from mountinfo.  The sections
 * (doctor_sections.c) word those facts; the verdict (doctor_verdict.c) asks
 * the eligibility rules the per-region verdicts use.  Without root, doctor
 * prints what an unprivileged user can read and says that probe trials
 * need root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/doctor.h"
#include "cli/doctor_sections.h"
#include "host/target.h"

static void usage(FILE *out)
{
	fprintf(out,
"Usage: thptrace doctor [--json] [--pid=PID]\n"
"\n"
"Check this machine for tracing THP, file and anonymous: kernel release,\n"
"BTF, lockdown mode, kernel config (CONFIG_READ_ONLY_THP_FOR_FS, CONFIG_KPROBES,\n"
"CONFIG_TRANSPARENT_HUGEPAGE, CONFIG_DEBUG_INFO_BTF), the THP and khugepaged\n"
"sysfs settings, tmpfs mounts with their huge= mode, anonymous THP (mode,\n"
"defrag, khugepaged's max_ptes_* limits, each multi-size THP size), and for\n"
"every probe which\n"
"mechanism (fentry/fexit, kprobe/kretprobe, tracepoint) really loads and\n"
"attaches here.  Ends with a verdict: can file THP happen here, and how to get\n"
"it.\n"
"\n"
"Options:\n"
"  --json      one JSON object per line: {\"event\":\"doctor\",\"section\":...,\n"
"              \"check\":...,\"value\":...}, the probes as {\"event\":\"probe\",...}\n"
"              lines, and last {\"event\":\"doctor_verdict\",...}\n"
"  -p, --pid=PID  also that process's PR_GET_THP_DISABLE and AnonHugePages\n"
"  -h, --help  this help\n"
"\n"
"Probe trials load BPF programs and need root.  Without root, doctor prints\n"
"everything else it can read, says that probe trials need root, and still\n"
"exits 0.  To try the probes it may mount tracefs at /sys/kernel/tracing; it\n"
"reads lockdown from a securityfs mounted in a private mount namespace when\n"
"none is mounted.\n"
"\n"
"Examples:\n"
"  sudo thptrace doctor\n"
"  thptrace doctor --json | jq -r 'select(.event==\"doctor_verdict\") | .verdict'\n"
"\n"
"Exit status: 0 when the checks ran (whatever they found, root or not),\n"
"2 bad usage, 6 standard output could not be written.\n");
}

int doctor_main(int argc, char **argv)
{
	static struct doctor_facts f;
	static struct doc d;
	int pid = 0;

	d.out = stdout;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			d.json = true;
		} else if ((!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pid")) && i + 1 < argc &&
			   atoi(argv[i + 1]) > 0) {
			pid = atoi(argv[++i]);
		} else if (!strncmp(argv[i], "--pid=", 6) && atoi(argv[i] + 6) > 0) {
			pid = atoi(argv[i] + 6);
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "thptrace doctor: %s '%s' (try 'thptrace doctor --help')\n",
				argv[i][0] == '-' ? "unknown option" : "unexpected argument", argv[i]);
			return EXIT_USAGE;
		}
	}
	doctor_gather(&f);
	doctor_try_probes(&f);

	if (!d.json)
		fprintf(d.out, "thptrace doctor: can this machine trace file THP collapse and refault?\n");
	sec_system(&d, &f);
	sec_kconfig(&d, &f);
	sec_thp(&d, &f);
	sec_tmpfs(&d, &f);
	sec_anon(&d, &f, pid);
	sec_probes(&d, &f);
	sec_verdict(&d, &f);
	if (fflush(d.out) != 0 || ferror(d.out)) {
		fprintf(stderr, "thptrace doctor: cannot write the output: %s\n", strerror(errno));
		return EXIT_OUTPUT;
	}
	probes_detach(&f.ps);
	return 0;
}
