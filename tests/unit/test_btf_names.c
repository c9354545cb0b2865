/* scan_result naming and prototype checks against BTF built here, so the
 * test needs no kernel: the names must follow the BTF's numbering, which
 * differs between kernels, not a table of ours. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include "probe/btf_names.h"

/* Our reader over what libbpf's writer produced: same bytes as a kernel's. */
static struct kbtf *to_kbtf(struct btf *btf)
{
	const void *raw;
	struct kbtf *kb;
	__u32 sz;

	raw = btf__raw_data(btf, &sz);
	assert_non_null(raw);
	kb = kbtf_from_mem(raw, sz);
	assert_non_null(kb);
	btf__free(btf);
	return kb;
}

/* enum scan_result as one kernel numbers it, and another renumbered. */
static struct kbtf *make_btf(int shift)
{
	struct btf *btf = btf__new_empty();
	int id_int, id_mm, id_ptr, id_proto;

	assert_non_null(btf);
	assert_true(btf__add_enum(btf, "scan_result", 4) > 0);
	assert_int_equal(btf__add_enum_value(btf, "SCAN_FAIL", 0 + shift), 0);
	assert_int_equal(btf__add_enum_value(btf, "SCAN_SUCCEED", 1 + shift), 0);
	assert_int_equal(btf__add_enum_value(btf, "SCAN_PTE_MAPPED_HUGEPAGE", 10 + shift), 0);
	id_int = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	id_mm = btf__add_struct(btf, "mm_struct", 0);
	id_ptr = btf__add_ptr(btf, id_mm);
	id_proto = btf__add_func_proto(btf, id_int);
	assert_int_equal(btf__add_func_param(btf, "mm", id_ptr), 0);
	assert_int_equal(btf__add_func_param(btf, "addr", id_int), 0);
	assert_true(btf__add_func(btf, "collapse_file", BTF_FUNC_STATIC, id_proto) > 0);
	return to_kbtf(btf);
}

static void test_names_follow_btf(void **state)
{
	struct kbtf *a = make_btf(0), *b = make_btf(100);

	(void)state;
	assert_string_equal(kbtf_scan_result_name(a, 1), "SCAN_SUCCEED");
	assert_string_equal(kbtf_scan_result_name(a, 10), "SCAN_PTE_MAPPED_HUGEPAGE");
	assert_null(kbtf_scan_result_name(a, 2));
	assert_string_equal(kbtf_scan_result_name(b, 101), "SCAN_SUCCEED");
	assert_null(kbtf_scan_result_name(b, 1));
	assert_int_equal(kbtf_scan_result_value(b, "SCAN_FAIL"), 100);
	assert_int_equal(kbtf_scan_result_value(a, "SCAN_NOPE"), -1);
	kbtf_free(a);
	kbtf_free(b);
}

static void test_table(void **state)
{
	struct kbtf *a = make_btf(0);
	char names[16][48];

	(void)state;
	assert_int_equal(kbtf_scan_result_table(a, names, 16), 3);
	assert_string_equal(names[0], "SCAN_FAIL");
	assert_string_equal(names[1], "SCAN_SUCCEED");
	assert_string_equal(names[2], "");
	assert_string_equal(names[10], "SCAN_PTE_MAPPED_HUGEPAGE");
	kbtf_free(a);
}

static void test_no_enum(void **state)
{
	struct kbtf *e = to_kbtf(btf__new_empty());

	(void)state;
	assert_null(kbtf_scan_result_name(e, 1));
	assert_null(kbtf_scan_result_name(NULL, 1));
	kbtf_free(e);
}

