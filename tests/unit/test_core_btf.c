/* The in-place BTF reader and the trimmed BTF libbpf relocates against.
 * Both are checked against libbpf's own reader of the same bytes, and the
 * trimmed BTF by asking libbpf's parser to take it back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include "probe/core_btf.h"
#include "probe/kbtf.h"

static struct kbtf *as_kbtf(const struct btf *btf)
{
	const void *raw;
	__u32 sz;

	raw = btf__raw_data(btf, &sz);
	assert_non_null(raw);
	return kbtf_from_mem(raw, sz);
}

/* A "kernel": task_struct points to mm_struct and embeds an anonymous
 * union and a struct the BPF side never names; plus an enum64 and a
 * function, the kinds our reader must step over. */
static struct btf *kernel_btf(void)
{
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int u64 = btf__add_int(b, "long long unsigned int", 8, 0);
	int arr = btf__add_array(b, i32, i32, 2);
	int mm = btf__add_struct(b, "mm_struct", 16), pmm, other, anon, task, ptask, e64, proto;

	assert_int_equal(btf__add_field(b, "map_count", i32, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "owner", u64, 64, 0), 0);
	pmm = btf__add_ptr(b, mm);
	other = btf__add_struct(b, "sched_entity", 8);
	assert_int_equal(btf__add_field(b, "load", u64, 0, 0), 0);
	anon = btf__add_union(b, NULL, 8);
	assert_int_equal(btf__add_field(b, "flags", u64, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "state", i32, 0, 0), 0);
	task = btf__add_struct(b, "task_struct", 40);
	assert_int_equal(btf__add_field(b, "tgid", i32, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "flag_bit", i32, 32, 3), 0);
	assert_int_equal(btf__add_field(b, "mm", pmm, 64, 0), 0);
	assert_int_equal(btf__add_field(b, NULL, anon, 128, 0), 0);
	assert_int_equal(btf__add_field(b, "se", other, 192, 0), 0);
	assert_int_equal(btf__add_field(b, "arr", arr, 256, 0), 0);
	e64 = btf__add_enum64(b, "big", 8, false);
	assert_int_equal(btf__add_enum64_value(b, "BIG_ONE", 1ULL << 40), 0);
	ptask = btf__add_ptr(b, task);
	proto = btf__add_func_proto(b, i32);
	assert_int_equal(btf__add_func_param(b, "tsk", ptask), 0);
	assert_true(btf__add_func(b, "wake_up_process", BTF_FUNC_GLOBAL, proto) > 0);
	assert_true(e64 > 0);
	return b;
}

/* What a BPF object built against an older vmlinux.h would carry. */
static struct btf *local_btf(void)
{
	struct btf *b = btf__new_empty();
	int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int task = btf__add_struct(b, "task_struct___old", 8);

	assert_int_equal(btf__add_field(b, "tgid", i32, 0, 0), 0);
	assert_true(task > 0);
	assert_true(btf__add_struct(b, "mm_struct", 4) > 0);
	assert_int_equal(btf__add_field(b, "map_count", i32, 0, 0), 0);
	return b;
}

static void test_reader_agrees_with_libbpf(void **state)
{
	struct btf *b = kernel_btf();
	struct kbtf *k = as_kbtf(b);
	const struct btf_type *t;
	uint32_t id;

	(void)state;
	assert_non_null(k);
	assert_int_equal(kbtf_count(k), btf__type_cnt(b));
	assert_int_equal(kbtf_find(k, "task_struct", BTF_KIND_STRUCT),
			 btf__find_by_name_kind(b, "task_struct", BTF_KIND_STRUCT));
	assert_int_equal(kbtf_find(k, "wake_up_process", BTF_KIND_FUNC),
			 btf__find_by_name_kind(b, "wake_up_process", BTF_KIND_FUNC));
	/* Twice: the second answer comes from the memo. */
	assert_int_equal(kbtf_find(k, "wake_up_process", BTF_KIND_FUNC),
			 btf__find_by_name_kind(b, "wake_up_process", BTF_KIND_FUNC));
	assert_true(kbtf_find(k, "task_struct", BTF_KIND_UNION) < 0);
	assert_true(kbtf_find(k, "nope", BTF_KIND_FUNC) < 0);
	t = kbtf_resolve(k, (uint32_t)kbtf_find(k, "task_struct", BTF_KIND_STRUCT), &id);
	assert_non_null(t);
	assert_int_equal(btf_vlen(t), 6);
	assert_string_equal(kbtf_str(k, btf_members(t)[2].name_off), "mm");
	assert_null(kbtf_type(k, 0));
	assert_null(kbtf_type(k, kbtf_count(k)));
	kbtf_free(k);
	btf__free(b);
}

