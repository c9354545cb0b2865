/* Unit tests for the region state machine (src/model/) and the words for
 * it (src/sinks/explain.c): hand-written event streams, shaped like what
 * the tracer records, replayed through it; every verdict reason, its typed
 * milestones and evidence, the page-state intervals, the times and the
 * text.  Machine facts come as events (EV_CONTEXT, EV_REGION_FILE), as in
 * a live run; random streams check that every verdict follows from its
 * region's facts. */
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
#include "sinks/explain.h"
#include "input/jsonl.h"

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

static void assert_same_ctx(const struct thp_context *a, const struct thp_context *b)
{
	assert_string_equal(a->thp_enabled, b->thp_enabled);
	assert_string_equal(a->shmem_enabled, b->shmem_enabled);
	assert_string_equal(a->defrag, b->defrag);
	assert_int_equal(a->scan_sleep_ms, b->scan_sleep_ms);
	assert_int_equal(a->pages_to_scan, b->pages_to_scan);
	assert_int_equal(a->full_scans_start, b->full_scans_start);
	assert_int_equal(a->full_scans_end, b->full_scans_end);
	assert_int_equal(a->read_only_thp_for_fs, b->read_only_thp_for_fs);
	assert_near(a->duration_s, b->duration_s);
}

/* The settings as a live run sends them (cli/trace.c): an opening
 * EV_CONTEXT with what is known at the start, and at the end one with
 * ctx_end, carrying only full_scans_end and the duration.  They concern no
 * region. */
static void context_open(struct regions *rs, const struct thp_context *c)
{
	struct thp_context open = *c;

	open.full_scans_end = -1;
	open.duration_s = -1;
	assert_null(regions_feed(rs, &(struct thp_event){ .kind = EV_CONTEXT, .ctx = &open,
							  .start_ns = 1000 }));
}

static void context_end(struct regions *rs, const struct thp_context *c)
{
	/* Only full_scans_end and duration_s count in the end one: the rest
	 * is garbage here, and must change nothing. */
	struct thp_context end = { .thp_enabled = "never", .shmem_enabled = "deny", .scan_sleep_ms = 1,
				   .pages_to_scan = 2, .full_scans_start = 3, .read_only_thp_for_fs = 1 };

	end.full_scans_end = c->full_scans_end;
	end.duration_s = c->duration_s;
	assert_null(regions_feed(rs, &(struct thp_event){ .kind = EV_CONTEXT, .ctx = &end,
							  .ctx_end = true }));
}

/* What a live run looks up for a tmpfs file (host/sysinfo.c). */
static struct region_file_info tmpfs_facts(const char *huge)
{
	struct region_file_info fi = { .is_shmem = 1, .open_for_write = 0, .fully_mapped = 1,
				       .file_aligned = 1 };

	snprintf(fi.tmpfs_huge, sizeof(fi.tmpfs_huge), "%s", huge);
	return fi;
}

/* EV_REGION_FILE for (mm, start): the region it concerns, or NULL when that
 * region does not exist yet (the model keeps the facts until it does). */
static struct region *region_file(struct regions *rs, uint32_t mm, uint64_t start,
				  const struct region_file_info *fi, const char *file)
{
	struct thp_event e = { .kind = EV_REGION_FILE, .mm_id = mm, .target_pid = PID, .region = start,
			       .finfo = *fi };

	snprintf(e.file, sizeof(e.file), "%s", file);
	return regions_feed(rs, &e);
}

/* The region (MM, start) exists: give it a tmpfs file's facts. */
static void tmpfs_info(struct regions *rs, uint64_t start, const char *huge)
{
	struct region_file_info fi = tmpfs_facts(huge);
	struct region *r = region_file(rs, MM, start, &fi, FILE_PATH);

	assert_non_null(r);
	assert_int_equal(r->start, start);
	assert_true(r->have_finfo);
	assert_string_equal(r->finfo.tmpfs_huge, huge);
	assert_int_equal(r->finfo.is_shmem, 1);
}

/* The words sinks/explain.c gives a milestone and a verdict (a few
 * rotating buffers, so that several fit in one assertion). */
static const char *detail(const struct milestone *m)
{
	static char buf[8][256];
	static int k;

	k = (k + 1) % 8;
	memset(buf[k], 'X', sizeof(buf[k]));
	return explain_milestone(m, buf[k], sizeof(buf[k]));
}

static const char *why(const struct region *r)
{
	static char buf[4][EXPLAIN_WHY_MAX];
	static int k;

	k = (k + 1) % 4;
	memset(buf[k], 'X', sizeof(buf[k]));
	return explain_why(r, buf[k], sizeof(buf[k]));
}

static const char *what(const struct milestone *m)
{
	return ms_kind_name(m->kind);
}

/* The milestones, in order, must be exactly these names at these times. */
static void expect_ms(const struct region *r, const char *const *names, const double *t, size_t n)
{
	if (r->n_milestones != n) {
		for (size_t i = 0; i < r->n_milestones; i++)
			print_message("  %.4f %s: %s\n", r->ms[i].t, what(&r->ms[i]), detail(&r->ms[i]));
		fail_msg("%zu milestones, want %zu", r->n_milestones, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(what(&r->ms[i]), names[i]) != 0)
			fail_msg("milestone %zu is '%s', want '%s'", i, what(&r->ms[i]), names[i]);
		assert_near(r->ms[i].t, t[i]);
		if (i)
			assert_true(r->ms[i - 1].t <= r->ms[i].t);
	}
}

/* The page-state intervals, in order: these states from these times, each
 * seen this way. */
