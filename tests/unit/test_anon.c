/* Unit tests for anonymous and multi-size THP (issue 13): hand-written
 * event streams shaped like what the tracer records on a tracepoint-only
 * kernel (6.18) and where function probes attach (6.12, 6.1), replayed
 * through the region state machine; each verdict, its evidence and its
 * words; the new events' JSON keys written and read back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/regions.h"
#include "sinks/explain.h"
#include "sinks/output.h"
#include "input/jsonl.h"

#define R0 0x7f0000000000ULL
#define R1 (R0 + THP_REGION_SIZE)
#define PID 4242
#define MM 1

#define assert_contains(hay, needle)                                                   \
	do {                                                                           \
		if (!strstr((hay), (needle)))                                          \
			fail_msg("'%s' lacks '%s'", (hay), (needle));                  \
	} while (0)

static struct thp_event ev(enum ev_kind kind, double t)
{
	struct thp_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.t = t;
	e.ts_ns = (uint64_t)(t * 1e9) + 1000;
	e.pid = e.tgid = e.target_pid = PID;
	e.mm_id = MM;
	e.via = VIA_ID_TRACEPOINT;
	e.referenced = e.none_or_zero = e.unmapped = e.isolated = -1;
	snprintf(e.comm, sizeof(e.comm), "app");
	return e;
}

static void madvise(struct regions *rs, double t, int behavior)
{
	struct thp_event e = ev(EV_MADVISE, t);

	e.fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
	e.addr = R0;
	e.len = 2 * THP_REGION_SIZE;
	e.behavior = behavior;
	regions_feed(rs, &e);
}

static void state(struct regions *rs, double t, uint64_t region, enum page_state s, bool thp)
{
	struct thp_event e = ev(EV_STATE, t);

	e.via = VIA_ID_PAGEMAP;
	e.fields = EVF_STATE;
	e.region = region;
	e.state = s;
	e.thp = thp;
	e.present = s == PS_NONE ? 0 : 512;
	regions_feed(rs, &e);
}

/* The first sample with pages present, with the fault counters' rise. */
static void state_faultstat(struct regions *rs, double t, uint64_t region, int64_t alloc, int64_t fallback,
			    int64_t charge)
{
	struct thp_event e = ev(EV_STATE, t);

	e.via = VIA_ID_PAGEMAP;
	e.fields = EVF_STATE | EVF_FAULTSTAT;
	e.region = region;
	e.state = PS_PTE;
	e.present = 1;
	e.fault_alloc_delta = alloc;
	e.fault_fallback_delta = fallback;
	e.fault_charge_delta = charge;
	e.faultstat_since_t = t - 0.01;
	regions_feed(rs, &e);
}

static void fault(struct regions *rs, double t, uint64_t addr)
{
	struct thp_event e = ev(EV_FAULT, t);

	e.fields = EVF_ADDR | EVF_ERRCODE;
	e.addr = addr;
	e.errcode = 6;
	regions_feed(rs, &e);
}

static void page_alloc(struct regions *rs, double t, int order, uint32_t pid)
{
	struct thp_event e = ev(EV_PAGE_ALLOC, t);

	e.fields = EVF_ORDER;
	e.order = order;
	e.pid = pid;
	regions_feed(rs, &e);
}

/* as the BPF program reports it: ret 0 allocated, -ENOMEM failed */
static void page_alloc_ret(struct regions *rs, double t, int order, int ret)
{
	struct thp_event e = ev(EV_PAGE_ALLOC, t);

	e.fields = EVF_ORDER | EVF_RET;
	e.order = order;
	e.ret = ret;
	regions_feed(rs, &e);
}

/* do_huge_pmd_anonymous_page's fexit */
static void huge_fault(struct regions *rs, double t, uint64_t addr, int64_t ret)
{
	struct thp_event e = ev(EV_HUGE_FAULT, t);

	e.fields = EVF_ADDR | EVF_RET;
	e.addr = addr;
	e.ret = ret;
	regions_feed(rs, &e);
}

