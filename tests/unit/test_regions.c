/* Unit tests for src/regions.c and src/verdict.c: hand-written event
 * streams, shaped like what the tracer records, replayed through the region
 * state machine; every verdict reason, its milestones, times and text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/jsonr.h"
#include "model/regions.h"

#define R0 0x7f0000000000ULL		/* a 2 MiB aligned region start */
#define MB2 THP_REGION_SIZE
#define FILE_PATH "/mnt/thp/data.bin"
#define PID 4242
#define MM 1

#define assert_near(a, b)                                                              \
	do {                                                                           \
		double a_ = (a), b_ = (b);                                             \
		if (!((a_ > b_ ? a_ - b_ : b_ - a_) < 1e-9))                                           \
			fail_msg("%s = %.9f, want %.9f", #a, a_, b_);                  \
	} while (0)

#define assert_contains(hay, needle)                                                   \
	do {                                                                           \
		if (!strstr((hay), (needle)))                                          \
			fail_msg("'%s' lacks '%s'", (hay), (needle));                  \
	} while (0)

#define assert_lacks(hay, needle)                                                      \
	do {                                                                           \
		if (strstr((hay), (needle)))                                           \
			fail_msg("'%s' has '%s'", (hay), (needle));                    \
	} while (0)

static struct thp_event ev(enum ev_kind kind, double t)
{
	struct thp_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.t = t;
	e.ts_ns = (uint64_t)(t * 1e9);
	e.pid = e.tgid = e.target_pid = PID;
	e.mm_id = MM;
	snprintf(e.comm, sizeof(e.comm), "thp_demo");
	return e;
}

static void as_khugepaged(struct thp_event *e)
{
	e->pid = e->tgid = 77;
	snprintf(e->comm, sizeof(e->comm), "khugepaged");
}

static struct region *madvise(struct regions *rs, double t, uint64_t addr, uint64_t len, int behavior,
			      int ret)
{
	struct thp_event e = ev(EV_MADVISE, t);

	e.fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET | EVF_FILE;
	e.addr = addr;
	e.len = len;
	e.behavior = behavior;
	e.ret = ret;
	snprintf(e.file, sizeof(e.file), FILE_PATH);
	return regions_feed(rs, &e);
}

static struct region *state(struct regions *rs, double t, uint64_t region, enum page_state s, bool thp)
{
	struct thp_event e = ev(EV_STATE, t);

	e.via = VIA_ID_PAGEMAP;
	e.fields = EVF_STATE;
	e.region = region;
	e.state = s;
	e.thp = thp;
	return regions_feed(rs, &e);
}

/* collapse_file tracepoint; khugepaged, or the process (MADV_COLLAPSE). */
static struct region *collapse(struct regions *rs, double t, uint64_t addr, const char *result, bool kh)
{
	struct thp_event e = ev(EV_COLLAPSE_FILE, t);

	e.via = VIA_ID_TRACEPOINT;
	e.fields = EVF_ADDR | EVF_RESULT | EVF_FILE | EVF_PGOFF;
	e.addr = addr;
	snprintf(e.result_name, sizeof(e.result_name), "%s", result);
	snprintf(e.file, sizeof(e.file), "data.bin");
	if (kh)
		as_khugepaged(&e);
	return regions_feed(rs, &e);
}

static struct region *scan(struct regions *rs, double t, uint32_t mm, const char *file, const char *result,
			   bool kh)
{
	struct thp_event e = ev(EV_SCAN_FILE, t);

	e.via = VIA_ID_TRACEPOINT;
	e.fields = EVF_RESULT | EVF_FILE | EVF_PRESENT;
	e.mm_id = mm;
	e.present = 512;
	snprintf(e.result_name, sizeof(e.result_name), "%s", result);
	snprintf(e.file, sizeof(e.file), "%s", file);
	if (kh)
		as_khugepaged(&e);
	return regions_feed(rs, &e);
}

static struct region *at(struct regions *rs, enum ev_kind kind, double t, uint64_t addr)
{
	struct thp_event e = ev(kind, t);

	e.fields = EVF_ADDR;
	e.addr = addr;
	return regions_feed(rs, &e);
}

static struct region *set_pmd(struct regions *rs, double t, uint64_t addr, int ret, bool in_collapse)
{
	struct thp_event e = ev(EV_SET_PMD, t);

	e.via = VIA_ID_FEXIT;
	e.fields = EVF_ADDR | EVF_RET | (in_collapse ? EVF_IN_COLLAPSE : 0);
	e.addr = addr;
	e.ret = ret;
	return regions_feed(rs, &e);
}

/* sched_process_exit of the group leader: no mm any more, only the pid. */
static struct region *exit_ev(struct regions *rs, double t)
{
	return regions_feed(rs, &(struct thp_event){ .kind = EV_EXIT, .t = t, .pid = PID, .tgid = PID,
						     .target_pid = PID, .fields = EVF_RET });
}

static struct thp_context ctx_default(void)
{
	struct thp_context c = {
		.thp_enabled = "madvise", .shmem_enabled = "never", .defrag = "madvise",
		.scan_sleep_ms = 100, .pages_to_scan = 4096, .full_scans_start = 10,
		.full_scans_end = 47, .read_only_thp_for_fs = 0, .duration_s = 30.0,
	};
	return c;
}

static void tmpfs_info(struct region *r, const char *huge)
{
	assert_non_null(r);
	r->have_finfo = true;
	snprintf(r->finfo.tmpfs_huge, sizeof(r->finfo.tmpfs_huge), "%s", huge);
	r->finfo.is_shmem = 1;
	r->finfo.open_for_write = 0;
	r->finfo.fully_mapped = 1;
	r->finfo.file_aligned = 1;
}

/* The milestones, in order, must be exactly these names at these times. */
static void expect_ms(const struct region *r, const char *const *what, const double *t, size_t n)
{
	if (r->n_milestones != n) {
		for (size_t i = 0; i < r->n_milestones; i++)
			print_message("  %.4f %s: %s\n", r->ms[i].t, r->ms[i].what, r->ms[i].detail);
		fail_msg("%zu milestones, want %zu", r->n_milestones, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r->ms[i].what, what[i]) != 0)
			fail_msg("milestone %zu is '%s', want '%s'", i, r->ms[i].what, what[i]);
		assert_near(r->ms[i].t, t[i]);
		if (i)
			assert_true(r->ms[i - 1].t <= r->ms[i].t);
	}
}

/* THP_TEST_VERBOSE=1 prints each verdict, to read the text as a user would. */
static void show(const struct region *r)
{
	if (!getenv("THP_TEST_VERBOSE"))
		return;
	print_message("%#llx %s [%zu chars]: %s\n", (unsigned long long)r->start,
		      verdict_reason_name(r->reason), strlen(r->why), r->why);
}