static void expect_chg(const struct region *r, const enum page_state *s, const double *t,
		       const enum ms_how *how, size_t n)
{
	if (r->n_changes != n) {
		for (size_t i = 0; i < r->n_changes; i++)
			print_message("  %.4f %s (how %d)\n", r->chg[i].t, page_state_name(r->chg[i].state),
				      (int)r->chg[i].how);
		fail_msg("%zu state changes, want %zu", r->n_changes, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (r->chg[i].state != s[i])
			fail_msg("change %zu is to '%s', want '%s'", i, page_state_name(r->chg[i].state),
				 page_state_name(s[i]));
		assert_near(r->chg[i].t, t[i]);
		assert_int_equal(r->chg[i].how, how[i]);
	}
	assert_int_equal(r->dropped_changes, 0);
}

/* THP_TEST_VERBOSE=1 prints each verdict, to read the text as a user would. */
static void show(const struct region *r)
{
	if (!getenv("THP_TEST_VERBOSE"))
		return;
	print_message("%#llx %s [%zu chars]: %s\n", (unsigned long long)r->start,
		      verdict_reason_name(r->reason), strlen(why(r)), why(r));
}

/* The settings arrive as events (ctx NULL: none, every setting unknown),
 * then the verdicts; each region's evidence names the settings it used. */
static void finish(struct regions *rs, const struct thp_context *ctx)
{
	static const struct thp_context unknown = {
		.scan_sleep_ms = -1, .pages_to_scan = -1, .full_scans_start = -1,
		.full_scans_end = -1, .read_only_thp_for_fs = -1, .duration_s = -1,
	};

	if (ctx) {
		context_open(rs, ctx);
		context_end(rs, ctx);
	}
	regions_finish(rs);
	for (size_t i = 0; i < rs->n; i++) {
		const struct region *r = &rs->v[i];

		assert_int_equal(r->reason, r->ev.reason);
		assert_same_ctx(r->ev.ctx, ctx ? ctx : &unknown);
		if (i < 3)
			show(r);
	}
}

static const struct milestone *find_ms(const struct region *r, const char *name)
{
	for (size_t i = 0; i < r->n_milestones; i++)
		if (!strcmp(what(&r->ms[i]), name))
			return &r->ms[i];
	static const struct milestone none;

	fail_msg("no milestone '%s'", name);
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
	context_open(&rs, &ctx);	/* as a live run: the settings first */
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	assert_non_null(r);
	tmpfs_info(&rs, R0, "advise");
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
	assert_true(regions_mm_scanned(&rs, MM));
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
	assert_string_equal(detail(&r->ms[3]), "SCAN_SUCCEED by khugepaged");
	assert_contains(detail(&r->ms[1]), "retract_page_tables");
	assert_contains(detail(&r->ms[4]), "page fault at 0x7f0000001234");
	assert_contains(why(r), "Mapped by one PMD");
	assert_contains(why(r), "khugepaged built the huge page at 1.200 s");
	assert_contains(why(r), "refault at 2.000 s");
	assert_contains(why(r), "unmapped for 800 ms");
	assert_contains(why(r), "1.900 s from madvise to the PMD mapping");
	assert_string_equal(verdict_reason_name(r->reason), "huge");
	/* the same facts, typed */
	assert_string_equal(detail(&r->ms[0]), "MADV_HUGEPAGE");
	assert_int_equal(r->ms[0].behavior, 14);
	assert_int_equal(r->ms[1].how, HOW_RETRACT);
	assert_int_equal(r->ms[2].how, HOW_REACHED);	/* the collapse came before the scan event */
	assert_string_equal(detail(&r->ms[2]), "khugepaged reached this region");
	assert_int_equal(r->ms[3].actor, ACT_KHUGEPAGED);
	assert_string_equal(r->ms[3].comm, "khugepaged");
	assert_string_equal(r->ms[3].result, "SCAN_SUCCEED");
	assert_int_equal(r->ms[4].how, HOW_FAULT);
	assert_int_equal(r->ms[4].addr, R0 + 0x1234);
	assert_int_equal(r->ms[4].write, -1);		/* no error code: neither read nor write */
	assert_string_equal(detail(&r->ms[4]), "page fault at 0x7f0000001234");
	assert_int_equal(r->ms[5].how, HOW_SET_PMD);
	assert_string_equal(detail(&r->ms[5]), "do_set_pmd: one PMD for the whole region");
	assert_string_equal(detail(&r->ms[6]), "the process exited");
	assert_ptr_equal(region_last_ms(r, MS_COLLAPSE), &r->ms[3]);
	assert_null(region_last_ms(r, MS_PMD_REFUSED));
	assert_int_equal(r->collapsed_by, ACT_KHUGEPAGED);
	assert_int_equal(r->ev.builder, ACT_KHUGEPAGED);
	assert_int_equal(r->ev.backing, BACKING_SHMEM);
	assert_int_equal(r->ev.blockers, 0);
	assert_true(r->ev.mm_scanned);
	assert_int_equal(r->ev.refused_ms, -1);
	/* small pages, cleared by the retract (pmdp flush and pagemap only
	 * confirm it), then one PMD from do_set_pmd (pagemap confirms) */
	{
		const enum page_state s[] = { PS_PTE, PS_NONE, PS_PMD };
		const double t[] = { 0.2, 1.2, 2.0001 };
		const enum ms_how how[] = { HOW_PAGEMAP, HOW_RETRACT, HOW_SET_PMD };
		expect_chg(r, s, t, how, 3);
	}
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
	assert_false(regions_mm_scanned(&rs, MM));	/* the process's own scan is not khugepaged's */
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
	assert_string_equal(detail(&r->ms[0]), "SCAN_PTE_MAPPED_HUGEPAGE by MADV_COLLAPSE (thp_demo)");
	assert_int_equal(r->ms[0].actor, ACT_MADV_COLLAPSE);
	assert_string_equal(r->ms[0].comm, "thp_demo");
	assert_string_equal(r->ms[0].result, "SCAN_PTE_MAPPED_HUGEPAGE");
	assert_int_equal(r->ms[1].how, HOW_SET_PMD_IN_COLLAPSE);
	assert_string_equal(detail(&r->ms[1]), "do_set_pmd by the collapse itself");
	assert_string_equal(detail(&r->ms[2]), "MADV_COLLAPSE");
	assert_int_equal(r->ms[2].behavior, 25);
	assert_int_equal(r->collapsed_by, ACT_MADV_COLLAPSE);
	assert_int_equal(r->ev.builder, ACT_MADV_COLLAPSE);
	assert_false(r->ev.mm_scanned);
	assert_int_equal(r->ev.blockers, 0);
	{
		/* the PMD from the collapse's own do_set_pmd; pagemap confirms */
		const enum page_state s[] = { PS_PMD };
		const double t[] = { 0.5002 };
		const enum ms_how how[] = { HOW_SET_PMD_IN_COLLAPSE };
		expect_chg(r, s, t, how, 1);
	}
	assert_contains(why(r), "MADV_COLLAPSE built the huge page at 0.500 s");
	assert_contains(why(r), "mapped as one huge page at 0.500 s, during the madvise call itself.");
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
	assert_contains(why(r), "(inferred");
	assert_contains(why(r), "1.2 ms from madvise to the PMD mapping");
	assert_int_equal(r->ev.builder, ACT_MADV_COLLAPSE);
	assert_int_equal(r->state, PS_UNKNOWN);	/* never sampled: the change is do_set_pmd's */
	assert_int_equal(r->n_changes, 1);
	assert_int_equal(r->chg[0].state, PS_PMD);
	assert_int_equal(r->chg[0].how, HOW_SET_PMD_IN_COLLAPSE);
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
	assert_string_equal(detail(find_ms(r, "pmd_cleared")), "pagemap: not present after the collapse");
	assert_int_equal(find_ms(r, "pmd_cleared")->how, HOW_PAGEMAP_AFTER_COLLAPSE);
	assert_string_equal(detail(find_ms(r, "pmd_mapped")), "pagemap: mapped by one PMD");
	assert_string_equal(detail(find_ms(r, "refault")), "page fault at 0x7f0000003000");
	assert_string_equal(detail(find_ms(r, "collapse")), "SCAN_SUCCEED by khugepaged");
	assert_int_equal(find_ms(r, "collapse")->actor, ACT_KHUGEPAGED);
	assert_int_equal(r->ev.builder, ACT_KHUGEPAGED);
	assert_contains(why(r), "unmapped for 800 ms");
	/* pagemap alone: small pages, none (sampled at 1.25, known cleared
	 * by 1.2), one PMD */
	assert_int_equal(r->n_changes, 3);
	assert_int_equal(r->chg[0].state, PS_PTE);
	assert_near(r->chg[0].t, 0.2);
	assert_int_equal(r->chg[1].state, PS_NONE);
	assert_true(r->chg[1].t >= r->t_cleared - 1e-9 && r->chg[1].t <= 1.25 + 1e-9);
	assert_int_equal(r->chg[2].state, PS_PMD);
	assert_near(r->chg[2].t, 2.05);
	assert_int_equal(r->chg[2].how, HOW_PAGEMAP);
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
	assert_string_equal(detail(&r->ms[1]), "pagemap: not present (the collapse cleared it)");
	assert_int_equal(r->ms[1].kind, MS_PMD_CLEARED);	/* was "unmapped" until the collapse came */
	assert_int_equal(r->ms[1].how, HOW_PAGEMAP_COLLAPSE_CLEARED);
	assert_int_equal(r->ms[2].how, HOW_FAULT);
	assert_int_equal(r->ms[3].how, HOW_PAGEMAP);
	assert_contains(why(r), "khugepaged cleared the old page table at 1.250 s while building the huge page (reported done at 1.310 s); the refault at 1.300 s");
	assert_contains(why(r), "unmapped for 50 ms");
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
	tmpfs_info(&rs, R0, "advise");
	state(&rs, 0.2, R0, PS_PTE, false);
	/* khugepaged busy with another process (mm 2), same file name even */
	assert_null(scan(&rs, 5.0, 2, "data.bin", "SCAN_EXCEED_NONE_PTE", true));
	exit_ev(&rs, 30.0);
	finish(&rs, &ctx);

	assert_true(rs.saw_scan_any);
	assert_false(regions_mm_scanned(&rs, MM));
	assert_true(regions_mm_scanned(&rs, 2));
	assert_int_equal(r->scans, 0);
	assert_string_equal(r->last_result, "");
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	assert_int_equal(r->final_state, PS_PTE);
	assert_false(r->ev.mm_scanned);
	assert_int_equal(r->ev.blockers, 0);
	assert_int_equal(r->ev.backing, BACKING_SHMEM);
	assert_contains(why(r), "khugepaged never scanned this process while it ran.");
	assert_contains(why(r), "Evidence: scan period 100 ms, 4096 pages per pass, 37 full scans passed while the process ran, none reached this process");
	assert_contains(why(r), "never registered with khugepaged");
	assert_contains(why(r), "madvise an anonymous region MADV_HUGEPAGE too, or use MADV_COLLAPSE");
	assert_contains(why(r), "mapped with small pages");
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
	assert_contains(why(r), "scan period 10000 ms, 0 full scans passed");
	assert_lacks(why(r), "pages per pass");
	assert_contains(why(r), "less than one scan period");
	regions_free(&rs);

	/* One full scan (counted in words), and nothing known about timing. */
	ctx.full_scans_end = 4;
	ctx.scan_sleep_ms = -1;
	ctx.duration_s = -1;
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	assert_contains(why(r), "Evidence: 1 full scan passed while the process ran, none reached");
	assert_contains(why(r), "never registered with khugepaged");
	regions_free(&rs);
}

static void test_not_eligible_tmpfs_never(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	/* The file facts come before the region exists (as `report` may read
	 * them); the model keeps them until it does, each for its own mm. */
	regions_init(&rs);
	{
		struct region_file_info never = tmpfs_facts("never"), always = tmpfs_facts("always");

		assert_null(region_file(&rs, 2, R0, &always, "/mnt/other/data.bin"));
		assert_null(region_file(&rs, MM, R0, &never, FILE_PATH));
		assert_int_equal(rs.n, 0);
	}
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	assert_non_null(r);
	assert_true(r->have_finfo);
	assert_string_equal(r->finfo.tmpfs_huge, "never");
	assert_int_equal(r->finfo.fully_mapped, 1);
	state(&rs, 0.2, R0, PS_PTE, false);
	scan(&rs, 1.0, MM, "data.bin", "SCAN_VMA_CHECK", true);	/* a consequence, not the cause */
	{
		/* the other mm's region, when it comes, gets the other facts */
		struct thp_event e = ev(EV_STATE, 1.5);
		struct region *o;

		e.mm_id = 2;
		e.fields = EVF_STATE;
		e.region = R0;
		e.state = PS_PTE;
		o = regions_feed(&rs, &e);
		assert_non_null(o);
		assert_int_equal(rs.n, 2);
		r = &rs.v[0];	/* the array may have moved */
		assert_true(o->have_finfo);
		assert_string_equal(o->finfo.tmpfs_huge, "always");
		assert_string_equal(o->file, "/mnt/other/data.bin");
		assert_string_equal(r->finfo.tmpfs_huge, "never");
	}
	finish(&rs, &ctx);
	r = &rs.v[0];
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_int_equal(r->ev.blockers, EB_SHMEM_NEVER);
	assert_int_equal(r->ev.backing, BACKING_SHMEM);
	assert_string_equal(r->last_result, "SCAN_VMA_CHECK");
	assert_contains(why(r), "Not eligible");
	assert_contains(why(r), "its tmpfs mount has huge=never");
	assert_lacks(why(r), "CONFIG_READ_ONLY_THP_FOR_FS");	/* tmpfs needs no such config */
	regions_free(&rs);

	/* MADV_COLLAPSE overrides huge=never: a failure there is a scan failure. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	tmpfs_info(&rs, R0, "never");
	collapse(&rs, 0.2, R0, "SCAN_ALLOC_HUGE_PAGE_FAIL", false);
	madvise(&rs, 0.2001, R0, MB2, 25, -11);	/* failed: no new region, a milestone */
	finish(&rs, &ctx);
	assert_int_equal(rs.n, 1);
	assert_true(r->madv_collapse);
	assert_string_equal(detail(find_ms(r, "madvise_failed")), "MADV_COLLAPSE failed: -11");
	assert_int_equal(find_ms(r, "madvise_failed")->behavior, 25);
	assert_int_equal(find_ms(r, "madvise_failed")->ret, -11);
	assert_int_equal(find_ms(r, "collapse")->actor, ACT_MADV_COLLAPSE);
	assert_int_equal(r->last_result_by, ACT_MADV_COLLAPSE);
	assert_int_equal(r->ev.blockers, 0);	/* MADV_COLLAPSE ignores huge=never */
	assert_int_equal(r->ev.builder, ACT_MADV_COLLAPSE);
	assert_int_equal(r->reason, VR_SCAN_FAILED);
	assert_contains(why(r), "MADV_COLLAPSE tried to collapse this region 1 time and failed: SCAN_ALLOC_HUGE_PAGE_FAIL");
	assert_contains(why(r), "contiguous 2 MiB");
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
		struct region_file_info fi = tmpfs_facts("always");

		fi.fully_mapped = 0;
		fi.file_aligned = 0;
		assert_ptr_equal(region_file(&rs, MM, rs.v[i].start, &fi, FILE_PATH), &rs.v[i]);
	}
	finish(&rs, &ctx);
	r = &rs.v[0];
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_int_equal(r->ev.blockers, EB_NOT_FULLY_MAPPED | EB_FILE_MISALIGNED);
	assert_int_equal(rs.v[1].ev.blockers, EB_NOT_FULLY_MAPPED | EB_FILE_MISALIGNED);
	assert_contains(why(r), "does not cover the whole aligned 2 MiB region");
	assert_contains(why(r), "not a multiple of 2 MiB");
	assert_int_equal(rs.v[1].reason, VR_NOT_ELIGIBLE);
	regions_free(&rs);

	/* A regular file on a kernel without CONFIG_READ_ONLY_THP_FOR_FS, open for write. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	{
		struct region_file_info fi = { .tmpfs_huge = "", .is_shmem = 0, .open_for_write = 1,
					       .fully_mapped = 1, .file_aligned = 1 };

		assert_ptr_equal(region_file(&rs, MM, R0, &fi, FILE_PATH), r);
	}
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_int_equal(r->ev.backing, BACKING_FILE);
	assert_int_equal(r->ev.blockers, EB_NO_RO_THP_FOR_FS | EB_OPEN_FOR_WRITE);
	assert_contains(why(r), "without CONFIG_READ_ONLY_THP_FOR_FS");
	assert_contains(why(r), "open for writing");
	regions_free(&rs);

	/* THP mode madvise and a region nobody madvised (created by the sampler). */
	regions_init(&rs);
	r = state(&rs, 0.1, R0, PS_PTE, false);
	assert_non_null(r);
	assert_false(r->madvised_huge);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_int_equal(r->ev.backing, BACKING_ANON);
	assert_int_equal(r->ev.blockers, EB_THP_UNADVISED);
	assert_int_equal(r->n_milestones, 0);	/* mapped small from the first sample: no change seen */
	assert_contains(why(r), "transparent_hugepage/enabled is madvise, but the region was never madvised");
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
	tmpfs_info(&rs, R0, "advise");
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
	assert_int_equal(r->ms[1].how, HOW_REACHED);
	assert_string_equal(detail(&r->ms[2]), "SCAN_PAGE_LRU by khugepaged");
	assert_string_equal(detail(&r->ms[3]), "SCAN_PAGE_LRU by khugepaged");
	assert_int_equal(r->ms[3].actor, ACT_KHUGEPAGED);
	assert_int_equal(r->last_result_by, ACT_KHUGEPAGED);
	assert_int_equal(r->ev.blockers, 0);
	assert_true(r->ev.mm_scanned);
	assert_contains(why(r), "khugepaged tried to collapse this region 2 times and failed: SCAN_PAGE_LRU, meaning ");
	assert_contains(why(r), scan_result_meaning("SCAN_PAGE_LRU"));
	assert_contains(why(r), "LRU lists");
	assert_contains(why(r), "At the end it was mapped with small pages.");
	regions_free(&rs);

	/* A scan that gives up before collapse_file is ever called. */
	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	tmpfs_info(&rs, R0, "advise");
	assert_ptr_equal(scan(&rs, 1.0, MM, "data.bin", "SCAN_EXCEED_NONE_PTE", true), r);
	finish(&rs, &ctx);
	assert_int_equal(r->reason, VR_SCAN_FAILED);
	assert_int_equal(r->collapse_attempts, 0);
	assert_int_equal(r->n_milestones, 2);
	assert_int_equal(r->ms[1].kind, MS_SCANNED);
	assert_int_equal(r->ms[1].how, HOW_FIRST_SCAN);
	assert_int_equal(r->ms[1].present, 512);
	assert_string_equal(r->ms[1].result, "SCAN_EXCEED_NONE_PTE");
	assert_string_equal(detail(&r->ms[1]), "SCAN_EXCEED_NONE_PTE by khugepaged (512 present, 0 swapped)");
	assert_contains(why(r), "khugepaged scanned this region's file and gave up before collapsing: SCAN_EXCEED_NONE_PTE");
	assert_contains(why(r), "max_ptes_none");
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
	tmpfs_info(&rs, R0, "advise");
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
	assert_string_equal(detail(&r->ms[3]), "pagemap: not present after the collapse");
	assert_int_equal(r->ms[3].how, HOW_PAGEMAP_AFTER_COLLAPSE);
	assert_int_equal(r->ev.builder, ACT_KHUGEPAGED);
	assert_int_equal(r->ev.blockers, 0);
	{
		const enum page_state s[] = { PS_PTE, PS_NONE };
		const double t[] = { 0.2, 1.25 };
		const enum ms_how how[] = { HOW_PAGEMAP, HOW_PAGEMAP };
		expect_chg(r, s, t, how, 2);
	}
	assert_contains(why(r), "khugepaged built a huge page at 1.203 s and cleared the old page table; nothing touched the region afterwards, so it was not mapped at all when the process exited (pagemap: not present).");
	assert_contains(why(r), "It stayed unmapped for the last 2.797 s.");
	assert_contains(why(r), "A later access would have mapped it as one huge page.");
	assert_lacks(why(r), "inferred");
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
	assert_int_equal(r->state, PS_UNKNOWN);
	{
		/* the only page-state fact: the flush */
		const enum page_state s[] = { PS_NONE };
		const double t[] = { 1.2 };
		const enum ms_how how[] = { HOW_PMDP_FLUSH };
		expect_chg(r, s, t, how, 1);
	}
	assert_string_equal(detail(find_ms(r, "pmd_cleared")), "pmdp_collapse_flush cleared the PMD");
	assert_contains(why(r), "when tracing ended");
	assert_contains(why(r), "(inferred: no page state sample)");
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
	tmpfs_info(&rs, R0, "advise");
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
	assert_contains(detail(find_ms(r, "pte_mapped")), "of the huge page");
	assert_int_equal(find_ms(r, "pte_mapped")->how, HOW_REFAULT_SMALL);
	assert_true(find_ms(r, "pte_mapped")->thp);
	assert_string_equal(detail(find_ms(r, "nohugepage")), "MADV_NOHUGEPAGE");
	assert_int_equal(r->ev.blockers, EB_NOHUGEPAGE);	/* evidence kept, the collapse decides */
	assert_int_equal(r->ev.refused_ms, -1);
	{
		const enum page_state s[] = { PS_PTE, PS_NONE, PS_PTE };
		const double t[] = { 0.2, 1.25, 2.05 };
		const enum ms_how how[] = { HOW_PAGEMAP, HOW_PAGEMAP, HOW_PAGEMAP };
		expect_chg(r, s, t, how, 3);
	}
	assert_contains(why(r), "khugepaged built a huge page at 1.200 s, but the refault at 2.000 s mapped it with small 4 KiB page table entries");
	assert_contains(why(r), "MADV_NOHUGEPAGE at 1.500 s, after the collapse");
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
	assert_true(r->ev.refused_ms >= 0 && (size_t)r->ev.refused_ms < r->n_milestones);
	assert_int_equal(r->ms[r->ev.refused_ms].kind, MS_PMD_REFUSED);
	assert_int_equal(r->ms[r->ev.refused_ms].ret, 0x800);
	assert_near(r->ms[r->ev.refused_ms].t, 1.5001);
	assert_string_equal(detail(&r->ms[r->ev.refused_ms]), "do_set_pmd returned 0x800: small pages instead");
	{
		/* a refused do_set_pmd maps nothing: the flush, then pagemap */
		const enum page_state s[] = { PS_NONE, PS_PTE };
		const double t[] = { 1.0, 1.6 };
		const enum ms_how how[] = { HOW_PMDP_FLUSH, HOW_PAGEMAP };
		expect_chg(r, s, t, how, 2);
	}
	assert_contains(why(r), "do_set_pmd refused");
	assert_contains(why(r), "0x800");
	assert_lacks(why(r), "NOHUGEPAGE");
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
		assert_true(why(&rs.v[i])[0] != 0);
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
	assert_contains(why(r), "No collapse was seen");
	assert_string_equal(what(&r->ms[REGION_MAX_MILESTONES - 1]), "collapse");
	regions_free(&rs);
}

