/* thptrace's command line: options -> struct trace_opts -> trace_run(), or
 * one of the subcommands (doctor, report). */
#include <argp.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/doctor.h"
#include "host/ranges.h"
#include "cli/report.h"
#include "host/target.h"
#include "cli/trace.h"
#include "pipeline/pipeline.h"
#include "util/config.h"

const char *argp_program_version = "thptrace 0.1";
const char *argp_program_bug_address = "the project's issue tracker";

static const char doc[] =
"Trace how the kernel turns a process's memory into transparent huge pages\n"
"and back.  File memory: khugepaged or MADV_COLLAPSE collapsing a file range\n"
"(collapse_file), the page-table retraction that leaves it unmapped\n"
"(retract_page_tables, pmdp_collapse_flush), and the refault that maps it\n"
"again as one PMD (filemap_map_pages, do_set_pmd).  Anonymous memory: the\n"
"fault that got a huge page or fell back (and why), khugepaged's and\n"
"MADV_COLLAPSE's scans and collapses, the multi-size THP sizes that back\n"
"it.  Then splits, zaps and migrations.  Each 2 MiB region gets a verdict:\n"
"what happened and why (-a and -p: as each process exits).\n"
"\n"
"USAGE:\n"
"  thptrace [OPTIONS] -- CMD [ARGS...]    trace CMD from its first instruction\n"
"  thptrace [OPTIONS] -p PID              trace a running process\n"
"  thptrace [OPTIONS] -a                  trace every process\n"
"  thptrace --list-probes                 how each probe attaches here\n"
"  thptrace doctor [--json] [-p PID]      check this machine for file and\n"
"                                         anonymous THP\n"
"  thptrace report [--json] [--svg F] FILE   replay a saved JSON Lines trace\n"
"\n"
"EXAMPLES:\n"
"  sudo thptrace -- ./app                 timeline of ./app, text\n"
"  sudo thptrace --text --json -o t.jsonl -- ./app\n"
"                                         ./app's own ELF segments, JSON Lines\n"
"  sudo thptrace -p 1234 --duration 5   a running process: what it already has\n"
"                                         (a snapshot), then what happens\n"
"  sudo thptrace -p 1234 --range 7f0000000000-7f0000400000 --duration 60\n"
"  sudo thptrace --file /mnt/thp/data -u alice -- ./app\n"
"                                         one file's mappings; ./app as alice\n"
"  sudo thptrace --json -- ./app | jq 'select(.event==\"collapse_file\")'\n"
"\n"
"Probes use fentry/fexit where the kernel allows, else kprobe/kretprobe, else a\n"
"tracepoint; what no probe can see is rebuilt by reading /proc/PID/pagemap\n"
"after each event that can change a region ('state' events).\n"
"\n"
"Stopping: SIGINT, SIGTERM or SIGHUP ends the trace with its report; CMD gets\n"
"the signal too (Ctrl-C already sent it) and is waited for up to 5 s.  A\n"
"second signal exits at once.  If the output's reader goes away (| head),\n"
"thptrace exits quietly and CMD runs on, untraced.\n"
"\n"
"Exit status: CMD's own status (128+N if killed by signal N; 128+N also if it\n"
"outlives the 5 s after signal N); else 0 (-p, -a, --duration, reader gone);\n"
"2 bad usage, 3 target problem, 4 environment (capabilities, BTF, tracefs),\n"
"5 BPF load or attach, 6 output, 7 --expect: a region's verdict is not in\n"
"the list (even when CMD succeeded), 126 CMD not executable, 127 CMD not found.\n"
"\n"
"OPTIONS:";