static void finish(struct regions *rs, const struct thp_context *ctx)
{
	regions_finish(rs, ctx);
	for (size_t i = 0; i < rs->n && i < 3; i++)
		show(&rs->v[i]);
}

static const struct milestone *find_ms(const struct region *r, const char *what)
{
	for (size_t i = 0; i < r->n_milestones; i++)
		if (!strcmp(r->ms[i].what, what))
			return &r->ms[i];
	static const struct milestone none;

	fail_msg("no milestone '%s'", what);
	return &none;
}

/* khugepaged on 6.12 with every probe: retract + pmdp flush before the
 * collapse tracepoint, the refault, do_set_pmd, pagemap confirming. */
static void test_huge_khugepaged(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	struct thp_event e;
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	assert_non_null(r);
	tmpfs_info(r, "advise");
	assert_ptr_equal(state(&rs, 0.2, R0, PS_PTE, false), r);
	e = ev(EV_RETRACT, 1.2);	/* inside collapse_file: its mm and address */
	e.fields = EVF_ADDR | EVF_PGOFF | EVF_INODE | EVF_IN_COLLAPSE;
	e.addr = R0;
	as_khugepaged(&e);
	assert_ptr_equal(regions_feed(&rs, &e), r);
	e.fields = EVF_PGOFF | EVF_INODE;	/* outside it: only the inode, nothing to match */
	e.mm_id = 0;
	assert_null(regions_feed(&rs, &e));
	assert_ptr_equal(at(&rs, EV_PMDP_COLLAPSE_FLUSH, 1.2001, R0), r);
	assert_ptr_equal(collapse(&rs, 1.2003, R0, "SCAN_SUCCEED", true), r);
	assert_ptr_equal(scan(&rs, 1.2004, MM, "data.bin", "SCAN_SUCCEED", true), r);
	state(&rs, 1.25, R0, PS_NONE, false);
	at(&rs, EV_FAULT, 2.0, R0 + 0x1234);
	at(&rs, EV_FAULT, 2.00005, R0 + 0x5000);	/* not a second refault */
	set_pmd(&rs, 2.0001, R0, 0, false);
	state(&rs, 2.05, R0, PS_PMD, true);
	exit_ev(&rs, 3.0);
	finish(&rs, &ctx);

	assert_int_equal(rs.n, 1);
	assert_true(rs.mm_scanned[MM]);
	assert_true(r->collapsed);
	assert_true(r->cleared_after_collapse);
	assert_int_equal(r->collapse_attempts, 1);
	assert_int_equal(r->collapse_failures, 0);
	assert_int_equal(r->scans, 1);
	assert_int_equal(r->final_state, PS_PMD);
	assert_false(r->final_inferred);
	assert_int_equal(r->reason, VR_HUGE);
	assert_near(r->t_cleared, 1.2);
	assert_near(r->t_collapse, 1.2003);
	assert_near(r->t_refault, 2.0);
	assert_near(r->t_pmd, 2.0001);
	assert_near(r->t_exit, 3.0);
	assert_near(r->unmapped_s, 0.8);
	assert_near(r->madvise_to_pmd_s, 1.9001);
	{
		const char *w[] = { "madvised", "pmd_cleared", "scanned", "collapse", "refault", "pmd_mapped", "exit" };
		const double t[] = { 0.1, 1.2, 1.2003, 1.2003, 2.0, 2.0001, 3.0 };
		expect_ms(r, w, t, 7);
	}
	assert_string_equal(r->ms[3].detail, "SCAN_SUCCEED by khugepaged");
	assert_contains(r->ms[1].detail, "retract_page_tables");
	assert_contains(r->ms[4].detail, "page fault at 0x7f0000001234");
	assert_contains(r->why, "Mapped by one PMD");
	assert_contains(r->why, "khugepaged built the huge page at 1.200 s");
	assert_contains(r->why, "refault at 2.000 s");
	assert_contains(r->why, "unmapped for 800 ms");
	assert_contains(r->why, "1.900 s from madvise to the PMD mapping");
	assert_string_equal(verdict_reason_name(r->reason), "huge");
	regions_free(&rs);
	assert_null(rs.v);
}

/* MADV_COLLAPSE on 6.18: the collapse (pte_mapped_hugepage), its scan and
 * the PMD mapping come before the madvise exit event that creates the
 * region; they must be replayed onto it. */
static void test_huge_madv_collapse(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	assert_null(collapse(&rs, 0.5, R0, "SCAN_PTE_MAPPED_HUGEPAGE", false));
	assert_null(scan(&rs, 0.5001, MM, "data.bin", "pte_mapped_hugepage", false));
	assert_null(set_pmd(&rs, 0.5002, R0, 0, true));
	assert_int_equal(rs.n, 0);
	r = madvise(&rs, 0.501, R0, MB2, 25, 0);
	assert_non_null(r);
	state(&rs, 0.55, R0, PS_PMD, true);
	finish(&rs, &ctx);

	assert_int_equal(rs.n, 1);
	assert_false(rs.mm_scanned[MM]);	/* the process's own scan is not khugepaged's */
	assert_true(r->madv_collapse);
	assert_true(r->collapsed);
	assert_int_equal(r->collapse_attempts, 1);
	assert_int_equal(r->scans, 0);
	assert_true(r->t_first_scan < 0);
	assert_int_equal(r->reason, VR_HUGE);
	assert_near(r->t_collapse, 0.5);
	assert_near(r->t_pmd, 0.5002);
	assert_near(r->madvise_to_pmd_s, 0.0);	/* mapped inside the madvise call */
	assert_true(r->unmapped_s < 0);
	assert_true(r->t_refault < 0);
	{
		const char *w[] = { "collapse", "pmd_mapped", "madvised" };
		const double t[] = { 0.5, 0.5002, 0.501 };
		expect_ms(r, w, t, 3);
	}
	assert_string_equal(r->ms[0].detail, "SCAN_PTE_MAPPED_HUGEPAGE by MADV_COLLAPSE (thp_demo)");
	assert_contains(r->why, "MADV_COLLAPSE built the huge page at 0.500 s");
	assert_contains(r->why, "mapped as one huge page at 0.500 s, during the madvise call itself.");
	regions_free(&rs);

	/* The same with the madvise stamped at syscall entry. */
	regions_init(&rs);
	r = madvise(&rs, 0.499, R0, MB2, 25, 0);
	collapse(&rs, 0.5, R0, "SCAN_PTE_MAPPED_HUGEPAGE", false);
	set_pmd(&rs, 0.5002, R0, 0, true);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_HUGE);
	assert_int_equal(r->final_state, PS_PMD);
	assert_true(r->final_inferred);
	assert_near(r->madvise_to_pmd_s, 0.0012);
	assert_contains(r->why, "(inferred");
	assert_contains(r->why, "1.2 ms from madvise to the PMD mapping");
	regions_free(&rs);

	/* 6.2-6.7: the PMD is cleared and installed again by the process
	 * itself (collapse_pte_mapped_thp), outside collapse_file: no refault. */
	regions_init(&rs);
	r = madvise(&rs, 0.499, R0, MB2, 25, 0);
	at(&rs, EV_PMDP_COLLAPSE_FLUSH, 0.5, R0);
	collapse(&rs, 0.5001, R0, "SCAN_SUCCEED", false);
	set_pmd(&rs, 0.5002, R0, 0, false);
	state(&rs, 0.6, R0, PS_PMD, true);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_HUGE);
	assert_true(r->cleared_after_collapse);
	assert_true(r->t_refault < 0);
	assert_true(r->unmapped_s < 0);
	assert_near(r->t_pmd, 0.5002);
	{
		const char *w[] = { "madvised", "pmd_cleared", "collapse", "pmd_mapped" };
		const double t[] = { 0.499, 0.5, 0.5001, 0.5002 };
		expect_ms(r, w, t, 4);
	}
	regions_free(&rs);
}