/* mm_khugepaged_scan_pmd (addr 0: none) or hpage_collapse_scan_pmd's fexit */
static void scan_pmd(struct regions *rs, double t, uint64_t addr, bool guess, const char *result, bool kh,
		     int referenced, int none)
{
	struct thp_event e = ev(EV_SCAN_PMD, t);

	e.fields = EVF_RESULT | EVF_ANON_SCAN | (addr ? EVF_ADDR : 0) | (guess ? EVF_ADDR_GUESS : 0);
	e.addr = addr;
	e.referenced = referenced;
	e.none_or_zero = none;
	snprintf(e.result_name, sizeof(e.result_name), "%s", result);
	if (kh) {
		e.pid = e.tgid = 77;
		snprintf(e.comm, sizeof(e.comm), "khugepaged");
	}
	regions_feed(rs, &e);
}

static void anon_facts(struct regions *rs, uint64_t region, int thp_disabled)
{
	struct thp_event e = ev(EV_REGION_FILE, 0.0001);

	e.region = region;
	e.finfo.is_shmem = 0;
	e.finfo.open_for_write = -1;
	e.finfo.fully_mapped = 1;
	e.finfo.file_aligned = -1;
	e.finfo.thp_disabled = thp_disabled;
	regions_feed(rs, &e);
}

static struct thp_context ctx_anon(const char *defrag)
{
	struct thp_context c = {
		.thp_enabled = "madvise", .shmem_enabled = "never", .scan_sleep_ms = 100,
		.pages_to_scan = 4096, .full_scans_start = 10, .full_scans_end = 40,
		.read_only_thp_for_fs = 0, .duration_s = 5.0, .have_max_ptes = true,
		.max_ptes_none = 64, .max_ptes_swap = 64, .max_ptes_shared = 256,
		.mthp_enabled = "16kB:never 64kB:always 2048kB:never",
	};
	snprintf(c.defrag, sizeof(c.defrag), "%s", defrag);
	return c;
}

static void finish(struct regions *rs, const struct thp_context *c)
{
	struct thp_context open = *c;

	regions_feed(rs, &(struct thp_event){ .kind = EV_CONTEXT, .ctx = &open, .start_ns = 1000 });
	regions_finish(rs);
}

static const struct region *region_at(const struct regions *rs, uint64_t start)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].start == start)
			return &rs->v[i];
	fail_msg("no region at %#llx", (unsigned long long)start);
	return NULL;
}

static const char *why(const struct region *r)
{
	static char w[EXPLAIN_WHY_MAX];

	return explain_why(r, w, sizeof(w));
}

/* MADV_HUGEPAGE, a fault, an order-9 allocation by the same thread: huge
 * at fault, observed; the second region has no allocation: inferred. */
static void test_huge_at_fault(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct regions rs;
	const struct region *r;

	(void)state_;
	regions_init(&rs);
	madvise(&rs, 0.10, 14);
	state(&rs, 0.11, R0, PS_NONE, false);
	state(&rs, 0.11, R1, PS_NONE, false);
	fault(&rs, 0.200, R0 + 0x123);
	page_alloc(&rs, 0.2001, 9, PID);
	page_alloc(&rs, 0.2002, 9, PID + 1);	/* another thread: not this fault's */
	fault(&rs, 0.300, R1);
	state(&rs, 0.31, R0, PS_PMD, true);
	state(&rs, 0.31, R1, PS_PMD, true);
	finish(&rs, &c);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_HUGE);
	assert_int_equal(r->ev.became, BH_FAULT);
	assert_false(r->ev.became_inferred);
	assert_contains(why(r), "allocated a 2 MiB folio at 0.200 s");
	r = region_at(&rs, R1);
	assert_int_equal(r->reason, VR_HUGE);
	assert_int_equal(r->ev.became, BH_FAULT);
	assert_true(r->ev.became_inferred);
	assert_contains(why(r), "inferred");
	regions_free(&rs);
}