enum {
	OPT_RANGE = 256,
	OPT_TEXT,
	OPT_FILE,
	OPT_JSON,
	OPT_DURATION,
	OPT_BACKEND,
	OPT_LIST,
	OPT_SVG,
	OPT_ALL_FAULTS,
	OPT_RESNAPSHOT,
	OPT_NO_SNAPSHOT,
	OPT_BY,
	OPT_EXPECT,
	OPT_FAULTS,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Target:", 1 },
	{ "pid", 'p', "PID", 0, "Trace the running process PID (e.g. -p 1234)", 1 },
	{ "all", 'a', NULL, 0, "Trace every process on the machine", 1 },
	{ "user", 'u', "USER", 0, "Run CMD as USER (name or uid), e.g. -u nobody", 1 },
	{ "resnapshot", OPT_RESNAPSHOT, "SEC", 0,
	  "-p, -a: a running process's THP mappings are read when tracing begins (/proc/PID/smaps"
	  " and pagemap: 'state' events via snapshot); read them again every SEC seconds, for"
	  " what no event announces (default 10; 0: only at the start)", 1 },
	{ "no-snapshot", OPT_NO_SNAPSHOT, NULL, 0,
	  "-p, -a: no snapshot at all; the timeline starts empty and only events build it", 1 },
	{ NULL, 0, NULL, 0, "What to trace in the target (filtered in the kernel; default: everything):", 2 },
	{ "range", OPT_RANGE, "START-END", 0,
	  "Only this address range, hex, repeatable (e.g. --range 0x555555400000-0x555555600000)", 2 },
	{ "text", OPT_TEXT, NULL, 0,
	  "Only the target executable's loadable segments (from its ELF headers and load address)", 2 },
	{ "file", OPT_FILE, "PATH", 0, "Only the mappings of file PATH (e.g. --file /mnt/thp/app)", 2 },
	{ "faults", OPT_FAULTS, "thp|all", 0,
	  "Which page faults (and filemap_map_pages) are recorded: thp, only inside 2 MiB regions that"
	  " matter for huge pages (madvised MADV_HUGEPAGE or MADV_COLLAPSE, huge, collapsed, one where a"
	  " fault tried a huge page as THP mode always does without madvise, or a region thptrace"
	  " tracks), the others counted per process (faults_unrecorded on its exit event and in the"
	  " summary); or all.  Default: thp for -a and -p, all for -- CMD", 2 },
	{ NULL, 0, NULL, 0, "Output:", 3 },
	{ "json", OPT_JSON, NULL, 0, "JSON Lines, one object per event (schema in README.md)", 3 },
	{ "output", 'o', "FILE", 0, "Write to FILE instead of standard output", 3 },
	{ "svg", OPT_SVG, "FILE", 0, "Also draw the timeline as an SVG picture into FILE", 3 },
	{ "all-faults", OPT_ALL_FAULTS, NULL, 0,
	  "Text: print every fault and filemap_map_pages line (default: the first of each per"
	  " region, then a count) and every mmap, munmap, mremap and mprotect (default: those"
	  " that touch a traced region); JSON always has every event", 3 },
	{ "by", OPT_BY, "mapping|region", 0,
	  "Text and SVG: by mapping (default: per mapping one summary, one SVG lane with the share of its"
	  " regions mapped huge over time, and the regions whose verdict differs beneath it; the timeline"
	  " folds each mapping's lines after the first few) or by region (every region and line); JSON"
	  " always has every region's verdict and a 'mapping' line per mapping", 3 },
	{ "expect", OPT_EXPECT, "REASON[,REASON...]", 0,
	  "A CI gate: exit 7 when a region of the target ends with a verdict not in the list (e.g."
	  " --expect huge -- ./test), with a line per such region on stderr: its reason and why", 3 },
	{ "duration", OPT_DURATION, "SEC", 0,
	  "Stop after SEC seconds (e.g. --duration 2.5); default: when the target ends", 3 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's own messages (verifier logs)", 3 },
	{ NULL, 0, NULL, 0, "Probes:", 4 },
	{ "backend", OPT_BACKEND, "MODE", 0,
	  "auto (default), fentry, kprobe or tracepoint: force a mechanism where possible;"
	  " probes it cannot attach fall back, and say so", 4 },
	{ "list-probes", OPT_LIST, NULL, 0,
	  "Print, for this kernel, the mechanism each probe would use and why others failed (found by"
	  " really loading them), then exit", 4 },
	{ 0 },
};

struct cli {
	struct trace_opts o;
	bool list;
	bool any_range;
	bool resnapshot_set;
};

/* Usage errors are one line on stderr.  argp and getopt write theirs (and a
 * "Try ..." line) to stderr and exit: while parsing, stderr is a memory
 * stream, and at exit its first line is printed in our own form. */
static FILE *real_stderr;
static FILE *parse_err;
static char *parse_err_buf;
static size_t parse_err_len;

static void usage_line(const char *msg)
{
	fprintf(real_stderr ? real_stderr : stderr, "thptrace: %s (see thptrace --help)\n", msg);
}

static void parse_err_flush(void)
{
	char *msg, *nl, *colon;

	if (!parse_err)
		return;
	fclose(parse_err);
	parse_err = NULL;
	stderr = real_stderr;
	if (!parse_err_buf)
		return;
	msg = parse_err_buf;
	if ((nl = strchr(msg, '\n')))
		*nl = 0;
	/* "./thptrace: unrecognized option '--x'": drop the program name. */
	colon = strstr(msg, ": ");
	if (colon && memmem(msg, (size_t)(colon - msg), "thptrace", 8))
		msg = colon + 2;
	if (*msg)
		usage_line(msg);
	free(parse_err_buf);
	parse_err_buf = NULL;
}

static void parse_err_begin(void)
{
	real_stderr = stderr;
	parse_err = open_memstream(&parse_err_buf, &parse_err_len);
	if (!parse_err)
		return;
	stderr = parse_err;
	atexit(parse_err_flush);
}

static int bad(struct argp_state *st, const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	(void)st;
	if (parse_err) {
		fclose(parse_err);
		parse_err = NULL;
		stderr = real_stderr;
		free(parse_err_buf);
		parse_err_buf = NULL;
	}
	usage_line(msg);
	exit(EXIT_USAGE);
}

static bool user_exists(const char *user)
{
	unsigned long v;
	char *end;

	if (!*user)
		return false;
	if (getpwnam(user))
		return true;
	errno = 0;
	v = strtoul(user, &end, 10);
	return !errno && !*end && end != user && getpwuid((uid_t)v);
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct cli *c = st->input;
	char err[256], *end;

	switch (key) {
	case 'p': {
		long v;

		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v <= 0 || v > 0x7fffffff)
			bad(st, "-p '%s': not a process id", arg);
		c->o.pid = (pid_t)v;
		break;
	}
	case 'a':
		c->o.all = true;
		break;
	case 'u':
		c->o.user = arg;
		break;
	case OPT_RANGE:
		if (c->o.ranges.n_user == THP_MAX_RANGES)
			bad(st, "too many --range options (at most %s)", "16");
		if (range_parse(arg, &c->o.ranges.user[c->o.ranges.n_user], err, sizeof(err)) < 0)
			bad(st, "%s", err);
		c->o.ranges.n_user++;
		break;
	case OPT_TEXT:
		c->o.ranges.text = true;
		break;
	case OPT_FILE:
		c->o.ranges.file = arg;
		break;
	case OPT_JSON:
		c->o.json = true;
		break;
	case 'o':
		c->o.out_path = arg;
		break;
	case OPT_SVG:
		c->o.svg_path = arg;
		break;
	case OPT_ALL_FAULTS:
		c->o.all_faults = true;
		break;
	case OPT_DURATION:
		errno = 0;
		c->o.duration = strtod(arg, &end);
		if (errno || *end || end == arg || !(c->o.duration > 0) || c->o.duration > 1e7)
			bad(st, "--duration '%s': not a positive number of seconds", arg);
		break;
	case OPT_RESNAPSHOT:
		errno = 0;
		c->o.resnapshot = strtod(arg, &end);
		if (errno || *end || end == arg || !(c->o.resnapshot >= 0) || c->o.resnapshot > 1e7)
			bad(st, "--resnapshot '%s': not a number of seconds (0: only at the start)", arg);
		c->resnapshot_set = true;
		break;
	case OPT_NO_SNAPSHOT:
		c->o.no_snapshot = true;
		break;
	case OPT_FAULTS:
		if (strcmp(arg, "thp") && strcmp(arg, "all"))
			bad(st, "--faults '%s': thp or all", arg);
		c->o.faults = strcmp(arg, "all") ? FAULTS_THP : FAULTS_ALL;
		break;
	case OPT_BY:
		if (strcmp(arg, "region") && strcmp(arg, "mapping"))
			bad(st, "--by '%s': expected mapping or region", arg);
		c->o.by_region = !strcmp(arg, "region");
		break;
	case OPT_EXPECT: {
		char which[64];

		if (expect_parse(arg, &c->o.expect, which, sizeof(which)) < 0)
			bad(st, "--expect: '%s' is no verdict (huge, not_scanned, not_eligible, scan_failed, "
			    "collapsed_not_refaulted, refaulted_as_pte, not_collapsed, split, zapped, "
			    "unmapped_early, untouched)", which);
		break;
	}
	case 'v':
		c->o.verbose = true;
		break;
	case OPT_BACKEND: {
		int b = backend_from_name(arg);

		if (b < 0)
			bad(st, "--backend '%s': expected auto, fentry, kprobe or tracepoint", arg);
		c->o.backend = (enum backend)b;
		break;
	}
	case OPT_LIST:
		c->list = true;
		break;
	case ARGP_KEY_ARG:
		/* The first operand starts CMD: the rest are its own arguments. */
		c->o.cmd = &st->argv[st->next - 1];
		st->next = st->argc;
		break;
	case ARGP_KEY_END:
		if (c->list)
			break;
		if (c->o.all && c->o.pid)
			bad(st, "%s", "-a and -p cannot be used together");
		if (c->o.cmd && (c->o.all || c->o.pid))
			bad(st, "%s", "give either CMD, -p PID or -a, not several");
		if (!c->o.cmd && !c->o.all && !c->o.pid)
			bad(st, "%s", "no target: give -- CMD [ARGS], -p PID or -a");
		if (c->o.user && !c->o.cmd)
			bad(st, "%s", "-u applies only to a CMD that thptrace starts");
		if (c->o.user && !user_exists(c->o.user))
			bad(st, "-u %s: no such user", c->o.user);
		if (c->o.cmd && !c->o.cmd[0][0])
			bad(st, "%s", "CMD is an empty string");
		if (c->o.all && (c->o.ranges.text || c->o.ranges.file))
			bad(st, "%s", "--text and --file need one target process, not -a");
		if (c->o.cmd && (c->resnapshot_set || c->o.no_snapshot))
			bad(st, "%s", "--resnapshot and --no-snapshot apply to -p and -a (a CMD is traced from its start)");
		if (c->o.no_snapshot && c->resnapshot_set)
			bad(st, "%s", "--no-snapshot and --resnapshot cannot be used together");
		if (!c->resnapshot_set)
			c->o.resnapshot = 10;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void argp_usage_exit(void)
{
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "-- CMD [ARGS...]", doc, NULL, NULL, NULL };
	struct cli c = { 0 };

	config();	/* the environment, once, before the BTF thread starts */
	if (argc > 1 && strcmp(argv[1], "doctor") == 0)
		return doctor_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	argp_err_exit_status = EXIT_USAGE;
	(void)argp_usage_exit;
	parse_err_begin();
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &c)) {
		parse_err_flush();
		return EXIT_USAGE;
	}
	parse_err_flush();
	if (c.list)
		return trace_list_probes(&c.o);
	return trace_run(&c.o);
}