/* 6.18, tracepoints only: no pmdp or do_set_pmd probe; pagemap shows the
 * clear and the PMD, and the user fault tracepoint the refault, while the
 * sampler still reports the state from before the collapse. */
static void test_huge_tracepoints_only(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	state(&rs, 0.2, R0, PS_PTE, false);
	collapse(&rs, 1.2, R0, "SCAN_SUCCEED", true);
	state(&rs, 1.25, R0, PS_NONE, false);
	at(&rs, EV_FAULT, 2.0, R0 + 0x3000);
	state(&rs, 2.05, R0, PS_PMD, true);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_HUGE);
	/* pagemap saw it at 1.25; the collapse had cleared it by 1.2 */
	assert_near(r->t_cleared, 1.2);
	assert_near(r->t_refault, 2.0);
	assert_near(r->t_pmd, 2.05);
	assert_near(r->unmapped_s, 0.8);
	assert_near(r->madvise_to_pmd_s, 1.95);
	assert_string_equal(find_ms(r, "pmd_cleared")->detail, "pagemap: not present after the collapse");
	assert_string_equal(find_ms(r, "pmd_mapped")->detail, "pagemap: mapped by one PMD");
	assert_contains(r->why, "unmapped for 800 ms");
	regions_free(&rs);

	/* The sampler lags: the fault comes before pagemap ever said "none". */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	state(&rs, 0.2, R0, PS_PTE, false);
	at(&rs, EV_PMDP_COLLAPSE_FLUSH, 1.2, R0);
	collapse(&rs, 1.2001, R0, "SCAN_SUCCEED", true);
	at(&rs, EV_FAULT, 1.3, R0);
	state(&rs, 1.35, R0, PS_PMD, true);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_HUGE);
	assert_near(r->unmapped_s, 0.1);
	assert_near(r->t_pmd, 1.35);
	{
		const char *w[] = { "madvised", "pmd_cleared", "scanned", "collapse", "refault", "pmd_mapped" };
		const double t[] = { 0.1, 1.2, 1.2001, 1.2001, 1.3, 1.35 };
		expect_ms(r, w, t, 6);
	}
	regions_free(&rs);

	/* The collapse tracepoint fires when collapse_file returns: after
	 * pagemap saw the range empty and after the refault. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	state(&rs, 0.2, R0, PS_PTE, false);
	state(&rs, 1.25, R0, PS_NONE, false);
	at(&rs, EV_FAULT, 1.3, R0);
	state(&rs, 1.305, R0, PS_PMD, true);
	collapse(&rs, 1.31, R0, "SCAN_SUCCEED", true);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_HUGE);
	assert_true(r->collapsed);
	assert_true(r->cleared_after_collapse);
	assert_near(r->unmapped_s, 0.05);
	{
		const char *w[] = { "madvised", "pmd_cleared", "refault", "pmd_mapped", "scanned", "collapse" };
		const double t[] = { 0.1, 1.25, 1.3, 1.305, 1.31, 1.31 };
		expect_ms(r, w, t, 6);
	}
	assert_string_equal(r->ms[1].detail, "pagemap: not present (the collapse cleared it)");
	assert_contains(r->why, "khugepaged cleared the old page table at 1.250 s while building the huge page (reported done at 1.310 s); the refault at 1.300 s");
	assert_contains(r->why, "unmapped for 50 ms");
	regions_free(&rs);
}

/* 6.18: a process whose only MADV_HUGEPAGE region is a tmpfs file. */
static void test_not_scanned(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	tmpfs_info(r, "advise");
	state(&rs, 0.2, R0, PS_PTE, false);
	/* khugepaged busy with another process (mm 2), same file name even */
	assert_null(scan(&rs, 5.0, 2, "data.bin", "SCAN_EXCEED_NONE_PTE", true));
	exit_ev(&rs, 30.0);
	finish(&rs, &ctx);

	assert_true(rs.saw_scan_any);
	assert_false(rs.mm_scanned[MM]);
	assert_true(rs.mm_scanned[2]);
	assert_int_equal(r->scans, 0);
	assert_string_equal(r->last_result, "");
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	assert_int_equal(r->final_state, PS_PTE);
	assert_contains(r->why, "khugepaged never scanned this process while it ran.");
	assert_contains(r->why, "Evidence: scan period 100 ms, 4096 pages per pass, 37 full scans passed while the process ran, none reached this process");
	assert_contains(r->why, "never registered with khugepaged");
	assert_contains(r->why, "madvise an anonymous region MADV_HUGEPAGE too, or use MADV_COLLAPSE");
	assert_contains(r->why, "mapped with small pages");
	assert_string_equal(verdict_reason_name(r->reason), "not_scanned");
	regions_free(&rs);

	/* A run shorter than one scan period: say so instead. */
	ctx.scan_sleep_ms = 10000;
	ctx.full_scans_start = ctx.full_scans_end = 3;
	ctx.duration_s = 2.0;
	ctx.pages_to_scan = -1;
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	assert_contains(r->why, "scan period 10000 ms, 0 full scans passed");
	assert_lacks(r->why, "pages per pass");
	assert_contains(r->why, "less than one scan period");
	regions_free(&rs);

	/* One full scan (counted in words), and nothing known about timing. */
	ctx.full_scans_end = 4;
	ctx.scan_sleep_ms = -1;
	ctx.duration_s = -1;
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	assert_contains(r->why, "Evidence: 1 full scan passed while the process ran, none reached");
	assert_contains(r->why, "never registered with khugepaged");
	regions_free(&rs);
}

