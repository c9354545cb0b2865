/* `thptrace report`: read the JSON Lines a live run wrote (here or on any
 * other machine), turn each line back into the event it was
 * (input/jsonl.c), and feed them through the same pipeline as a live run
 * (pipeline/pipeline.c): the same events give the same text, JSON and SVG,
 * byte for byte.  No root, no BPF.  A summary line's counts, lost,
 * exit_status and stopped are printed as the live run printed them;
 * without one, they are counted from the events ("stopped: end of input").
 * Without context lines every machine fact is unknown (-1 or ""). */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/report.h"
#include "input/jsonl.h"
#include "pipeline/pipeline.h"

/* Exit statuses (also in the help text). */
#define RX_OK 0		/* every line parsed */
#define RX_BADLINES 1	/* report printed, but some lines could not be parsed */
#define RX_USAGE 2	/* bad command line, or the input cannot be opened or read */
#define RX_OUTPUT 6	/* the output or SVG file cannot be written (as for a live run) */
#define RX_EXPECT 7	/* --expect: a region ended with a verdict not in the list */
#define RX_SCHEMA 8	/* a line's schema_version is newer than this thptrace reads */

#define MAX_MESSAGES 20

struct replay {
	struct pipeline pl;
	struct jsonl_reader *jr;
	struct run_summary sum;		/* the summary line's, when have_summary */
	bool have_summary;
	unsigned long lineno, bad, messages;
	bool too_new;			/* a line of a newer schema_version: stop reading */
};

/* ---- the command line ---- */

struct report_opts {
	const char *input;
	const char *out_path;
	const char *svg_path;
	bool json;
	bool all_faults;
	bool by_region;
	unsigned expect;		/* --expect: the allowed verdicts, a bit each; 0: none given */
};

enum { OPT_JSON = 256, OPT_SVG, OPT_ALL_FAULTS, OPT_BY, OPT_EXPECT };

static const char report_doc[] =
"Replay a trace that thptrace saved as JSON Lines (thptrace --json -o F),\n"
"on this or any other machine: no root, no BPF.  Every event line goes\n"
"through the same region state machine as a live run, so the timeline, the\n"
"per-region verdicts and the summary come out as the live run printed them\n"
"(for the same events, byte for byte).  Verdict lines in the input are\n"
"ignored and recomputed; 'context' and 'region_file' lines, when the live\n"
"run wrote them, give the machine facts (THP sysfs knobs, tmpfs huge=\n"
"modes, file state) that a verdict may cite; without them those facts\n"
"count as unknown.\n"
"\n"
"Lines that cannot be parsed (not JSON, a line cut short, an unknown event\n"
"or a value of the wrong type) are left out and reported on standard error\n"
"as 'thptrace: report: line N: why' (the first 20, then a count); the\n"
"report is still printed.  Blank lines are ignored.  A SAVED.jsonl of '-'\n"
"reads standard input.\n"
"\n"
"EXAMPLES:\n"
"  sudo thptrace --json -o run.jsonl -- ./app   record (on the test machine)\n"
"  thptrace report run.jsonl                    timeline and verdicts, text\n"
"  thptrace report --svg run.svg run.jsonl      ... and draw the timeline\n"
"  thptrace report --json run.jsonl | jq -r 'select(.event==\"verdict\").reason'\n"
"  ssh box cat run.jsonl | thptrace report -\n"
"\n"
"Exit status: 0 every line parsed; 1 some lines could not be parsed (the\n"
"report is printed without them); 2 bad usage, or SAVED.jsonl cannot be\n"
"opened or read; 6 the -o or --svg file cannot be written; 7 --expect: a\n"
"region's verdict is not in the list; 8 a line's schema_version is newer\n"
"than this thptrace reads (reading stops there: no verdicts, no summary).\n"
"\n"
"OPTIONS:";

