/* Unit tests for src/sinks/svg.c: every picture is drawn from what
 * regions_feed/regions_finish made of a hand-written event stream (shaped
 * like what the tracer records), so the SVG shows what the state machine
 * produced: the demo's chain (bands, markers, verdict "huge"), a refused
 * PMD (refaulted_as_pte), escaping of hostile names, 50 regions over an
 * hour (every drawn element inside its lane, merged markers), the lane
 * cap, determinism, and XML that parses. */
#include <locale.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "model/regions.h"
#include <time.h>
#include "model/mappings.h"
#include "sinks/explain.h"
#include "sinks/output.h"
#include "sinks/svg.h"

#define R0 0x7f0000000000ULL
#define MB2 THP_REGION_SIZE
#define PID 4242
#define MM 1
#define FILE_PATH "/mnt/thp/data.bin"

/* The layout svg.c draws (svg_draw.h). */
#define PLOT_X0 262.0
#define PLOT_X1 1010.0

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_svg.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	/* TEST_SVG_KEEP=1 keeps the pictures to look at */
	if (getenv("TEST_SVG_KEEP")) {
		fprintf(stderr, "test_svg: pictures kept in %s\n", tmpdir);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define assert_contains(hay, needle)                                                   \
	do {                                                                           \
		if (!strstr((hay), (needle)))                                          \
			fail_msg("the SVG lacks '%s'", (needle));                      \
	} while (0)

/* ---- event streams, as the tracer records them ---- */

static struct thp_event ev(enum ev_kind kind, double t, uint32_t mm)
{
	struct thp_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.t = t;
	e.ts_ns = (uint64_t)(t * 1e9);
	e.pid = e.tgid = e.target_pid = PID;
	e.mm_id = mm;
	snprintf(e.comm, sizeof(e.comm), "thp_demo");
	return e;
}

static void as_khugepaged(struct thp_event *e)
{
	e->pid = e->tgid = 77;
	snprintf(e->comm, sizeof(e->comm), "khugepaged");
}

/* The first line of every recording: the THP settings. */
static void feed_context(struct regions *rs, double duration)
{
	struct thp_context c = {
		.thp_enabled = "madvise", .shmem_enabled = "never", .defrag = "madvise",
		.scan_sleep_ms = 100, .pages_to_scan = 4096, .full_scans_start = 10,
		.full_scans_end = 47, .read_only_thp_for_fs = 0, .duration_s = duration,
	};
	struct thp_event e = ev(EV_CONTEXT, 0, 0);

	e.ctx = &c;
	e.start_ns = 1000000000ULL;
	regions_feed(rs, &e);
}

static void feed_madvise(struct regions *rs, double t, uint64_t addr, uint64_t len, int advice,
			 const char *file)
{
	struct thp_event e = ev(EV_MADVISE, t, MM);

	e.fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET | (file ? EVF_FILE : 0);
	e.addr = addr;
	e.len = len;
	e.behavior = advice;
	if (file)
		snprintf(e.file, sizeof(e.file), "%s", file);
	regions_feed(rs, &e);
}

static void feed_state(struct regions *rs, double t, uint64_t region, enum page_state st, bool thp)
{
	struct thp_event e = ev(EV_STATE, t, MM);

	e.via = VIA_ID_PAGEMAP;
	e.fields = EVF_STATE | EVF_PRESENT;
	e.region = region;
	e.state = st;
	e.thp = thp;
	e.present = st == PS_NONE ? 0 : 512;
	regions_feed(rs, &e);
}

/* khugepaged's, or with comm set, the process's in MADV_COLLAPSE */
static void feed_scan(struct regions *rs, double t, const char *file, const char *result)
{
	struct thp_event e = ev(EV_SCAN_FILE, t, MM);

	as_khugepaged(&e);
	e.via = VIA_ID_TRACEPOINT;
	e.fields = EVF_FILE | EVF_RESULT | EVF_PRESENT;
	e.present = 512;
	snprintf(e.file, sizeof(e.file), "%s", file);
	snprintf(e.result_name, sizeof(e.result_name), "%s", result);
	regions_feed(rs, &e);
}

static void feed_collapse(struct regions *rs, double t, uint64_t addr, const char *file, const char *result,
			  const char *comm)
{
	struct thp_event e = ev(EV_COLLAPSE_FILE, t, MM);

	if (comm)
		snprintf(e.comm, sizeof(e.comm), "%s", comm);
	else
		as_khugepaged(&e);
	e.via = VIA_ID_TRACEPOINT;
	e.fields = EVF_ADDR | EVF_FILE | EVF_RESULT | EVF_PGOFF;
	e.addr = addr;
	snprintf(e.file, sizeof(e.file), "%s", file);
	snprintf(e.result_name, sizeof(e.result_name), "%s", result);
	regions_feed(rs, &e);
}

static void feed_addr(struct regions *rs, enum ev_kind kind, double t, uint64_t addr)
{
	struct thp_event e = ev(kind, t, MM);

	e.fields = EVF_ADDR;
	e.addr = addr;
	if (kind == EV_FAULT) {
		e.errcode = 4;		/* user read */
		e.fields |= EVF_ERRCODE;
	}
	regions_feed(rs, &e);
}

static void feed_set_pmd(struct regions *rs, double t, uint64_t addr, int64_t ret)
{
	struct thp_event e = ev(EV_SET_PMD, t, MM);

	e.via = VIA_ID_FEXIT;
	e.fields = EVF_ADDR | EVF_RET;
	e.addr = addr;
	e.ret = ret;
	regions_feed(rs, &e);
}

/* sched_process_exit of the group leader: no mm any more, only the pid. */
static void feed_exit(struct regions *rs, double t)
{
	regions_feed(rs, &(struct thp_event){ .kind = EV_EXIT, .t = t, .pid = PID, .tgid = PID,
					      .target_pid = PID, .fields = EVF_RET });
}

/* The demo's chain: MADV_HUGEPAGE, khugepaged's collapse, pagemap "none",
 * the refault, pagemap "pmd", exit. */
static void demo_chain(struct regions *rs)
{
	regions_init(rs);
	feed_context(rs, 10.0);
	feed_madvise(rs, 0.01, R0, MB2, 14, FILE_PATH);
	feed_collapse(rs, 4.0, R0, "data.bin", "SCAN_SUCCEED", NULL);
	feed_state(rs, 4.001, R0, PS_NONE, false);
	feed_addr(rs, EV_FAULT, 6.5, R0 + 0x1000);
	feed_state(rs, 6.5002, R0, PS_PMD, true);
	feed_exit(rs, 10.0);
	regions_finish(rs);
}

/* ---- a checker for our own output ---- */

static double attr(const char *tag, const char *end, const char *name, bool *found)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(tag, key);
	if (!p || p > end) {
		*found = false;
		return 0;
	}
	*found = true;
	return strtod(p + strlen(key), NULL);
}

