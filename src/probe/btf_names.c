/* Queries on the kernel's BTF; see btf_names.h for why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "probe/btf_names.h"
#include "probe/kbtf.h"

static const struct btf_type *scan_result_enum(const struct kbtf *btf)
{
	int id;

	if (!btf)
		return NULL;
	id = kbtf_find(btf, "scan_result", BTF_KIND_ENUM);
	if (id < 0)
		return NULL;
	return kbtf_type(btf, id);
}

const char *kbtf_scan_result_name(const struct kbtf *btf, int v)
{
	const struct btf_type *t = scan_result_enum(btf);
	const struct btf_enum *e;

	if (!t)
		return NULL;
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (e[i].val == v)
			return kbtf_str(btf, e[i].name_off);
	return NULL;
}

int kbtf_scan_result_table(const struct kbtf *btf, char (*names)[48], int max)
{
	int n = 0;

	for (int v = 0; v < max; v++) {
		const char *name = kbtf_scan_result_name(btf, v);

		snprintf(names[v], 48, "%s", name ? name : "");
		n += name != NULL;
	}
	return n;
}

int kbtf_scan_result_value(const struct kbtf *btf, const char *name)
{
	const struct btf_type *t = scan_result_enum(btf);
	const struct btf_enum *e;

	if (!t)
		return -1;
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (strcmp(kbtf_str(btf, e[i].name_off), name) == 0)
			return e[i].val;
	return -1;
}

int kbtf_func_id(const struct kbtf *btf, const char *fn)
{
	if (!btf)
		return -ENOENT;
	return kbtf_find(btf, fn, BTF_KIND_FUNC);
}

bool kbtf_func_matches(const struct kbtf *btf, const char *fn, const char *const *params,
		       size_t n, char *why, size_t whylen)
{
	const struct btf_type *func, *proto;
	const struct btf_param *p;
	int id = kbtf_func_id(btf, fn);

	if (id < 0) {
		snprintf(why, whylen, "%s is not in the kernel's BTF (inlined, renamed or absent)", fn);
		return false;
	}
	func = kbtf_type(btf, id);
	proto = func ? kbtf_type(btf, func->type) : NULL;
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
		const char *name = kbtf_str(btf, p[i].name_off);

		if (!name || strcmp(name, params[i]) != 0) {
			snprintf(why, whylen, "%s argument %zu is '%s' here, expected '%s'", fn, i + 1,
				 name ? name : "?", params[i]);
			return false;
		}
	}
	return true;
}

int kbtf_func_ret_index(const struct kbtf *btf, const char *fn)
{
	int id = kbtf_func_id(btf, fn);
	const struct btf_type *func = id < 0 ? NULL : kbtf_type(btf, id);
	const struct btf_type *proto = func ? kbtf_type(btf, func->type) : NULL;

	if (!proto || !btf_is_func_proto(proto))
		return -ENOENT;
	return proto->type ? btf_vlen(proto) : 0;
}

/* One argument against one token of a shape (see btf_names.h). */
static bool arg_matches(const struct kbtf *btf, uint32_t type_id, const char *tok, size_t len)
{
	const struct btf_type *t = kbtf_resolve(btf, type_id, NULL);

	if (len == 1 && tok[0] == '?')
		return true;
	if (!t)
		return false;
	if (tok[0] == 'p') {
		const struct btf_type *to;
		const char *name;

		if (!btf_is_ptr(t))
			return false;
		if (len == 1)
			return true;
		if (tok[1] != ':')
			return false;
		to = kbtf_resolve(btf, t->type, NULL);
		name = to ? kbtf_str(btf, to->name_off) : NULL;
		return to && (btf_is_struct(to) || btf_is_union(to) || btf_is_fwd(to)) && name &&
		       strlen(name) == len - 2 && strncmp(name, tok + 2, len - 2) == 0;
	}
	if (!btf_is_int(t) || len != 1)
		return false;
	switch (tok[0]) {
	case 'l': return t->size == 8;
	case 'i': return t->size == 4;
	case 'b': return t->size == 1 && (btf_int_encoding(t) & BTF_INT_BOOL);
	default: return false;
	}
}

static void describe_arg(const struct kbtf *btf, uint32_t type_id, char *out, size_t n)
{
	const struct btf_type *t = kbtf_resolve(btf, type_id, NULL);

	if (t && btf_is_ptr(t)) {
		const struct btf_type *to = kbtf_resolve(btf, t->type, NULL);
		const char *name = to ? kbtf_str(btf, to->name_off) : NULL;

		snprintf(out, n, "%s *", name && *name ? name : "void");
	} else if (t && btf_is_int(t)) {
		snprintf(out, n, "%s", kbtf_str(btf, t->name_off));
	} else {
		snprintf(out, n, "kind %d", t ? btf_kind(t) : 0);
	}
}

/* Does proto (after its leading void *) match one shape alternative?
 * On mismatch, why says where. */
static bool proto_matches(const struct kbtf *btf, const struct btf_type *proto, const char *shape,
			  size_t shape_len, char *why, size_t whylen)
{
	const struct btf_param *p = btf_params(proto);
	int nargs = btf_vlen(proto) - 1, i = 0;
	const char *s = shape, *end = shape + shape_len;
	bool more_ok = false;

	while (s < end) {
		size_t len;

		while (s < end && *s == ' ')
			s++;
		if (s >= end)
			break;
		len = strcspn(s, " |");
		if (len > (size_t)(end - s))
			len = (size_t)(end - s);
		if (len == 3 && strncmp(s, "...", 3) == 0) {
			more_ok = true;
			break;
		}
		if (i >= nargs) {
			snprintf(why, whylen, "%d arguments, expected more", nargs);
			return false;
		}
		if (!arg_matches(btf, p[i + 1].type, s, len)) {
			char got[64];

			describe_arg(btf, p[i + 1].type, got, sizeof(got));
			snprintf(why, whylen, "argument %d is %s, expected %.*s", i + 1, got, (int)len, s);
			return false;
		}
		i++;
		s += len;
	}
	if (i < nargs && !more_ok) {
		snprintf(why, whylen, "%d arguments, expected %d", nargs, i);
		return false;
	}
	return true;
}

int kbtf_tp_shape(const struct kbtf *btf, const char *tp, const char *shapes, char *why,
		  size_t whylen)
{
	const struct btf_type *t, *proto;
	char name[128];
	int id, alt = 0;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = kbtf_find(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0) {
		snprintf(why, whylen, "no %s in the kernel's BTF", name);
		return -ENOENT;
	}
	t = kbtf_resolve(btf, (uint32_t)id, NULL);
	proto = t && btf_is_ptr(t) ? kbtf_resolve(btf, t->type, NULL) : NULL;
	if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) < 1) {
		snprintf(why, whylen, "%s is not a function pointer", name);
		return -EINVAL;
	}
	for (const char *s = shapes;; alt++) {
		size_t len = strcspn(s, "|");

		if (proto_matches(btf, proto, s, len, why, whylen))
			return alt;
		if (!s[len])
			break;
		s += len + 1;
	}
	/* why holds the last alternative's mismatch: prefix the tracepoint. */
	{
		char tail[160];

		snprintf(tail, sizeof(tail), "%s", why);
		snprintf(why, whylen, "%s: %s", tp, tail);
	}
	return -EINVAL;
}