static const struct argp_option report_options[] = {
	{ "json", OPT_JSON, NULL, 0,
	  "Write JSON Lines (the live schema) instead of text: events, recomputed verdicts, summary", 0 },
	{ "svg", OPT_SVG, "FILE", 0, "Also draw the timeline as an SVG picture into FILE (e.g. --svg run.svg)",
	  0 },
	{ "output", 'o', "FILE", 0, "Write the report to FILE instead of standard output", 0 },
	{ "all-faults", OPT_ALL_FAULTS, NULL, 0,
	  "Text: a line for every fault, filemap_map_pages and mapping syscall, as a live run with --all-faults"
	  " (default: each region's first ones and a count)", 0 },
	{ "by", OPT_BY, "mapping|region", 0,
	  "Text and SVG: by mapping (default: one summary and one lane per mapping, the regions whose"
	  " verdict differs beneath it) or by region (every region, as a live run with --by region);"
	  " JSON always has every region's verdict and a 'mapping' line per mapping", 0 },
	{ "expect", OPT_EXPECT, "REASON[,REASON...]", 0,
	  "Exit 7 when a region's verdict is not one of these (e.g. --expect huge), with a line per such"
	  " region on standard error: its reason and why", 0 },
	{ 0 },
};

static error_t report_parse_opt(int key, char *arg, struct argp_state *st)
{
	struct report_opts *o = st->input;

	switch (key) {
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_ALL_FAULTS:
		o->all_faults = true;
		break;
	case OPT_BY:
		if (strcmp(arg, "region") && strcmp(arg, "mapping"))
			argp_error(st, "--by '%s': expected mapping or region", arg);
		o->by_region = !strcmp(arg, "region");
		break;
	case OPT_EXPECT: {
		char bad[64];

		if (expect_parse(arg, &o->expect, bad, sizeof(bad)) < 0)
			argp_error(st, "--expect: '%s' is no verdict (huge, not_scanned, not_eligible, scan_failed, "
				   "collapsed_not_refaulted, refaulted_as_pte, not_collapsed, split, zapped, "
				   "unmapped_early, untouched)", bad);
		break;
	}
	case OPT_SVG:
		if (!*arg)
			argp_error(st, "--svg needs a file name");
		o->svg_path = arg;
		break;
	case 'o':
		if (!*arg)
			argp_error(st, "-o needs a file name");
		o->out_path = arg;
		break;
	case ARGP_KEY_ARG:
		if (o->input)
			argp_error(st, "one saved file only ('%s' and '%s')", o->input, arg);
		o->input = arg;
		break;
	case ARGP_KEY_END:
		if (!o->input)
			argp_error(st, "which saved file? (e.g. thptrace report run.jsonl, or - for stdin)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- messages ---- */

__attribute__((format(printf, 2, 3)))
static void line_error(struct replay *rp, const char *fmt, ...)
{
	va_list ap;

	rp->bad++;
	if (++rp->messages > MAX_MESSAGES)
		return;
	fprintf(stderr, "thptrace: report: line %lu: ", rp->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- one line -> struct thp_event ---- */


static void handle_line(struct replay *rp, const char *line, size_t len, bool complete)
{
	char err[256];
	struct thp_event ev;

	switch (jsonl_parse(rp->jr, line, len, complete, &ev, &rp->sum, err, sizeof(err))) {
	case JL_ERROR:
		line_error(rp, "%s", err);
		break;
	case JL_TOO_NEW:
		fprintf(stderr, "thptrace: report: line %lu: %s\n", rp->lineno, err);
		rp->too_new = true;
		break;
	case JL_SUMMARY:
		rp->have_summary = true;
		break;
	case JL_EVENT:
		pipeline_event(&rp->pl, &ev);
		break;
	case JL_SKIP:
		break;
	}
}

static bool blank(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r')
			return false;
	return true;
}

/* Read every line of f; lines longer than JSONR_MAX_LINE are reported and
 * skipped without being held in memory.  Returns 0, or -1 on a read error. */
static int read_lines(struct replay *rp, FILE *f, char *buf)
{
	size_t len = 0;
	bool too_long = false;
	int c;

	for (;;) {
		c = getc_unlocked(f);
		if (c == EOF || c == '\n') {
			bool complete = c == '\n';

			if (c == EOF && ferror(f))
				return -1;
			if (c == EOF && len == 0 && !too_long)
				return 0;
			rp->lineno++;
			if (too_long)
				line_error(rp, "longer than %d bytes: not a line thptrace writes", JSONR_MAX_LINE);
			else if (!blank(buf, len))
				handle_line(rp, buf, len, complete);
			len = 0;
			too_long = false;
			if (c == EOF || rp->too_new)
				return 0;
			continue;
		}
		if (too_long)
			continue;
		if (len >= JSONR_MAX_LINE) {
			too_long = true;
			continue;
		}
		buf[len++] = (char)c;
	}
}


static bool same_file(FILE *in, const char *path)
{
	struct stat a, b;

	return path && fstat(fileno(in), &a) == 0 && stat(path, &b) == 0 && S_ISREG(a.st_mode) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}


int report_main(int argc, char **argv)
{
	static const struct argp argp = { report_options, report_parse_opt, "SAVED.jsonl", report_doc,
					  NULL, NULL, NULL };
	struct report_opts o = { 0 };
	struct replay rp;
	char **av, *buf = NULL, err[256];
	FILE *in, *outf;
	int rc = RX_OK;

	/* argp names itself after argv[0]: make usage say "thptrace report". */
	av = calloc((size_t)argc + 1, sizeof(*av));
	if (!av)
		return RX_USAGE;
	for (int k = 0; k < argc; k++)
		av[k] = argv[k];
	av[0] = (char *)"thptrace report";
	argp_err_exit_status = RX_USAGE;
	if (argp_parse(&argp, argc, av, 0, NULL, &o) != 0) {
		free(av);
		return RX_USAGE;
	}
	free(av);

	if (strcmp(o.input, "-") == 0) {
		in = stdin;
	} else if (!(in = fopen(o.input, "r"))) {
		fprintf(stderr, "thptrace: report: cannot open '%s': %s\n", o.input, strerror(errno));
		return RX_USAGE;
	}
	if (same_file(in, o.out_path) || same_file(in, o.svg_path)) {
		fprintf(stderr, "thptrace: report: '%s' is the input: refusing to overwrite it\n",
			same_file(in, o.out_path) ? o.out_path : o.svg_path);
		if (in != stdin)
			fclose(in);
		return RX_USAGE;
	}
	outf = o.out_path ? fopen(o.out_path, "w") : stdout;
	if (!outf) {
		fprintf(stderr, "thptrace: report: cannot write '%s': %s\n", o.out_path, strerror(errno));
		if (in != stdin)
			fclose(in);
		return RX_OUTPUT;
	}

	memset(&rp, 0, sizeof(rp));
	pipeline_init(&rp.pl, outf, &(struct pipeline_opts){
		.json = o.json, .color = !o.out_path && isatty(fileno(stdout)),
		.all_faults = o.all_faults, .by_region = o.by_region, .svg_path = o.svg_path,
		.expect = o.expect });
	rp.jr = malloc(sizeof(*rp.jr));
	buf = malloc(JSONR_MAX_LINE + 1);
	if (!rp.jr || !buf) {
		fprintf(stderr, "thptrace: report: out of memory\n");
		rc = RX_USAGE;
		goto out;
	}
	jsonl_init(rp.jr);

	if (read_lines(&rp, in, buf) < 0) {
		fprintf(stderr, "thptrace: report: cannot read '%s': %s\n", o.input, strerror(errno));
		rc = RX_USAGE;
		goto out;
	}
	if (rp.too_new) {
		rc = RX_SCHEMA;
		goto out;
	}
	if (pipeline_finish(&rp.pl, rp.have_summary ? &rp.sum : NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "thptrace: report: %s\n", err);
		rc = RX_OUTPUT;
	}
	if (rp.pl.out.err) {
		if (rp.pl.out.err != EPIPE)
			fprintf(stderr, "thptrace: report: cannot write '%s': %s\n",
				o.out_path ? o.out_path : "standard output", strerror(rp.pl.out.err));
		rc = RX_OUTPUT;
	}
	if (pipeline_unexpected(&rp.pl) > 0 && (rc == RX_OK || rc == RX_BADLINES))
		rc = RX_EXPECT;
	if (rp.bad) {
		if (rp.messages > MAX_MESSAGES)
			fprintf(stderr, "thptrace: report: ... and %lu more unparseable lines not shown\n",
				rp.messages - MAX_MESSAGES);
		fprintf(stderr,
			"thptrace: report: %lu of %lu lines could not be parsed and were left out of the report\n",
			rp.bad, rp.lineno);
		if (rc == RX_OK)
			rc = RX_BADLINES;
	}
out:
	if (outf != stdout && fclose(outf) != 0 && rc == RX_OK) {
		fprintf(stderr, "thptrace: report: cannot write '%s': %s\n", o.out_path, strerror(errno));
		rc = RX_OUTPUT;
	}
	if (in != stdin)
		fclose(in);
	pipeline_free(&rp.pl);
	free(rp.jr);
	free(buf);
	return rc;
}

