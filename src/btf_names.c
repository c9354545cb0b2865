/* Queries on the kernel's BTF; see btf_names.h for why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "btf_names.h"

struct btf *kbtf_load(void)
{
	const char *path = getenv("THPTRACE_BTF");
	struct btf *btf;

	btf = path ? btf__parse(path, NULL) : btf__load_vmlinux_btf();
	if (!btf && !errno)
		errno = ENOENT;
	return btf;
}

void kbtf_free(struct btf *btf)
{
	btf__free(btf);
}

static const struct btf_type *scan_result_enum(const struct btf *btf)
{
	int id;

	if (!btf)
		return NULL;
	id = btf__find_by_name_kind(btf, "scan_result", BTF_KIND_ENUM);
	if (id < 0)
		return NULL;
	return btf__type_by_id(btf, id);
}

const char *kbtf_scan_result_name(const struct btf *btf, int v)
{
	const struct btf_type *t = scan_result_enum(btf);
	const struct btf_enum *e;

	if (!t)
		return NULL;
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (e[i].val == v)
			return btf__name_by_offset(btf, e[i].name_off);
	return NULL;
}

int kbtf_scan_result_table(const struct btf *btf, char (*names)[48], int max)
{
	int n = 0;

	for (int v = 0; v < max; v++) {
		const char *name = kbtf_scan_result_name(btf, v);

		snprintf(names[v], 48, "%s", name ? name : "");
		n += name != NULL;
	}
	return n;
}

int kbtf_scan_result_value(const struct btf *btf, const char *name)
{
	const struct btf_type *t = scan_result_enum(btf);
	const struct btf_enum *e;

	if (!t)
		return -1;
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, e[i].name_off), name) == 0)
			return e[i].val;
	return -1;
}

int kbtf_func_id(const struct btf *btf, const char *fn)
{
	if (!btf)
		return -ENOENT;
	return btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);
}

bool kbtf_func_matches(const struct btf *btf, const char *fn, const char *const *params,
		       size_t n, char *why, size_t whylen)
{
	const struct btf_type *func, *proto;
	const struct btf_param *p;
	int id = kbtf_func_id(btf, fn);

	if (id < 0) {
		snprintf(why, whylen, "%s is not in the kernel's BTF (inlined, renamed or absent)", fn);
		return false;
	}
	func = btf__type_by_id(btf, id);
	proto = func ? btf__type_by_id(btf, func->type) : NULL;
	if (!proto || !btf_is_func_proto(proto)) {
		snprintf(why, whylen, "%s has no prototype in BTF", fn);
		return false;
	}
	if (!params)
		return true;
	if ((size_t)btf_vlen(proto) < n) {
		snprintf(why, whylen, "%s takes %d arguments here, expected at least %zu", fn,
			 btf_vlen(proto), n);
		return false;
	}
	p = btf_params(proto);
	for (size_t i = 0; i < n; i++) {
		const char *name = btf__name_by_offset(btf, p[i].name_off);

		if (!name || strcmp(name, params[i]) != 0) {
			snprintf(why, whylen, "%s argument %zu is '%s' here, expected '%s'", fn, i + 1,
				 name ? name : "?", params[i]);
			return false;
		}
	}
	return true;
}
