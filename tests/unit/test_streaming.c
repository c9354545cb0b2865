/* Unit tests for what keeps a day of `-a` bounded and right: mm ids retired
 * when their process exits (src/input/mm_ids.c), regions taken out once
 * their story is over (src/model/regions_retire.c), and the pipeline
 * writing their verdicts then, not at the end (src/pipeline/pipeline.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "input/mm_ids.h"
#include "model/regions.h"
#include "pipeline/pipeline.h"

#define R0 0x7f0000000000ULL
#define MB2 THP_REGION_SIZE
#define MADV_HUGEPAGE 14

static struct thp_event ev(enum ev_kind kind, double t, uint32_t pid, uint32_t mm_id)
{
	struct thp_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.t = t;
	e.ts_ns = (uint64_t)(t * 1e9);
	e.pid = e.tgid = e.target_pid = pid;
	e.mm_id = mm_id;
	snprintf(e.comm, sizeof(e.comm), "short");
	return e;
}

static struct thp_event madv(double t, uint32_t pid, uint32_t mm_id, uint64_t addr, uint64_t len)
{
	struct thp_event e = ev(EV_MADVISE, t, pid, mm_id);

	e.fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
	e.addr = addr;
	e.len = len;
	e.behavior = MADV_HUGEPAGE;
	return e;
}

static struct thp_event sample(double t, uint32_t pid, uint32_t mm_id, uint64_t region, enum page_state s)
{
	struct thp_event e = ev(EV_STATE, t, pid, mm_id);

	e.fields = EVF_STATE;
	e.region = region;
	e.state = s;
	e.thp = s == PS_PMD;
	e.via = VIA_ID_PAGEMAP;
	return e;
}

/* The opening context of a -a or -p trace: verdicts stream. */
static void streaming(struct pipeline *p)
{
	static struct thp_context c = { .scan_sleep_ms = 10000, .pages_to_scan = 4096, .full_scans_start = -1,
					.full_scans_end = -1, .read_only_thp_for_fs = -1, .duration_s = -1,
					.streaming = true };
	struct thp_event e = { .kind = EV_CONTEXT, .ctx = &c, .start_ns = 1 };

	pipeline_event(p, &e);
}

static struct thp_event exit_of(double t, uint32_t pid)
{
	struct thp_event e = ev(EV_EXIT, t, pid, 0);	/* the exit record names no mm */

	e.fields = EVF_RET;
	return e;
}

static struct thp_event munmap_of(double t, uint32_t pid, uint32_t mm_id, uint64_t addr, uint64_t len)
{
	struct thp_event e = ev(EV_MUNMAP, t, pid, mm_id);

	e.fields = EVF_ADDR | EVF_LEN | EVF_RET;
	e.addr = addr;
	e.len = len;
	return e;
}

/* The kernel hands a freed mm_struct to the next process: after the first
 * process's exit the same address is a new mm, with a new id. */
static void test_mm_ids_reused_address(void **state)
{
	struct mm_ids m;
	uint64_t keys[4];
	size_t n;
	uint32_t a, b, c;

	(void)state;
	mm_ids_init(&m);
	a = mm_ids_of_key(&m, 0xffff888000001000ull, 100);
	assert_int_equal(mm_ids_of_key(&m, 0xffff888000001000ull, 100), a);
	b = mm_ids_of_key(&m, 0xffff888000002000ull, 101);
	assert_int_not_equal(a, b);
	mm_ids_forget(&m, 100, keys, &n, 4);
	assert_int_equal(n, 1);
	assert_int_equal(keys[0], 0xffff888000001000ull);
	c = mm_ids_of_key(&m, 0xffff888000001000ull, 102);
	assert_int_not_equal(c, a);
	assert_int_not_equal(c, b);
	assert_int_equal(mm_ids_of_key(&m, 0xffff888000002000ull, 101), b);
	assert_int_equal(mm_ids_live(&m), 2);
	assert_int_equal(mm_ids_of_key(&m, 0, 5), 0);
	mm_ids_free(&m);
}

/* khugepaged's record of a process that has just exited comes after its
 * exit: it must not bind the address, which the next process gets. */
static void test_mm_ids_late_record(void **state)
{
	struct mm_ids m;
	uint64_t keys[4];
	size_t n;
	uint32_t a, late, b, c;

	(void)state;
	mm_ids_init(&m);
	a = mm_ids_of_key(&m, 0xffff888000005000ull, 200);
	mm_ids_forget(&m, 200, keys, &n, 4);
	late = mm_ids_of_key(&m, 0xffff888000005000ull, 200);
	assert_int_not_equal(late, a);
	b = mm_ids_of_key(&m, 0xffff888000005000ull, 201);
	assert_int_not_equal(b, late);
	assert_int_not_equal(b, a);
	assert_int_equal(mm_ids_of_key(&m, 0xffff888000005000ull, 201), b);
	/* bound to a process that exited since, then named by a new one */
	mm_ids_forget(&m, 201, keys, &n, 4);
	assert_int_equal(mm_ids_live(&m), 0);
	c = mm_ids_of_key(&m, 0xffff888000006000ull, 202);
	mm_ids_forget(&m, 999, keys, &n, 4);	/* someone else's exit */
	assert_int_equal(mm_ids_of_key(&m, 0xffff888000006000ull, 202), c);
	mm_ids_free(&m);
}