static bool in_tag(const char *tag, const char *end, const char *what)
{
	const char *p = strstr(tag, what);

	return p && p < end;
}

static void check_x(double x, double lo, double hi, const char *what, const char *tag)
{
	if (x < lo - 1e-9 || x > hi + 1e-9)
		fail_msg("%s %.1f outside [%.1f, %.1f] in %.120s", what, x, lo, hi, tag);
}

/* Every element inside each lane group lies inside the lane, and plot
 * elements inside the plot.  Returns the number of lanes. */
static size_t check_lanes(const char *svg)
{
	size_t lanes = 0;
	const char *p = svg;

	while ((p = strstr(p, "<g class=\"lane\""))) {
		const char *end = strstr(p, "</g>"), *tagend = strchr(p, '>'), *q;
		bool f1, f2, f3, f4, f5;
		double y = attr(p, tagend, "data-y", &f1), h = attr(p, tagend, "data-h", &f2);
		double x0 = attr(p, tagend, "data-x0", &f3), x1 = attr(p, tagend, "data-x1", &f4);
		double w = attr(p, tagend, "data-w", &f5);

		assert_non_null(end);
		assert_true(f1 && f2 && f3 && f4 && f5);
		lanes++;
		for (q = tagend + 1; q < end; q++) {
			const char *te;
			bool plot, fx, fy, fw, fh;

			if (*q != '<' || q[1] == '/' || !strncmp(q, "<title>", 7))
				continue;
			te = strchr(q, '>');
			plot = in_tag(q, te, "class=\"st-") || in_tag(q, te, "class=\"mk-");
			if (!strncmp(q, "<rect", 5)) {
				double rx = attr(q, te, "x", &fx), ry = attr(q, te, "y", &fy);
				double rw = attr(q, te, "width", &fw), rh = attr(q, te, "height", &fh);

				assert_true(fx && fy && fw && fh);
				assert_true(rw > 0 && rh > 0);
				check_x(rx, plot ? x0 : 0, plot ? x1 : w, "rect x", q);
				check_x(rx + rw, plot ? x0 : 0, plot ? x1 : w, "rect right", q);
				check_x(ry, y, y + h, "rect y", q);
				check_x(ry + rh, y, y + h, "rect bottom", q);
			} else if (!strncmp(q, "<circle", 7)) {
				double cx = attr(q, te, "cx", &fx), cy = attr(q, te, "cy", &fy);
				double r = attr(q, te, "r", &fw);

				assert_true(fx && fy && fw && plot);
				check_x(cx - r, x0, x1, "circle left", q);
				check_x(cx + r, x0, x1, "circle right", q);
				check_x(cy - r, y, y + h, "circle top", q);
				check_x(cy + r, y, y + h, "circle bottom", q);
			} else if (!strncmp(q, "<polygon", 8)) {
				const char *pts = strstr(q, "points=\"") + 8;
				char *e2;

				assert_true(plot);
				while (*pts != '"') {
					double px = strtod(pts, &e2), py;

					assert_true(*e2 == ',');
					py = strtod(e2 + 1, &e2);
					check_x(px, x0, x1, "polygon x", q);
					check_x(py, y, y + h, "polygon y", q);
					pts = e2;
					while (*pts == ' ')
						pts++;
				}
			} else if (!strncmp(q, "<text", 5)) {
				double tx = attr(q, te, "x", &fx), ty = attr(q, te, "y", &fy);

				assert_true(fx && fy);
				check_x(ty, y, y + h, "text baseline", q);
				if (strstr(q, "class=\"mk-count\"") == q + 6) {
					/* digits are at most 5 px wide at font-size 8 */
					size_t digits = strspn(te + 1, "0123456789");

					if (in_tag(q, te, "text-anchor=\"end\""))
						check_x(tx - 5.0 * digits, x0, x1, "count left", q);
					else
						check_x(tx + 5.0 * digits, x0, x1, "count right", q);
				} else if (strstr(q, "class=\"verdict\"") == q + 6) {
					check_x(tx, x1, w - 150, "verdict x", q);
				} else {
					check_x(tx, 0, x0 - 245, "label x", q);
				}
			} else {
				fail_msg("unexpected element in a lane: %.60s", q);
			}
		}
		p = end;
	}
	return lanes;
}