/* khugepaged: by function probe (an address), and by tracepoint (a success
 * without a usable address, placed on the region that became PMD-mapped). */
static void test_collapsed_by_khugepaged(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct regions rs;
	const struct region *r;

	(void)state_;
	regions_init(&rs);
	madvise(&rs, 0.10, 14);
	state(&rs, 0.11, R0, PS_PTE, false);
	state(&rs, 0.11, R1, PS_PTE, false);
	scan_pmd(&rs, 0.50, R0, false, "SCAN_SUCCEED", true, -1, -1);
	/* the tracepoint's guess after a success is not trusted */
	scan_pmd(&rs, 0.60, R0, true, "SCAN_SUCCEED", true, 32, 480);
	state(&rs, 0.52, R0, PS_PMD, true);
	state(&rs, 0.62, R1, PS_PMD, true);
	finish(&rs, &c);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_HUGE);
	assert_int_equal(r->ev.became, BH_KHUGEPAGED);
	assert_false(r->ev.became_inferred);
	assert_contains(why(r), "khugepaged collapsed its small pages into a huge page at 0.500 s");
	r = region_at(&rs, R1);
	assert_int_equal(r->reason, VR_HUGE);
	assert_int_equal(r->ev.became, BH_KHUGEPAGED);
	assert_true(r->ev.became_inferred);
	regions_free(&rs);
}

/* MADV_COLLAPSE: the scan in the process itself comes before its madvise. */
static void test_madv_collapse(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct regions rs;
	const struct region *r;

	(void)state_;
	regions_init(&rs);
	state(&rs, 0.05, R0, PS_PTE, false);
	scan_pmd(&rs, 0.20, 0, false, "SCAN_SUCCEED", false, 512, 0);
	madvise(&rs, 0.21, 25);
	state(&rs, 0.22, R0, PS_PMD, true);
	finish(&rs, &c);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_HUGE);
	assert_int_equal(r->ev.became, BH_MADV_COLLAPSE);
	assert_contains(why(r), "MADV_COLLAPSE collapsed its small pages");
	regions_free(&rs);
}

/* max_ptes_none set low: the failure, the knob and its value. */
static void test_refused_max_ptes_none(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct regions rs;
	const struct region *r;

	(void)state_;
	regions_init(&rs);
	madvise(&rs, 0.10, 14);
	state(&rs, 0.11, R0, PS_PTE, false);
	scan_pmd(&rs, 0.30, R0, true, "SCAN_EXCEED_NONE_PTE", true, 5, 65);
	finish(&rs, &c);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_SCAN_FAILED);
	assert_string_equal(r->last_result, "SCAN_EXCEED_NONE_PTE");
	assert_contains(why(r), "khugepaged scanned this region and gave up");
	assert_contains(why(r), "Decided by khugepaged/max_ptes_none = 64");
	assert_contains(why(r), "65 empty or zero-page");
	regions_free(&rs);
}

/* A fault that got small pages while eligible: the counters tell why. */
static void test_fault_fallback(void **state_)
{
	static const struct {
		const char *defrag;
		int64_t alloc, fallback, charge;
		enum fallback_cause want;
		const char *words;
	} cases[] = {
		{ "madvise", 0, 1, 1, FB_CGROUP_CHARGE, "memory cgroup's limit refused" },
		{ "never", 0, 1, 0, FB_NO_COMPACTION, "defrag is never" },
		{ "always", 0, 1, 0, FB_ALLOC_FAILED, "even after compaction" },
		{ "madvise", 0, 0, 0, FB_NOT_TRIED, "did not try a huge page" },
	};

	(void)state_;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct thp_context c = ctx_anon(cases[i].defrag);
		struct regions rs;
		const struct region *r;

		regions_init(&rs);
		madvise(&rs, 0.10, 14);
		state(&rs, 0.11, R0, PS_NONE, false);
		fault(&rs, 0.20, R0);
		state_faultstat(&rs, 0.21, R0, cases[i].alloc, cases[i].fallback, cases[i].charge);
		finish(&rs, &c);
		r = region_at(&rs, R0);
		assert_int_equal(r->reason, VR_FAULT_FALLBACK);
		assert_int_equal(r->ev.fallback, cases[i].want);
		assert_true(r->ev.fallback_inferred);
		assert_contains(why(r), cases[i].words);
		regions_free(&rs);
	}
}

