/* Open and load the BPF object for a chosen probe set. */
#ifndef THP_LOADER_H
#define THP_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kbtf;
struct probe_set;
struct thptrace_bpf;

struct load_params {
	bool all;			/* -a */
	uint32_t self_tgid;
	unsigned long rb_bytes;		/* 0: the object's default */
};

/* Open the skeleton, enable the chosen programs, set the constants, and
 * load it, relocating against a trimmed copy of kb (see core_btf.h) when it
 * can.  Returns the loaded skeleton, or NULL with a one-line reason in err. */
struct thptrace_bpf *loader_open_load(const struct kbtf *kb, const struct probe_set *ps,
				      const struct load_params *p, char *err, size_t errlen);

#endif