/* Bytes are UTF-8, with no control characters but newlines. */
static void check_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\n')
			fail_msg("control byte 0x%02x at %zu", c, i);
		if (c == 0x7f)
			fail_msg("DEL at %zu", i);
	}
}

/* Python's XML parser reads the file and finds `lanes` lanes (skipped
 * without python3). */
static void check_xml(const char *path, size_t lanes)
{
	char cmd[512];
	int rc;

	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		print_message("test_svg: no python3, XML not parsed\n");
		return;
	}
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, xml.etree.ElementTree as ET\n"
		 "r = ET.parse(sys.argv[1]).getroot()\n"
		 "assert r.tag == \"{http://www.w3.org/2000/svg}svg\", r.tag\n"
		 "n = sum(1 for g in r.iter(\"{http://www.w3.org/2000/svg}g\") if g.get(\"class\") == \"lane\")\n"
		 "sys.exit(0 if n == int(sys.argv[2]) else \"%%d lanes\" %% n)' '%s' %zu",
		 path, lanes);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("%s does not parse as XML with %zu lanes", path, lanes);
}

static char *write_svg(const struct regions *rs, double t_end, uint64_t lost, const char *name,
		       size_t *len)
{
	struct svg_info info = { .t_end = t_end, .lost = lost };
	char path[128], err[256] = "";

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (svg_write(rs, &info, path, err, sizeof(err)) != 0)
		fail_msg("svg_write: %s", err);
	check_xml(path, rs ? (rs->n < 400 ? rs->n : 400) : 0);
	return slurp(path, len);
}

/* What the SVG must hold for s: & < > " ' as entities, control
 * characters (C0, DEL, C1) dropped, 0xff bytes and U+FFFF as U+FFFD (the
 * only bytes that are not UTF-8 these tests use). */
static const char *xml_esc(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; *s && k + 7 < n; s++) {
		const unsigned char c = (unsigned char)*s;
		const char *e = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;"
			      : c == '"' ? "&quot;" : c == '\'' ? "&apos;" : c == 0xff ? "\xef\xbf\xbd" : NULL;

		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] < 0xa0) {
			s++;
			continue;
		}
		if (c == 0xef && (unsigned char)s[1] == 0xbf && (unsigned char)s[2] == 0xbf) {
			e = "\xef\xbf\xbd";
			s += 2;
		}
		if (e)
			k += (size_t)snprintf(out + k, n - k, "%s", e);
		else
			out[k++] = *s;
	}
	out[k] = 0;
	return out;
}

/* Lane i's part of the SVG (a copy). */
static char *lane_of(const char *svg, size_t i)
{
	char id[48];
	const char *p, *end;
	char *s;

	snprintf(id, sizeof(id), "id=\"lane-%zu\"", i);
	p = strstr(svg, id);
	assert_non_null(p);
	end = strstr(p, "</g>");
	assert_non_null(end);
	s = strndup(p, (size_t)(end - p));
	assert_non_null(s);
	return s;
}

struct band {
	char cls[16];
	double x, w;
};

/* The state bands of a lane, left to right. */
static size_t bands_of(const char *lane, struct band *b, size_t max)
{
	size_t n = 0;

	for (const char *p = lane; (p = strstr(p, "<rect class=\"st-")) && n < max; p++) {
		const char *te = strchr(p, '>');
		bool fx, fw;

		b[n].cls[0] = 0;
		sscanf(p + 13, "%15[^\"]", b[n].cls);
		b[n].x = attr(p, te, "x", &fx);
		b[n].w = attr(p, te, "width", &fw);
		assert_true(fx && fw);
		n++;
	}
	return n;
}

static double px(double t, double T)
{
	double x = PLOT_X0 + t / T * (PLOT_X1 - PLOT_X0);

	return x < PLOT_X0 ? PLOT_X0 : x > PLOT_X1 ? PLOT_X1 : x;
}

static double rnd(double v)
{
	return (double)(long long)(v + 0.5);
}

/* Every milestone's words are in the lane (escaped), and its verdict with
 * explain_why's text as the tooltip. */
static void check_words(const char *lane, const struct region *r)
{
	char buf[EXPLAIN_WHY_MAX], esc[4 * EXPLAIN_WHY_MAX], want[4 * EXPLAIN_WHY_MAX + 64];

	for (size_t i = 0; i < r->n_milestones; i++) {
		enum ms_kind k = r->ms[i].kind;

		if (k == MS_PMD_MAPPED || k == MS_PTE_MAPPED || k == MS_UNMAPPED)
			continue;	/* shown by the band, no marker */
		explain_milestone(&r->ms[i], buf, sizeof(buf));
		assert_contains(lane, xml_esc(buf, esc, sizeof(esc)));
	}
	explain_why(r, buf, sizeof(buf));
	assert_true(buf[0] != 0);
	snprintf(want, sizeof(want), ">%s<title>%s</title>", verdict_reason_name(r->reason),
		 xml_esc(buf, esc, sizeof(esc)));
	assert_contains(lane, want);
}

/* ---- tests ---- */

