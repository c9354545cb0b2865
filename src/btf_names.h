/* What the running kernel's BTF says: enum scan_result names (their
 * numbering differs between kernels) and function prototypes (CO-RE moves
 * struct fields, not function arguments, so the attach policy checks that a
 * function's leading parameters are the ones our programs read). */
#ifndef THP_BTF_NAMES_H
#define THP_BTF_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

/* Load /sys/kernel/btf/vmlinux (or $THPTRACE_BTF).  NULL with errno set. */
struct btf *kbtf_load(void);
void kbtf_free(struct btf *btf);

/* Name of value v of enum scan_result ("SCAN_SUCCEED"), or NULL if the
 * kernel has no such enum or value. */
const char *kbtf_scan_result_name(const struct btf *btf, int v);

/* Copy the names of enum scan_result values 0..max-1 into names (empty
 * where the kernel has none), so the 5 MB BTF need not stay in memory.
 * Returns how many values have a name. */
int kbtf_scan_result_table(const struct btf *btf, char (*names)[48], int max);

/* Value of a scan_result name, or -1. */
int kbtf_scan_result_value(const struct btf *btf, const char *name);

/* Does the kernel have function fn in BTF?  If so, and params is non-NULL,
 * check that its first n parameter names are params[0..n-1]; on mismatch
 * return false and describe it in why. */
bool kbtf_func_matches(const struct btf *btf, const char *fn, const char *const *params,
		       size_t n, char *why, size_t whylen);

/* BTF type id of function fn, or a negative errno. */
int kbtf_func_id(const struct btf *btf, const char *fn);

#endif