/* A region that flips state more often than it keeps changes: the oldest
 * go, the last one (the end state) stays. */
static void test_change_overflow(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	for (int i = 0; i < 100; i++)
		state(&rs, 1.0 + i * 0.1, R0, i % 2 ? PS_PMD : PS_PTE, i % 2);
	state(&rs, 20.0, R0, PS_NONE, false);
	finish(&rs, &ctx);
	assert_int_equal(r->n_changes, REGION_MAX_CHANGES);
	assert_int_equal(r->dropped_changes, 101 - REGION_MAX_CHANGES);
	for (size_t k = 1; k < r->n_changes; k++) {
		assert_true(r->chg[k - 1].t < r->chg[k].t);
		assert_true(r->chg[k - 1].state != r->chg[k].state);
	}
	assert_int_equal(r->chg[REGION_MAX_CHANGES - 1].state, PS_NONE);
	assert_near(r->chg[REGION_MAX_CHANGES - 1].t, 20.0);
	assert_near(r->chg[0].t, 1.0 + (101 - REGION_MAX_CHANGES) * 0.1);
	assert_int_equal(r->final_state, PS_NONE);
	/* PMD-mapped, then nothing present, and no syscall of the process
	 * over it: the kernel zapped it (issue 12's "the way back") */
	assert_int_equal(r->reason, VR_ZAPPED);
	regions_free(&rs);
}