/* The fault's own 2 MiB allocation tells the cause, whatever the
 * system-wide counters say (other processes move them too): it failed, or
 * it succeeded and the fault still fell back (the cgroup's charge).  An
 * allocation without the huge fault's result leaves it to the counters. */
static void test_fallback_told_by_alloc(void **state_)
{
	static const struct {
		const char *defrag;
		int alloc_ret;
		bool fexit;		/* do_huge_pmd_anonymous_page seen */
		bool counters;		/* a sample with the counters' rise (charge 0, fallback 1) */
		double alloc_dt;	/* the allocation this long after the fault */
		enum fallback_cause want;
		enum fallback_from from;
		const char *words;
	} cases[] = {
		{ "madvise", 0, true, false, 0.0001, FB_CGROUP_CHARGE, FF_PAGE_ALLOC, "allocation succeed before the fault fell back" },
		{ "madvise", 0, true, true, 0.0001, FB_CGROUP_CHARGE, FF_PAGE_ALLOC, "memory cgroup's limit refused" },
		{ "never", -12, true, true, 0.0001, FB_NO_COMPACTION, FF_PAGE_ALLOC, "2 MiB allocation fail)" },
		{ "always", -12, false, false, 0.0001, FB_ALLOC_FAILED, FF_PAGE_ALLOC, "even after compaction" },
		{ "never", 0, false, true, 0.0001, FB_NO_COMPACTION, FF_COUNTERS, "anon_fault_fallback rose by 1" },
		{ "madvise", 0, false, false, 0.0001, FB_UNKNOWN, FF_NONE, "not known" },
		/* an emulated machine: the allocation 15 ms after the fault's
		 * tracepoint; do_huge_pmd_anonymous_page's return claims it */
		{ "madvise", 0, true, true, 0.015, FB_CGROUP_CHARGE, FF_PAGE_ALLOC, "allocation succeed before" },
		{ "never", -12, true, false, 0.015, FB_NO_COMPACTION, FF_PAGE_ALLOC, "2 MiB allocation fail)" },
		/* ... and without that return, a late allocation is no fault's */
		{ "never", 0, false, true, 0.015, FB_NO_COMPACTION, FF_COUNTERS, "anon_fault_fallback rose by 1" },
	};

	(void)state_;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct thp_context c = ctx_anon(cases[i].defrag);
		struct regions rs;
		const struct region *r;

		regions_init(&rs);
		madvise(&rs, 0.10, 14);
		state(&rs, 0.11, R0, PS_NONE, false);
		fault(&rs, 0.20, R0);
		page_alloc_ret(&rs, 0.20 + cases[i].alloc_dt, 9, cases[i].alloc_ret);
		if (cases[i].fexit)
			huge_fault(&rs, 0.2001 + cases[i].alloc_dt, R0, 0x800);
		if (cases[i].counters)
			state_faultstat(&rs, 0.23, R0, 0, 1, 0);
		else
			state(&rs, 0.23, R0, PS_PTE, false);
		finish(&rs, &c);
		r = region_at(&rs, R0);
		assert_int_equal(r->reason, VR_FAULT_FALLBACK);
		assert_int_equal(r->ev.fallback, cases[i].want);
		assert_int_equal(r->ev.fallback_from, cases[i].from);
		assert_int_equal(r->ev.fallback_inferred, !cases[i].fexit);
		assert_contains(why(r), cases[i].words);
		regions_free(&rs);
	}
}

