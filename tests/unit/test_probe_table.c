/* The probe table's rows hold together (issue 16: variant rows per kernel
 * shape, return-value slots), and where an fexit program finds a return
 * value: the slot after the arguments in the kernel's prototype, none for
 * a void function.  No kernel needed: BTF is built here. */
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
#include "probe/probe_def.h"

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

/* 5.10's shapes: void collapse_file(mm, file, start, hpage, node) and
 * void filemap_map_pages(vmf, start_pgoff, end_pgoff); 6.x's
 * int do_set_pmd(vmf, page). */
static struct kbtf *make_btf(void)
{
	struct btf *btf = btf__new_empty();
	int id_int, id_ulong, id_ptr, proto;

	assert_non_null(btf);
	id_int = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	id_ulong = btf__add_int(btf, "long unsigned int", 8, 0);
	id_ptr = btf__add_ptr(btf, 0);
	proto = btf__add_func_proto(btf, 0);
	btf__add_func_param(btf, "mm", id_ptr);
	btf__add_func_param(btf, "file", id_ptr);
	btf__add_func_param(btf, "start", id_ulong);
	btf__add_func_param(btf, "hpage", id_ptr);
	btf__add_func_param(btf, "node", id_int);
	assert_true(btf__add_func(btf, "collapse_file", BTF_FUNC_STATIC, proto) > 0);
	proto = btf__add_func_proto(btf, 0);
	btf__add_func_param(btf, "vmf", id_ptr);
	btf__add_func_param(btf, "start_pgoff", id_ulong);
	btf__add_func_param(btf, "end_pgoff", id_ulong);
	assert_true(btf__add_func(btf, "filemap_map_pages", BTF_FUNC_STATIC, proto) > 0);
	proto = btf__add_func_proto(btf, id_int);
	btf__add_func_param(btf, "vmf", id_ptr);
	btf__add_func_param(btf, "page", id_ptr);
	assert_true(btf__add_func(btf, "do_set_pmd", BTF_FUNC_STATIC, proto) > 0);
	return to_kbtf(btf);
}

static void test_ret_index(void **state)
{
	struct kbtf *kb = make_btf();

	(void)state;
	assert_int_equal(kbtf_func_ret_index(kb, "do_set_pmd"), 2);
	assert_int_equal(kbtf_func_ret_index(kb, "collapse_file"), 0);	/* void */
	assert_int_equal(kbtf_func_ret_index(kb, "filemap_map_pages"), 0);	/* void before 5.12 */
	assert_true(kbtf_func_ret_index(kb, "retract_page_tables") < 0);
	assert_true(kbtf_func_ret_index(NULL, "do_set_pmd") < 0);
	kbtf_free(kb);
}

static size_t nparams(const struct probe_def *d)
{
	size_t n = 0;

	while (n < PROBE_PARAMS_MAX && d->params[n])
		n++;
	return n;
}

static void test_rows(void **state)
{
	bool names_seen_old_collapse = false;

	(void)state;
	assert_true(probe_ndefs > 0 && probe_ndefs <= PROBES_MAX);
	for (size_t i = 0; i < probe_ndefs; i++) {
		const struct probe_def *d = &probe_defs[i];

		assert_non_null(d->name);
		/* variants of one probe are next to each other: the first
		 * that attaches serves, the later ones are not tried */
		for (size_t j = i + 2; j < probe_ndefs; j++)
			if (strcmp(probe_defs[j].name, d->name) == 0)
				assert_string_equal(probe_defs[j - 1].name, d->name);
		/* a return slot only where an fexit program reads it */
		if (d->ret_slot)
			assert_non_null(d->fentry[1]);
		assert_true((unsigned)d->ret_slot < RET_SLOTS);
		assert_true(d->ctx_args <= nparams(d));
		/* a function probe checks its parameters before reading them */
		if (has_progs(d->fentry) || has_progs(d->kprobe))
			assert_non_null(d->func);
		if (d->func && strcmp(d->func, "collapse_file") == 0 && d->params[1] &&
		    strcmp(d->params[1], "file") == 0)
			names_seen_old_collapse = true;
	}
	/* 5.4-5.18's collapse_file(mm, file, start, hpage, node) has a row */
	assert_true(names_seen_old_collapse);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ret_index),
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