/* The settings come as EV_CONTEXT events: the opening one sets them all
 * (keeping end values an earlier end line gave), the end one only
 * full_scans_end and the duration; none concerns a region; without one
 * everything is unknown. */
static void test_context_events(void **st)
{
	struct regions rs;
	struct thp_context c = ctx_default(), open = ctx_default(), end = { .full_scans_end = 50, .duration_s = 7.5 };
	struct region *r;
	(void)st;

	regions_init(&rs);
	assert_int_equal(rs.ctx.scan_sleep_ms, -1);
	assert_int_equal(rs.ctx.read_only_thp_for_fs, -1);
	assert_true(rs.ctx.duration_s < 0);
	assert_null(regions_feed(&rs, &(struct thp_event){ .kind = EV_CONTEXT }));	/* no ctx: nothing */
	assert_int_equal(rs.ctx.scan_sleep_ms, -1);
	/* the end line first (a file cut and pasted): kept by the opening one */
	snprintf(end.thp_enabled, sizeof(end.thp_enabled), "never");
	assert_null(regions_feed(&rs, &(struct thp_event){ .kind = EV_CONTEXT, .ctx = &end, .ctx_end = true }));
	assert_string_equal(rs.ctx.thp_enabled, "");
	open.full_scans_end = -1;
	open.duration_s = -1;
	assert_null(regions_feed(&rs, &(struct thp_event){ .kind = EV_CONTEXT, .ctx = &open }));
	c.full_scans_end = 50;
	c.duration_s = 7.5;
	assert_same_ctx(&rs.ctx, &c);
	r = madvise(&rs, 0.1, R0, MB2, 14, 0);
	regions_finish(&rs);
	assert_same_ctx(r->ev.ctx, &c);
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	assert_contains(why(r), "scan period 100 ms, 4096 pages per pass, 40 full scans passed");
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


/* What a finished region promises, whatever came in: the verdict follows
 * from the facts the region holds, and those facts are in order. */
static void check_region(const struct regions *rs, const struct region *r)
{
	const struct verdict_evidence *e = &r->ev;
	const enum page_state fs = r->final_state;
	char buf[EXPLAIN_WHY_MAX + 16];
	bool failing_ms = false, success_ms = false;

	assert_int_equal(r->start & ~THP_REGION_MASK, 0);
	assert_true((unsigned)r->reason < VR_MAX);
	assert_int_equal(r->reason, e->reason);
	assert_true((unsigned)fs <= PS_PMD);

	/* milestones: sorted by time, each of a known kind, each in words */
	assert_true(r->n_milestones <= REGION_MAX_MILESTONES);
	for (size_t k = 0; k < r->n_milestones; k++) {
		const struct milestone *m = &r->ms[k];

		if (k)
			assert_true(r->ms[k - 1].t <= m->t);
		assert_true((unsigned)m->kind < MS_KIND_MAX);
		assert_string_not_equal(what(m), "unknown");
		assert_true(detail(m)[0] != 0);
		if (m->kind == MS_SCANNED || m->kind == MS_COLLAPSE) {
			if (m->result[0] && scan_result_outcome(m->result) < 0 && !strcmp(m->result, r->last_result))
				failing_ms = true;
			if (m->kind == MS_COLLAPSE && scan_result_outcome(m->result) > 0 && m->actor == r->collapsed_by)
				success_ms = true;
		}
	}

	/* page-state intervals: in time order, real states */
	assert_true(r->n_changes <= REGION_MAX_CHANGES);
	for (size_t k = 0; k < r->n_changes; k++) {
		if (k)
			assert_true(r->chg[k - 1].t <= r->chg[k].t);
		assert_true(r->chg[k].state >= PS_NONE && r->chg[k].state <= PS_UNMAPPED);
		/* an unmapped life changes no more */
		if (r->chg[k].state == PS_UNMAPPED)
			assert_int_equal(k, r->n_changes - 1);
	}
	/* a life ends by its unmapping, and only then */
	assert_int_equal(r->ended, r->t_unmapped >= 0);
	if (r->ended) {
		assert_true(r->n_changes > 0);
		assert_int_equal(r->chg[r->n_changes - 1].state, PS_UNMAPPED);
		assert_near(r->chg[r->n_changes - 1].t, r->t_unmapped);
	}
	assert_true(r->life >= 1);
	if (r->state != PS_UNKNOWN)
		assert_int_equal(r->n_changes > 0, 1);

	/* the final state: the last change (a sample or a probe's) before the
	 * life's unmapping, else what the events imply; inferred unless the
	 * last sample says the same */
	size_t live_changes = r->n_changes;

	while (live_changes && r->chg[live_changes - 1].state == PS_UNMAPPED)
		live_changes--;
	if (live_changes) {
		assert_int_equal(fs, r->chg[live_changes - 1].state);
		assert_int_equal(r->final_inferred, r->state != fs);
	} else if (fs == PS_UNKNOWN) {
		assert_false(r->final_inferred);
	} else {
		assert_true(r->final_inferred);
	}

	/* the evidence */
	assert_int_equal(e->blockers & ~((EB_THP_UNADVISED << 1) - 1), 0);
	{
		struct elig_facts f = {
			.backing = e->backing, .fi = r->have_finfo ? &r->finfo : NULL,
			.madvised_huge = r->madvised_huge, .madv_collapse = r->madv_collapse,
			.nohuge = r->nohuge,
		};

		assert_int_equal(e->backing, backing_of(&r->finfo, r->have_finfo, r->file[0] != 0));
		assert_int_equal(e->blockers, elig_blockers(&f, e->ctx));
	}
	assert_int_equal(e->mm_scanned, r->mm_id ? regions_mm_scanned(rs, r->mm_id) : rs->saw_scan_any);
	assert_same_ctx(e->ctx, &rs->ctx);
	if (e->refused_ms >= 0) {
		assert_true((size_t)e->refused_ms < r->n_milestones);
		assert_int_equal(r->ms[e->refused_ms].kind, MS_PMD_REFUSED);
	} else {
		assert_int_equal(e->refused_ms, -1);
		assert_null(region_last_ms(r, MS_PMD_REFUSED));
	}
	if (r->collapsed) {
		assert_true(r->collapse_attempts >= 1);
		assert_true(r->t_collapse >= 0);
		assert_true(r->collapsed_by == ACT_KHUGEPAGED || r->collapsed_by == ACT_MADV_COLLAPSE);
		assert_int_equal(e->builder, r->collapsed_by);
		if (!r->dropped_milestones)
			assert_true(success_ms);
	}

	/* each reason follows from its facts; a huge page lost (split or
	 * zapped) comes right after huge */
	const bool lost = fs != PS_PMD && r->t_lost >= 0;

	assert_int_equal(r->reason == VR_HUGE, fs == PS_PMD);
	assert_int_equal(r->reason == VR_SPLIT, lost && r->lost_kind == MS_SPLIT);
	assert_int_equal(r->reason == VR_ZAPPED, lost && r->lost_kind == MS_ZAPPED);
	assert_int_equal(r->reason == VR_COLLAPSED_NOT_REFAULTED, !lost && r->collapsed && fs == PS_NONE);
	assert_int_equal(r->reason == VR_REFAULTED_AS_PTE, !lost && r->collapsed && fs == PS_PTE);
	assert_int_equal(r->reason == VR_UNKNOWN, !lost && r->collapsed && fs == PS_UNKNOWN);
	if (lost)
		assert_non_null(region_last_ms(r, r->lost_kind));
	if (r->reason == VR_UNMAPPED_EARLY)
		assert_true(r->ended && !r->collapsed && !lost && e->blockers == 0);
	switch (r->reason) {
	case VR_NOT_ELIGIBLE:
		assert_false(r->collapsed);
		assert_true(e->blockers != 0);
		break;
	case VR_SCAN_FAILED:
		assert_false(r->collapsed);
		assert_int_equal(e->blockers, 0);
		/* a failing result was seen, and is listed (unless dropped) */
		assert_true(r->last_result[0] != 0);
		assert_true(scan_result_outcome(r->last_result) < 0);
		assert_true(r->collapse_failures > 0 || r->scans > 0 || r->last_result_by == ACT_MADV_COLLAPSE);
		if (!r->dropped_milestones)
			assert_true(failing_ms);
		break;
	case VR_NOT_SCANNED:
		assert_false(r->ended);
		assert_false(r->collapsed);
		assert_int_equal(e->blockers, 0);
		assert_false(e->mm_scanned);
		assert_int_equal(r->scans, 0);
		assert_true(r->t_first_scan < 0);
		assert_string_equal(r->last_result, "");
		assert_null(region_last_ms(r, MS_SCANNED));
		break;
	case VR_NOT_COLLAPSED:
		assert_false(r->ended);
		assert_false(r->collapsed);
		assert_int_equal(e->blockers, 0);
		assert_int_equal(r->collapse_failures, 0);
		assert_string_equal(r->last_result, "");
		assert_true(e->mm_scanned || r->scans > 0 || r->t_first_scan >= 0);
		break;
	default:
		break;
	}
	if (!r->collapsed && fs != PS_PMD && !lost)
		assert_int_equal(r->reason == VR_NOT_ELIGIBLE, e->blockers != 0);

	/* times */
	assert_true(r->madvise_to_pmd_s < 0 || (r->t_madvise >= 0 && r->t_pmd >= 0));
	assert_true(r->unmapped_s < 0 || (r->t_cleared >= 0 && r->t_refault >= 0));

	/* the words: one NUL-terminated, non-empty text that fits */
	memset(buf, 'X', sizeof(buf));
	explain_why(r, buf, EXPLAIN_WHY_MAX);
	assert_non_null(memchr(buf, 0, EXPLAIN_WHY_MAX));
	assert_true(buf[0] != 0);
	assert_int_equal(buf[EXPLAIN_WHY_MAX], 'X');
}

/* Random streams over a few regions: no crash (run under ASan/UBSan), some
 * regions every round (each starts with a MADV_HUGEPAGE over four), and
 * every verdict follows from its region's facts (check_region). */
static void test_random_streams(void **st)
{
	static const char *const results[] = { "SCAN_SUCCEED", "SCAN_PAGE_LRU", "pte_mapped_hugepage",
					       "SCAN_PMD_MAPPED", "", "1", "17", "SCAN_WHAT" };
	static const char *const comms[] = { "khugepaged", "thp_demo", "" };
	static const char *const huge[] = { "", "never", "advise", "always" };
	unsigned seen[VR_MAX] = { 0 };
	size_t regions = 0;
	(void)st;

	for (int round = 0; round < 40; round++) {
		struct regions rs;
		struct thp_context ctx = ctx_default(), other = ctx_default();
		double t = 0;

		snprintf(other.thp_enabled, sizeof(other.thp_enabled), "always");
		snprintf(other.shmem_enabled, sizeof(other.shmem_enabled), "advise");
		other.read_only_thp_for_fs = 1;
		regions_init(&rs);
		if (round % 3)
			context_open(&rs, &ctx);
		assert_non_null(madvise(&rs, 0.0005, R0, 4 * MB2, 14, 0));
		assert_int_equal(rs.n, 4);
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
			/* machine facts in the stream too */
			e.ctx = rnd() % 4 ? (rnd() % 2 ? &ctx : &other) : NULL;
			e.ctx_end = rnd() % 2;
			snprintf(e.finfo.tmpfs_huge, sizeof(e.finfo.tmpfs_huge), "%s", huge[rnd() % 4]);
			e.finfo.is_shmem = (int)(rnd() % 3) - 1;
			e.finfo.open_for_write = (int)(rnd() % 3) - 1;
			e.finfo.fully_mapped = (int)(rnd() % 3) - 1;
			e.finfo.file_aligned = (int)(rnd() % 3) - 1;
			if (rnd() % 50 == 0 && t > 0.01)
				t -= 0.01;	/* a little disorder (times stay >= 0: "< 0" means never) */
			regions_feed(&rs, &e);
		}
		if (round % 2) {
			struct region_file_info fi = tmpfs_facts(round % 4 == 1 ? "never" : "advise");

			/* facts go to the current life at an address, else its last one */
			for (size_t i = 0; i < rs.n; i++) {
				const struct region *cur = regions_find(&rs, rs.v[i].mm_id, rs.v[i].start);
				bool last = true;

				for (size_t j = 0; j < rs.n; j++)
					if (rs.v[j].mm_id == rs.v[i].mm_id && rs.v[j].start == rs.v[i].start &&
					    rs.v[j].life > rs.v[i].life)
						last = false;
				if (cur == &rs.v[i] || (!cur && last))
					assert_ptr_equal(region_file(&rs, rs.v[i].mm_id, rs.v[i].start, &fi,
								     FILE_PATH), &rs.v[i]);
			}
		}
		if (round % 3) {
			context_open(&rs, &ctx);
			context_end(&rs, &ctx);
		}
		regions_finish(&rs);
		assert_true(rs.n >= 4);
		regions += rs.n;
		for (size_t i = 0; i < rs.n; i++) {
			check_region(&rs, &rs.v[i]);
			seen[rs.v[i].reason]++;
		}
		regions_free(&rs);
	}
	/* the streams reach most verdicts, so the checks above mean something */
	if (getenv("THP_TEST_VERBOSE"))
		for (int k = 0; k < VR_MAX; k++)
			print_message("%s: %u\n", verdict_reason_name((enum verdict_reason)k), seen[k]);
	assert_true(regions >= 40 * 4);
	assert_true(seen[VR_HUGE] > 0);
	assert_true(seen[VR_NOT_ELIGIBLE] > 0);
	assert_true(seen[VR_SCAN_FAILED] > 0);
	assert_true(seen[VR_COLLAPSED_NOT_REFAULTED] > 0);
	assert_true(seen[VR_REFAULTED_AS_PTE] > 0);
}

