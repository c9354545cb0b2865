/* A live trace's set-up before its run loop (trace_setup.c): the checks
 * that need nothing loaded, the output, the BPF object opened and loaded.
 * Each failure prints one line on stderr and returns an EXIT_* code. */
#ifndef THP_TRACE_SETUP_H
#define THP_TRACE_SETUP_H

#include <stdbool.h>
#include <stdio.h>
#include "probe/kbtf.h"
#include "probe/loader.h"
#include "probe/probes.h"
#include "cli/trace.h"

/* libbpf's messages: on stderr with -v, else none. */
void setup_libbpf_print(bool verbose);

/* Sound descriptors and output, THPTRACE_RINGBUF_BYTES (into *rb_bytes, 0:
 * the default), --file present, CMD on PATH: before anything loads. */
int setup_check(const struct trace_opts *o, unsigned long *rb_bytes);

/* -o PATH, or stdout; NULL with errno set. */
FILE *setup_open_output(const char *path);
/* The -o file again after SIGUSR1 (logrotate): appended to, or made.
 * NULL with errno set on failure. */
FILE *setup_reopen_output(const char *path);

/* Parse the BPF object while the BTF is still loading. */
int setup_open_bpf(struct loader *ld, const struct trace_opts *o, unsigned long rb_bytes,
		   bool fault_filter);

/* Wait for the BTF (into *btf, the caller's until loaded, then freed and
 * NULL), choose the probes, load the object. */
int setup_load_bpf(struct loader *ld, struct probe_set *ps, struct kbtf_job *job,
		   struct kbtf **btf, const struct trace_opts *o);

/* The decoder's names of the kernel's scan results (from the BTF). */
const char *setup_result_name(void *ctx, int v);

#endif