static void test_demo_chain(void **state)
{
	struct regions rs, again;
	const struct region *r;
	struct band b[8];
	char *svg, *svg2, *svg3, *lane;
	size_t n, n2, n3, nb;
	const double T = 10.0 * 1.02;

	(void)state;
	demo_chain(&rs);
	assert_int_equal(rs.n, 1);
	r = &rs.v[0];
	assert_int_equal(r->reason, VR_HUGE);
	svg = write_svg(&rs, 10.0, 0, "demo.svg", &n);
	check_bytes(svg, n);
	assert_int_equal(check_lanes(svg), 1);
	assert_contains(svg, "width=\"1200\"");
	assert_contains(svg, "1 region, 10.000 s traced</text>");
	/* ticks every 2 s for 10 s: 0 2 4 6 8 10, at the top and the bottom */
	assert_contains(svg, "ticks every 2 s");
	assert_int_equal(count(svg, ">10</text>"), 2);
	assert_int_equal(count(svg, ">8</text>"), 2);

	lane = lane_of(svg, 0);
	assert_contains(lane, "data-region=\"0x7f0000000000\"");
	assert_contains(lane, ">0x7f0000000000-0x7f0000200000<title>" FILE_PATH " (pid 4242, mm 1)</title>");
	assert_contains(lane, ">" FILE_PATH "<title>");
	/* bands: not sampled yet, then not present from pagemap's "none", then
	 * the huge page from pagemap's "pmd", to the end of the plot */
	nb = bands_of(lane, b, 8);
	assert_int_equal(nb, 3);
	assert_string_equal(b[0].cls, "st-unknown");
	assert_string_equal(b[1].cls, "st-none");
	assert_string_equal(b[2].cls, "st-pmd");
	assert_true(b[0].x == PLOT_X0);
	assert_int_equal(r->n_changes, 2);
	assert_true(b[1].x == rnd(px(r->chg[0].t, T)));
	assert_true(b[2].x == rnd(px(r->chg[1].t, T)));
	assert_true(b[1].x >= rnd(px(4.0, T)) && b[1].x <= rnd(px(4.001, T)));
	assert_true(b[2].x == rnd(px(6.5002, T)));
	assert_true(b[0].x + b[0].w == b[1].x && b[1].x + b[1].w == b[2].x);
	assert_true(b[2].x + b[2].w == PLOT_X1);
	assert_contains(lane, "<title>not present, 4.00");
	assert_contains(lane, "<title>huge page (PMD-mapped), 6.500 s to 10.200 s</title>");
	/* one marker per milestone; pmd_mapped shows as the band */
	assert_int_equal(count(lane, "class=\"mk-madvise\""), 1);
	assert_int_equal(count(lane, "class=\"mk-scan\""), 1);
	assert_int_equal(count(lane, "class=\"mk-collapse-ok\""), 1);
	assert_int_equal(count(lane, "class=\"mk-collapse-fail\""), 0);
	assert_int_equal(count(lane, "class=\"mk-clear\""), 1);
	assert_int_equal(count(lane, "class=\"mk-refault\""), 1);
	assert_int_equal(count(lane, "class=\"mk-refused\""), 0);
	assert_int_equal(count(lane, "class=\"mk-exit\""), 1);
	assert_int_equal(count(lane, "class=\"mk-count\""), 0);
	assert_contains(lane, ">madvise at 0.010 s: MADV_HUGEPAGE</title>");
	assert_contains(lane, ">collapse succeeded at 4.000 s: SCAN_SUCCEED by khugepaged</title>");
	assert_contains(lane, ">refault at 6.500 s: page fault at 0x7f0000001000 (read)</title>");
	assert_contains(lane, ">process exit at 10.000 s: the process exited</title>");
	/* the legend has one of each */
	assert_int_equal(count(svg, "class=\"mk-refused\""), 1);
	assert_int_equal(count(svg, "class=\"mk-collapse-fail\""), 1);
	/* the verdict, in green, with explain_why as its tooltip */
	assert_contains(lane, "class=\"verdict\"");
	assert_contains(lane, "fill=\"#1a7837\">huge<title>");
	check_words(lane, r);
	free(lane);

	/* same stream, same bytes: again, and from a second replay */
	svg2 = write_svg(&rs, 10.0, 0, "demo-again.svg", &n2);
	demo_chain(&again);
	svg3 = write_svg(&again, 10.0, 0, "demo-replay.svg", &n3);
	assert_int_equal(n, n2);
	assert_memory_equal(svg, svg2, n);
	assert_int_equal(n, n3);
	assert_memory_equal(svg, svg3, n);
	free(svg3);
	free(svg2);
	regions_free(&again);

	/* lost records are told; a later t_end stretches the axis */
	svg2 = write_svg(&rs, 20.0, 7, "demo-lost.svg", &n2);
	assert_contains(svg2, "20.000 s traced; 7 records were lost by the ring buffer</text>");
	assert_contains(svg2, "ticks every 5 s");
	free(svg2);
	/* no svg_info: the axis ends at the last milestone */
	{
		char path[128], err[256] = "";

		snprintf(path, sizeof(path), "%s/demo-noinfo.svg", tmpdir);
		assert_int_equal(svg_write(&rs, NULL, path, err, sizeof(err)), 0);
		svg2 = slurp(path, NULL);
		assert_contains(svg2, "1 region, 10.000 s traced</text>");
		free(svg2);
	}
	free(svg);
	regions_free(&rs);
}

/* Collapsed, then MADV_NOHUGEPAGE: the refault's do_set_pmd refuses the
 * PMD and small pages come back (6.12 with every probe). */