/* A do_set_pmd that mapped the PMD after the last page-state sample (no
 * sample after it: the process was gone, -p gives no exit stop).  The
 * region's intervals end in pmd and its milestones say "pmd_mapped"; the
 * verdict must judge that same end state, not the older sample's. */
static void test_final_state_after_set_pmd(void **st)
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
	set_pmd(&rs, 2.0, R0, 0, false);	/* the refault's PMD; no sample follows */
	exit_ev(&rs, 3.0);
	finish(&rs, &ctx);
	assert_near(r->t_pmd, 2.0);
	assert_string_equal(what(region_last_ms(r, MS_PMD_MAPPED)), "pmd_mapped");
	assert_int_equal(r->chg[r->n_changes - 1].state, PS_PMD);
	assert_near(r->chg[r->n_changes - 1].t, 2.0);
	if (r->final_state != PS_PMD || r->reason != VR_HUGE) {
		char msg[EXPLAIN_WHY_MAX + 200];

		snprintf(msg, sizeof(msg), "final state %s, reason %s, after do_set_pmd mapped the PMD at 2.0 "
			 "(the last sample, none at 1.25, was older); why: %s", page_state_name(r->final_state),
			 verdict_reason_name(r->reason), why(r));
		regions_free(&rs);
		fail_msg("%s", msg);
	}
	assert_lacks(why(r), "nothing touched the region");
	regions_free(&rs);
}

/* ---- recorded streams (tests/data/regions, see its README) ---- */

/* Replay one recording; returns its file-backed region (the demo's own
 * first 2 MiB) and checks that the anonymous ones ended huge. */
/* A mapping syscall of the target (mmap's addr is the address it got). */
static struct region *mapping(struct regions *rs, enum ev_kind kind, double t, uint64_t addr,
			      uint64_t len)
{
	struct thp_event e = ev(kind, t);

	e.fields = EVF_ADDR | EVF_LEN | EVF_RET;
	e.addr = addr;
	e.len = len;
	return regions_feed(rs, &e);
}

static struct region *madvise_zap(struct regions *rs, double t, uint64_t addr, int advice)
{
	struct thp_event e = ev(EV_MADVISE, t);

	e.fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
	e.addr = addr;
	e.len = MB2;
	e.behavior = advice;
	return regions_feed(rs, &e);
}

static const struct region *life_of(const struct regions *rs, uint64_t start, int life)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].start == start && rs->v[i].life == life)
			return &rs->v[i];
	fail_msg("no life %d at %#llx", life, (unsigned long long)start);
	return NULL;
}

/* Issue 12's "done when": the same 2 MiB mapped, collapsed, refaulted and
 * unmapped three times: refaulting after MADV_NOHUGEPAGE, refaulting
 * normally, unmapped untouched.  Three lives, three right verdicts. */
static void test_three_lives(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	const struct region *r;
	(void)st;

	regions_init(&rs);
	for (int life = 0; life < 3; life++) {
		double t0 = life * 10.0;

		mapping(&rs, EV_MMAP, t0 + 0.1, R0, MB2);
		madvise(&rs, t0 + 0.2, R0, MB2, 14, 0);
		state(&rs, t0 + 0.3, R0, PS_PTE, false);
		collapse(&rs, t0 + 1.0, R0, "SCAN_SUCCEED", true);
		state(&rs, t0 + 1.05, R0, PS_NONE, false);
		if (life == 0) {
			madvise(&rs, t0 + 2.0, R0, MB2, 15, 0);
			at(&rs, EV_FAULT, t0 + 3.0, R0);
			state(&rs, t0 + 3.01, R0, PS_PTE, true);
		} else if (life == 1) {
			at(&rs, EV_FAULT, t0 + 3.0, R0);
			state(&rs, t0 + 3.01, R0, PS_PMD, true);
		}
		mapping(&rs, EV_MUNMAP, t0 + 5.0, R0, MB2);
		/* the sampler reads the unmapped range once more: no new life */
		assert_null(state(&rs, t0 + 5.01, R0, PS_NONE, false));
	}
	exit_ev(&rs, 40.0);
	finish(&rs, &ctx);
	assert_int_equal(rs.n, 3);

	r = life_of(&rs, R0, 1);
	assert_int_equal(r->reason, VR_REFAULTED_AS_PTE);
	assert_near(r->t_mapped, 0.1);
	assert_near(r->t_unmapped, 5.0);
	assert_int_equal(r->final_state, PS_PTE);
	assert_contains(why(r), "Cause: MADV_NOHUGEPAGE at 2.000 s, after the collapse");
	assert_null(region_last_ms(r, MS_EXIT));	/* the exit came after its end */

	r = life_of(&rs, R0, 2);
	assert_int_equal(r->reason, VR_HUGE);
	assert_near(r->t_mapped, 10.1);
	assert_near(r->t_unmapped, 15.0);
	assert_contains(why(r), "until it was unmapped at 15.000 s");
	assert_lacks(why(r), "NOHUGEPAGE");

	r = life_of(&rs, R0, 3);
	assert_int_equal(r->reason, VR_COLLAPSED_NOT_REFAULTED);
	assert_near(r->t_unmapped, 25.0);
	assert_contains(why(r), "not mapped at all when it was unmapped");
	assert_contains(why(r), "It stayed unmapped for the last 4.000 s.");
	assert_lacks(why(r), "process exited");
	{
		const enum page_state s[] = { PS_PTE, PS_NONE, PS_UNMAPPED };
		const double t[] = { 20.3, 21.05, 25.0 };
		const enum ms_how how[] = { HOW_PAGEMAP, HOW_PAGEMAP, HOW_SYSCALL };

		expect_chg(r, s, t, how, 3);
	}
	assert_string_equal(what(region_last_ms(r, MS_UNMAP)), "unmap");
	assert_string_equal(detail(region_last_ms(r, MS_UNMAP)), "munmap: the mapping is gone");
	assert_string_equal(detail(region_last_ms(r, MS_MAPPED)), "mapped (mmap)");
	regions_free(&rs);
}

