/* Trials: does a mechanism load (and, where that is cheap, attach) on this
 * kernel?  Each loads a two-instruction program, because only the kernel's
 * answer is trustworthy (on 6.18 fentry is refused with EPERM although BTF
 * has every function).  Each returns 0 with why "ok", or a negative errno
 * with why saying what the kernel refused.  Private to src/probe/probes*.c. */
#ifndef THP_PROBE_TRIALS_H
#define THP_PROBE_TRIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/bpf.h>

/* fentry/fexit (at) on the function with BTF id btf_id: loaded, then
 * attached and detached.  An EPERM is remembered and answers later calls. */
int trial_tracing(int btf_id, enum bpf_attach_type at, char *why, size_t n);

/* A kprobe (ret: kretprobe) on func, through the kprobe PMU. */
int trial_kprobe(const char *func, bool ret, char *why, size_t n);

/* event ("category/name") exists in tracefs and a tracepoint program loads. */
int trial_tracepoint(const char *event, char *why, size_t n);

/* A raw tracepoint program loads (tried once; the answer is kept). */
int trial_raw_tp(char *why, size_t n);

#endif