static void test_not_eligible_tmpfs_never(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	tmpfs_info(r, "never");
	state(&rs, 0.2, R0, PS_PTE, false);
	scan(&rs, 1.0, MM, "data.bin", "SCAN_VMA_CHECK", true);	/* a consequence, not the cause */
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_string_equal(r->last_result, "SCAN_VMA_CHECK");
	assert_contains(r->why, "Not eligible");
	assert_contains(r->why, "its tmpfs mount has huge=never");
	assert_lacks(r->why, "CONFIG_READ_ONLY_THP_FOR_FS");	/* tmpfs needs no such config */
	regions_free(&rs);

	/* MADV_COLLAPSE overrides huge=never: a failure there is a scan failure. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	tmpfs_info(r, "never");
	collapse(&rs, 0.2, R0, "SCAN_ALLOC_HUGE_PAGE_FAIL", false);
	madvise(&rs, 0.2001, R0, MB2, 25, -11);	/* failed: no new region, a milestone */
	finish(&rs, &ctx);
	assert_int_equal(rs.n, 1);
	assert_true(r->madv_collapse);
	find_ms(r, "madvise_failed");
	assert_int_equal(r->reason, VR_SCAN_FAILED);
	assert_contains(r->why, "MADV_COLLAPSE tried to collapse this region 1 time and failed: SCAN_ALLOC_HUGE_PAGE_FAIL");
	assert_contains(r->why, "contiguous 2 MiB");
	regions_free(&rs);
}

static void test_not_eligible_layout(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	/* A mapping that starts 4 KiB into a region and ends inside the next. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0 + 0x1000, MB2, 14, 0);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.v[0].start, R0);
	assert_int_equal(rs.v[1].start, R0 + MB2);
	for (size_t i = 0; i < rs.n; i++) {
		tmpfs_info(&rs.v[i], "always");
		rs.v[i].finfo.fully_mapped = 0;
		rs.v[i].finfo.file_aligned = 0;
	}
	finish(&rs, &ctx);
	r = &rs.v[0];
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_contains(r->why, "does not cover the whole aligned 2 MiB region");
	assert_contains(r->why, "not a multiple of 2 MiB");
	assert_int_equal(rs.v[1].reason, VR_NOT_ELIGIBLE);
	regions_free(&rs);

	/* A regular file on a kernel without CONFIG_READ_ONLY_THP_FOR_FS, open for write. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	r->have_finfo = true;
	r->finfo = (struct region_file_info){ .tmpfs_huge = "", .is_shmem = 0, .open_for_write = 1,
					      .fully_mapped = 1, .file_aligned = 1 };
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_contains(r->why, "without CONFIG_READ_ONLY_THP_FOR_FS");
	assert_contains(r->why, "open for writing");
	regions_free(&rs);

	/* THP mode madvise and a region nobody madvised (created by the sampler). */
	regions_init(&rs);
	r = state(&rs, 0.1, R0, PS_PTE, false);
	assert_non_null(r);
	assert_false(r->madvised_huge);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_contains(r->why, "transparent_hugepage/enabled is madvise, but the region was never madvised");
	regions_free(&rs);
}

static void test_scan_failed(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	tmpfs_info(r, "advise");
	state(&rs, 0.2, R0, PS_PTE, false);
	collapse(&rs, 1.0, R0, "SCAN_PAGE_LRU", true);
	scan(&rs, 1.0001, MM, "data.bin", "SCAN_PAGE_LRU", true);
	collapse(&rs, 2.0, R0, "SCAN_PAGE_LRU", true);
	scan(&rs, 2.0001, MM, "data.bin", "SCAN_PAGE_LRU", true);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_SCAN_FAILED);
	assert_int_equal(r->collapse_attempts, 2);
	assert_int_equal(r->collapse_failures, 2);
	assert_int_equal(r->scans, 2);
	assert_false(r->collapsed);
	assert_near(r->t_first_scan, 1.0);
	assert_string_equal(r->last_result, "SCAN_PAGE_LRU");
	{
		const char *w[] = { "madvised", "scanned", "collapse", "collapse" };
		const double t[] = { 0.1, 1.0, 1.0, 2.0 };
		expect_ms(r, w, t, 4);
	}
	assert_contains(r->why, "khugepaged tried to collapse this region 2 times and failed: SCAN_PAGE_LRU, meaning ");
	assert_contains(r->why, scan_result_meaning("SCAN_PAGE_LRU"));
	assert_contains(r->why, "LRU lists");
	assert_contains(r->why, "At the end it was mapped with small pages.");
	regions_free(&rs);

	/* A scan that gives up before collapse_file is ever called. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	tmpfs_info(r, "advise");
	assert_ptr_equal(scan(&rs, 1.0, MM, "data.bin", "SCAN_EXCEED_NONE_PTE", true), r);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_SCAN_FAILED);
	assert_int_equal(r->collapse_attempts, 0);
	assert_contains(r->why, "khugepaged scanned this region's file and gave up before collapsing: SCAN_EXCEED_NONE_PTE");
	assert_contains(r->why, "max_ptes_none");
	regions_free(&rs);
}

static void test_scan_result_meaning(void **st)
{
	static const char *const names[] = {
		"SCAN_FAIL", "SCAN_SUCCEED", "SCAN_PMD_NULL", "SCAN_PMD_NONE", "SCAN_PMD_MAPPED",
		"SCAN_EXCEED_NONE_PTE", "SCAN_EXCEED_SWAP_PTE", "SCAN_EXCEED_SHARED_PTE",
		"SCAN_PTE_NON_PRESENT", "SCAN_PTE_UFFD_WP", "SCAN_PTE_MAPPED_HUGEPAGE",
		"SCAN_LACK_REFERENCED_PAGE", "SCAN_PAGE_NULL", "SCAN_SCAN_ABORT", "SCAN_PAGE_COUNT",
		"SCAN_PAGE_LRU", "SCAN_PAGE_LOCK", "SCAN_PAGE_ANON", "SCAN_PAGE_COMPOUND",
		"SCAN_ANY_PROCESS", "SCAN_VMA_NULL", "SCAN_VMA_CHECK", "SCAN_ADDRESS_RANGE",
		"SCAN_DEL_PAGE_LRU", "SCAN_ALLOC_HUGE_PAGE_FAIL", "SCAN_CGROUP_CHARGE_FAIL",
		"SCAN_TRUNCATED", "SCAN_PAGE_HAS_PRIVATE", "SCAN_STORE_FAILED", "SCAN_COPY_MC",
		"SCAN_PAGE_FILLED", "SCAN_PAGE_DIRTY_OR_WRITEBACK", "SCAN_NO_PTE_TABLE",
		"SCAN_PTE_UFFD", "SCAN_PAGE_LAZYFREE", "SCAN_PAGE_RO", "SCAN_SWAP_CACHE_PAGE",
	};
	const char *unknown = scan_result_meaning("SCAN_FROM_THE_FUTURE");
	(void)st;

	assert_non_null(unknown);
	assert_contains(unknown, "does not know");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *m = scan_result_meaning(names[i]);
		if (m == unknown || strlen(m) < 15)
			fail_msg("%s has no meaning", names[i]);
	}
	assert_ptr_equal(scan_result_meaning(NULL), unknown);
	assert_ptr_equal(scan_result_meaning(""), unknown);
	/* the tracepoint's printed text and the bare name find the same entry */
	assert_ptr_equal(scan_result_meaning("page_not_in_lru"), scan_result_meaning("SCAN_PAGE_LRU"));
	assert_ptr_equal(scan_result_meaning("page_lru"), scan_result_meaning("SCAN_PAGE_LRU"));
	assert_int_equal(scan_result_outcome("SCAN_SUCCEED"), 1);
	assert_int_equal(scan_result_outcome("succeeded"), 1);
	assert_int_equal(scan_result_outcome("SCAN_PTE_MAPPED_HUGEPAGE"), 1);
	assert_int_equal(scan_result_outcome("SCAN_PMD_MAPPED"), 0);
	assert_int_equal(scan_result_outcome(""), 0);
	assert_int_equal(scan_result_outcome(NULL), 0);
	assert_int_equal(scan_result_outcome("SCAN_PAGE_LRU"), -1);
	assert_int_equal(scan_result_outcome("SCAN_FROM_THE_FUTURE"), -1);
	assert_int_equal(scan_result_outcome("1"), 1);		/* no BTF: numbers */
	assert_int_equal(scan_result_outcome("0"), -1);
	assert_int_equal(scan_result_outcome("15"), -1);
	assert_ptr_equal(scan_result_meaning("15"), unknown);
	for (int i = 0; i < VR_MAX; i++)
		assert_int_equal(verdict_reason_from_name(verdict_reason_name((enum verdict_reason)i)), i);
	assert_string_equal(verdict_reason_name(VR_COLLAPSED_NOT_REFAULTED), "collapsed_not_refaulted");
	assert_string_equal(verdict_reason_name(VR_MAX), "unknown");
	assert_int_equal(verdict_reason_from_name("nonsense"), VR_UNKNOWN);
}