static void test_prototypes(void **state)
{
	struct kbtf *a = make_btf(0);
	const char *const good[] = { "mm", "addr" };
	const char *const bad[] = { "mm", "start" };
	const char *const many[] = { "mm", "addr", "file" };
	char why[160];

	(void)state;
	assert_true(kbtf_func_matches(a, "collapse_file", good, 2, why, sizeof(why)));
	assert_false(kbtf_func_matches(a, "collapse_file", bad, 2, why, sizeof(why)));
	assert_non_null(strstr(why, "argument 2 is 'addr' here, expected 'start'"));
	assert_false(kbtf_func_matches(a, "collapse_file", many, 3, why, sizeof(why)));
	assert_non_null(strstr(why, "takes 2 arguments"));
	assert_false(kbtf_func_matches(a, "retract_page_tables", NULL, 0, why, sizeof(why)));
	assert_non_null(strstr(why, "not in the kernel's BTF"));
	kbtf_free(a);
}

/* typedef void (*btf_trace_NAME)(void *, ARGS...) with ARGS picked from
 * what raw tracepoints take: 'm' mm_struct *, 'f' file *, 'l' unsigned long,
 * 'b' bool, 'i' int, 'v' void *. */
static void add_trace_typedef(struct btf *btf, const char *name, const char *args)
{
	int ulong = btf__add_int(btf, "long unsigned int", 8, 0);
	int boolean = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	int integer = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int mm = btf__add_struct(btf, "mm_struct", 8);
	int file = btf__add_struct(btf, "file", 8);
	int pmm = btf__add_ptr(btf, mm), pfile = btf__add_ptr(btf, file), pvoid = btf__add_ptr(btf, 0);
	int proto = btf__add_func_proto(btf, 0), ptr;
	char full[64];

	assert_true(proto > 0);
	assert_int_equal(btf__add_func_param(btf, "", pvoid), 0);
	for (const char *a = args; *a; a++) {
		int t = *a == 'm' ? pmm : *a == 'f' ? pfile : *a == 'l' ? ulong : *a == 'b' ? boolean
			: *a == 'i' ? integer : pvoid;

		assert_int_equal(btf__add_func_param(btf, "", t), 0);
	}
	ptr = btf__add_ptr(btf, proto);
	snprintf(full, sizeof(full), "btf_trace_%s", name);
	assert_true(btf__add_typedef(btf, full, ptr) > 0);
}

/* The raw collapse_file program reads addr from argument 3 or 4: the shape
 * check must tell the two kernel orders apart and refuse anything else. */
static void test_raw_tracepoint_shapes(void **state)
{
	const char *cf = "p:mm_struct ? l l b p:file i i|p:mm_struct ? l b l p:file i i";
	struct btf *w = btf__new_empty();
	struct kbtf *k;
	char why[160];

	(void)state;
	add_trace_typedef(w, "new_order", "mvllbfii");
	add_trace_typedef(w, "old_order", "mvlblfii");
	add_trace_typedef(w, "neither", "mvlbbfii");
	add_trace_typedef(w, "short", "mvl");
	add_trace_typedef(w, "exit2", "vb");
	k = to_kbtf(w);
	assert_int_equal(kbtf_tp_shape(k, "new_order", cf, why, sizeof(why)), 0);
	assert_int_equal(kbtf_tp_shape(k, "old_order", cf, why, sizeof(why)), 1);
	assert_true(kbtf_tp_shape(k, "neither", cf, why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "neither: argument 5 is _Bool, expected l"));
	assert_true(kbtf_tp_shape(k, "short", cf, why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "3 arguments, expected more"));
	assert_true(kbtf_tp_shape(k, "absent", "p", why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "no btf_trace_absent"));
	/* "..." allows more arguments; without it they are a mismatch. */
	assert_int_equal(kbtf_tp_shape(k, "exit2", "p ...", why, sizeof(why)), 0);
	assert_true(kbtf_tp_shape(k, "exit2", "p", why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "2 arguments, expected 1"));
	/* A pointer to the wrong struct is not the right pointer. */
	assert_true(kbtf_tp_shape(k, "short", "p:file ? l", why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "argument 1 is mm_struct *, expected p:file"));
	kbtf_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_follow_btf),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_no_enum),
		cmocka_unit_test(test_prototypes),
		cmocka_unit_test(test_raw_tracepoint_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