/* THP mode always under -a's filter: the fault itself is only counted
 * (never recorded), the 2 MiB allocation comes without one, and
 * do_huge_pmd_anonymous_page's return makes the region, huge or fallen
 * back, with the allocation's outcome. */
static void test_always_filtered_fault(void **state_)
{
	struct thp_context c = ctx_anon("never");
	struct regions rs;
	const struct region *r;

	(void)state_;
	snprintf(c.thp_enabled, sizeof(c.thp_enabled), "always");
	regions_init(&rs);
	page_alloc_ret(&rs, 0.30, 9, 0);
	huge_fault(&rs, 0.3001, R0 + 0x1000, 0);
	state(&rs, 0.31, R0, PS_PMD, true);
	page_alloc_ret(&rs, 0.40, 9, -12);
	huge_fault(&rs, 0.4001, R1 + 0x1000, 0x800);
	state(&rs, 0.41, R1, PS_PTE, false);
	finish(&rs, &c);
	assert_int_equal(rs.n, 2);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_HUGE);
	assert_int_equal(r->ev.became, BH_FAULT);
	assert_false(r->ev.became_inferred);
	r = region_at(&rs, R1);
	assert_int_equal(r->reason, VR_FAULT_FALLBACK);
	assert_int_equal(r->ev.fallback, FB_NO_COMPACTION);
	assert_int_equal(r->ev.fallback_from, FF_PAGE_ALLOC);
	assert_false(r->ev.fallback_inferred);
	assert_contains(why(r), "THP mode always");
	regions_free(&rs);
}

/* The fault fell back first; khugepaged's later failure is told in the why. */
static void test_fallback_then_scan_failed(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct regions rs;
	const struct region *r;

	(void)state_;
	regions_init(&rs);
	madvise(&rs, 0.10, 14);
	state(&rs, 0.11, R0, PS_NONE, false);
	fault(&rs, 0.20, R0);
	state_faultstat(&rs, 0.21, R0, 0, 1, 1);
	scan_pmd(&rs, 0.40, R0, true, "SCAN_CGROUP_CHARGE_FAIL", true, 1, 511);
	finish(&rs, &c);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_FAULT_FALLBACK);
	assert_int_equal(r->ev.fallback, FB_CGROUP_CHARGE);
	assert_contains(why(r), "khugepaged has tried to collapse it since and failed: SCAN_CGROUP_CHARGE_FAIL");
	regions_free(&rs);
}

/* THP mode always, no madvise: a huge page made at a fault makes its
 * region (THP activity); an order-9 allocation long after the fault, or
 * with no fault before it, is no fault's. */
static void test_region_from_huge_fault(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct regions rs;
	const struct region *r;

	(void)state_;
	snprintf(c.thp_enabled, sizeof(c.thp_enabled), "always");
	regions_init(&rs);
	page_alloc(&rs, 0.05, 9, PID);		/* no fault before it */
	fault(&rs, 0.10, R1 + 0x40);
	page_alloc(&rs, 0.50, 9, PID);		/* too late for that fault */
	fault(&rs, 0.60, R0 + 0x40);
	page_alloc(&rs, 0.6001, 9, PID);
	state(&rs, 0.61, R0, PS_PMD, true);
	finish(&rs, &c);
	assert_int_equal(rs.n, 1);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_HUGE);
	assert_int_equal(r->ev.became, BH_FAULT);
	assert_false(r->ev.became_inferred);
	regions_free(&rs);
}

/* Pages touched before MADV_HUGEPAGE: no fault could have been huge, so
 * not fault_fallback (khugepaged's business: not_scanned here). */
static void test_touched_before_madvise(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct regions rs;

	(void)state_;
	regions_init(&rs);
	state(&rs, 0.05, R0, PS_PTE, false);
	madvise(&rs, 0.10, 14);
	finish(&rs, &c);
	assert_int_equal(region_at(&rs, R0)->reason, VR_NOT_SCANNED);
	regions_free(&rs);
}

