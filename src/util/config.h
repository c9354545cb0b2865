/* Configuration that comes from the environment, read once.  The command
 * line is parsed into struct trace_opts (cli/trace.h); these are the
 * switches for kernels where a fast path misbehaves and the knobs the live
 * tests use for fault injection (README, "When something is off"). */
#ifndef THP_CONFIG_H
#define THP_CONFIG_H

#include <stdbool.h>

struct thp_config {
	const char *btf_path;		/* THPTRACE_BTF: a BTF file instead of the kernel's (tests) */
	bool full_btf;			/* THPTRACE_FULL_BTF: relocate against the whole kernel BTF */
	bool perf_tracepoints;		/* THPTRACE_PERF_TRACEPOINTS: no raw tracepoints */
	bool no_pagemap_scan;		/* THPTRACE_NO_PAGEMAP_SCAN (not "0"): pagemap + kpageflags */
	const char *ringbuf_bytes;	/* THPTRACE_RINGBUF_BYTES, as given: the run validates it */
	unsigned long sample_delay_us;	/* THPTRACE_TEST_SAMPLE_DELAY_US, 0-10 s, else 0 */
	unsigned long attach_delay_us;	/* THPTRACE_TEST_ATTACH_DELAY_US, below 10 s */
	bool empty_core_btf;		/* THPTRACE_TEST_EMPTY_CORE_BTF: a trimmed BTF that cannot serve */
	const char *fail_load;		/* THPTRACE_TEST_FAIL_LOAD: this BPF program's load fails */
};

/* The configuration, read from the environment on the first call (main
 * calls it first thing, before any thread starts) and the same after. */
const struct thp_config *config(void);

#endif