/* The way back: a PMD split by an mprotect of part of it, and one zapped
 * by MADV_DONTNEED, both seen in the page state and put down to the
 * syscall; one lost with no syscall of the process. */
static void test_split_and_zap(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	const uint64_t R1 = R0 + MB2, R2 = R0 + 2 * MB2;
	struct region *r;
	(void)st;

	regions_init(&rs);
	madvise(&rs, 0.1, R0, 3 * MB2, 14, 0);
	state(&rs, 0.2, R0, PS_PMD, true);
	state(&rs, 0.2, R1, PS_PMD, true);
	state(&rs, 0.2, R2, PS_PMD, true);
	mapping(&rs, EV_MPROTECT, 1.0, R0 + 4096, 4096);
	state(&rs, 1.01, R0, PS_PTE, true);
	madvise_zap(&rs, 2.0, R1, 4);	/* MADV_DONTNEED */
	state(&rs, 2.01, R1, PS_NONE, false);
	state(&rs, 3.0, R2, PS_PTE, true);
	exit_ev(&rs, 4.0);
	finish(&rs, &ctx);

	r = regions_find(&rs, MM, R0);
	assert_int_equal(r->reason, VR_SPLIT);
	assert_string_equal(detail(region_last_ms(r, MS_SPLIT)),
			    "the PMD mapping was split into small pages (inferred from pagemap), by mprotect at 1.000 s");
	assert_contains(why(r), "Mapped by one PMD (a 2 MiB huge page) from 0.200 s, split into small pages at 1.010 s by mprotect at 1.000 s (inferred");

	r = regions_find(&rs, MM, R1);
	assert_int_equal(r->reason, VR_ZAPPED);
	assert_int_equal(region_last_ms(r, MS_ZAPPED)->cause, EV_MADVISE);
	assert_contains(why(r), "zapped at 2.010 s by MADV_DONTNEED at 2.000 s");
	assert_contains(why(r), "Nothing of it was present at the end.");

	r = regions_find(&rs, MM, R2);
	assert_int_equal(r->reason, VR_SPLIT);
	assert_int_equal(region_last_ms(r, MS_SPLIT)->cause, EV_NONE);
	assert_contains(why(r), "not by a system call of the process");
	regions_free(&rs);
}

/* A life that ended before anything could happen, and a partial munmap
 * (the rest of the region stays: a cause, not an end). */
static void test_unmapped_early(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	madvise(&rs, 0.1, R0, 2 * MB2, 14, 0);
	mapping(&rs, EV_MUNMAP, 0.5, R0, MB2);
	mapping(&rs, EV_MUNMAP, 0.6, R0 + MB2, 4096);
	exit_ev(&rs, 1.0);
	finish(&rs, &ctx);
	r = &rs.v[0];
	assert_true(r->ended);
	assert_int_equal(r->reason, VR_UNMAPPED_EARLY);
	assert_contains(why(r), "The mapping went away at 0.500 s (munmap: the mapping is gone) before anything made it huge, 400 ms after it was madvised");
	r = regions_find(&rs, MM, R0 + MB2);
	assert_non_null(r);
	assert_false(r->ended);
	assert_int_equal(r->cause, EV_MUNMAP);
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	regions_free(&rs);
}

/* Where no collapse_file event came in the whole trace (6.1 without
 * kprobes or JIT), a successful scan_file is the collapse; where one did,
 * it is not counted twice. */
static void test_scan_file_stands_for_collapse(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	madvise(&rs, 0.1, R0, MB2, 14, 0);
	state(&rs, 0.2, R0, PS_PTE, false);
	state(&rs, 1.0, R0, PS_NONE, false);
	scan(&rs, 1.01, MM, FILE_PATH, "SCAN_SUCCEED", true);
	at(&rs, EV_FAULT, 2.0, R0);
	state(&rs, 2.01, R0, PS_PMD, true);
	finish(&rs, &ctx);
	r = &rs.v[0];
	assert_true(r->collapsed);
	assert_int_equal(r->reason, VR_HUGE);
	assert_string_equal(detail(region_last_ms(r, MS_COLLAPSE)),
			    "SCAN_SUCCEED by khugepaged (from scan_file: collapse_file is not observable here)");
	assert_contains(why(r), "khugepaged built the huge page at 1.010 s");
	assert_lacks(why(r), "No collapse was seen");
	regions_free(&rs);

	regions_init(&rs);
	madvise(&rs, 0.1, R0, MB2, 14, 0);
	collapse(&rs, 1.0, R0, "SCAN_SUCCEED", true);
	scan(&rs, 1.01, MM, FILE_PATH, "SCAN_SUCCEED", true);
	state(&rs, 2.01, R0, PS_PMD, true);
	finish(&rs, &ctx);
	assert_int_equal(rs.v[0].collapse_attempts, 1);
	assert_int_equal(region_last_ms(&rs.v[0], MS_COLLAPSE)->how, HOW_NONE);
	regions_free(&rs);
}

/* On kernels where function probes attach (6.12, 6.1): the split and the
 * zap are seen, not inferred; the target thread's syscall exit that
 * follows names the cause, a kernel thread names itself; the page-state
 * sample after an observed loss infers nothing more. */
static void test_observed_split_and_zap(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct thp_event e;
	struct region *r;
	(void)st;

	regions_init(&rs);
	madvise(&rs, 0.1, R0, 2 * MB2, 14, 0);
	state(&rs, 0.2, R0, PS_PMD, true);
	state(&rs, 0.2, R0 + MB2, PS_PMD, true);
	e = ev(EV_PMD_SPLIT, 1.0);
	e.via = VIA_ID_FENTRY;
	e.fields = EVF_ADDR;
	e.addr = R0 + 4096;
	snprintf(e.comm, sizeof(e.comm), "thp_lives");
	assert_non_null(regions_feed(&rs, &e));
	mapping(&rs, EV_MPROTECT, 1.001, R0 + 4096, 4096);
	state(&rs, 1.01, R0, PS_PTE, true);
	e = ev(EV_PMD_ZAP, 2.0);
	e.via = VIA_ID_KPROBE;
	e.fields = EVF_ADDR;
	e.addr = R0 + MB2;
	e.pid = e.tgid = 99;
	snprintf(e.comm, sizeof(e.comm), "kcompactd0");
	assert_non_null(regions_feed(&rs, &e));
	state(&rs, 2.01, R0 + MB2, PS_NONE, false);
	finish(&rs, &ctx);

	r = regions_find(&rs, MM, R0);
	assert_int_equal(r->reason, VR_SPLIT);
	assert_non_null(region_last_ms(r, MS_SPLIT));
	assert_int_equal(region_last_ms(r, MS_SPLIT)->how, HOW_OBSERVED);
	assert_string_equal(detail(region_last_ms(r, MS_SPLIT)),
			    "the PMD mapping was split (probe split_huge_pmd), by mprotect at 1.001 s");
	assert_false(r->lost_to_tell);	/* nothing inferred for the timeline */
	assert_contains(why(r), "(seen by the split_huge_pmd probe)");
	r = regions_find(&rs, MM, R0 + MB2);
	assert_int_equal(r->reason, VR_ZAPPED);
	assert_contains(detail(region_last_ms(r, MS_ZAPPED)), "by kcompactd0 (a kernel thread");
	regions_free(&rs);
}

/* Migration keeps a huge page huge: the PMD becomes a migration entry,
 * then maps the new page; the actor is named. */
static void test_migration(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct thp_event e;
	struct region *r;
	(void)st;

	regions_init(&rs);
	madvise(&rs, 0.1, R0, MB2, 14, 0);
	state(&rs, 0.2, R0, PS_PMD, true);
	e = ev(EV_PMD_MIGRATION, 1.0);
	e.via = VIA_ID_FEXIT;
	e.fields = EVF_ADDR | EVF_RET;
	e.addr = R0;
	e.pid = e.tgid = 77;
	snprintf(e.comm, sizeof(e.comm), "kcompactd0");
	assert_non_null(regions_feed(&rs, &e));
	e = ev(EV_PMD_MIGRATED, 1.01);
	e.via = VIA_ID_FENTRY;
	e.fields = EVF_ADDR;
	e.addr = R0;
	snprintf(e.comm, sizeof(e.comm), "kcompactd0");
	assert_non_null(regions_feed(&rs, &e));
	finish(&rs, &ctx);
	r = regions_find(&rs, MM, R0);
	assert_int_equal(r->reason, VR_HUGE);
	assert_contains(detail(region_last_ms(r, MS_MIGRATION)), "being moved");
	assert_contains(detail(region_last_ms(r, MS_MIGRATION)), "by kcompactd0 (a kernel thread");
	assert_contains(detail(region_last_ms(r, MS_MIGRATED)), "PMD-mapped again");
	assert_string_equal(ms_kind_name(MS_MIGRATION), "migration");
	regions_free(&rs);
}

/* The folio's own fate after its PMD split, named by the syscall the
 * target's thread was in: a partial munmap queues a deferred split, a
 * MADV_PAGEOUT of part divides it; a failed split is said as such. */
