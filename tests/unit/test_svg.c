/* Unit tests for src/svg.c: escaping of hostile file names, one region over
 * 10 s, 50 regions over an hour with tens of thousands of events (every
 * drawn element must stay inside its lane), determinism, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "sinks/svg.h"

#define R0 0x7f0000000000ULL
#define MB2 THP_REGION_SIZE
#define PID 4242

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

static void add_region(struct regions *rs, uint64_t start, uint32_t mm, const char *file,
		       enum verdict_reason reason, const char *why)
{
	struct region *r;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 8;
		rs->v = realloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->mm_id = mm;
	r->pid = PID;
	snprintf(r->file, sizeof(r->file), "%s", file);
	r->reason = reason;
	snprintf(r->why, sizeof(r->why), "%s", why);
}

static struct thp_event ev(enum ev_kind kind, double t, uint32_t mm)
{
	struct thp_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.t = t;
	e.ts_ns = (uint64_t)(t * 1e9);
	e.pid = e.tgid = e.target_pid = PID;
	e.mm_id = mm;
	snprintf(e.comm, sizeof(e.comm), "app");
	return e;
}

static void kh(struct thp_event *e)
{
	e->pid = e->tgid = 77;
	snprintf(e->comm, sizeof(e->comm), "khugepaged");
}

static void feed_madvise(struct svg_trace *s, double t, uint64_t addr, uint64_t len, int advice)
{
	struct thp_event e = ev(EV_MADVISE, t, 1);

	e.addr = addr;
	e.len = len;
	e.behavior = advice;
	e.fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
	svg_trace_event(s, &e);
}

static void feed_state(struct svg_trace *s, double t, uint64_t region, enum page_state st)
{
	struct thp_event e = ev(EV_STATE, t, 1);

	e.via = VIA_ID_PAGEMAP;
	e.region = region;
	e.state = st;
	e.present = st == PS_NONE ? 0 : 512;
	e.fields = EVF_STATE;
	svg_trace_event(s, &e);
}

static void feed_scan(struct svg_trace *s, double t, const char *file, const char *result)
{
	struct thp_event e = ev(EV_SCAN_FILE, t, 1);

	kh(&e);
	snprintf(e.file, sizeof(e.file), "%s", file);
	snprintf(e.result_name, sizeof(e.result_name), "%s", result);
	e.fields = EVF_FILE | EVF_RESULT | EVF_PRESENT;
	svg_trace_event(s, &e);
}

static void feed_collapse(struct svg_trace *s, double t, uint64_t addr, const char *file, const char *result)
{
	struct thp_event e = ev(EV_COLLAPSE_FILE, t, 1);

	kh(&e);
	e.addr = addr;
	snprintf(e.file, sizeof(e.file), "%s", file);
	snprintf(e.result_name, sizeof(e.result_name), "%s", result);
	e.fields = EVF_ADDR | EVF_FILE | EVF_RESULT | EVF_PGOFF;
	svg_trace_event(s, &e);
}

static void feed_addr(struct svg_trace *s, enum ev_kind kind, double t, uint64_t addr)
{
	struct thp_event e = ev(kind, t, 1);

	e.addr = addr;
	e.fields = EVF_ADDR;
	if (kind == EV_SET_PMD)
		e.fields |= EVF_RET;
	if (kind == EV_FAULT) {
		e.errcode = 4;
		e.fields |= EVF_ERRCODE;
	}
	svg_trace_event(s, &e);
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

static char *write_svg(struct svg_trace *s, const struct regions *rs, const char *name, size_t *len)
{
	char path[128], err[256] = "";

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (svg_trace_write(s, rs, path, err, sizeof(err)) != 0)
		fail_msg("svg_trace_write: %s", err);
	return slurp(path, len);
}

static void test_escaping(void **state)
{
	struct regions rs = { 0 };
	struct svg_trace *s = svg_trace_new();
	size_t n;
	char *svg;

	(void)state;
	/* <, &, both quotes; a tab, an ESC, DEL, a C1 control, a stray byte, U+FFFF */
	add_region(&rs, R0, 1, "/mnt/x/a<b&\"c'.so\t\x1b\x7f\xc2\x85\xff\xef\xbf\xbfz", VR_SCAN_FAILED,
		   "<script>alert('x')</script> & \"why\"");
	feed_madvise(s, 0.1, R0, MB2, 14);
	feed_scan(s, 1.0, "a<b&\"c'.so\t\x1b\x7f\xc2\x85\xff\xef\xbf\xbfz", "SCAN_<&>\"'");
	svg = write_svg(s, &rs, "esc.svg", &n);
	check_bytes(svg, n);
	assert_non_null(strstr(svg, "/mnt/x/a&lt;b&amp;&quot;c&apos;.so\xef\xbf\xbd\xef\xbf\xbdz"));
	assert_null(strstr(svg, "a<b"));
	assert_null(strstr(svg, "<script"));
	assert_non_null(strstr(svg, "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;why&quot;"));
	/* the scan matched the lane by its base name, and its result is escaped too */
	assert_non_null(strstr(svg, "SCAN_&lt;&amp;&gt;&quot;&apos; by khugepaged"));
	assert_int_equal(check_lanes(svg), 1);
	free(svg);
	svg_trace_free(s);
	free(rs.v);
}