static void test_refused(void **state)
{
	struct regions rs;
	const struct region *r;
	struct band b[8];
	char *svg, *lane;
	size_t n, nb;

	(void)state;
	regions_init(&rs);
	feed_context(&rs, 8.0);
	feed_madvise(&rs, 0.01, R0, MB2, 14, FILE_PATH);
	feed_state(&rs, 0.02, R0, PS_PTE, false);
	feed_scan(&rs, 3.9, "data.bin", "SCAN_SUCCEED");
	feed_addr(&rs, EV_RETRACT, 3.9995, R0);
	feed_addr(&rs, EV_PMDP_COLLAPSE_FLUSH, 3.9996, R0);
	feed_collapse(&rs, 4.0, R0, "data.bin", "SCAN_SUCCEED", NULL);
	feed_state(&rs, 4.001, R0, PS_NONE, false);
	feed_madvise(&rs, 5.0, R0, MB2, 15, NULL);
	feed_addr(&rs, EV_FAULT, 6.0, R0 + 0x2000);
	feed_set_pmd(&rs, 6.0001, R0, 0x800);
	feed_state(&rs, 6.0002, R0, PS_PTE, true);
	feed_exit(&rs, 8.0);
	regions_finish(&rs);
	assert_int_equal(rs.n, 1);
	r = &rs.v[0];

	svg = write_svg(&rs, 8.0, 0, "refused.svg", &n);
	check_bytes(svg, n);
	assert_int_equal(check_lanes(svg), 1);
	lane = lane_of(svg, 0);
	nb = bands_of(lane, b, 8);
	assert_int_equal(nb, 4);
	assert_string_equal(b[0].cls, "st-unknown");
	assert_string_equal(b[1].cls, "st-pte");
	assert_string_equal(b[2].cls, "st-none");
	assert_string_equal(b[3].cls, "st-pte");
	assert_true(b[2].x < b[3].x);
	/* MADV_HUGEPAGE and MADV_NOHUGEPAGE: two madvise markers, far apart */
	assert_int_equal(count(lane, "class=\"mk-madvise\""), 2);
	assert_contains(lane, ">madvise at 5.000 s: MADV_NOHUGEPAGE</title>");
	/* retract + pmdp flush: one clear (the model keeps one) */
	assert_int_equal(count(lane, "class=\"mk-clear\""), 1);
	assert_int_equal(count(lane, "class=\"mk-refault\""), 1);
	assert_int_equal(count(lane, "class=\"mk-refused\""), 1);
	assert_contains(lane, ">PMD refused at 6.000 s: do_set_pmd returned 0x800");
	check_words(lane, r);
	assert_int_equal(r->reason, VR_REFAULTED_AS_PTE);
	assert_contains(lane, ">refaulted_as_pte<title>");
	free(lane);
	free(svg);
	regions_free(&rs);
}

/* More state changes and milestones than a region keeps: the model drops
 * its oldest changes and its latest milestones, and the SVG says so. */
static void test_dropped(void **state)
{
	struct regions rs;
	const struct region *r;
	struct band b[REGION_MAX_CHANGES + 8];
	char *svg, *lane, want[160], s0[32];
	size_t n, nb;

	(void)state;
	regions_init(&rs);
	feed_context(&rs, 10.0);
	feed_madvise(&rs, 0.01, R0, MB2, 14, FILE_PATH);
	for (int k = 0; k < 140; k++)	/* each split back to small pages: a milestone */
		feed_state(&rs, 0.05 + 0.065 * k, R0, k % 2 ? PS_PMD : PS_PTE, false);
	regions_finish(&rs);
	r = &rs.v[0];
	assert_int_equal(r->n_changes, REGION_MAX_CHANGES);
	assert_true(r->dropped_changes > 0);
	assert_true(r->dropped_milestones > 0);

	svg = write_svg(&rs, 10.0, 0, "dropped.svg", &n);
	assert_int_equal(check_lanes(svg), 1);
	lane = lane_of(svg, 0);
	nb = bands_of(lane, b, sizeof(b) / sizeof(b[0]));
	/* "not known" before the first change kept, then every change kept */
	assert_int_equal(nb, REGION_MAX_CHANGES + 1);
	assert_string_equal(b[0].cls, "st-unknown");
	snprintf(s0, sizeof(s0), "%.3f", r->chg[0].t);
	snprintf(want, sizeof(want), "<title>not known: %zu earlier state changes not kept, 0.000 s to %s s</title>",
		 r->dropped_changes, s0);
	assert_contains(lane, want);
	snprintf(want, sizeof(want), " (pid 4242, mm 1); %zu later milestones not kept</title>",
		 r->dropped_milestones);
	assert_contains(lane, want);
	snprintf(want, sizeof(want), "; %zu milestones not kept in 1 lane (each keeps its first %d)</text>",
		 r->dropped_milestones, REGION_MAX_MILESTONES);
	assert_contains(svg, want);
	free(lane);
	free(svg);
	regions_free(&rs);
}

