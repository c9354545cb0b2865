/* The kernel's fixed-width type names for user space, so bpf/thptrace.h can
 * be shared unchanged between BPF and user space. */
#ifndef THP_TYPES_H
#define THP_TYPES_H
#include <linux/types.h>
#endif