/* The seed's "page not present": collapsed, PMD cleared, never touched. On a
 * tracepoint-only kernel the clear shows only as pagemap's "none". */
static void test_collapsed_not_refaulted(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	tmpfs_info(r, "advise");
	state(&rs, 0.2, R0, PS_PTE, false);
	collapse(&rs, 1.203, R0, "SCAN_SUCCEED", true);
	state(&rs, 1.25, R0, PS_NONE, false);
	state(&rs, 1.35, R0, PS_NONE, false);	/* same state: nothing new */
	exit_ev(&rs, 4.0);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_COLLAPSED_NOT_REFAULTED);
	assert_int_equal(r->final_state, PS_NONE);
	assert_false(r->final_inferred);
	assert_true(r->cleared_after_collapse);
	assert_near(r->t_cleared, 1.203);	/* seen at 1.25, done by the collapse */
	assert_true(r->t_refault < 0);
	assert_true(r->unmapped_s < 0);
	assert_true(r->madvise_to_pmd_s < 0);
	{
		const char *w[] = { "madvised", "scanned", "collapse", "pmd_cleared", "exit" };
		const double t[] = { 0.1, 1.203, 1.203, 1.203, 4.0 };
		expect_ms(r, w, t, 5);
	}
	assert_string_equal(r->ms[3].detail, "pagemap: not present after the collapse");
	assert_contains(r->why, "khugepaged built a huge page at 1.203 s and cleared the old page table; nothing touched the region afterwards, so it was not mapped at all when the process exited (pagemap: not present).");
	assert_contains(r->why, "It stayed unmapped for the last 2.797 s.");
	assert_contains(r->why, "A later access would have mapped it as one huge page.");
	assert_lacks(r->why, "inferred");
	regions_free(&rs);

	/* No sampler at all: the final state is inferred from the probes. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	at(&rs, EV_PMDP_COLLAPSE_FLUSH, 1.2, R0);
	collapse(&rs, 1.2003, R0, "SCAN_SUCCEED", true);
	finish(&rs, NULL);
	assert_int_equal(r->reason, VR_COLLAPSED_NOT_REFAULTED);
	assert_int_equal(r->final_state, PS_NONE);
	assert_true(r->final_inferred);
	assert_contains(r->why, "when tracing ended");
	assert_contains(r->why, "(inferred: no page state sample)");
	regions_free(&rs);
}

/* 6.18 with a memfd-like file: collapse, then MADV_NOHUGEPAGE, then the
 * refault maps the huge folio with 512 PTEs. */