/* Multi-size THP: the folio sizes the sample found, named. */
static void test_mthp(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct thp_event e = ev(EV_STATE, 0.3);
	struct regions rs;
	const struct region *r;

	(void)state_;
	regions_init(&rs);
	madvise(&rs, 0.10, 14);
	state(&rs, 0.11, R0, PS_NONE, false);
	fault(&rs, 0.20, R0);
	page_alloc(&rs, 0.2001, 4, PID);
	e.via = VIA_ID_PAGEMAP;
	e.fields = EVF_STATE | EVF_FOLIOS;
	e.region = R0;
	e.state = PS_PTE;
	e.thp = true;
	e.present = 512;
	e.folio_orders = 1u << 4;
	regions_feed(&rs, &e);
	finish(&rs, &c);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_MTHP);
	assert_int_equal(r->ev.mthp_orders, 1u << 4);
	assert_contains(why(r), "multi-size THP folios of 64 kB");
	assert_contains(why(r), "64kB:always");
	regions_free(&rs);
}

/* PR_SET_THP_DISABLE and MADV_NOHUGEPAGE: not eligible, the rule named. */
static void test_not_eligible(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct regions rs;
	const struct region *r;

	(void)state_;
	regions_init(&rs);
	anon_facts(&rs, R0, 1);
	madvise(&rs, 0.10, 14);
	state(&rs, 0.11, R0, PS_NONE, false);
	state(&rs, 0.21, R0, PS_PTE, false);
	finish(&rs, &c);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_true(r->ev.blockers & EB_PROCESS_DISABLED);
	assert_contains(why(r), "PR_SET_THP_DISABLE");
	regions_free(&rs);

	regions_init(&rs);
	madvise(&rs, 0.10, 14);
	madvise(&rs, 0.11, 15);
	state(&rs, 0.21, R0, PS_PTE, false);
	finish(&rs, &c);
	assert_int_equal(region_at(&rs, R0)->reason, VR_NOT_ELIGIBLE);
	assert_contains(why(region_at(&rs, R0)), "MADV_NOHUGEPAGE");
	regions_free(&rs);
}

/* A knob changed during the run (EV_SETTINGS): the why uses its value. */
static void test_settings_change(void **state_)
{
	struct thp_context c = ctx_anon("madvise");
	struct thp_event k = ev(EV_SETTINGS, 0.2);
	struct regions rs;
	const struct region *r;

	(void)state_;
	regions_init(&rs);
	regions_feed(&rs, &(struct thp_event){ .kind = EV_CONTEXT, .ctx = &c, .start_ns = 1000 });
	madvise(&rs, 0.10, 14);
	state(&rs, 0.11, R0, PS_PTE, false);
	k.via = VIA_ID_SYSFS;
	k.fields = EVF_KNOB;
	snprintf(k.knob, sizeof(k.knob), "khugepaged/max_ptes_none");
	snprintf(k.value, sizeof(k.value), "32");
	snprintf(k.old_value, sizeof(k.old_value), "64");
	regions_feed(&rs, &k);
	snprintf(k.knob, sizeof(k.knob), "hugepages-64kB/enabled");
	snprintf(k.value, sizeof(k.value), "madvise");
	snprintf(k.old_value, sizeof(k.old_value), "always");
	regions_feed(&rs, &k);
	scan_pmd(&rs, 0.30, R0, true, "SCAN_EXCEED_NONE_PTE", true, 5, 33);
	regions_finish(&rs);
	r = region_at(&rs, R0);
	assert_int_equal(r->reason, VR_SCAN_FAILED);
	assert_contains(why(r), "max_ptes_none = 32");
	assert_string_equal(r->ev.ctx->mthp_enabled, "16kB:never 64kB:madvise 2048kB:never");
	regions_free(&rs);
}

