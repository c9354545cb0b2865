/* What the running kernel's BTF says: enum scan_result names (their
 * numbering differs between kernels) and function prototypes (CO-RE moves
 * struct fields, not function arguments, so the attach policy checks that a
 * function's leading parameters are the ones our programs read). */
#ifndef THP_BTF_NAMES_H
#define THP_BTF_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "probe/kbtf.h"

/* Name of value v of enum scan_result ("SCAN_SUCCEED"), or NULL if the
 * kernel has no such enum or value. */
const char *kbtf_scan_result_name(const struct kbtf *btf, int v);

/* Copy the names of enum scan_result values 0..max-1 into names (empty
 * where the kernel has none), so the 5 MB BTF need not stay in memory.
 * Returns how many values have a name. */
int kbtf_scan_result_table(const struct kbtf *btf, char (*names)[48], int max);

/* Value of a scan_result name, or -1. */
int kbtf_scan_result_value(const struct kbtf *btf, const char *name);

/* Does the kernel have function fn in BTF?  If so, and params is non-NULL,
 * check that its first n parameter names are params[0..n-1]; on mismatch
 * return false and describe it in why. */
bool kbtf_func_matches(const struct kbtf *btf, const char *fn, const char *const *params,
		       size_t n, char *why, size_t whylen);

/* Where an fexit program finds fn's return value in its context: the
 * slot after the arguments (their count), 0 when fn returns void, or
 * -ENOENT when fn has no prototype in BTF. */
int kbtf_func_ret_index(const struct kbtf *btf, const char *fn);

/* BTF type id of function fn, or a negative errno. */
int kbtf_func_id(const struct kbtf *btf, const char *fn);

/* Raw tracepoint arguments are positional and their order has changed
 * between kernels, so a raw program is used only where the kernel's
 * btf_trace_<tp> prototype has the shape it was written for.  shapes: one
 * or more alternatives separated by '|', each a space-separated token per
 * argument after the leading void *: "p" any pointer, "p:NAME" a pointer to
 * struct NAME, "l" an 8-byte integer, "i" a 4-byte one, "b" a bool, "?"
 * anything, and a final "..." allows more arguments.  Returns the index of
 * the first matching alternative, or a negative errno with why set. */
int kbtf_tp_shape(const struct kbtf *btf, const char *tp, const char *shapes, char *why,
		  size_t whylen);

#endif