static void test_refaulted_as_pte(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	tmpfs_info(r, "advise");
	state(&rs, 0.2, R0, PS_PTE, false);
	collapse(&rs, 1.2, R0, "SCAN_SUCCEED", true);
	state(&rs, 1.25, R0, PS_NONE, false);
	assert_ptr_equal(madvise(&rs, 1.5, R0, MB2, 15, 0), r);
	at(&rs, EV_FAULT, 2.0, R0 + 0x10);
	at(&rs, EV_MAP_PAGES, 2.0001, R0 + 0x10);
	state(&rs, 2.05, R0, PS_PTE, true);
	exit_ev(&rs, 3.0);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_REFAULTED_AS_PTE);
	assert_true(r->nohuge);
	assert_true(r->thp);
	assert_near(r->t_nohuge, 1.5);
	assert_near(r->t_refault, 2.0);
	assert_near(r->unmapped_s, 0.8);
	assert_true(r->madvise_to_pmd_s < 0);
	{
		const char *w[] = { "madvised", "scanned", "collapse", "pmd_cleared", "nohugepage",
				    "refault", "pte_mapped", "exit" };
		const double t[] = { 0.1, 1.2, 1.2, 1.2, 1.5, 2.0, 2.05, 3.0 };
		expect_ms(r, w, t, 8);
	}
	assert_contains(find_ms(r, "pte_mapped")->detail, "of the huge page");
	assert_contains(r->why, "khugepaged built a huge page at 1.200 s, but the refault at 2.000 s mapped it with small 4 KiB page table entries");
	assert_contains(r->why, "MADV_NOHUGEPAGE at 1.500 s, after the collapse");
	regions_free(&rs);

	/* Without NOHUGEPAGE: do_set_pmd refusing is the stated cause. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	at(&rs, EV_PMDP_COLLAPSE_FLUSH, 1.0, R0);
	collapse(&rs, 1.0001, R0, "SCAN_SUCCEED", true);
	at(&rs, EV_FAULT, 1.5, R0);
	set_pmd(&rs, 1.5001, R0, 0x800, false);
	state(&rs, 1.6, R0, PS_PTE, true);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_REFAULTED_AS_PTE);
	assert_near(r->unmapped_s, 0.5);
	assert_true(r->t_pmd < 0);
	assert_contains(r->why, "do_set_pmd refused");
	assert_contains(r->why, "0x800");
	assert_lacks(r->why, "NOHUGEPAGE");
	regions_free(&rs);
}

static void test_events_outside_regions(void **st)
{
	struct regions rs;
	struct region *r;
	struct thp_event e;
	size_t nms;
	(void)st;

	regions_init(&rs);
	assert_null(regions_feed(&rs, NULL));
	assert_null(madvise(&rs, 0.1, R0, MB2, 14, -12));	/* failed: ENOMEM */
	assert_null(madvise(&rs, 0.1, R0, MB2, 4, 0));		/* MADV_DONTNEED */
	assert_null(madvise(&rs, 0.1, R0, MB2, 15, 0));		/* NOHUGEPAGE on nothing */
	assert_null(madvise(&rs, 0.1, R0, 0, 14, 0));		/* empty */
	assert_null(madvise(&rs, 0.1, UINT64_MAX - 4096, 8192, 14, 0));	/* wraps */
	assert_int_equal(rs.n, 0);
	/* the last region of the address space, and nothing beyond it */
	assert_non_null(madvise(&rs, 0.1, UINT64_MAX - 4095, 4096, 14, 0));
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].start, UINT64_MAX & THP_REGION_MASK);
	/* an arena of 1 TiB is capped, not tracked in full */
	assert_non_null(madvise(&rs, 0.1, 0x100000000000ULL, 1ULL << 40, 14, 0));
	assert_int_equal(rs.n, 1 + 1024);
	assert_int_equal(rs.v[1024].start, 0x100000000000ULL + 1023 * MB2);
	regions_free(&rs);
	regions_init(&rs);

	r = madvise(&rs, 0.2, R0, MB2, 14, 0);
	assert_non_null(r);
	nms = r->n_milestones;
	assert_null(at(&rs, EV_FAULT, 1.0, R0 + MB2));
	assert_null(at(&rs, EV_PMDP_COLLAPSE_FLUSH, 1.0, R0 - MB2));
	assert_null(set_pmd(&rs, 1.0, R0 + 4 * MB2, 0, false));
	assert_null(collapse(&rs, 1.0, R0 + 8 * MB2, "SCAN_SUCCEED", true));
	assert_null(scan(&rs, 1.0, MM, "other.bin", "SCAN_PAGE_LRU", true));
	e = ev(EV_FAULT, 1.0);		/* no address */
	assert_null(regions_feed(&rs, &e));
	e = ev(EV_LOST, 1.0);
	assert_null(regions_feed(&rs, &e));
	/* the same address in another process */
	e = ev(EV_PMDP_COLLAPSE_FLUSH, 1.0);
	e.fields = EVF_ADDR;
	e.addr = R0;
	e.mm_id = 2;
	assert_null(regions_feed(&rs, &e));
	/* a thread's exit is not the process's */
	assert_null(regions_feed(&rs, &(struct thp_event){ .kind = EV_EXIT, .t = 1.0, .pid = PID + 1,
							   .tgid = PID, .mm_id = MM }));
	assert_int_equal(rs.n, 1);
	assert_int_equal(r->n_milestones, nms);
	assert_false(r->collapsed);
	assert_true(r->t_cleared < 0 && r->t_pmd < 0 && r->t_exit < 0);
	assert_string_equal(r->last_result, "");
	/* an orphan never lands on an old region, only on ones created later */
	state(&rs, 2.0, R0 + 8 * MB2, PS_PTE, false);
	assert_int_equal(rs.n, 2);
	assert_true(rs.v[1].collapsed);
	assert_near(rs.v[1].t_collapse, 1.0);
	assert_false(rs.v[0].collapsed);
	regions_free(&rs);
}

/* Old kernels swap addr and is_shmem in the collapse tracepoint; file names
 * come as dentry names, possibly cut at 63 bytes. */
static void test_attribution_by_file(void **st)
{
	struct regions rs;
	struct region *r;
	struct thp_event e;
	char longname[200];
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	assert_string_equal(r->file, FILE_PATH);
	assert_ptr_equal(collapse(&rs, 1.0, 1, "SCAN_SUCCEED", true), r);	/* addr = is_shmem */
	assert_true(r->collapsed);
	regions_free(&rs);

	regions_init(&rs);
	memset(longname, 'x', sizeof(longname));
	snprintf(longname, sizeof(longname), "/tmp/%0120d.bin (deleted)", 7);
	e = ev(EV_STATE, 0.1);
	e.fields = EVF_STATE | EVF_FILE;
	e.region = R0;
	e.state = PS_PTE;
	snprintf(e.file, sizeof(e.file), "%s", longname);
	r = regions_feed(&rs, &e);
	assert_non_null(r);
	snprintf(longname, sizeof(longname), "%0120d.bin", 7);
	longname[63] = 0;		/* what the BPF record keeps */
	assert_ptr_equal(scan(&rs, 1.0, MM, longname, "SCAN_PAGE_LOCK", true), r);
	longname[62] = 'y';
	assert_null(scan(&rs, 1.1, MM, longname, "SCAN_PAGE_LOCK", true));
	assert_int_equal(r->scans, 1);
	regions_free(&rs);
}

