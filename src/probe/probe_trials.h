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
 * attached and detached.  An EPERM is remembered and answers later calls.
 * The program reads its context as the real one does: slot ctx_idx (-1:
 * none) and, with ret_helper, bpf_get_func_ret() where the kernel has it
 * (the first such trial finds out, see trial_func_ret()). */
int trial_tracing(int btf_id, enum bpf_attach_type at, int ctx_idx, bool ret_helper, char *why,
		  size_t n);

/* Has the kernel bpf_get_func_ret() (5.17+)?  1 yes, 0 no, -1 not asked:
 * no fexit trial with ret_helper got as far as the verifier. */
int trial_func_ret(void);

/* A kprobe (ret: kretprobe) on func, through the kprobe PMU. */
int trial_kprobe(const char *func, bool ret, char *why, size_t n);

/* event ("category/name") exists in tracefs and a tracepoint program loads. */
int trial_tracepoint(const char *event, char *why, size_t n);

/* A raw tracepoint program loads (tried once; the answer is kept). */
int trial_raw_tp(char *why, size_t n);

/* The verifier's reason in its log: the last line, except for the
 * statistics it appends ("processed 0 insns ...", "verification time ...").
 * The trials and the real load (loader.c) both say it. */
void last_log_line(const char *log, char *out, size_t outlen);

#endif