/* A snapshot names a process before any record names its mm: the first
 * record of that process with an mm takes the snapshot's id. */
static void test_mm_ids_snapshot_binds(void **state)
{
	struct mm_ids m;
	uint64_t keys[4];
	size_t n;
	uint32_t s;

	(void)state;
	mm_ids_init(&m);
	s = mm_ids_of_tgid(&m, 300);
	assert_int_not_equal(s, 0);
	assert_int_equal(mm_ids_of_tgid(&m, 300), s);
	assert_int_equal(mm_ids_of_key(&m, 0xffff888000009000ull, 300), s);
	assert_int_equal(mm_ids_of_key(&m, 0xffff888000009000ull, 300), s);
	mm_ids_forget(&m, 300, keys, &n, 4);
	assert_int_equal(mm_ids_live(&m), 0);
	mm_ids_free(&m);
}

/* 100,000 processes come and go: only the live ones are held, every one
 * gets its own id. */
static void test_mm_ids_many(void **state)
{
	struct mm_ids m;
	uint64_t keys[4];
	uint32_t last = 0;
	size_t n;

	(void)state;
	mm_ids_init(&m);
	for (uint32_t i = 0; i < 100000; i++) {
		uint32_t id = mm_ids_of_key(&m, 0xffff888000000000ull + (i % 7) * 0x1000, 1000 + i);

		assert_true(id > last);
		last = id;
		if (i >= 3)
			mm_ids_forget(&m, 1000 + i - 3, keys, &n, 4);
	}
	assert_true(mm_ids_live(&m) <= 4);
	mm_ids_free(&m);
}

/* A process's exit takes its regions out, judged; a later event of its mm
 * (a record that came late) makes no new region. */
static void test_take_at_exit(void **state)
{
	struct regions rs, done;
	struct thp_event e;

	(void)state;
	regions_init(&rs);
	regions_init(&done);
	e = madv(0.1, 10, 1, R0, 2 * MB2);
	regions_feed(&rs, &e);
	e = madv(0.2, 11, 2, R0, MB2);
	regions_feed(&rs, &e);
	e = sample(0.3, 10, 1, R0, PS_PMD);
	regions_feed(&rs, &e);
	assert_int_equal(rs.n, 3);
	e = exit_of(0.4, 10);
	regions_feed(&rs, &e);
	assert_int_equal(regions_take(&rs, 0, 10, -1, &done), 2);
	assert_int_equal(rs.n, 1);
	assert_int_equal(done.n, 2);
	assert_int_equal(rs.retired_regions, 2);
	assert_int_equal(done.v[0].pid, 10);
	assert_int_equal(done.v[0].reason, VR_HUGE);	/* judged on the way out */
	assert_int_equal(done.v[1].start, R0 + MB2);
	/* the other process is untouched, and still found */
	assert_non_null(regions_find(&rs, 2, R0));
	/* a late event of mm 1 is not a new life */
	e = sample(0.5, 10, 1, R0, PS_PTE);
	assert_null(regions_feed(&rs, &e));
	assert_int_equal(rs.n, 1);
	regions_free(&done);
	regions_free(&rs);
}

/* An ended life leaves a tombstone: the next life at that address is
 * numbered on, and an empty sample there is not a new life. */
static void test_take_ended_lives(void **state)
{
	struct regions rs, done;
	struct thp_event e;
	struct region *r;

	(void)state;
	regions_init(&rs);
	regions_init(&done);
	e = madv(0.1, 10, 1, R0, MB2);
	regions_feed(&rs, &e);
	e = munmap_of(0.2, 10, 1, R0, MB2);
	regions_feed(&rs, &e);
	assert_true(rs.v[0].ended);
	/* not yet: it ended after the cut-off */
	assert_int_equal(regions_take_ended(&rs, 0.1, &done), 0);
	assert_int_equal(regions_take_ended(&rs, 0.2, &done), 1);
	assert_int_equal(rs.n, 0);
	assert_int_equal(done.v[0].life, 1);
	assert_int_equal(done.v[0].reason, VR_UNMAPPED_EARLY);
	assert_true(regions_had_life(&rs, 1, R0));
	e = sample(0.3, 10, 1, R0, PS_NONE);
	assert_null(regions_feed(&rs, &e));
	e = madv(0.4, 10, 1, R0, MB2);
	r = regions_feed(&rs, &e);
	assert_non_null(r);
	assert_int_equal(r->life, 2);
	/* the process's exit drops the tombstone with it */
	assert_int_equal(regions_take(&rs, 0, 10, -1, &done), 1);
	assert_false(regions_had_life(&rs, 1, R0));
	regions_free(&done);
	regions_free(&rs);
}