static void test_many_regions(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	(void)st;

	regions_init(&rs);
	assert_non_null(madvise(&rs, 0.1, R0, 500 * MB2, 14, 0));
	assert_int_equal(rs.n, 500);
	for (size_t i = 0; i < 500; i++) {
		uint64_t s = R0 + i * MB2;
		assert_int_equal(rs.v[i].start, s);
		assert_ptr_equal(regions_find(&rs, MM, s), &rs.v[i]);
		state(&rs, 0.2, s, i % 2 ? PS_PMD : PS_PTE, false);
	}
	assert_null(regions_find(&rs, MM, R0 + 500 * MB2));
	assert_null(regions_find(&rs, 2, R0));
	exit_ev(&rs, 5.0);
	finish(&rs, &ctx);
	assert_int_equal(rs.n, 500);
	for (size_t i = 0; i < 500; i++) {
		assert_int_equal(rs.v[i].reason, i % 2 ? VR_HUGE : VR_NOT_SCANNED);
		assert_near(rs.v[i].t_exit, 5.0);
		assert_true(rs.v[i].why[0] != 0);
	}
	regions_free(&rs);
}

static void test_milestone_overflow(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	for (int i = 0; i < 100; i++)
		collapse(&rs, 1.0 + i * 0.1, R0, "SCAN_PAGE_COUNT", true);
	state(&rs, 20.0, R0, PS_PMD, true);
	exit_ev(&rs, 21.0);
	finish(&rs, &ctx);
	assert_int_equal(r->n_milestones, REGION_MAX_MILESTONES);
	/* madvised + scanned + 100 collapses + pmd_mapped + exit = 104 */
	assert_int_equal(r->dropped_milestones, 104 - REGION_MAX_MILESTONES);
	assert_int_equal(r->collapse_attempts, 100);
	assert_int_equal(r->collapse_failures, 100);
	/* the times and the verdict do not depend on what was dropped */
	assert_near(r->t_pmd, 20.0);
	assert_near(r->t_exit, 21.0);
	assert_near(r->madvise_to_pmd_s, 19.9);
	assert_int_equal(r->reason, VR_HUGE);
	assert_contains(r->why, "No collapse was seen");
	assert_string_equal(r->ms[REGION_MAX_MILESTONES - 1].what, "collapse");
	regions_free(&rs);
}