static void test_escaping(void **state)
{
	static const char hostile[] = "a<b&\"c'.so\t\x1b\x7f\xc2\x85\xff\xef\xbf\xbfz";
	struct regions rs;
	char *svg, *lane;
	size_t n;

	(void)state;
	regions_init(&rs);
	feed_context(&rs, 3.0);
	/* <, &, both quotes; a tab, an ESC, DEL, a C1 control, a stray byte, U+FFFF */
	feed_madvise(&rs, 0.1, R0, MB2, 14, "/mnt/x/a<b&\"c'.so\t\x1b\x7f\xc2\x85\xff\xef\xbf\xbfz");
	/* the scan names the file by its base name, with a hostile result */
	feed_scan(&rs, 1.0, hostile, "SCAN_<&>\"'");
	/* MADV_COLLAPSE by a process with a hostile name */
	feed_collapse(&rs, 2.0, R0, hostile, "SCAN_<&>\"'", "<script>x");
	regions_finish(&rs);
	assert_int_equal(rs.n, 1);

	svg = write_svg(&rs, 3.0, 0, "esc.svg", &n);
	check_bytes(svg, n);
	assert_int_equal(check_lanes(svg), 1);
	assert_contains(svg, "/mnt/x/a&lt;b&amp;&quot;c&apos;.so\xef\xbf\xbd\xef\xbf\xbdz");
	assert_null(strstr(svg, "a<b"));
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "SCAN_<"));
	assert_contains(svg, "SCAN_&lt;&amp;&gt;&quot;&apos; by khugepaged");
	assert_contains(svg, "by MADV_COLLAPSE (&lt;script&gt;x)");
	lane = lane_of(svg, 0);
	assert_int_equal(count(lane, "class=\"mk-scan\""), 1);
	assert_int_equal(count(lane, "class=\"mk-collapse-fail\""), 1);
	check_words(lane, &rs.v[0]);
	free(lane);
	free(svg);
	regions_free(&rs);
}