static void test_folio_splits(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct thp_event e;
	struct region *r;
	(void)st;

	regions_init(&rs);
	madvise(&rs, 0.1, R0, 3 * MB2, 14, 0);
	for (int i = 0; i < 3; i++)
		state(&rs, 0.2, R0 + i * MB2, PS_PMD, true);
	/* R0: munmap of its upper half */
	e = ev(EV_PMD_SPLIT, 1.0);
	e.via = VIA_ID_FENTRY;
	e.fields = EVF_ADDR;
	e.addr = R0 + MB2 / 2;
	snprintf(e.comm, sizeof(e.comm), "thp_lives");
	regions_feed(&rs, &e);
	e = ev(EV_FOLIO_DEFERRED_SPLIT, 1.0001);
	e.via = VIA_ID_FENTRY;
	e.fields = EVF_ADDR | EVF_ORDER;
	e.addr = R0;
	e.order = 9;
	snprintf(e.comm, sizeof(e.comm), "thp_lives");
	regions_feed(&rs, &e);
	mapping(&rs, EV_MUNMAP, 1.001, R0 + MB2 / 2, MB2 / 2);
	/* R0 + MB2: MADV_PAGEOUT of 64 KiB divides the huge page */
	e = ev(EV_PMD_SPLIT, 2.0);
	e.via = VIA_ID_KPROBE;
	e.fields = EVF_ADDR;
	e.addr = R0 + MB2;
	snprintf(e.comm, sizeof(e.comm), "thp_lives");
	regions_feed(&rs, &e);
	e = ev(EV_FOLIO_SPLIT, 2.0001);
	e.via = VIA_ID_KRETPROBE;
	e.fields = EVF_ADDR | EVF_ORDER | EVF_RET;
	e.addr = R0 + MB2;
	e.order = 9;
	e.new_order = 0;
	e.ret = 0;
	snprintf(e.comm, sizeof(e.comm), "thp_lives");
	regions_feed(&rs, &e);
	madvise(&rs, 2.001, R0 + MB2, 65536, 21, 0);
	/* R0 + 2 MB2: a split the kernel refused */
	e = ev(EV_FOLIO_SPLIT, 3.0);
	e.via = VIA_ID_FEXIT;
	e.fields = EVF_ADDR | EVF_ORDER | EVF_RET;
	e.addr = R0 + 2 * MB2;
	e.order = 9;
	e.ret = -16;
	snprintf(e.comm, sizeof(e.comm), "thp_lives");
	regions_feed(&rs, &e);
	finish(&rs, &ctx);

	r = regions_find(&rs, MM, R0);
	assert_int_equal(r->reason, VR_SPLIT);
	assert_contains(detail(region_last_ms(r, MS_SPLIT)), "by munmap of part of it at 1.001 s");
	assert_contains(detail(region_last_ms(r, MS_DEFERRED_SPLIT)), "queued to be split later");
	assert_contains(detail(region_last_ms(r, MS_DEFERRED_SPLIT)), "by munmap of part of it at 1.001 s");
	assert_contains(why(r), "The kernel then queued the huge page to be split later");
	r = regions_find(&rs, MM, R0 + MB2);
	assert_int_equal(r->reason, VR_SPLIT);
	assert_false(r->thp);
	assert_contains(detail(region_last_ms(r, MS_FOLIO_SPLIT)),
			"the huge page itself (order 9) was split into order-0 pages, by MADV_PAGEOUT at 2.001 s");
	assert_contains(why(r), "The huge page itself was then split into order-0 pages at 2.000 s by MADV_PAGEOUT");
	r = regions_find(&rs, MM, R0 + 2 * MB2);
	assert_true(r->thp);	/* refused: still one huge folio */
	assert_contains(detail(region_last_ms(r, MS_FOLIO_SPLIT)), "splitting the huge page (order 9) failed (-16)");
	regions_free(&rs);
}

/* mremap splits the PMD, then its page-table move calls the split again
 * on what is already small pages: one split, named by mremap. */
static void test_observed_split_once(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct thp_event e;
	struct region *r;
	(void)st;

	regions_init(&rs);
	madvise(&rs, 0.1, R0, MB2, 14, 0);
	state(&rs, 0.2, R0, PS_PMD, true);
	for (int i = 0; i < 2; i++) {
		e = ev(EV_PMD_SPLIT, 1.0 + i * 0.0001);
		e.via = VIA_ID_FENTRY;
		e.fields = EVF_ADDR;
		e.addr = R0 + MB2 - 4096;
		snprintf(e.comm, sizeof(e.comm), "thp_lives");
		regions_feed(&rs, &e);
	}
	mapping(&rs, EV_MREMAP, 1.001, R0 + MB2 - 4096, 4096);
	finish(&rs, &ctx);
	r = regions_find(&rs, MM, R0);
	assert_int_equal(r->reason, VR_SPLIT);
	size_t splits = 0;
	for (size_t i = 0; i < r->n_milestones; i++)
		splits += r->ms[i].kind == MS_SPLIT;
	assert_int_equal(splits, 1);
	assert_contains(detail(region_last_ms(r, MS_SPLIT)), "by mremap at 1.001 s");
	regions_free(&rs);
}

/* An inferred loss carries /proc/vmstat's thp_split_pmd rise as support,
 * net of the splits the trace saw elsewhere: a split with a rise of its
 * own is supported, a zap whose rise other splits explain is a zap. */
static void test_vmstat_support(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct thp_event e;
	struct region *r;
	(void)st;

	regions_init(&rs);
	madvise(&rs, 0.1, R0, 2 * MB2, 14, 0);
	state(&rs, 0.2, R0, PS_PMD, true);
	state(&rs, 0.2, R0 + MB2, PS_PMD, true);
	mapping(&rs, EV_MPROTECT, 1.0, R0 + 4096, 4096);
	e = ev(EV_STATE, 1.01);
	e.fields = EVF_STATE | EVF_VMSTAT;
	e.region = R0;
	e.state = PS_PTE;
	e.thp = true;
	e.present = 512;
	e.split_pmd_delta = 1;
	e.vmstat_since_t = 0.2;
	regions_feed(&rs, &e);
	madvise(&rs, 2.0, R0 + MB2, MB2, 4, 0);
	e.t = 2.01;
	e.region = R0 + MB2;
	e.state = PS_NONE;
	e.thp = false;
	e.present = 0;
	regions_feed(&rs, &e);
	finish(&rs, &ctx);
	r = regions_find(&rs, MM, R0);
	assert_int_equal(r->reason, VR_SPLIT);
	assert_contains(why(r), "thp_split_pmd rose by 1 since 0.200 s (all processes), which supports it");
	r = regions_find(&rs, MM, R0 + MB2);
	assert_int_equal(r->reason, VR_ZAPPED);
	assert_int_equal(region_last_ms(r, MS_ZAPPED)->split_pmd_others, 1);
	assert_contains(why(r), "1 of it other regions' splits seen here), so no split: a zap");
	regions_free(&rs);
}

/* Attached to a running process: each region starts from its snapshot. */
static struct region *snap(struct regions *rs, double t, uint64_t region, enum page_state s, bool hg,
			   bool nh)
{
	struct thp_event e = ev(EV_STATE, t);

	e.via = VIA_ID_SNAPSHOT;
	e.fields = EVF_STATE | EVF_VMFLAGS;
	e.region = region;
	e.state = s;
	e.thp = s == PS_PMD;
	e.present = s == PS_NONE ? 0 : 512;
	e.vm_hugepage = hg;
	e.vm_nohugepage = nh;
	e.thp_eligible = nh ? 0 : 1;
	return regions_feed(rs, &e);
}

/* What was there before tracing began: a PMD-mapped region is huge
 * "already PMD-mapped when tracing began", no guess about how; a madvised
 * small one gets the reasons that apply now; VmFlags nh forbids it; a
 * later change (a periodic snapshot) is one more sample, its loss inferred. */
static void test_snapshot_at_attach(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region *r;
	(void)st;

	regions_init(&rs);
	snap(&rs, 0.001, R0, PS_PMD, true, false);
	snap(&rs, 0.001, R0 + MB2, PS_PTE, true, false);
	snap(&rs, 0.001, R0 + 2 * MB2, PS_PTE, false, true);
	snap(&rs, 0.001, R0 + 3 * MB2, PS_PMD, true, false);
	/* the periodic snapshot: R0 + 3 MB2 lost its PMD without any event */
	snap(&rs, 10.001, R0 + 3 * MB2, PS_PTE, true, false);
	finish(&rs, &ctx);

	r = regions_find(&rs, MM, R0);
	assert_int_equal(r->reason, VR_HUGE);
	assert_false(r->final_inferred);
	assert_non_null(region_last_ms(r, MS_SNAPSHOT));
	assert_null(region_last_ms(r, MS_PMD_MAPPED));	/* not seen happening */
	assert_string_equal(detail(region_last_ms(r, MS_SNAPSHOT)),
			    "when tracing began: mapped by one PMD (a huge page); madvised MADV_HUGEPAGE");
	assert_contains(why(r), "Already PMD-mapped when tracing began (snapshot at 0.001 s)");
	assert_null(strstr(why(r), "khugepaged built"));

	r = regions_find(&rs, MM, R0 + MB2);
	assert_true(r->madvised_huge);
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	assert_contains(why(r), "khugepaged did not scan this process while it was traced (from 0.001 s)");

	r = regions_find(&rs, MM, R0 + 2 * MB2);
	assert_int_equal(r->reason, VR_NOT_ELIGIBLE);
	assert_contains(why(r), "madvised MADV_NOHUGEPAGE before tracing began (VmFlags nh)");

	r = regions_find(&rs, MM, R0 + 3 * MB2);
	assert_int_equal(r->reason, VR_SPLIT);
	assert_contains(why(r), "not by a system call of the process");
	regions_free(&rs);

	/* a reserved heap: madvised, nothing ever present */
	regions_init(&rs);
	snap(&rs, 0.001, R0, PS_NONE, true, false);
	finish(&rs, &ctx);
	r = regions_find(&rs, MM, R0);
	assert_int_equal(r->reason, VR_UNTOUCHED);
	assert_string_equal(verdict_reason_name(VR_UNTOUCHED), "untouched");
	assert_contains(why(r), "no page of it was touched, so there was nothing for khugepaged to collapse");
	assert_contains(why(r), "first touch can fault in a huge page");
	regions_free(&rs);
}

/* A trace from elsewhere may madvise the whole address space in many mms
 * (found by fuzz_report): at most max_regions (REGIONS_MAX unless set)
 * are alive, the rest counted; lookups stay one index probe each. */