static void test_reader_refuses_garbage(void **state)
{
	struct btf *b = kernel_btf();
	const uint8_t *raw;
	uint8_t *bad;
	__u32 sz;

	(void)state;
	raw = btf__raw_data(b, &sz);
	bad = malloc(sz);
	assert_non_null(bad);
	memcpy(bad, raw, sz);
	bad[0] ^= 0xff;	/* magic */
	assert_null(kbtf_from_mem(bad, sz));
	memcpy(bad, raw, sz);
	/* The types section cut in the middle of a record. */
	assert_null(kbtf_from_mem(bad, sz / 2));
	assert_null(kbtf_from_mem(bad, 3));
	free(bad);
	btf__free(b);
}

static void test_trimmed_btf(void **state)
{
	struct btf *kb = kernel_btf(), *lb = local_btf(), *out, *back;
	struct kbtf *k = as_kbtf(kb);
	const struct btf_type *task, *m, *se;
	const struct btf_member *mem;
	const void *raw;
	int id;
	__u32 sz;

	(void)state;
	out = core_btf_build(k, lb);
	assert_non_null(out);
	raw = btf__raw_data(out, &sz);
	back = btf__new(raw, sz);
	assert_non_null(back);
	/* task_struct is named (with a flavour) by the object: whole, same layout. */
	id = btf__find_by_name_kind(back, "task_struct", BTF_KIND_STRUCT);
	assert_true(id > 0);
	task = btf__type_by_id(back, id);
	assert_int_equal(task->size, 40);
	assert_int_equal(btf_vlen(task), 6);
	mem = btf_members(task);
	assert_int_equal(btf_member_bit_offset(task, 1), 32);
	assert_int_equal(btf_member_bitfield_size(task, 1), 3);
	/* Pointers lose their target: a relocation only needs "a pointer". */
	m = btf__type_by_id(back, mem[2].type);
	assert_true(btf_is_ptr(m));
	assert_int_equal(m->type, 0);
	/* The anonymous union stays whole: named fields may lie inside it. */
	m = btf__type_by_id(back, mem[3].type);
	assert_true(btf_is_union(m));
	assert_int_equal(btf_vlen(m), 2);
	/* A struct the object never names keeps its size and loses its members. */
	se = btf__type_by_id(back, mem[4].type);
	assert_string_equal(btf__name_by_offset(back, se->name_off), "sched_entity");
	assert_int_equal(se->size, 8);
	assert_int_equal(btf_vlen(se), 0);
	assert_true(btf_is_array(btf__type_by_id(back, mem[5].type)));
	/* mm_struct is named too; the function and the enum are not. */
	assert_true(btf__find_by_name_kind(back, "mm_struct", BTF_KIND_STRUCT) > 0);
	assert_true(btf__find_by_name_kind(back, "wake_up_process", BTF_KIND_FUNC) < 0);
	assert_true(btf__type_cnt(back) < btf__type_cnt(kb) + 2);
	btf__free(back);
	btf__free(out);
	assert_null(core_btf_build(NULL, lb));
	kbtf_free(k);
	btf__free(kb);
	btf__free(lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_agrees_with_libbpf),
		cmocka_unit_test(test_reader_refuses_garbage),
		cmocka_unit_test(test_trimmed_btf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