/* The largest number n written as ">n<suffix". */
static long max_merged(const char *svg, const char *suffix)
{
	long best = 0;

	for (const char *p = svg; (p = strstr(p, suffix)); p++) {
		const char *q = p;

		while (q > svg && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if (q < p && q > svg && q[-1] == '>')
			best = strtol(q, NULL, 10) > best ? strtol(q, NULL, 10) : best;
	}
	return best;
}

static void test_fifty_regions_hour(void **state)
{
	static const char *const results[] = { "SCAN_PAGE_LRU", "SCAN_ALLOC_HUGE_PAGE_FAIL",
					       "SCAN_PAGE_COUNT", "SCAN_EXCEED_NONE_PTE" };
	struct regions rs;
	uint32_t x = 1;
	size_t n, events = 0, dropped = 0;
	char *svg, *lane, want[256], esc[256], det[256];
	const struct milestone *m = NULL;

	(void)state;
	regions_init(&rs);
	feed_context(&rs, 3600.0);
	/* 50 regions of their own file each, then two more for the bursts */
	for (int r = 0; r < 52; r++) {
		char file[96];

		snprintf(file, sizeof(file), "/usr/lib/x86_64-linux-gnu/libvery-long-name-number-%02d.so.1.2.3", r);
		feed_madvise(&rs, 0, R0 + (uint64_t)r * MB2, MB2, 14, file);
	}
	/* a burst in the first pixel column of lane 51: two results alternating */
	for (int k = 0; k < 30; k++)
		feed_collapse(&rs, 0.0001, R0 + 51 * MB2, "libvery-long-name-number-51.so.1.2.3",
			      results[k % 2], NULL);
	for (double t = 0.25; t < 3600; t += 0.25) {
		int r = (int)(x % 50);
		uint64_t a = R0 + (uint64_t)r * MB2;
		char base[64];

		x = x * 1103515245u + 12345u;
		snprintf(base, sizeof(base), "libvery-long-name-number-%02d.so.1.2.3", r);
		switch ((x >> 16) % 8) {
		case 0:
			feed_scan(&rs, t, base, (x >> 20) % 2 ? "SCAN_SUCCEED" : results[(x >> 21) % 4]);
			break;
		case 1:
			feed_collapse(&rs, t, a, base, results[(x >> 20) % 4], NULL);
			break;
		case 2:
			feed_addr(&rs, EV_PMDP_COLLAPSE_FLUSH, t, a);
			feed_collapse(&rs, t, a, base, "SCAN_SUCCEED", NULL);
			break;
		case 3:
			feed_state(&rs, t, a, (enum page_state)(1 + (x >> 18) % 3), false);
			break;
		case 4:
			feed_addr(&rs, EV_FAULT, t, a + 8192);
			break;
		case 5:
			feed_set_pmd(&rs, t, a, (x >> 20) % 2 ? 0 : 0x800);
			break;
		case 6:
			feed_addr(&rs, EV_MAP_PAGES, t, a);
			break;
		default:
			feed_madvise(&rs, t, a, MB2, (x >> 20) % 2 ? 14 : 15, NULL);
			break;
		}
		events++;
	}
	/* a burst in the last pixel column of lane 50 */
	for (int k = 0; k < 60; k++)
		feed_collapse(&rs, 3600, R0 + 50 * MB2, "libvery-long-name-number-50.so.1.2.3",
			      results[k % 4], NULL);
	regions_finish(&rs);
	assert_true(events > 10000);
	assert_int_equal(rs.n, 52);
	for (size_t i = 0; i < rs.n; i++)
		dropped += rs.v[i].dropped_milestones;

	svg = write_svg(&rs, 3600, 0, "fifty.svg", &n);
	check_bytes(svg, n);
	assert_int_equal(check_lanes(svg), 52);
	/* an hour: ticks every 500 s */
	assert_contains(svg, "ticks every 500 s");
	assert_contains(svg, ">3500</text>");
	/* long file names keep their tail */
	assert_contains(svg, ">…gnu/libvery-long-name-number-07.so.1.2.3<title>");
	/* milestones the model did not keep are told */
	if (dropped) {
		snprintf(want, sizeof(want), "; %zu milestones not kept in ", dropped);
		assert_contains(svg, want);
	} else {
		assert_null(strstr(svg, "not kept"));
	}
	/* merged: each burst is one marker, with its count beside it */
	lane = lane_of(svg, 50);
	assert_int_equal(count(lane, "class=\"mk-collapse-fail\""), 1);
	assert_true(max_merged(lane, "</text>") == 60);
	assert_contains(lane, ">60 × collapse failed, 3600.000 s to 3600.000 s: ");
	free(lane);
	lane = lane_of(svg, 51);
	assert_int_equal(count(lane, "class=\"mk-collapse-fail\""), 1);
	assert_contains(lane, ">30 × collapse failed, ");
	for (size_t i = 0; i < rs.v[51].n_milestones && !m; i++)
		if (rs.v[51].ms[i].kind == MS_COLLAPSE)
			m = &rs.v[51].ms[i];
	assert_non_null(m);
	explain_milestone(m, det, sizeof(det));
	snprintf(want, sizeof(want), ": %s ×15; ", xml_esc(det, esc, sizeof(esc)));
	assert_contains(lane, want);
	free(lane);
	/* readable size: markers merged, at most one per milestone kept */
	assert_true(count(svg, "class=\"mk-") <= 52 * REGION_MAX_MILESTONES + 8);
	for (size_t i = 0; i < 52; i++) {
		lane = lane_of(svg, i);
		assert_int_equal(count(lane, "class=\"verdict\""), 1);
		snprintf(want, sizeof(want), ">%s<title>", verdict_reason_name(rs.v[i].reason));
		assert_contains(lane, want);
		free(lane);
	}
	free(svg);
	regions_free(&rs);
}

static void test_no_regions_and_errors(void **state)
{
	struct regions rs;
	char err[256], path[128], *svg;
	size_t n;

	(void)state;
	regions_init(&rs);
	feed_context(&rs, 1.0);
	regions_finish(&rs);
	svg = write_svg(&rs, 1.0, 0, "empty.svg", &n);
	assert_int_equal(check_lanes(svg), 0);
	assert_contains(svg, "0 regions, 1.000 s traced</text>");
	assert_contains(svg, "no huge-page region");
	assert_contains(svg, "</svg>\n");
	free(svg);
	/* no regions at all, no info: an empty picture */
	snprintf(path, sizeof(path), "%s/null.svg", tmpdir);
	assert_int_equal(svg_write(NULL, NULL, path, err, sizeof(err)), 0);
	svg = slurp(path, NULL);
	assert_contains(svg, "</svg>\n");
	free(svg);
	memset(err, 'X', sizeof(err));
	assert_int_equal(svg_write(&rs, NULL, "/nonexistent-dir/x.svg", err, sizeof(err)), -1);
	assert_contains(err, "/nonexistent-dir/x.svg");
	assert_contains(err, "No such file");
	assert_null(strchr(err, '\n'));
	assert_int_equal(svg_write(&rs, NULL, "", err, sizeof(err)), -1);
	assert_null(strchr(err, '\n'));
	regions_free(&rs);
}

static void test_many_regions_capped(void **state)
{
	struct regions rs;
	char *svg;
	size_t n;

	(void)state;
	regions_init(&rs);
	feed_context(&rs, 2.0);
	feed_madvise(&rs, 1, R0, 450 * MB2, 14, "/f");
	regions_finish(&rs);
	assert_int_equal(rs.n, 450);
	svg = write_svg(&rs, 2.0, 0, "many.svg", &n);
	assert_int_equal(check_lanes(svg), 400);
	assert_contains(svg, "450 regions");
	assert_contains(svg, "only the first 400 regions are drawn");
	/* lanes in the model's order */
	assert_contains(svg, "id=\"lane-0\" data-region=\"0x7f0000000000\"");
	assert_contains(svg, "id=\"lane-399\" data-region=\"0x7f0031e00000\"");
	free(svg);
	regions_free(&rs);
}

/* A 32 GiB heap: 16,384 regions in one mapping, PMD-mapped at fault
 * over 2 s, and a few dozen exceptions: 24 split by mprotect, 12 never
 * touched.  By mapping the picture fits one screen (<= 1,200 px), is
 * drawn well under a second, and has the mapping's lane and its
 * exceptions; the text fits a terminal page. */
#define BIG_N 16384

static void feed_big_heap(struct regions *rs)
{
	struct thp_event e = ev(EV_MMAP, 0.01, MM);

	feed_context(rs, 3.0);
	e.fields = EVF_ADDR | EVF_LEN | EVF_RET;
	e.addr = R0;
	e.len = (uint64_t)BIG_N * MB2;
	regions_feed(rs, &e);
	feed_madvise(rs, 0.02, R0, (uint64_t)BIG_N * MB2, 14, NULL);
	for (uint32_t i = 0; i < BIG_N; i++) {
		struct thp_event s = ev(EV_STATE, 0.1 + 2.0 * i / BIG_N, MM);

		s.via = VIA_ID_PAGEMAP;
		s.fields = EVF_STATE;
		s.region = R0 + (uint64_t)i * MB2;
		s.state = PS_PMD;
		s.thp = true;
		s.present = 512;
		if (i % 1000 == 999) {
			/* untouched, sampled as such: a region only where
			 * madvise made one (the first 1,024) */
			if (i >= 1024)
				continue;
			s.state = PS_NONE;
			s.thp = false;
			s.present = 0;
		}
		regions_feed(rs, &s);
	}
	for (uint32_t k = 0; k < 24; k++) {
		uint64_t a = R0 + (uint64_t)(k * 613 + 7) * MB2;
		struct thp_event m = ev(EV_MPROTECT, 2.5 + k * 0.01, MM), s = ev(EV_STATE, 2.505 + k * 0.01, MM);

		m.fields = EVF_ADDR | EVF_LEN | EVF_RET;
		m.addr = a + 4096;
		m.len = 4096;
		regions_feed(rs, &m);
		s.via = VIA_ID_PAGEMAP;
		s.fields = EVF_STATE;
		s.region = a;
		s.state = PS_PTE;
		s.thp = true;
		s.present = 512;
		regions_feed(rs, &s);
	}
	regions_finish(rs);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_big_heap_by_mapping(void **state)
{
	struct regions *rs = calloc(1, sizeof(*rs));
	struct mappings ms;
	struct svg_info info = { .t_end = 3.0 };
	char path[128], err[256] = "", *svg, *text = NULL, h[32];
	size_t len = 0, lines = 0;
	double t0, took;
	FILE *mf;
	const char *p;

	(void)state;
	assert_non_null(rs);
	regions_init(rs);
	feed_big_heap(rs);
	assert_int_equal(rs->n, BIG_N - 15);
	assert_int_equal(mappings_build(rs, &ms), 0);
	assert_int_equal(ms.n, 1);
	assert_true(ms.v[0].known);
	assert_int_equal(ms.v[0].start, R0);
	assert_int_equal(ms.v[0].end, R0 + (uint64_t)BIG_N * MB2);
	assert_int_equal(ms.v[0].majority, VR_HUGE);
	assert_int_equal(ms.v[0].by_reason[VR_HUGE], BIG_N - 16 - 24);
	assert_int_equal(ms.v[0].by_reason[VR_SPLIT], 24);
	assert_int_equal(ms.v[0].by_reason[VR_UNTOUCHED], 1);
	assert_int_equal(ms.v[0].exceptions, 25);
	assert_int_equal(ms.v[0].huge_how[HUGE_AT_FAULT], BIG_N - 40);
	/* the series ends with every huge region counted, and never above n */
	assert_int_equal(ms.v[0].series[ms.v[0].n_series - 1].huge, BIG_N - 40);
	assert_int_equal(ms.v[0].n, BIG_N - 15);
	for (size_t i = 0; i < ms.v[0].n_series; i++)
		assert_true(ms.v[0].series[i].huge <= BIG_N);

	info.ms = &ms;
	snprintf(path, sizeof(path), "%s/big.svg", tmpdir);
	t0 = now_s();
	assert_int_equal(svg_write(rs, &info, path, err, sizeof(err)), 0);
	took = now_s() - t0;
	assert_true(took < 0.5);
	svg = slurp(path, &len);
	p = strstr(svg, "height=\"");
	assert_non_null(p);
	snprintf(h, sizeof(h), "%.*s", (int)strcspn(p + 8, "\""), p + 8);
	assert_true(atof(h) <= 1200.0);
	assert_contains(svg, "class=\"lane mapping\"");
	assert_contains(svg, "huge 16344/16369");
	assert_contains(svg, "16369 regions in 1 mapping");
	/* the 24 splits as one lane that says how many it stands for; the
	 * untouched one on its own */
	assert_contains(svg, "+23 more like it");
	assert_int_equal(check_lanes(svg), 2);
	check_xml(path, 2);
	free(svg);

	/* the text: a summary and the exceptions, one terminal page */
	mf = open_memstream(&text, &len);
	assert_non_null(mf);
	text_mappings(mf, rs, &ms);
	fclose(mf);
	for (p = text; *p; p++)
		lines += *p == '\n';
	assert_true(lines <= 40);
	assert_non_null(strstr(text, "16344 of 16369 regions huge at fault by"));
	assert_non_null(strstr(text, "24 split"));
	assert_non_null(strstr(text, "split: 24 regions: "));
	assert_non_null(strstr(text, "reason: untouched"));
	free(text);
	mappings_free(&ms);
	regions_free(rs);
	free(rs);
}

/* Numbers are written with a '.' whatever the locale (skipped when no
 * locale with a decimal comma is installed). */
static void test_locale(void **state)
{
	static const char *const comma[] = { "de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8" };
	struct regions rs;
	char *c, *l;
	size_t nc, nl;
	bool have = false;

	(void)state;
	demo_chain(&rs);
	c = write_svg(&rs, 10.0, 0, "locale-c.svg", &nc);
	for (size_t i = 0; i < sizeof(comma) / sizeof(comma[0]) && !have; i++)
		have = setlocale(LC_NUMERIC, comma[i]) != NULL;
	if (!have) {
		free(c);
		regions_free(&rs);
		skip();
	}
	l = write_svg(&rs, 10.0, 0, "locale-comma.svg", &nl);
	setlocale(LC_NUMERIC, "C");
	/* the SVG's own numbers: coordinates, ticks, tooltips' times */
	assert_contains(l, "10.000 s traced");
	assert_contains(l, ">madvise at 0.010 s:");
	assert_null(strstr(l, "=\"262,"));
	assert_int_equal(count(l, "=\""), count(c, "=\""));
	free(l);
	free(c);
	regions_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_chain),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_fifty_regions_hour),
		cmocka_unit_test(test_no_regions_and_errors),
		cmocka_unit_test(test_many_regions_capped),
		cmocka_unit_test(test_big_heap_by_mapping),
		cmocka_unit_test(test_locale),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
