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
	bool fault_filter;		/* record faults only where THP matters (bpf/relevance.bpf.h) */
	uint32_t self_tgid;
	unsigned long rb_bytes;		/* 0: the object's default */
};

/* Two steps, so that the object is parsed while the kernel's BTF loads:
 * loader_open() before the probes are chosen, loader_load() after. */
struct loader {
	struct thptrace_bpf *skel;	/* opened, then loaded */
	int core_fd;			/* the memfd libbpf reads the trimmed BTF from */
	struct load_params params;
};

/* Open the skeleton and set the constants known before the probes are
 * chosen.  0, or -1 with a one-line reason in err. */
int loader_open(struct loader *l, const struct load_params *p, char *err, size_t errlen);

/* Enable the chosen programs and load them, relocating against a trimmed
 * copy of kb (see core_btf.h) when it can, else against the whole kernel
 * BTF.  A program the kernel refuses even then is dropped: its probe takes
 * the next mechanism (probes_drop_program(), which changes ps), a line on
 * stderr says so, and the load is tried again.  0 with l->skel loaded, or
 * -1 with l->skel NULL and err set. */
int loader_load(struct loader *l, const struct kbtf *kb, struct probe_set *ps, char *err,
		size_t errlen);

/* Close what loader_open() opened, loaded or not. */
void loader_close(struct loader *l);

#endif