static uint64_t rnd(void)
{
	static uint64_t seed = 0x9e3779b97f4a7c15ULL;	/* xorshift: the same streams every run */

	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* Random streams over a few regions: no crash (run under ASan/UBSan), and
 * what finish promises holds whatever came in. */
static void test_random_streams(void **st)
{
	static const char *const results[] = { "SCAN_SUCCEED", "SCAN_PAGE_LRU", "pte_mapped_hugepage",
					       "SCAN_PMD_MAPPED", "", "1", "17", "SCAN_WHAT" };
	static const char *const comms[] = { "khugepaged", "thp_demo", "" };
	(void)st;

	for (int round = 0; round < 40; round++) {
		struct regions rs;
		struct thp_context ctx = ctx_default();
		double t = 0;

		regions_init(&rs);
		for (int i = 0; i < 2000; i++) {
			struct thp_event e = ev((enum ev_kind)(rnd() % (EV_KIND_MAX + 1)), t += 0.001);
			e.fields = (uint32_t)rnd();
			e.addr = R0 + (rnd() % 8) * MB2 + (rnd() % 3 ? 0 : rnd() % MB2);
			if (rnd() % 16 == 0)
				e.addr = rnd();
			e.len = (rnd() % 4) * MB2 + rnd() % 3;
			e.behavior = (int)(rnd() % 4 ? 14 + rnd() % 2 : 25);
			e.ret = rnd() % 5 ? 0 : -22;
			e.region = rnd() % 2 ? e.addr : 0;
			e.state = (enum page_state)(rnd() % 4);
			e.thp = rnd() % 2;
			e.mm_id = (uint32_t)(rnd() % 3);
			e.pid = e.tgid = e.target_pid = PID + (uint32_t)(rnd() % 2);
			snprintf(e.comm, sizeof(e.comm), "%s", comms[rnd() % 3]);
			snprintf(e.result_name, sizeof(e.result_name), "%s", results[rnd() % 8]);
			snprintf(e.file, sizeof(e.file), "%s", rnd() % 2 ? "data.bin" : "");
			if (rnd() % 50 == 0)
				t -= 0.01;	/* a little disorder */
			regions_feed(&rs, &e);
		}
		if (round % 2)
			for (size_t i = 0; i < rs.n; i++)
				tmpfs_info(&rs.v[i], round % 4 == 1 ? "never" : "advise");
		regions_finish(&rs, round % 3 ? &ctx : NULL);
		for (size_t i = 0; i < rs.n; i++) {
			const struct region *r = &rs.v[i];
			assert_true(r->n_milestones <= REGION_MAX_MILESTONES);
			assert_true((unsigned)r->reason < VR_MAX);
			assert_non_null(memchr(r->why, 0, sizeof(r->why)));
			assert_true(r->why[0] != 0);
			assert_int_equal(r->start & ~THP_REGION_MASK, 0);
			for (size_t k = 1; k < r->n_milestones; k++)
				assert_true(r->ms[k - 1].t <= r->ms[k].t);
			if (r->final_state == PS_PMD)
				assert_int_equal(r->reason, VR_HUGE);
			if (r->collapsed && r->final_state == PS_NONE)
				assert_int_equal(r->reason, VR_COLLAPSED_NOT_REFAULTED);
			assert_true(r->madvise_to_pmd_s < 0 || r->t_madvise >= 0);
		}
		regions_free(&rs);
	}
}

/* ---- recorded streams (tests/data/regions, see its README) ---- */

/* One line of thptrace --json back into an event: just the members the
 * region machine reads. */
static void json_event(const char *line, struct thp_event *e)
{
	static struct jsonr j;
	char err[160];
	const char *str;
	uint64_t u;
	int64_t i;
	bool b;

	if (jsonr_parse(&j, line, strlen(line), err, sizeof(err)) != 0)
		fail_msg("bad line (%s): %s", err, line);
	memset(e, 0, sizeof(*e));
	assert_int_equal(jsonr_str(&j, "event", &str, err, sizeof(err)), 1);
	e->kind = ev_kind_from_name(str);
	assert_int_equal(jsonr_double(&j, "t", &e->t, err, sizeof(err)), 1);
	if (jsonr_str(&j, "comm", &str, err, sizeof(err)) == 1)
		snprintf(e->comm, sizeof(e->comm), "%s", str);
	if (jsonr_str(&j, "via", &str, err, sizeof(err)) == 1)
		e->via = ev_via_from_name(str);
#define U32(key, field) if (jsonr_u64(&j, key, &u, err, sizeof(err)) == 1) e->field = (uint32_t)u
	U32("pid", pid);
	U32("tgid", tgid);
	U32("mm", mm_id);
	U32("target_pid", target_pid);
#undef U32
	if (jsonr_hex(&j, "addr", &e->addr, err, sizeof(err)) == 1)
		e->fields |= EVF_ADDR;
	if (jsonr_u64(&j, "len", &e->len, err, sizeof(err)) == 1)
		e->fields |= EVF_LEN;
	if (jsonr_i64(&j, "advice", &i, err, sizeof(err)) == 1)
		e->behavior = (int32_t)i, e->fields |= EVF_BEHAVIOR;
	if (jsonr_i64(&j, "ret", &e->ret, err, sizeof(err)) == 1)
		e->fields |= EVF_RET;
	if (jsonr_str(&j, "file", &str, err, sizeof(err)) == 1)
		snprintf(e->file, sizeof(e->file), "%s", str), e->fields |= EVF_FILE;
	if (jsonr_str(&j, "result", &str, err, sizeof(err)) == 1)
		snprintf(e->result_name, sizeof(e->result_name), "%s", str), e->fields |= EVF_RESULT;
	if (jsonr_u64(&j, "pgoff", &e->pgoff, err, sizeof(err)) == 1)
		e->fields |= EVF_PGOFF;
	if (jsonr_u64(&j, "error_code", &e->errcode, err, sizeof(err)) == 1)
		e->fields |= EVF_ERRCODE;
	if (jsonr_i64(&j, "present", &i, err, sizeof(err)) == 1)
		e->present = (int32_t)i, e->fields |= EVF_PRESENT;
	if (jsonr_i64(&j, "swap", &i, err, sizeof(err)) == 1)
		e->swap = (int32_t)i;
	jsonr_hex(&j, "region", &e->region, err, sizeof(err));
	if (jsonr_str(&j, "state", &str, err, sizeof(err)) == 1)
		e->state = page_state_from_name(str), e->fields |= EVF_STATE;
	if (jsonr_bool(&j, "thp", &b, err, sizeof(err)) == 1)
		e->thp = b;
}

/* Replay one recording; returns its file-backed region (the demo's own
 * first 2 MiB) and checks that the anonymous ones ended huge. */
static struct region *replay(struct regions *rs, const char *name, const struct thp_context *ctx)
{
	char path[512], line[8192];
	const char *slash = strrchr(__FILE__, '/');
	struct region *file_region = NULL;
	struct thp_event e;
	FILE *f;
	int n = 0;

	/* __FILE__ is tests/unit/test_regions.c, relative to where make runs */
	snprintf(path, sizeof(path), "%.*s/../data/regions/%s.jsonl",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	regions_init(rs);
	while (fgets(line, sizeof(line), f)) {
		json_event(line, &e);
		regions_feed(rs, &e);
		n++;
	}
	fclose(f);
	assert_true(n > 3);
	finish(rs, ctx);
	for (size_t i = 0; i < rs->n; i++) {
		struct region *r = &rs->v[i];
		if (strstr(r->file, name)) {
			assert_null(file_region);
			file_region = r;
		} else {
			assert_string_equal(r->file, "");
			assert_int_equal(r->reason, VR_HUGE);	/* the anonymous helper region */
		}
	}
	if (!file_region)
		fail_msg("%s: no region of the demo's file", name);
	return file_region;
}

/* Real 6.18 runs of tests/workloads/thp_demo (tmpfs huge=advise, khugepaged
 * scan period 100 ms, tracepoints only), one per seed outcome. */
static void test_recorded_streams(void **st)
{
	struct thp_context ctx = ctx_default();
	struct regions rs;
	struct region *r;
	(void)st;

	ctx.full_scans_start = ctx.full_scans_end = 0;
	ctx.duration_s = -1;

	r = replay(&rs, "khugepaged_huge", &ctx);
	assert_int_equal(r->reason, VR_HUGE);
	assert_true(r->collapsed && r->cleared_after_collapse);
	assert_false(r->madv_collapse);
	assert_near(r->t_collapse, 0.165609);
	assert_near(r->t_cleared, 0.165609);	/* pagemap saw it at 0.172681 */
	assert_near(r->t_refault, 0.180618);
	assert_near(r->unmapped_s, 0.180618 - 0.165609);
	assert_near(r->t_pmd, 0.184406);
	assert_true(r->madvise_to_pmd_s > 0.1 && r->madvise_to_pmd_s < 0.12);
	assert_contains(r->why, "khugepaged built the huge page at 0.166 s and cleared the old page table; the refault at 0.181 s mapped it as one huge page (unmapped for 15 ms)");
	regions_free(&rs);

	r = replay(&rs, "khugepaged_not_refaulted", &ctx);
	assert_int_equal(r->reason, VR_COLLAPSED_NOT_REFAULTED);
	assert_int_equal(r->final_state, PS_NONE);
	assert_true(r->t_refault < 0 && r->unmapped_s < 0);
	assert_contains(r->why, "not mapped at all when the process exited (pagemap: not present)");
	regions_free(&rs);

	r = replay(&rs, "nohugepage_refault", &ctx);
	assert_int_equal(r->reason, VR_REFAULTED_AS_PTE);
	assert_true(r->nohuge && r->thp);
	assert_true(r->t_nohuge > r->t_collapse && r->t_refault > r->t_nohuge);
	assert_contains(r->why, "after the collapse");
	regions_free(&rs);

	r = replay(&rs, "madv_collapse", &ctx);
	assert_int_equal(r->reason, VR_HUGE);
	assert_true(r->madv_collapse && r->collapsed);
	assert_int_equal(r->collapse_attempts, 1);
	assert_true(r->t_refault < 0);
	assert_contains(r->why, "MADV_COLLAPSE built the huge page");
	regions_free(&rs);

	r = replay(&rs, "file_only_not_scanned", &ctx);
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	assert_false(rs.mm_scanned[r->mm_id]);
	assert_int_equal(r->final_state, PS_PTE);
	assert_contains(r->why, "0 full scans passed");
	regions_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_khugepaged),
		cmocka_unit_test(test_huge_madv_collapse),
		cmocka_unit_test(test_huge_tracepoints_only),
		cmocka_unit_test(test_not_scanned),
		cmocka_unit_test(test_not_eligible_tmpfs_never),
		cmocka_unit_test(test_not_eligible_layout),
		cmocka_unit_test(test_scan_failed),
		cmocka_unit_test(test_scan_result_meaning),
		cmocka_unit_test(test_collapsed_not_refaulted),
		cmocka_unit_test(test_refaulted_as_pte),
		cmocka_unit_test(test_events_outside_regions),
		cmocka_unit_test(test_attribution_by_file),
		cmocka_unit_test(test_many_regions),
		cmocka_unit_test(test_milestone_overflow),
		cmocka_unit_test(test_random_streams),
		cmocka_unit_test(test_recorded_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