static void test_regions_capped(void **st)
{
	struct regions rs;
	struct thp_event e = ev(EV_MADVISE, 0.5);
	(void)st;

	regions_init(&rs);
	assert_int_equal(rs.max_regions, REGIONS_MAX);
	rs.max_regions = 16384;
	e.fields = EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
	e.addr = 0;
	e.len = UINT64_MAX;
	e.behavior = 14;
	for (uint32_t mm = 1; mm <= 24; mm++) {
		e.mm_id = mm;
		regions_feed(&rs, &e);
	}
	assert_int_equal(rs.n, 16384);
	assert_int_equal(rs.dropped_regions, 24 * 1024 - 16384);
	/* the last region tracked is found, a dropped one is not */
	assert_non_null(regions_find(&rs, rs.v[16384 - 1].mm_id, rs.v[16384 - 1].start));
	assert_null(regions_find(&rs, 24, 0));
	regions_free(&rs);
}

static struct region *replay(struct regions *rs, const char *name, const struct thp_context *ctx)
{
	char path[512], line[8192];
	const char *slash = strrchr(__FILE__, '/');
	struct region *file_region = NULL;
	static struct jsonl_reader jr;
	struct run_summary sum;
	struct thp_event e;
	char err[256] = "";
	FILE *f;
	int n = 0;

	/* __FILE__ is tests/unit/test_regions.c, relative to where make runs */
	snprintf(path, sizeof(path), "%.*s/../data/regions/%s.jsonl",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	regions_init(rs);
	jsonl_init(&jr);
	/* read as `report` reads it (input/jsonl.c) */
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\n");

		if (jsonl_parse(&jr, line, len, line[len] == '\n', &e, &sum, err, sizeof(err)) != JL_EVENT)
			fail_msg("%s line %d: %s", name, n + 1, err);
		regions_feed(rs, &e);
		n++;
	}
	fclose(f);
	assert_true(n > 3);
	finish(rs, ctx);
	for (size_t i = 0; i < rs->n; i++) {
		struct region *r = &rs->v[i];
		check_region(rs, r);
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
	assert_contains(why(r), "khugepaged built the huge page at 0.166 s and cleared the old page table; the refault at 0.181 s mapped it as one huge page (unmapped for 15 ms)");
	assert_int_equal(r->ev.builder, ACT_KHUGEPAGED);
	assert_int_equal(region_last_ms(r, MS_COLLAPSE)->actor, ACT_KHUGEPAGED);
	/* the demo chain as page states: ... not present, then one PMD */
	assert_true(r->n_changes >= 2);
	assert_int_equal(r->chg[r->n_changes - 2].state, PS_NONE);
	assert_near(r->chg[r->n_changes - 2].t, 0.172681);	/* when pagemap saw it */
	assert_int_equal(r->chg[r->n_changes - 1].state, PS_PMD);
	assert_near(r->chg[r->n_changes - 1].t, r->t_pmd);
	regions_free(&rs);

	r = replay(&rs, "khugepaged_not_refaulted", &ctx);
	assert_int_equal(r->reason, VR_COLLAPSED_NOT_REFAULTED);
	assert_int_equal(r->final_state, PS_NONE);
	assert_true(r->t_refault < 0 && r->unmapped_s < 0);
	assert_contains(why(r), "not mapped at all when the process exited (pagemap: not present)");
	assert_int_equal(r->chg[r->n_changes - 1].state, PS_NONE);
	assert_int_equal(region_last_ms(r, MS_PMD_CLEARED)->how, HOW_PAGEMAP_AFTER_COLLAPSE);
	regions_free(&rs);

	r = replay(&rs, "nohugepage_refault", &ctx);
	assert_int_equal(r->reason, VR_REFAULTED_AS_PTE);
	assert_true(r->nohuge && r->thp);
	assert_true(r->t_nohuge > r->t_collapse && r->t_refault > r->t_nohuge);
	assert_contains(why(r), "after the collapse");
	regions_free(&rs);

	r = replay(&rs, "madv_collapse", &ctx);
	assert_int_equal(r->reason, VR_HUGE);
	assert_true(r->madv_collapse && r->collapsed);
	assert_int_equal(r->collapse_attempts, 1);
	assert_true(r->t_refault < 0);
	assert_contains(why(r), "MADV_COLLAPSE built the huge page");
	assert_int_equal(r->ev.builder, ACT_MADV_COLLAPSE);
	assert_int_equal(region_last_ms(r, MS_COLLAPSE)->actor, ACT_MADV_COLLAPSE);
	assert_int_equal(r->chg[r->n_changes - 1].state, PS_PMD);
	regions_free(&rs);

	r = replay(&rs, "file_only_not_scanned", &ctx);
	assert_int_equal(r->reason, VR_NOT_SCANNED);
	assert_false(regions_mm_scanned(&rs, r->mm_id));
	assert_int_equal(r->final_state, PS_PTE);
	assert_contains(why(r), "0 full scans passed");
	regions_free(&rs);
}

/* A THP knob that changed during the run, as the live run reads it from
 * sysfs; it concerns no region. */
static void settings_ev(struct regions *rs, double t, const char *knob, const char *value, const char *old)
{
	struct thp_event e = ev(EV_SETTINGS, t);

	e.via = VIA_ID_SYSFS;
	e.pid = e.tgid = e.target_pid = 0;
	e.mm_id = 0;
	e.comm[0] = 0;
	e.fields = EVF_KNOB;
	snprintf(e.knob, sizeof(e.knob), "%s", knob);
	snprintf(e.value, sizeof(e.value), "%s", value);
	snprintf(e.old_value, sizeof(e.old_value), "%s", old);
	assert_null(regions_feed(rs, &e));
}

/* Issue 12: settings events change the settings in force from then on; a
 * life that ended is judged with those in force when it was unmapped, a
 * live one with the last ones.  Three memfd regions (shmem_enabled governs
 * them), madvised while shmem_enabled is advise: A unmapped before it
 * becomes never, C after, B still mapped at the end. */
static void test_settings_events(void **st)
{
	struct regions rs;
	struct thp_context ctx = ctx_default();
	struct region_file_info memfd = { .is_shmem = 1, .open_for_write = 0, .fully_mapped = 1,
					  .file_aligned = 1 };
	const uint64_t B = R0 + 4 * MB2, C = R0 + 8 * MB2;
	const struct region *a, *b, *c;
	struct thp_event none = ev(EV_SETTINGS, 2.2);
	(void)st;

	regions_init(&rs);
	snprintf(ctx.shmem_enabled, sizeof(ctx.shmem_enabled), "advise");
	context_open(&rs, &ctx);
	for (uint64_t start = R0; start <= C; start += 4 * MB2) {
		assert_non_null(madvise(&rs, 0.1, start, MB2, 14, 0));
		assert_non_null(region_file(&rs, MM, start, &memfd, "/memfd:x (deleted)"));
	}
	mapping(&rs, EV_MUNMAP, 1.0, R0, MB2);
	settings_ev(&rs, 2.0, "shmem_enabled", "never", "advise");
	assert_string_equal(rs.ctx.shmem_enabled, "never");
	settings_ev(&rs, 2.0, "khugepaged/scan_sleep_millisecs", "500", "100");
	assert_int_equal(rs.ctx.scan_sleep_ms, 500);
	/* knobs the context does not hold, and an event without its knob,
	 * change nothing in it */
	settings_ev(&rs, 2.1, "hugepages-2048kB/shmem_enabled", "always", "inherit");
	settings_ev(&rs, 2.1, "khugepaged/max_ptes_none", "0", "511");
	assert_null(regions_feed(&rs, &none));
	assert_string_equal(rs.ctx.shmem_enabled, "never");
	assert_string_equal(rs.ctx.thp_enabled, "madvise");
	assert_int_equal(rs.ctx.pages_to_scan, 4096);
	mapping(&rs, EV_MUNMAP, 2.5, C, MB2);
	state(&rs, 3.0, B, PS_PTE, false);
	context_end(&rs, &ctx);
	regions_finish(&rs);
	a = life_of(&rs, R0, 1);
	b = life_of(&rs, B, 1);
	c = life_of(&rs, C, 1);

	/* A: the settings at its end (advise, 100 ms), the run's facts at
	 * the end of the trace */
	assert_true(a->ended);
	assert_string_equal(a->ev.ctx->shmem_enabled, "advise");
	assert_int_equal(a->ev.ctx->scan_sleep_ms, 100);
	assert_int_equal(a->ev.ctx->full_scans_end, 47);
	assert_near(a->ev.ctx->duration_s, 30.0);
	assert_int_equal(a->ev.blockers, 0);
	assert_int_equal(a->reason, VR_UNMAPPED_EARLY);
	/* C: ended after the change */
	assert_true(c->ended);
	assert_string_equal(c->ev.ctx->shmem_enabled, "never");
	assert_int_equal(c->ev.ctx->scan_sleep_ms, 500);
	assert_true(c->ev.blockers & EB_SHMEM_NEVER);
	assert_int_equal(c->reason, VR_NOT_ELIGIBLE);
	/* B: alive at the end, the last values */
	assert_false(b->ended);
	assert_string_equal(b->ev.ctx->shmem_enabled, "never");
	assert_int_equal(b->ev.ctx->scan_sleep_ms, 500);
	assert_string_equal(b->ev.ctx->thp_enabled, "madvise");
	assert_int_equal(b->ev.ctx->full_scans_end, 47);
	assert_true(b->ev.blockers & EB_SHMEM_NEVER);
	assert_int_equal(b->reason, VR_NOT_ELIGIBLE);
	assert_contains(why(b), "never");
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
		cmocka_unit_test(test_change_overflow),
		cmocka_unit_test(test_context_events),
		cmocka_unit_test(test_random_streams),
		cmocka_unit_test(test_final_state_after_set_pmd),
		cmocka_unit_test(test_three_lives),
		cmocka_unit_test(test_split_and_zap),
		cmocka_unit_test(test_unmapped_early),
		cmocka_unit_test(test_scan_file_stands_for_collapse),
		cmocka_unit_test(test_observed_split_and_zap),
		cmocka_unit_test(test_migration),
		cmocka_unit_test(test_folio_splits),
		cmocka_unit_test(test_vmstat_support),
		cmocka_unit_test(test_observed_split_once),
		cmocka_unit_test(test_snapshot_at_attach),
		cmocka_unit_test(test_regions_capped),
		cmocka_unit_test(test_recorded_streams),
		cmocka_unit_test(test_settings_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
