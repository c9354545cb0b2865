/* Unit tests for src/model/mappings.c and the words and lines made of it
 * (explain_mappings.c, out_mappings.c): which regions make one mapping
 * (per process; a known VMA; adjacent regions of one file where the VMA is
 * not known), the majority and its exceptions, how the huge ones got
 * there, the share over time, and the JSON `mapping` line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "model/mappings.h"
#include "util/intern.h"
#include "model/region_parts.h"
#include "sinks/explain.h"
#include "sinks/output.h"

#define R0 0x7f0000000000ULL
#define MB2 THP_REGION_SIZE

/* A region as regions_finish leaves it: its verdict, and its page state
 * from t on (PMD-mapped from t_pmd, or small pages). */
static struct region *add(struct regions *rs, uint32_t mm, uint32_t pid, uint64_t start, const char *file,
			  enum verdict_reason v, double t_pmd)
{
	struct region *r;

	rs->v = realloc(rs->v, (rs->n + 1) * sizeof(*rs->v));
	assert_non_null(rs->v);
	r = &rs->v[rs->n++];
	region_init(r, mm, pid, start);
	r->life = 1;
	r->file = str_intern(file);
	r->reason = r->ev.reason = v;
	r->final_state = v == VR_HUGE ? PS_PMD : PS_PTE;
	region_set_state(r, 0.1, PS_PTE, HOW_PAGEMAP);
	if (t_pmd >= 0)
		region_set_state(r, t_pmd, PS_PMD, HOW_PAGEMAP);
	return r;
}

static void test_grouping(void **st)
{
	struct regions rs;
	struct mappings ms;
	struct region *r;
	(void)st;

	regions_init(&rs);
	/* process 1: a known 8 MiB mapping (3 regions known, 1 not known but
	 * inside it), then a file's regions without a known mapping: two
	 * adjacent, a gap, one more; another file next to them */
	for (int i = 0; i < 3; i++) {
		r = add(&rs, 1, 100, R0 + i * MB2, "", VR_HUGE, 1.0 + i);
		r->map_start = R0;
		r->map_end = R0 + 4 * MB2;
	}
	add(&rs, 1, 100, R0 + 3 * MB2, "", VR_SPLIT, 1.5);
	add(&rs, 1, 100, R0 + 10 * MB2, "/data", VR_NOT_SCANNED, -1);
	add(&rs, 1, 100, R0 + 11 * MB2, "/data", VR_NOT_SCANNED, -1);
	add(&rs, 1, 100, R0 + 13 * MB2, "/data", VR_NOT_SCANNED, -1);
	add(&rs, 1, 100, R0 + 14 * MB2, "/other", VR_HUGE, 2.0);
	/* process 2, same addresses: its own mapping */
	add(&rs, 2, 200, R0, "", VR_HUGE, 0.5);
	assert_int_equal(mappings_build(&rs, &ms), 0);
	assert_int_equal(ms.n, 5);

	assert_true(ms.v[0].known);
	assert_int_equal(ms.v[0].n, 4);
	assert_int_equal(ms.v[0].end - ms.v[0].start, 4 * MB2);
	assert_int_equal(ms.v[0].majority, VR_HUGE);
	assert_int_equal(ms.v[0].exceptions, 1);
	assert_int_equal(ms.v[0].by_reason[VR_SPLIT], 1);
	/* huge by the last of them */
	assert_true(ms.v[0].huge_by == 3.0);
	/* the share: 1, 2, 3 huge, then the split one counted from 1.5 on */
	assert_int_equal(ms.v[0].n_series, 4);
	assert_true(ms.v[0].series[0].t == 1.0 && ms.v[0].series[0].huge == 1);
	assert_true(ms.v[0].series[1].t == 1.5 && ms.v[0].series[1].huge == 2);
	assert_true(ms.v[0].series[3].t == 3.0 && ms.v[0].series[3].huge == 4);

	assert_false(ms.v[1].known);
	assert_int_equal(ms.v[1].n, 2);
	assert_string_equal(ms.v[1].file, "/data");
	assert_int_equal(ms.v[1].start, R0 + 10 * MB2);
	assert_int_equal(ms.v[1].end, R0 + 12 * MB2);
	assert_int_equal(ms.v[2].n, 1);	/* after a gap */
	assert_string_equal(ms.v[3].file, "/other");
	assert_int_equal(ms.v[4].mm_id, 2);
	assert_int_equal(ms.v[4].pid, 200);
	mappings_free(&ms);
	regions_free(&rs);
}

static void test_majority_and_words(void **st)
{
	struct regions rs;
	struct mappings ms;
	char w[EXPLAIN_WHY_MAX], *json = NULL;
	size_t len = 0;
	FILE *f;
	(void)st;

	regions_init(&rs);
	/* a tie, 2 and 2: huge is the majority */
	for (int i = 0; i < 4; i++) {
		struct region *r = add(&rs, 1, 100, R0 + i * MB2, "", i < 2 ? VR_HUGE : VR_NOT_COLLAPSED,
				       i < 2 ? 0.25 : -1);

		r->map_start = R0;
		r->map_end = R0 + 4 * MB2;
		if (i == 1) {
			r->collapsed = true;
			r->ev.builder = ACT_KHUGEPAGED;
		}
	}
	assert_int_equal(mappings_build(&rs, &ms), 0);
	assert_int_equal(ms.n, 1);
	assert_int_equal(ms.v[0].majority, VR_HUGE);
	assert_int_equal(ms.v[0].huge_how[HUGE_AT_FAULT], 1);
	assert_int_equal(ms.v[0].huge_how[HUGE_KHUGEPAGED], 1);
	assert_string_equal(explain_mapping(&ms.v[0], w, sizeof(w)),
			    "2 of 4 regions huge (1 at fault, 1 collapsed by khugepaged) by 0.250 s; 2 not_collapsed");
	assert_string_equal(explain_mapping_title(&ms.v[0], w, sizeof(w)),
			    "0x7f0000000000-0x7f0000800000 8 MiB anonymous (pid 100, mm 1), 4 regions");
	f = open_memstream(&json, &len);
	assert_non_null(f);
	json_mapping(f, &ms.v[0], NULL);
	fclose(f);
	assert_string_equal(json,
			    "{\"event\":\"mapping\",\"schema_version\":1,\"mm\":1,\"target_pid\":100,\"start\":\"0x7f0000000000\","
			    "\"end\":\"0x7f0000800000\",\"known\":true,\"file\":\"\",\"regions\":4,"
			    "\"reasons\":{\"huge\":2,\"not_collapsed\":2},\"majority\":\"huge\",\"exceptions\":2,"
			    "\"huge_how\":{\"before_tracing\":0,\"at_fault\":1,\"khugepaged\":1,\"madv_collapse\":0},"
			    "\"huge_by_t\":0.250000,\"summary\":\"2 of 4 regions huge (1 at fault, 1 collapsed by "
			    "khugepaged) by 0.250 s; 2 not_collapsed\"}\n");
	free(json);
	mappings_free(&ms);
	regions_free(&rs);
}

static void test_empty(void **st)
{
	struct regions rs;
	struct mappings ms;
	(void)st;

	regions_init(&rs);
	assert_int_equal(mappings_build(&rs, &ms), 0);
	assert_int_equal(ms.n, 0);
	mappings_free(&ms);
	regions_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_majority_and_words),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