static size_t count_lines(const char *buf, const char *needle)
{
	size_t n = 0;

	for (const char *p = buf; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The pipeline writes a process's verdicts at its exit, before events that
 * come later, and every region's verdict exactly once; --expect counts as
 * they are written. */
static void test_pipeline_streams(void **state)
{
	struct pipeline p;
	struct run_summary sum = { .t = 10, .exit_status = -1, .faults_unrecorded = -1 };
	char *buf = NULL, err[128];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	FILE *x = fopen("/dev/null", "w");
	struct thp_event e;
	const char *first_verdict, *later;

	(void)state;
	assert_non_null(f);
	assert_non_null(x);
	pipeline_init(&p, f, &(struct pipeline_opts){ .json = true, .expect = expect_bit(VR_HUGE),
						       .expect_out = x });
	streaming(&p);
	for (uint32_t pid = 10; pid < 15; pid++) {
		double t = pid;

		e = madv(t, pid, pid, R0, MB2);
		pipeline_event(&p, &e);
		e = sample(t + 0.1, pid, pid, R0, pid == 12 ? PS_PTE : PS_PMD);
		pipeline_event(&p, &e);
		e = exit_of(t + 0.2, pid);
		pipeline_event(&p, &e);
	}
	assert_int_equal(p.rs.n, 0);
	assert_int_equal(p.written, 5);
	assert_int_equal(pipeline_unexpected(&p), 1);	/* pid 12 stayed small */
	assert_int_equal(pipeline_finish(&p, &sum, err, sizeof(err)), 0);
	fflush(f);
	assert_int_equal(count_lines(buf, "\"event\":\"verdict\""), 5);
	assert_int_equal(count_lines(buf, "\"event\":\"mapping\""), 5);
	/* the first process's verdict comes before the second's madvise */
	first_verdict = strstr(buf, "\"event\":\"verdict\"");
	later = strstr(buf, "\"t\":11.000000");
	assert_non_null(first_verdict);
	assert_non_null(later);
	assert_true(first_verdict < later);
	pipeline_free(&p);
	fclose(f);
	fclose(x);
	free(buf);
}

/* A life that ended is written PIPELINE_ENDED_GRACE_S later, while its
 * process runs on; with an SVG to draw, the pipeline keeps it. */
static void test_pipeline_ended_life(void **state)
{
	struct pipeline p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct thp_event e;

	(void)state;
	pipeline_init(&p, f, &(struct pipeline_opts){ .json = true, .svg_path = "/dev/null" });
	streaming(&p);
	e = madv(0.1, 10, 1, R0, MB2);
	pipeline_event(&p, &e);
	e = munmap_of(0.2, 10, 1, R0, MB2);
	pipeline_event(&p, &e);
	e = madv(0.5, 10, 1, R0 + 8 * MB2, MB2);
	pipeline_event(&p, &e);
	assert_int_equal(p.written, 0);
	e = madv(0.2 + PIPELINE_ENDED_GRACE_S + 0.5, 10, 1, R0 + 16 * MB2, MB2);
	pipeline_event(&p, &e);
	assert_int_equal(p.written, 1);
	assert_int_equal(p.rs.n, 2);
	assert_int_equal(p.kept.n, 1);
	fflush(f);
	assert_int_equal(count_lines(buf, "\"event\":\"verdict\""), 1);
	pipeline_free(&p);
	fclose(f);
	free(buf);
}

/* A CMD's trace does not stream: every verdict at the end, when the end
 * context has said how long the run was and how many full scans passed. */
static void test_pipeline_cmd_at_end(void **state)
{
	struct pipeline p;
	struct run_summary sum = { .t = 2, .exit_status = 0, .faults_unrecorded = -1 };
	char *buf = NULL, err[128];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct thp_event e;

	(void)state;
	pipeline_init(&p, f, &(struct pipeline_opts){ .json = true });
	e = madv(0.1, 10, 1, R0, MB2);
	pipeline_event(&p, &e);
	e = munmap_of(0.2, 10, 1, R0, MB2);
	pipeline_event(&p, &e);
	e = exit_of(1.9, 10);
	pipeline_event(&p, &e);
	assert_int_equal(p.written, 0);
	assert_int_equal(p.rs.n, 1);
	assert_int_equal(pipeline_finish(&p, &sum, err, sizeof(err)), 0);
	assert_int_equal(p.written, 1);
	fflush(f);
	assert_int_equal(count_lines(buf, "\"event\":\"verdict\""), 1);
	pipeline_free(&p);
	fclose(f);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm_ids_reused_address),
		cmocka_unit_test(test_mm_ids_late_record),
		cmocka_unit_test(test_mm_ids_snapshot_binds),
		cmocka_unit_test(test_mm_ids_many),
		cmocka_unit_test(test_take_at_exit),
		cmocka_unit_test(test_take_ended_lives),
		cmocka_unit_test(test_pipeline_streams),
		cmocka_unit_test(test_pipeline_ended_life),
		cmocka_unit_test(test_pipeline_cmd_at_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