/* Names in the verdict table and back. */
static void test_names(void **state_)
{
	(void)state_;
	assert_string_equal(verdict_reason_name(VR_FAULT_FALLBACK), "fault_fallback");
	assert_string_equal(verdict_reason_name(VR_MTHP), "mthp");
	assert_int_equal(verdict_reason_from_name("mthp"), VR_MTHP);
	assert_string_equal(ev_kind_name(EV_SCAN_PMD), "scan_pmd");
	assert_int_equal(ev_kind_from_name("page_alloc"), EV_PAGE_ALLOC);
	assert_string_equal(ms_kind_name(MS_FAULT_ALLOC), "fault_alloc");
}

/* A JSON line of each new event reads back as the same event. */
static void roundtrip(const struct thp_event *in)
{
	struct jsonl_reader jr;
	struct run_summary sum;
	struct thp_event out;
	char *buf = NULL, err[160], *line2 = NULL;
	size_t len = 0, len2 = 0;
	FILE *f = open_memstream(&buf, &len);

	json_event(f, in, NULL);
	fclose(f);
	jsonl_init(&jr);
	assert_int_equal(jsonl_parse(&jr, buf, strlen(buf) - 1, true, &out, &sum, err, sizeof(err)), JL_EVENT);
	assert_int_equal(out.kind, in->kind);
	assert_int_equal(out.fields, in->fields);
	f = open_memstream(&line2, &len2);
	json_event(f, &out, NULL);
	fclose(f);
	assert_string_equal(buf, line2);
	free(buf);
	free(line2);
}

static void test_json_roundtrip(void **state_)
{
	struct thp_event e = ev(EV_SCAN_PMD, 1.5);

	(void)state_;
	e.fields = EVF_ADDR | EVF_ADDR_GUESS | EVF_RESULT | EVF_ANON_SCAN;
	e.addr = R0;
	snprintf(e.result_name, sizeof(e.result_name), "SCAN_EXCEED_NONE_PTE");
	e.result = 5;
	e.referenced = 5;
	e.none_or_zero = 65;
	e.unmapped = 0;
	roundtrip(&e);

	e = ev(EV_COLLAPSE_HUGE_PAGE, 1.5);
	e.fields = EVF_RESULT | EVF_ANON_SCAN;
	snprintf(e.result_name, sizeof(e.result_name), "SCAN_SUCCEED");
	e.result = 1;
	e.isolated = 1;
	roundtrip(&e);

	e = ev(EV_PAGE_ALLOC, 1.5);
	e.fields = EVF_ORDER;
	e.order = 9;
	roundtrip(&e);

	e = ev(EV_HUGE_FAULT, 1.5);
	e.via = VIA_ID_FEXIT;
	e.fields = EVF_ADDR | EVF_RET;
	e.addr = R0 + 0x1000;
	e.ret = 0x800;
	roundtrip(&e);

	e = ev(EV_STATE, 1.5);
	e.via = VIA_ID_PAGEMAP;
	e.fields = EVF_STATE | EVF_FAULTSTAT | EVF_FOLIOS;
	e.region = R0;
	e.state = PS_PTE;
	e.present = 512;
	e.thp = true;
	e.fault_alloc_delta = 0;
	e.fault_fallback_delta = 2;
	e.fault_charge_delta = 2;
	e.faultstat_since_t = 1.25;
	e.folio_orders = (1u << 4) | (1u << 2);
	roundtrip(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_at_fault),
		cmocka_unit_test(test_collapsed_by_khugepaged),
		cmocka_unit_test(test_madv_collapse),
		cmocka_unit_test(test_refused_max_ptes_none),
		cmocka_unit_test(test_fault_fallback),
		cmocka_unit_test(test_fallback_then_scan_failed),
		cmocka_unit_test(test_fallback_told_by_alloc),
		cmocka_unit_test(test_always_filtered_fault),
		cmocka_unit_test(test_region_from_huge_fault),
		cmocka_unit_test(test_touched_before_madvise),
		cmocka_unit_test(test_mthp),
		cmocka_unit_test(test_not_eligible),
		cmocka_unit_test(test_settings_change),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_json_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
