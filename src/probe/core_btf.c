/* A trimmed copy of the kernel's BTF for CO-RE; see core_btf.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "probe/core_btf.h"
#include "probe/kbtf.h"

struct builder {
	const struct kbtf *kb;
	struct btf *out;
	int *map;		/* kernel id -> new id; 0 = not copied yet */
	uint8_t *wanted;	/* kernel id -> named by the BPF object */
	int void_ptr;
	int err;
};

static int copy_type(struct builder *b, uint32_t kid);

static int add_struct(struct builder *b, uint32_t kid, const struct btf_type *t, bool full)
{
	const char *name = kbtf_str(b->kb, t->name_off);
	int n = full ? btf_vlen(t) : 0, id;
	int *types = NULL;

	if (n) {
		const struct btf_member *m = btf_members(t);

		types = calloc((size_t)n, sizeof(*types));
		if (!types)
			return -ENOMEM;
		/* Members first: a struct's fields must follow it directly. */
		for (int i = 0; i < n; i++) {
			types[i] = copy_type(b, m[i].type);
			if (types[i] < 0) {
				id = types[i];
				goto out;
			}
		}
	}
	id = btf_is_union(t) ? btf__add_union(b->out, name, t->size)
			     : btf__add_struct(b->out, name, t->size);
	for (int i = 0; id > 0 && i < n; i++) {
		const struct btf_member *m = btf_members(t) + i;
		int rc = btf__add_field(b->out, kbtf_str(b->kb, m->name_off), types[i],
					btf_member_bit_offset(t, (uint32_t)i),
					btf_member_bitfield_size(t, (uint32_t)i));

		if (rc < 0)
			id = rc;
	}
	if (id > 0)
		b->map[kid] = id;
out:
	free(types);
	return id;
}

static int add_enum(struct builder *b, uint32_t kid, const struct btf_type *t)
{
	const char *name = kbtf_str(b->kb, t->name_off);
	int id, rc = 0;

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		id = btf__add_enum(b->out, name, t->size);
		for (int i = 0; id > 0 && rc == 0 && i < btf_vlen(t); i++)
			rc = btf__add_enum_value(b->out, kbtf_str(b->kb, e[i].name_off), e[i].val);
	} else {
		const struct btf_enum64 *e = btf_enum64(t);

		id = btf__add_enum64(b->out, name, t->size, btf_kflag(t));
		for (int i = 0; id > 0 && rc == 0 && i < btf_vlen(t); i++)
			rc = btf__add_enum64_value(b->out, kbtf_str(b->kb, e[i].name_off),
						   btf_enum64_value(e + i));
	}
	if (rc < 0)
		return rc;
	if (id > 0)
		b->map[kid] = id;
	return id;
}

static int copy_type(struct builder *b, uint32_t kid)
{
	const struct btf_type *t;
	const char *name;
	int id;

	if (kid == 0)
		return 0;
	if (kid >= kbtf_count(b->kb))
		return -EINVAL;
	if (b->map[kid])
		return b->map[kid];
	t = kbtf_type(b->kb, kid);
	name = kbtf_str(b->kb, t->name_off);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		id = btf__add_int(b->out, name, t->size, btf_int_encoding(t));
		break;
	case BTF_KIND_FLOAT:
		id = btf__add_float(b->out, name, t->size);
		break;
	case BTF_KIND_PTR:
		/* What a pointer points to never matters to a field relocation,
		 * and cutting here ends every cycle. */
		if (!b->void_ptr)
			b->void_ptr = btf__add_ptr(b->out, 0);
		return b->void_ptr;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		int elem = copy_type(b, a->type), index = copy_type(b, a->index_type);

		if (elem < 0 || index < 0)
			return elem < 0 ? elem : index;
		id = btf__add_array(b->out, index, elem, a->nelems);
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		/* Anonymous ones lie on the paths to named fields: keep them whole. */
		return add_struct(b, kid, t, !t->name_off || b->wanted[kid]);
	case BTF_KIND_ENUM:
	case 19:	/* ENUM64 */
		return add_enum(b, kid, t);
	case BTF_KIND_FWD:
		id = btf__add_fwd(b->out, name, btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		break;
	case BTF_KIND_TYPEDEF: {
		int target = copy_type(b, t->type);

		if (target < 0)
			return target;
		id = btf__add_typedef(b->out, name, target);
		break;
	}
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		/* libbpf skips modifiers when it compares. */
		return copy_type(b, t->type);
	default:
		/* A function type is only ever reached through a pointer. */
		return -EINVAL;
	}
	if (id > 0)
		b->map[kid] = id;
	return id;
}

/* The name libbpf matches on: "task_struct___old" is "task_struct". */
static size_t essential_len(const char *name)
{
	const char *flavor = strstr(name, "___");

	return flavor ? (size_t)(flavor - name) : strlen(name);
}

static int mark_wanted(struct builder *b, const struct btf *local)
{
	uint32_t n = btf__type_cnt(local);

	for (uint32_t i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(local, i);
		int kind = btf_kind(t), kid;
		const char *name;
		char ess[128];
		size_t len;

		if (!t->name_off || (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION &&
				     kind != BTF_KIND_ENUM && kind != 19 && kind != BTF_KIND_TYPEDEF))
			continue;
		name = btf__name_by_offset(local, t->name_off);
		len = essential_len(name);
		if (len == 0 || len >= sizeof(ess))
			continue;
		memcpy(ess, name, len);
		ess[len] = 0;
		kid = kbtf_find(b->kb, ess, kind);
		/* An enum may be ENUM64 on the other side, and the reverse. */
		if (kid < 0 && (kind == BTF_KIND_ENUM || kind == 19))
			kid = kbtf_find(b->kb, ess, kind == 19 ? BTF_KIND_ENUM : 19);
		if (kid > 0)
			b->wanted[kid] = 1;
	}
	return 0;
}

struct btf *core_btf_build(const struct kbtf *kernel, const struct btf *local)
{
	struct builder b = { .kb = kernel };
	uint32_t n = kbtf_count(kernel);
	int rc = 0;

	if (!kernel || !local || n < 2) {
		errno = EINVAL;
		return NULL;
	}
	b.out = btf__new_empty();
	b.map = calloc(n, sizeof(*b.map));
	b.wanted = calloc(n, 1);
	if (!b.out || !b.map || !b.wanted) {
		rc = -ENOMEM;
		goto out;
	}
	mark_wanted(&b, local);
	for (uint32_t kid = 1; kid < n && rc >= 0; kid++)
		if (b.wanted[kid])
			rc = copy_type(&b, kid);
out:
	free(b.map);
	free(b.wanted);
	if (rc < 0) {
		btf__free(b.out);
		errno = -rc;
		return NULL;
	}
	return b.out;
}
