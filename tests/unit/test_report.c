/* Unit tests for src/cli/report.c (`thptrace report`): a live run's output
 * (made here exactly as cli/trace.c makes it, through pipeline/pipeline.c)
 * replays to the same text byte for byte, the same JSON (verdicts
 * included) and the same SVG; events written by the JSON sink come back as
 * the same events; bad lines are numbered and counted; context and
 * region_file lines reach the verdicts; the exit statuses hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "sinks/output.h"
#include "model/regions.h"
#include "pipeline/pipeline.h"
#include "cli/report.h"

#define R0 0x7f3a4c000000ULL
#define PID 4242
#define START_NS 5000000000ULL		/* CLOCK_MONOTONIC when the live run started */

static char dir[64];
static char *err_text;		/* stderr of the last run() */

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_report.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(err_text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path(const char *name)
{
	static char p[4][160];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "rb");
	char *b;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = 0;
	fclose(f);
	return b;
}

static void spit(const char *p, const char *text)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* report_main(argv), with its stderr captured into err_text. */
static int run(int argc, ...)
{
	char *argv[16];
	va_list ap;
	int saved, fd, rc;

	argv[0] = (char *)"report";
	va_start(ap, argc);
	for (int k = 1; k <= argc; k++)
		argv[k] = va_arg(ap, char *);
	va_end(ap);
	argv[argc + 1] = NULL;
	fflush(stderr);
	saved = dup(2);
	fd = open(path("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	close(fd);
	rc = report_main(argc + 1, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	free(err_text);
	err_text = slurp(path("stderr"));
	return rc;
}

/* The same in a child, for paths that exit (argp usage errors). */
static int run_child(int argc, ...)
{
	char *argv[16];
	va_list ap;
	pid_t pid;
	int st;

	argv[0] = (char *)"report";
	va_start(ap, argc);
	for (int k = 1; k <= argc; k++)
		argv[k] = va_arg(ap, char *);
	va_end(ap);
	argv[argc + 1] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int fd = open(path("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		_exit(report_main(argc + 1, argv));
	}
	assert_true(waitpid(pid, &st, 0) == pid);
	free(err_text);
	err_text = slurp(path("stderr"));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static struct thp_event ev(enum ev_kind kind, double t)
{
	struct thp_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	/* as the decoder makes them: t from the clock (decoder_t) */
	e.ts_ns = START_NS + (uint64_t)(t * 1e9 + 0.5);
	e.t = (double)(e.ts_ns - START_NS) / 1e9;
	e.pid = e.tgid = e.target_pid = PID;
	e.mm_id = 1;
	e.via = VIA_ID_KPROBE;
	snprintf(e.comm, sizeof(e.comm), "thp_demo");
	return e;
}

static void kh(struct thp_event *e)
{
	e->pid = e->tgid = 87;
	snprintf(e->comm, sizeof(e->comm), "khugepaged");
}

/* Every kind and every optional field, as the decoder and sampler make them. */
static size_t all_events(struct thp_event *v)
{
	size_t n = 0;
	struct thp_event e;

	e = ev(EV_EXEC, 0.000412);
	e.via = VIA_ID_TRACEPOINT;
	snprintf(e.file, sizeof(e.file), "thp_demo");
	e.fields = EVF_FILE;
	v[n++] = e;

	e = ev(EV_MADVISE, 0.010523);
	e.via = VIA_ID_FEXIT;
	e.addr = R0;
	e.len = 4 << 20;
	e.behavior = 14;
	e.fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
	v[n++] = e;

	e = ev(EV_MADVISE, 0.010600);	/* an advice without a name, failed */
	e.addr = R0 + (8 << 20);
	e.len = 4096;
	e.behavior = 77;
	e.ret = -22;
	e.fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
	v[n++] = e;

	e = ev(EV_STATE, 0.010811);
	e.via = VIA_ID_PAGEMAP;
	e.comm[0] = 0;
	e.region = R0;
	e.state = PS_PTE;
	e.present = 512;
	e.fields = EVF_STATE;
	v[n++] = e;

	e = ev(EV_SCAN_FILE, 1.024117);
	kh(&e);
	e.via = VIA_ID_TRACEPOINT;
	/* a file name with everything JSON and XML must escape */
	snprintf(e.file, sizeof(e.file), "a<b&\"c'\\.so\t\x01\xc3\xa9");
	snprintf(e.result_name, sizeof(e.result_name), "SCAN_SUCCEED");
	e.result = 1;
	e.present = 500;
	e.swap = 3;
	e.fields = EVF_FILE | EVF_RESULT | EVF_PRESENT;
	v[n++] = e;

	e = ev(EV_RETRACT, 1.024728);
	kh(&e);
	e.addr = R0;
	e.ino = 3021;
	e.dev = 42;
	e.fields = EVF_ADDR | EVF_INODE | EVF_PGOFF | EVF_IN_COLLAPSE;
	v[n++] = e;

	e = ev(EV_PMDP_COLLAPSE_FLUSH, 1.024735);
	kh(&e);
	e.via = VIA_ID_FENTRY;
	e.addr = R0;
	snprintf(e.file, sizeof(e.file), "thp_demo");
	e.fields = EVF_ADDR | EVF_FILE | EVF_IN_COLLAPSE;
	v[n++] = e;

	e = ev(EV_COLLAPSE_FILE, 1.024851);
	kh(&e);
	e.via = VIA_ID_TRACEPOINT;
	e.addr = R0;
	snprintf(e.file, sizeof(e.file), "thp_demo");
	snprintf(e.result_name, sizeof(e.result_name), "SCAN_SUCCEED");
	e.result = 1;
	e.nr = 512;
	e.pgoff = 0;
	e.fields = EVF_ADDR | EVF_FILE | EVF_PGOFF | EVF_RESULT | EVF_NR;
	v[n++] = e;

	e = ev(EV_STATE, 1.025018);
	e.via = VIA_ID_PAGEMAP;
	e.comm[0] = 0;
	e.region = R0;
	e.state = PS_NONE;
	e.fields = EVF_STATE;
	v[n++] = e;

	e = ev(EV_FAULT, 1.503006);
	e.addr = R0 + 0x1000;
	e.errcode = 0x14;
	e.fields = EVF_ADDR | EVF_ERRCODE;
	v[n++] = e;

	e = ev(EV_MAP_PAGES, 1.503010);
	e.via = VIA_ID_FENTRY;
	e.addr = R0 + 0x1000;
	e.pgoff = 1;
	e.pgoff_end = 16;
	e.fields = EVF_ADDR | EVF_PGOFF | EVF_PGOFF_END;
	v[n++] = e;

	e = ev(EV_MAP_PAGES, 1.503011);	/* with a return value */
	e.via = VIA_ID_FEXIT;
	e.addr = R0 + 0x1000;
	e.pgoff = 1;
	e.pgoff_end = 16;
	e.ret = 0x400;
	e.fields = EVF_ADDR | EVF_PGOFF | EVF_PGOFF_END | EVF_RET;
	v[n++] = e;

	e = ev(EV_SET_PMD, 1.503019);
	e.via = VIA_ID_FEXIT;
	e.addr = R0;
	snprintf(e.file, sizeof(e.file), "thp_demo");
	e.fields = EVF_ADDR | EVF_FILE | EVF_RET;
	v[n++] = e;

	e = ev(EV_STATE, 1.503207);
	e.via = VIA_ID_PAGEMAP;
	e.comm[0] = 0;
	e.region = R0;
	e.state = PS_PMD;
	e.thp = true;
	e.present = 512;
	e.fields = EVF_STATE;
	v[n++] = e;

	e = ev(EV_LOST, 2.0);
	e.via = VIA_ID_NONE;
	e.pid = e.tgid = e.target_pid = 0;
	e.mm_id = 0;
	e.comm[0] = 0;
	e.count = 17;
	v[n++] = e;

	e = ev(EV_SET_PMD, 2.5);	/* refused: small pages */
	e.addr = R0;
	e.ret = 0x100;
	e.fields = EVF_ADDR | EVF_RET;
	v[n++] = e;

	e = ev(EV_EXIT, 3.012554);
	e.via = VIA_ID_TRACEPOINT;
	e.ret = 3;
	e.fields = EVF_RET;
	v[n++] = e;
	return n;
}

/* The settings a live run reads at the start (host/sysinfo.c). */
static struct thp_context live_ctx(void)
{
	struct thp_context c = {
		.thp_enabled = "madvise", .shmem_enabled = "advise", .defrag = "madvise",
		.scan_sleep_ms = 100, .pages_to_scan = 4096, .full_scans_start = 10,
		.full_scans_end = -1, .read_only_thp_for_fs = 0, .duration_s = -1,
	};
	return c;
}

static void context_event(struct pipeline *p, const struct thp_context *c, uint64_t start_ns, bool at_end)
{
	struct thp_event ev = { .kind = EV_CONTEXT, .ctx = c, .start_ns = start_ns, .ctx_end = at_end };

	assert_null(pipeline_event(p, &ev));
}

/* A live run of these events, as cli/trace.c does it: the settings as an
 * EV_CONTEXT first; every event through the pipeline, and when one touches
 * a region whose file facts are not known yet, those facts (what
 * host/sysinfo.c finds for a tmpfs file mounted huge=advise) as an
 * EV_REGION_FILE right after; the end EV_CONTEXT (full scans at the end,
 * the duration); then the summary, its counts the pipeline's.  Text or JSON
 * into out, and the SVG into svg unless NULL. */
static void live_run(const struct thp_event *v, size_t n, const struct run_summary *given, uint64_t start_ns,
		     bool json, const char *out, const char *svg)
{
	struct thp_context ctx = live_ctx();
	struct run_summary sum = *given;
	struct pipeline p;
	char err[256] = "";
	FILE *f = fopen(out, "w");

	assert_non_null(f);
	pipeline_init(&p, f, &(struct pipeline_opts){ .json = json, .svg_path = svg });
	context_event(&p, &ctx, start_ns, false);
	for (size_t k = 0; k < n; k++) {
		const struct region *r = pipeline_event(&p, &v[k]);

		if (r && !r->have_finfo && r->pid) {
			struct thp_event fe = { .kind = EV_REGION_FILE, .ts_ns = v[k].ts_ns, .t = v[k].t,
						.mm_id = r->mm_id, .target_pid = r->pid, .region = r->start,
						.finfo = { .tmpfs_huge = "advise", .is_shmem = 1, .open_for_write = 0,
							   .fully_mapped = 1, .file_aligned = 1 } };

			snprintf(fe.file, sizeof(fe.file), "%s", r->file[0] ? r->file : "/mnt/thp/thp_demo");
			r = pipeline_event(&p, &fe);
			assert_non_null(r);
			assert_true(r->have_finfo);
		}
	}
	ctx.full_scans_end = 12;
	ctx.duration_s = sum.t;
	context_event(&p, &ctx, start_ns, true);
	memcpy(sum.counts, pipeline_counted(&p)->counts, sizeof(sum.counts));
	if (pipeline_finish(&p, &sum, err, sizeof(err)) != 0)
		fail_msg("pipeline_finish: %s", err);
	assert_int_equal(p.out.err, 0);
	assert_int_equal(fclose(f), 0);
	pipeline_free(&p);
}

static struct run_summary summary_of(const struct thp_event *v, size_t n)
{
	struct run_summary s;

	memset(&s, 0, sizeof(s));
	for (size_t k = 0; k < n; k++)
		s.counts[v[k].kind]++;
	s.t = 3.016767;
	s.lost = 17;
	s.exit_status = 3;
	snprintf(s.stop_reason, sizeof(s.stop_reason), "target exited");
	return s;
}

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* Byte for byte (and not empty). */
static void assert_same_file(const char *a, const char *b)
{
	char *x = slurp(a), *y = slurp(b);

	assert_true(file_size(a) > 0);
	if (file_size(a) != file_size(b) || strcmp(x, y) != 0) {
		size_t k = 0;

		while (x[k] && x[k] == y[k])
			k++;
		fail_msg("%s and %s differ at byte %zu:\n---\n%.200s\n---\n%.200s", a, b, k,
			 x + (k > 40 ? k - 40 : 0), y + (k > 40 ? k - 40 : 0));
	}
	free(x);
	free(y);
}

/* The lines of a JSON Lines text whose "event" is kind, in order. */
static char *lines_of(const char *text, const char *kind)
{
	char key[64], *out = calloc(1, strlen(text) + 1);
	size_t used = 0;

	snprintf(key, sizeof(key), "{\"event\":\"%s\"", kind);
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);

		if (!strncmp(l, key, strlen(key))) {
			memcpy(out + used, l, len);
			used += len;
		}
		l += len;
	}
	return out;
}

/* The live run's text, JSON and SVG, and what `report` makes of its JSON:
 * the same text byte for byte, the same JSON (verdicts included: they are
 * recomputed from the same events and facts), the same SVG. */
static void test_round_trip_exact(void **state)
{
	struct thp_event v[32];
	size_t n = all_events(v);
	struct run_summary sum = summary_of(v, n);
	char *live, *verdicts, *replayed;

	(void)state;
	/* the live run, once with --json, once with text; --svg both times */
	live_run(v, n, &sum, START_NS, true, path("live.jsonl"), path("live.svg"));
	live_run(v, n, &sum, START_NS, false, path("live.txt"), path("live-text.svg"));
	assert_same_file(path("live.svg"), path("live-text.svg"));	/* the SVG is the sink's choice's */
	live = slurp(path("live.jsonl"));
	/* what the live JSON carries: the settings, one region's file facts
	 * (the madvise's first region; the second is never touched again),
	 * the events, a verdict per region, the summary */
	assert_int_equal(count(live, "{\"event\":\"context\","), 2);
	assert_non_null(strstr(live, "{\"event\":\"context\",\"schema_version\":1,\"start_ns\":5000000000,\"thp_enabled\":\"madvise\""));
	assert_non_null(strstr(live, "{\"event\":\"context\",\"schema_version\":1,\"full_scans_end\":12,\"duration_s\":3.016767}\n"));
	assert_int_equal(count(live, "{\"event\":\"region_file\","), 1);
	assert_non_null(strstr(live, "{\"event\":\"region_file\",\"schema_version\":1,\"mm\":1,\"region\":\"0x7f3a4c000000\",\"file\":\"/mnt/thp/thp_demo\",\"tmpfs_huge\":\"advise\""));
	verdicts = lines_of(live, "verdict");
	assert_int_equal(count(verdicts, "\n"), 2);
	assert_non_null(strstr(verdicts, "\"region\":\"0x7f3a4c000000\",\"file\":\"/mnt/thp/thp_demo\""));
	assert_non_null(strstr(verdicts, "\"reason\":\"huge\""));
	assert_int_equal(count(live, "{\"event\":\"summary\","), 1);

	/* replayed: text (with --svg), byte for byte */
	assert_int_equal(run(5, "--svg", path("replay.svg"), "-o", path("replay.txt"), path("live.jsonl")), 0);
	assert_string_equal(err_text, "");
	assert_same_file(path("live.txt"), path("replay.txt"));
	assert_same_file(path("live.svg"), path("replay.svg"));
	/* JSON (with --svg): every line, the verdicts included */
	assert_int_equal(run(6, "--json", "--svg", path("replay-json.svg"), "-o", path("replay.jsonl"),
			     path("live.jsonl")), 0);
	assert_string_equal(err_text, "");
	assert_same_file(path("live.jsonl"), path("replay.jsonl"));
	replayed = slurp(path("replay.jsonl"));
	{
		char *rv = lines_of(replayed, "verdict");

		assert_string_equal(rv, verdicts);
		free(rv);
	}
	assert_same_file(path("live.svg"), path("replay-json.svg"));
	/* and the replay of a replay */
	assert_int_equal(run(6, "--json", "--svg", path("replay2.svg"), "-o", path("replay2.jsonl"),
			     path("replay.jsonl")), 0);
	assert_same_file(path("live.jsonl"), path("replay2.jsonl"));
	assert_same_file(path("live.svg"), path("replay2.svg"));
	free(replayed);
	free(verdicts);
	free(live);
}

/* JSON "t" has 6 decimals; with the context's start_ns the replay gets
 * the live run's exact times back from ts_ns, so durations computed from
 * them (madvise_to_pmd_s, the why text) are the live run's too. */
static void test_exact_times_from_start_ns(void **state)
{
	const uint64_t start = 1000000000123ULL;
	struct thp_event v[3];
	struct run_summary sum;
	char *live, *replay, *nostart;
	FILE *f;

	(void)state;
	v[0] = ev(EV_MADVISE, 0);
	v[0].ts_ns = start + 10523499;
	v[0].addr = R0;
	v[0].len = 2 << 20;
	v[0].behavior = 14;
	v[0].fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
	v[1] = ev(EV_STATE, 0);
	v[1].ts_ns = start + 1503207501;
	v[1].via = VIA_ID_PAGEMAP;
	v[1].region = R0;
	v[1].state = PS_PMD;
	v[1].thp = true;
	v[1].present = 512;
	v[1].fields = EVF_STATE;
	for (int k = 0; k < 2; k++)	/* as decoder_t computes it */
		v[k].t = (double)(v[k].ts_ns - start) / 1e9;
	sum = summary_of(v, 2);
	live_run(v, 2, &sum, start, true, path("exact.jsonl"), NULL);
	live = slurp(path("exact.jsonl"));
	if (!strstr(live, "\"madvise_to_pmd_s\":1.492684}"))
		fail_msg("%s", live);
	assert_non_null(strstr(live, "{\"event\":\"context\",\"schema_version\":1,\"start_ns\":1000000000123,"));
	/* with the opening context's start_ns: exactly the live JSON */
	assert_int_equal(run(4, "--json", "-o", path("exact.out"), path("exact.jsonl")), 0);
	replay = slurp(path("exact.out"));
	assert_string_equal(replay, live);
	free(replay);
	/* without it (the opening line dropped): the 6-decimal times are all there is */
	nostart = strdup(strchr(live, '\n') + 1);
	assert_null(strstr(nostart, "start_ns"));
	spit(path("exact-nostart.jsonl"), nostart);
	assert_int_equal(run(4, "--json", "-o", path("exact.out"), path("exact-nostart.jsonl")), 0);
	replay = slurp(path("exact.out"));
	assert_non_null(strstr(replay, "\"madvise_to_pmd_s\":1.492685}"));
	free(replay);
	free(nostart);
	/* an edited ts_ns that disagrees with t: t wins */
	f = fopen(path("edited.jsonl"), "w");
	fprintf(f, "{\"event\":\"context\",\"start_ns\":%llu}\n", (unsigned long long)start);
	fprintf(f, "{\"event\":\"exec\",\"t\":0.5,\"ts_ns\":%llu,\"pid\":1,\"tgid\":1,\"comm\":\"x\",\"via\":\"tracepoint\"}\n",
		(unsigned long long)start + 7000000000ULL);
	fclose(f);
	assert_int_equal(run(3, "-o", path("edited.txt"), path("edited.jsonl")), 0);
	replay = slurp(path("edited.txt"));
	assert_non_null(strstr(replay, "  0.500000 exec "));
	free(replay);
	free(live);
}

static void test_without_summary(void **state)
{
	struct thp_event v[32];
	size_t n = all_events(v);
	char *txt;

	(void)state;
	{
		FILE *f = fopen(path("nosum.jsonl"), "w");

		for (size_t k = 0; k < n; k++)
			json_event(f, &v[k], NULL);
		fclose(f);
	}
	assert_int_equal(run(3, "-o", path("nosum.txt"), path("nosum.jsonl")), 0);
	txt = slurp(path("nosum.txt"));
	/* counted from the events, stopped at the end of the input */
	assert_non_null(strstr(txt, "summary: 3.013 s traced, stopped: end of input\n"));
	assert_non_null(strstr(txt, "  lost: 17\n"));
	assert_non_null(strstr(txt, " madvise=2 "));
	assert_non_null(strstr(txt, " state=3\n"));
	assert_null(strstr(txt, "exit status"));
	free(txt);
}

static const char *const good[] = {
	"{\"event\":\"exec\",\"schema_version\":1,\"t\":0.000412,\"ts_ns\":1,\"pid\":4242,\"tgid\":4242,\"comm\":\"thp_demo\",\"via\":\"tracepoint\",\"mm\":1,\"target_pid\":4242,\"file\":\"thp_demo\"}",
	"{\"event\":\"madvise\",\"schema_version\":1,\"t\":0.010523,\"ts_ns\":2,\"pid\":4242,\"tgid\":4242,\"comm\":\"thp_demo\",\"via\":\"fexit\",\"mm\":1,\"target_pid\":4242,\"addr\":\"0x7f3a4c000000\",\"len\":2097152,\"behavior\":\"MADV_HUGEPAGE\",\"advice\":14,\"ret\":0}",
	"{\"event\":\"state\",\"schema_version\":1,\"t\":0.010811,\"ts_ns\":3,\"pid\":4242,\"tgid\":4242,\"comm\":\"\",\"via\":\"pagemap\",\"mm\":1,\"target_pid\":4242,\"region\":\"0x7f3a4c000000\",\"state\":\"pte\",\"thp\":false,\"present\":512}",
};

static void test_bad_lines(void **state)
{
	char text[8192], *out;
	int rc;

	(void)state;
	snprintf(text, sizeof(text),
		 "%s\n"
		 "this is not json\n"					/* 2 */
		 "\n"							/* 3: blank, ignored */
		 "{\"event\":\"bogus\",\"t\":1}\n"			/* 4 */
		 "{\"event\":\"fault\",\"t\":\"soon\"}\n"		/* 5 */
		 "{\"event\":\"fault\",\"pid\":1}\n"			/* 6: no t */
		 "{\"t\":1}\n"						/* 7 */
		 "{\"event\":\"state\",\"t\":1,\"region\":\"0x1\",\"state\":\"huge\"}\n"	/* 8 */
		 "{\"event\":\"madvise\",\"t\":1,\"via\":\"magic\"}\n"	/* 9 */
		 "{\"event\":\"fault\",\"t\":1,\"pid\":4294967296}\n"	/* 10 */
		 "{\"event\":\"verdict\",\"region\":\"0x0\",\"reason\":\"huge\"}\n"	/* skipped */
		 "{\"event\":\"probe\",\"probe\":\"x\"}\n"		/* skipped */
		 "%s\n"
		 "%s\n"
		 "{\"event\":\"summary\",\"t\":2.5,\"stopped\":\"duration\",\"lost\":0,\"counts\":7}\n" /* 15 */
		 "{\"event\":\"state\",\"t\":1.1,\"comm\":\"thp_d",	/* 16: cut short */
		 good[0], good[1], good[2]);
	spit(path("bad.jsonl"), text);
	rc = run(3, "-o", path("bad.txt"), path("bad.jsonl"));
	assert_int_equal(rc, 1);
	assert_non_null(strstr(err_text, "thptrace: report: line 2: not a JSON object: column 1: expected '{'"));
	assert_null(strstr(err_text, "line 3:"));
	assert_non_null(strstr(err_text, "line 4: unknown event \"bogus\""));
	assert_non_null(strstr(err_text, "line 5: fault: \"t\": expected a number"));
	assert_non_null(strstr(err_text, "line 6: fault: no \"t\""));
	assert_non_null(strstr(err_text, "line 7: no \"event\" key"));
	assert_non_null(strstr(err_text, "line 8: state: \"state\": unknown page state \"huge\""));
	assert_non_null(strstr(err_text, "line 9: madvise: \"via\": unknown mechanism \"magic\""));
	assert_non_null(strstr(err_text, "line 10: fault: \"pid\": 4294967296 is out of range"));
	assert_null(strstr(err_text, "line 11:"));
	assert_null(strstr(err_text, "line 12:"));
	assert_non_null(strstr(err_text, "line 15: summary: \"counts\": expected an object"));
	assert_non_null(strstr(err_text, "line 16: incomplete last line (the file was cut short?)"));
	assert_non_null(strstr(err_text, "thptrace: report: 10 of 16 lines could not be parsed"));
	/* still a full report of the good lines */
	out = slurp(path("bad.txt"));
	assert_int_equal(count(out, "thp_demo"), 3);
	assert_non_null(strstr(out, "mappings (1, with 1 region; "));
	assert_non_null(strstr(out, "stopped: end of input"));
	free(out);
}

static void test_message_cap_and_long_lines(void **state)
{
	FILE *f = fopen(path("many.jsonl"), "w");

	(void)state;
	assert_non_null(f);
	fprintf(f, "%s\n", good[0]);
	for (int k = 0; k < 30; k++)
		fprintf(f, "{\"event\":\"fault\",\"t\":%d,}\n", k);
	/* a line far over the limit, then a good one after it */
	fputc('{', f);
	for (int k = 0; k < 200000; k++)
		fputc('x', f);
	fprintf(f, "\n%s\n", good[1]);
	/* NUL bytes in a line */
	fwrite("{\"event\":\"exec\",\"t\":1}\0\n", 1, 24, f);
	fclose(f);
	assert_int_equal(run(3, "-o", path("many.txt"), path("many.jsonl")), 1);
	assert_int_equal(count(err_text, "thptrace: report: line "), 20);
	assert_non_null(strstr(err_text, "... and 12 more unparseable lines not shown"));
	assert_non_null(strstr(err_text, "32 of 34 lines could not be parsed"));
	{
		char *out = slurp(path("many.txt"));

		assert_non_null(strstr(out, "MADV_HUGEPAGE len=2097152"));
		free(out);
	}
	/* the long line alone: its message */
	f = fopen(path("long.jsonl"), "w");
	fputc('{', f);
	for (int k = 0; k < 70000; k++)
		fputc(' ', f);
	fputs("}\n", f);
	fclose(f);
	assert_int_equal(run(3, "-o", "/dev/null", path("long.jsonl")), 1);
	assert_non_null(strstr(err_text, "line 1: longer than 65536 bytes"));
}

/* context and region_file lines, as thptrace writes them, reach the
 * verdicts, before or after the event that creates the region; they are
 * echoed into JSON output as they were. */
static void test_context_and_region_file(void **state)
{
	char text[8192], *out;

	(void)state;
	/* region_file before its region exists; a tmpfs with huge=never */
	snprintf(text, sizeof(text),
		 "{\"event\":\"context\",\"schema_version\":1,\"start_ns\":1000,\"thp_enabled\":\"madvise\",\"shmem_enabled\":\"advise\",\"defrag\":\"madvise\",\"scan_sleep_ms\":10000,\"pages_to_scan\":4096,\"full_scans_start\":3,\"read_only_thp_for_fs\":1}\n"
		 "{\"event\":\"region_file\",\"schema_version\":1,\"mm\":1,\"region\":\"0x7f3a4c000000\",\"file\":\"/mnt/thp/thp_demo\",\"tmpfs_huge\":\"never\",\"is_shmem\":1,\"open_for_write\":0,\"fully_mapped\":1,\"file_aligned\":1}\n"
		 "%s\n%s\n%s\n"
		 "{\"event\":\"context\",\"schema_version\":1,\"full_scans_end\":3,\"duration_s\":0.500000}\n",
		 good[0], good[1], good[2]);
	spit(path("ctx.jsonl"), text);
	assert_int_equal(run(3, "-o", path("ctx.txt"), path("ctx.jsonl")), 0);
	out = slurp(path("ctx.txt"));
	assert_non_null(strstr(out, "0x7f3a4c000000-0x7f3a4c200000 /mnt/thp/thp_demo (pid 4242, mm 1)"));
	assert_non_null(strstr(out, "reason: not_eligible"));
	assert_non_null(strstr(out, "its tmpfs mount has huge=never"));
	free(out);
	/* the JSON output keeps those lines where they were, verbatim */
	assert_int_equal(run(4, "--json", "-o", path("ctx.out.jsonl"), path("ctx.jsonl")), 0);
	out = slurp(path("ctx.out.jsonl"));
	assert_true(strncmp(out, text, strlen(text) - 1) == 0);
	assert_non_null(strstr(out, "\"reason\":\"not_eligible\""));
	free(out);

	/* region_file after the event; not scanned, with the scan period */
	snprintf(text, sizeof(text),
		 "{\"event\":\"context\",\"start_ns\":1000,\"thp_enabled\":\"always\",\"shmem_enabled\":\"never\",\"defrag\":\"madvise\",\"scan_sleep_ms\":10000,\"pages_to_scan\":4096,\"full_scans_start\":3,\"read_only_thp_for_fs\":1}\n"
		 "%s\n%s\n"
		 "{\"event\":\"region_file\",\"mm\":1,\"region\":\"0x7f3a4c000000\",\"file\":\"/data/f\",\"tmpfs_huge\":\"\",\"is_shmem\":0,\"open_for_write\":0,\"fully_mapped\":1,\"file_aligned\":1}\n"
		 "%s\n"
		 "{\"event\":\"summary\",\"t\":0.5,\"stopped\":\"target exited\",\"exit_status\":0,\"lost\":0,\"counts\":{\"exec\":1,\"madvise\":1,\"state\":1,\"future_kind\":9}}\n",
		 good[0], good[1], good[2]);
	spit(path("ctx2.jsonl"), text);
	assert_int_equal(run(3, "-o", path("ctx2.txt"), path("ctx2.jsonl")), 0);
	out = slurp(path("ctx2.txt"));
	assert_non_null(strstr(out, "/data/f (pid 4242, mm 1)"));
	assert_non_null(strstr(out, "reason: not_scanned"));
	assert_non_null(strstr(out, "scan period 10000 ms"));
	assert_non_null(strstr(out, "less than one scan period"));
	assert_non_null(strstr(out, "summary: 0.500 s traced, stopped: target exited, command exit status 0\n"
				    "  events: exec=1 madvise=1 state=1\n  lost: 0\n"));
	free(out);

	/* wrong types in them are bad lines too */
	spit(path("ctx3.jsonl"), "{\"event\":\"context\",\"scan_sleep_ms\":\"fast\"}\n"
				 "{\"event\":\"region_file\",\"mm\":1}\n"
				 "{\"event\":\"region_file\",\"region\":\"0x0\",\"is_shmem\":2}\n");
	assert_int_equal(run(3, "-o", "/dev/null", path("ctx3.jsonl")), 1);
	assert_non_null(strstr(err_text, "line 1: context: \"scan_sleep_ms\": expected an integer"));
	assert_non_null(strstr(err_text, "line 2: region_file: a region_file line needs \"region\""));
	assert_non_null(strstr(err_text, "line 3: region_file: \"is_shmem\": 2 is out of range"));
}

/* A context line with settings but no start_ns (written by hand, or by
 * another tool): input/jsonl.c merges every key a context line has
 * ("each sets the keys it has"), so its settings must reach the verdicts
 * like an opening line's, and what the report writes must not lose them. */
static void test_context_without_start_ns(void **state)
{
	char text[8192], msg[600], *out;
	bool ok;

	(void)state;
	snprintf(text, sizeof(text),
		 "{\"event\":\"context\",\"thp_enabled\":\"always\",\"scan_sleep_ms\":10000,\"pages_to_scan\":4096,\"full_scans_start\":3}\n"
		 "%s\n%s\n%s\n"
		 "{\"event\":\"summary\",\"t\":0.5,\"stopped\":\"target exited\",\"exit_status\":0,\"lost\":0,\"counts\":{\"exec\":1,\"madvise\":1,\"state\":1}}\n",
		 good[0], good[1], good[2]);
	spit(path("ctx4.jsonl"), text);
	assert_int_equal(run(3, "-o", path("ctx4.txt"), path("ctx4.jsonl")), 0);
	out = slurp(path("ctx4.txt"));
	ok = strstr(out, "reason: not_scanned") && strstr(out, "scan period 10000 ms, 4096 pages per pass");
	snprintf(msg, sizeof(msg), "%s", strstr(out, "  why: ") ? strstr(out, "  why: ") : out);
	free(out);
	if (!ok)
		fail_msg("the settings of a context line without start_ns did not reach the verdict:\n%s", msg);
	assert_int_equal(run(4, "--json", "-o", path("ctx4.out.jsonl"), path("ctx4.jsonl")), 0);
	out = slurp(path("ctx4.out.jsonl"));
	ok = strstr(out, "\"scan_sleep_ms\":10000") != NULL;
	free(out);
	if (!ok)
		fail_msg("the JSON report lost the context line's settings (%s)", path("ctx4.out.jsonl"));
}

/* A settings event (a THP knob changed during the run, issue 12) replays
 * to the same line byte for byte, and to the same text; its keys are
 * checked like every other line's. */
static void test_settings_round_trip(void **state)
{
	static const char *const knobs[][3] = {
		{ "shmem_enabled", "never", "advise" },
		{ "hugepages-64kB/enabled", "always", "never" },
	};
	struct thp_event v[4];
	struct run_summary sum;
	size_t n = 0;
	char *live;

	(void)state;
	v[n] = ev(EV_MADVISE, 0.010523);
	v[n].addr = R0;
	v[n].len = 2 << 20;
	v[n].behavior = 14;
	v[n++].fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
	for (size_t k = 0; k < 2; k++) {
		v[n] = ev(EV_SETTINGS, 0.7);
		v[n].via = VIA_ID_SYSFS;
		v[n].pid = v[n].tgid = v[n].target_pid = 0;
		v[n].mm_id = 0;
		v[n].comm[0] = 0;
		v[n].fields = EVF_KNOB;
		snprintf(v[n].knob, sizeof(v[n].knob), "%s", knobs[k][0]);
		snprintf(v[n].value, sizeof(v[n].value), "%s", knobs[k][1]);
		snprintf(v[n].old_value, sizeof(v[n].old_value), "%s", knobs[k][2]);
		n++;
	}
	sum = summary_of(v, n);
	live_run(v, n, &sum, START_NS, true, path("settings.jsonl"), NULL);
	live = slurp(path("settings.jsonl"));
	assert_non_null(strstr(live, "{\"event\":\"settings\",\"schema_version\":1,\"t\":0.700000,\"ts_ns\":5700000000,\"pid\":0,"
				     "\"tgid\":0,\"comm\":\"\",\"via\":\"sysfs\",\"knob\":\"shmem_enabled\","
				     "\"value\":\"never\",\"old\":\"advise\"}\n"));
	assert_non_null(strstr(live, ",\"settings\":2}"));	/* counted once it happened */
	free(live);
	assert_int_equal(run(4, "--json", "-o", path("settings.out.jsonl"), path("settings.jsonl")), 0);
	assert_string_equal(err_text, "");
	assert_same_file(path("settings.jsonl"), path("settings.out.jsonl"));
	/* the text of the live run and of the replay */
	live_run(v, n, &sum, START_NS, false, path("settings.txt"), NULL);
	assert_int_equal(run(3, "-o", path("settings.out.txt"), path("settings.jsonl")), 0);
	assert_same_file(path("settings.txt"), path("settings.out.txt"));
	live = slurp(path("settings.txt"));
	assert_non_null(strstr(live, "  0.700000 settings            -                      -              "
				     "shmem_enabled: advise -> never [sysfs]\n"));
	free(live);
	/* strict: each key there and a string */
	spit(path("settings-bad.jsonl"),
	     "{\"event\":\"settings\",\"t\":1,\"knob\":\"enabled\",\"value\":3,\"old\":\"never\"}\n"
	     "{\"event\":\"settings\",\"t\":1,\"value\":\"always\",\"old\":\"never\"}\n"
	     "{\"event\":\"settings\",\"t\":1,\"knob\":\"enabled\",\"value\":\"always\"}\n");
	assert_int_equal(run(3, "-o", "/dev/null", path("settings-bad.jsonl")), 1);
	assert_non_null(strstr(err_text, "line 1: settings: \"value\": expected a string"));
	assert_non_null(strstr(err_text, "line 2: settings: a settings event needs \"knob\""));
	assert_non_null(strstr(err_text, "line 3: settings: a settings event needs \"old\""));
}

static void test_usage_and_files(void **state)
{
	(void)state;
	/* missing or unreadable input: one line, exit 2 */
	assert_int_equal(run(1, path("does-not-exist.jsonl")), 2);
	assert_non_null(strstr(err_text, "cannot open"));
	assert_non_null(strstr(err_text, "No such file"));
	assert_int_equal(count(err_text, "\n"), 1);
	assert_int_equal(run(1, dir), 2);
	assert_non_null(strstr(err_text, "cannot read"));
	/* usage errors exit 2 (argp) */
	assert_int_equal(run_child(0), 2);
	assert_non_null(strstr(err_text, "which saved file?"));
	assert_int_equal(run_child(2, "a.jsonl", "b.jsonl"), 2);
	assert_non_null(strstr(err_text, "one saved file only"));
	assert_int_equal(run_child(1, "--frobnicate"), 2);
	assert_int_equal(run_child(1, "--help"), 0);
	/* output problems: exit 6; never overwrite the input */
	spit(path("in.jsonl"), "");
	assert_int_equal(run(3, "-o", "/nonexistent-dir/out.txt", path("in.jsonl")), 6);
	assert_non_null(strstr(err_text, "cannot write '/nonexistent-dir/out.txt'"));
	assert_int_equal(run(5, "--svg", "/nonexistent-dir/out.svg", "-o", "/dev/null", path("in.jsonl")), 6);
	assert_non_null(strstr(err_text, "/nonexistent-dir/out.svg"));
	assert_int_equal(run(3, "-o", path("in.jsonl"), path("in.jsonl")), 2);
	assert_non_null(strstr(err_text, "refusing to overwrite"));
	/* an empty trace is a valid trace */
	assert_int_equal(run(3, "-o", path("empty.txt"), path("in.jsonl")), 0);
	{
		char *out = slurp(path("empty.txt"));

		assert_non_null(strstr(out, "no huge-page region of the target saw madvise or THP activity"));
		free(out);
	}
}

static void test_stdin_and_svg(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	spit(path("in2.jsonl"), "{\"event\":\"exec\",\"t\":0.5,\"pid\":1,\"tgid\":1,\"comm\":\"x\",\"via\":\"tracepoint\"}\n");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)"report", (char *)"--svg", (char *)path("in2.svg"), (char *)"-o",
				 (char *)path("in2.txt"), (char *)"-", NULL };

		if (!freopen(path("in2.jsonl"), "r", stdin))
			_exit(99);
		_exit(report_main(6, argv));
	}
	assert_true(waitpid(pid, &st, 0) == pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	{
		char *out = slurp(path("in2.txt")), *svg = slurp(path("in2.svg"));

		assert_non_null(strstr(out, "  0.500000 exec                1/x"));
		assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
		assert_non_null(strstr(svg, "</svg>\n"));
		free(out);
		free(svg);
	}
}

/* schema_version: none is 1 (traces from before it), 1 reads, a bad one
 * is a bad line, a newer one stops the report with exit 8. */
static void test_schema_version(void **state)
{
	const char *exec1 = "{\"event\":\"exec\",\"schema_version\":1,\"t\":0.5,\"pid\":1,\"tgid\":1,"
			    "\"comm\":\"x\",\"via\":\"tracepoint\"}\n";
	char *out;

	(void)state;
	spit(path("v0.jsonl"), "{\"event\":\"exec\",\"t\":0.5,\"pid\":1,\"tgid\":1,\"comm\":\"x\",\"via\":\"tracepoint\"}\n");
	spit(path("v1.jsonl"), exec1);
	assert_int_equal(run(3, "-o", path("v1.txt"), path("v1.jsonl")), 0);
	assert_string_equal(err_text, "");
	assert_int_equal(run(4, "--json", "-o", path("v1.out"), path("v0.jsonl")), 0);	/* none: 1 */
	out = slurp(path("v1.out"));
	assert_non_null(strstr(out, "{\"event\":\"exec\",\"schema_version\":1,\"t\":0.500000,"));
	free(out);

	spit(path("vbad.jsonl"), "{\"event\":\"exec\",\"schema_version\":0,\"t\":1}\n"
				  "{\"event\":\"exec\",\"schema_version\":\"1\",\"t\":1}\n"
				  "{\"event\":\"exec\",\"schema_version\":-1,\"t\":1}\n"
				  "{\"event\":\"exec\",\"schema_version\":1.5,\"t\":1}\n");
	assert_int_equal(run(3, "-o", path("vbad.txt"), path("vbad.jsonl")), 1);
	assert_non_null(strstr(err_text, "line 1: \"schema_version\": 0 is no version"));
	assert_non_null(strstr(err_text, "line 2: \"schema_version\": expected an integer"));
	assert_non_null(strstr(err_text, "line 3: \"schema_version\": expected an unsigned integer"));
	assert_non_null(strstr(err_text, "line 4: \"schema_version\": expected an integer"));

	/* newer, on any line (even one report skips): stop there, exit 8, one line */
	spit(path("v2.jsonl"), "{\"event\":\"exec\",\"t\":0.5,\"pid\":1,\"tgid\":1,\"comm\":\"x\",\"via\":\"tracepoint\"}\n"
				"{\"event\":\"verdict\",\"schema_version\":2,\"region\":\"0x0\"}\n"
				"not json: never read\n");
	assert_int_equal(run(3, "-o", path("v2.txt"), path("v2.jsonl")), 8);
	assert_string_equal(err_text, "thptrace: report: line 2: schema_version 2: written by a newer thptrace "
				      "(this one reads 1)\n");
	out = slurp(path("v2.txt"));
	assert_null(strstr(out, "summary"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_exact),
		cmocka_unit_test(test_exact_times_from_start_ns),
		cmocka_unit_test(test_without_summary),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_message_cap_and_long_lines),
		cmocka_unit_test(test_context_and_region_file),
		cmocka_unit_test(test_context_without_start_ns),
		cmocka_unit_test(test_usage_and_files),
		cmocka_unit_test(test_stdin_and_svg),
		cmocka_unit_test(test_settings_round_trip),
		cmocka_unit_test(test_schema_version),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
