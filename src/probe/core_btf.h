/* The kernel's types our BPF object relocates against, and nothing else.
 *
 * Given the BPF object's own BTF, copy from the kernel's BTF every struct,
 * union, enum and typedef the object names, with all their members; every
 * pointer becomes void * (a CO-RE field relocation only asks that a pointer
 * be a pointer) and every other named struct an empty one of the same size.
 * libbpf relocates against the result (its btf_custom_path) instead of
 * parsing the kernel's 5 MB: the same answers, for a few dozen kilobytes. */
#ifndef THP_CORE_BTF_H
#define THP_CORE_BTF_H

struct btf;
struct kbtf;

/* A new BTF, or NULL with errno set. */
struct btf *core_btf_build(const struct kbtf *kernel, const struct btf *local);

#endif