static void test_one_region_10s(void **state)
{
	struct regions rs = { 0 };
	struct svg_trace *s = svg_trace_new();
	char *svg, *again;
	size_t n, n2;

	(void)state;
	add_region(&rs, R0, 1, "/mnt/thp/app", VR_HUGE, "Mapped by one PMD at the end.");
	feed_madvise(s, 0.01, R0, MB2, 14);
	feed_state(s, 0.011, R0, PS_PTE);
	feed_scan(s, 4.0, "app", "SCAN_SUCCEED");
	feed_addr(s, EV_RETRACT, 4.0006, R0);
	feed_addr(s, EV_PMDP_COLLAPSE_FLUSH, 4.0007, R0);
	feed_collapse(s, 4.0008, R0, "app", "SCAN_SUCCEED");
	feed_state(s, 4.001, R0, PS_NONE);
	feed_addr(s, EV_FAULT, 6.5, R0 + 4096);
	feed_addr(s, EV_SET_PMD, 6.50001, R0);
	feed_state(s, 6.5002, R0, PS_PMD);
	{
		struct thp_event e = ev(EV_EXIT, 10.0, 1);

		e.fields = EVF_RET;
		svg_trace_event(s, &e);
	}
	svg = write_svg(s, &rs, "one.svg", &n);
	check_bytes(svg, n);
	assert_int_equal(check_lanes(svg), 1);
	assert_non_null(strstr(svg, "width=\"1200\""));
	/* ticks every 2 s for 10 s: 0 2 4 6 8 10, at the top and the bottom */
	assert_non_null(strstr(svg, "ticks every 2 s"));
	assert_int_equal(count(svg, ">10</text>"), 2);
	assert_int_equal(count(svg, ">8</text>"), 2);
	/* states: unknown, small pages, not present, huge page */
	assert_int_equal(count(svg, "<rect class=\"st-"), 4 + 4);	/* + legend */
	assert_int_equal(count(svg, "class=\"mk-madvise\""), 2);	/* + legend */
	assert_int_equal(count(svg, "class=\"mk-scan\""), 2);
	assert_int_equal(count(svg, "class=\"mk-collapse-ok\""), 2);
	assert_int_equal(count(svg, "class=\"mk-clear\""), 2);	/* retract+flush+pagemap: one clear */
	assert_int_equal(count(svg, "class=\"mk-refault\""), 2);
	assert_int_equal(count(svg, "class=\"mk-exit\""), 2);
	assert_non_null(strstr(svg, "SCAN_SUCCEED by khugepaged"));
	assert_non_null(strstr(svg, "class=\"verdict\""));
	assert_non_null(strstr(svg, ">huge<title>Mapped by one PMD at the end.</title>"));
	assert_non_null(strstr(svg, "0x7f0000000000-0x7f0000200000"));
	/* same events, same bytes */
	again = write_svg(s, &rs, "one-again.svg", &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(svg, again, n);
	free(again);
	free(svg);
	svg_trace_free(s);
	free(rs.v);
}

/* The largest number n written as ">n<suffix" or "<title>n<suffix>". */
static long max_merged(const char *svg, const char *suffix)
{
	long best = 0;

	for (const char *p = svg; (p = strstr(p, suffix)); p++) {
		const char *q = p;

		while (q > svg && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if (q < p && q > svg && (q[-1] == '>'))
			best = strtol(q, NULL, 10) > best ? strtol(q, NULL, 10) : best;
	}
	return best;
}

static void test_fifty_regions_hour(void **state)
{
	static const char *const results[] = { "SCAN_PAGE_LRU", "SCAN_ALLOC_HUGE_PAGE_FAIL",
					       "SCAN_PAGE_COUNT", "SCAN_EXCEED_NONE_PTE" };
	struct regions rs = { 0 };
	struct svg_trace *s = svg_trace_new();
	uint32_t x = 1;
	size_t n, events = 0;
	char *svg;

	(void)state;
	for (int r = 0; r < 50; r++) {
		char file[96];

		snprintf(file, sizeof(file), "/usr/lib/x86_64-linux-gnu/libvery-long-name-number-%02d.so.1.2.3", r);
		add_region(&rs, R0 + (uint64_t)r * MB2, 1, file, (enum verdict_reason)(1 + r % 7),
			   "some reason");
	}
	/* one madvise over all 50 regions at the start, and again at the very end */
	feed_madvise(s, 0, R0, 50 * MB2, 14);
	for (double t = 0; t <= 3600; t += 0.25) {
		int r = (int)(x % 50);
		uint64_t a = R0 + (uint64_t)r * MB2;
		char base[64];

		x = x * 1103515245u + 12345u;
		snprintf(base, sizeof(base), "libvery-long-name-number-%02d.so.1.2.3", r);
		switch ((x >> 16) % 8) {
		case 0:
			feed_scan(s, t, base, "SCAN_SUCCEED");
			break;
		case 1:
			feed_collapse(s, t, a, base, results[(x >> 20) % 4]);
			break;
		case 2:
			feed_collapse(s, t, a, base, "SCAN_SUCCEED");
			feed_addr(s, EV_PMDP_COLLAPSE_FLUSH, t, a);
			break;
		case 3:
			feed_state(s, t, a, (enum page_state)(1 + (x >> 18) % 3));
			break;
		case 4:
			feed_addr(s, EV_FAULT, t, a + 8192);
			break;
		case 5:
			feed_addr(s, EV_SET_PMD, t, a);
			break;
		case 6:
			feed_addr(s, EV_MAP_PAGES, t, a);
			break;
		default:
			feed_madvise(s, t, a, MB2, (x >> 20) % 2 ? 14 : 15);
			break;
		}
		events++;
	}
	/* a burst in the last pixel column of one lane and in the first of another */
	for (int k = 0; k < 500; k++) {
		feed_collapse(s, 3600, R0 + 49 * MB2, "libvery-long-name-number-49.so.1.2.3", results[k % 4]);
		feed_collapse(s, 0.0001, R0, "libvery-long-name-number-00.so.1.2.3", results[k % 4]);
	}
	feed_madvise(s, 3600, R0, 50 * MB2, 25);
	assert_true(events > 10000);
	svg = write_svg(s, &rs, "fifty.svg", &n);
	check_bytes(svg, n);
	assert_int_equal(check_lanes(svg), 50);
	/* merged: each burst is in one marker, with its count beside it */
	assert_true(max_merged(svg, " × collapse failed") >= 500);
	assert_true(max_merged(svg, "</text>") >= 500);
	assert_non_null(strstr(svg, "SCAN_PAGE_LRU by khugepaged ×125"));
	/* an hour: ticks every 500 s */
	assert_non_null(strstr(svg, "ticks every 500 s"));
	assert_non_null(strstr(svg, ">3500</text>"));
	/* readable size: markers merged per 6 px, so far fewer than the events */
	assert_true(count(svg, "class=\"mk-") < 50 * 7 * (748 / 6 + 2));
	/* long file names keep their tail */
	assert_non_null(strstr(svg, "…"));
	assert_non_null(strstr(svg, ">…gnu/libvery-long-name-number-07.so.1.2.3<title>"));
	free(svg);
	svg_trace_free(s);
	free(rs.v);
}

static void test_no_regions_and_errors(void **state)
{
	struct regions rs = { 0 };
	struct svg_trace *s = svg_trace_new();
	char err[256], *svg;
	size_t n;

	(void)state;
	svg = write_svg(s, &rs, "empty.svg", &n);
	assert_int_equal(check_lanes(svg), 0);
	assert_non_null(strstr(svg, "no huge-page region"));
	assert_non_null(strstr(svg, "</svg>\n"));
	free(svg);
	/* NULL recorder: an empty picture */
	svg = write_svg(NULL, &rs, "null.svg", &n);
	assert_non_null(strstr(svg, "</svg>\n"));
	free(svg);
	memset(err, 'X', sizeof(err));
	assert_int_equal(svg_trace_write(s, &rs, "/nonexistent-dir/x.svg", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/x.svg"));
	assert_non_null(strstr(err, "No such file"));
	assert_null(strchr(err, '\n'));
	/* NULLs are harmless */
	svg_trace_event(NULL, NULL);
	svg_trace_event(s, NULL);
	svg_trace_free(NULL);
	svg_trace_free(s);
}

static void test_many_regions_capped(void **state)
{
	struct regions rs = { 0 };
	struct svg_trace *s = svg_trace_new();
	char *svg;
	size_t n;

	(void)state;
	for (int r = 0; r < 450; r++)
		add_region(&rs, R0 + (uint64_t)r * MB2, 1, "/f", VR_NOT_SCANNED, "w");
	feed_madvise(s, 1, R0, 450 * MB2, 14);
	svg = write_svg(s, &rs, "many.svg", &n);
	assert_int_equal(check_lanes(svg), 400);
	assert_non_null(strstr(svg, "450 regions"));
	assert_non_null(strstr(svg, "only the first 400 regions are drawn"));
	free(svg);
	svg_trace_free(s);
	free(rs.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_one_region_10s),
		cmocka_unit_test(test_fifty_regions_hour),
		cmocka_unit_test(test_no_regions_and_errors),
		cmocka_unit_test(test_many_regions_capped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
