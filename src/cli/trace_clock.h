/* The live trace's clock: CLOCK_MONOTONIC, the clock of the BPF records'
 * timestamps (bpf_ktime_get_ns), so that samples and records sort together. */
#ifndef THP_TRACE_CLOCK_H
#define THP_TRACE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t trace_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
