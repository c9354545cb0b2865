/* What the live trace writes into the BPF maps while it runs: the target's
 * pid (`targets`), the ranges and files to trace (`.bss` ranges and
 * `target_files`), and the mm ids of processes that ended (`target_mms`).
 * The probes read them; nothing else in user space writes them. */
#ifndef THP_BPF_TARGETS_H
#define THP_BPF_TARGETS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "host/target.h"
#include "input/decode.h"

struct thptrace_bpf;

/* pid is the target: TARGET_PENDING_EXEC while held before its exec (a
 * spawned CMD), else TARGET_ACTIVE.  Returns 0, or < 0 with errno set. */
int bpf_targets_register(struct thptrace_bpf *skel, pid_t pid, bool held);

/* The resolved ranges and files are what the probes filter on. */
void bpf_targets_set_ranges(struct thptrace_bpf *skel, const struct resolved_ranges *rr);

/* Resolve spec against pid's mappings now (not strict: a file may be mapped
 * later) and set them; if that fails, the ranges in force stay. */
void bpf_targets_update_ranges(struct thptrace_bpf *skel, pid_t pid,
			       const struct range_spec *spec);

/* Does [start, end) touch the ranges the probes filter on (always, without
 * a range filter)?  For the records the BPF side does not filter itself. */
bool bpf_targets_touch(const struct thptrace_bpf *skel, uint64_t start, uint64_t end);

/* tgid ended: the decoder forgets its mm ids, and target_mms with it. */
void bpf_targets_forget(struct thptrace_bpf *skel, struct decoder *dec, uint32_t tgid);

/* The relevance filter (bpf/relevance.bpf.h): pid's region at start is
 * one the model tracks, so its faults are recorded; and the faults counted
 * but not recorded for the processes still running. */
void bpf_targets_thp_region(struct thptrace_bpf *skel, uint32_t pid, uint64_t start);
uint64_t bpf_targets_unrecorded(struct thptrace_bpf *skel);

#endif
