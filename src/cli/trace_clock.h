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

/* The wall clock (UTC, µs since 1970) when trace_now_ns() said now_ns;
 * 0 when unreadable. */
static inline int64_t trace_wall_us(uint64_t now_ns)
{
	struct timespec rt;
	uint64_t mono = trace_now_ns();

	if (clock_gettime(CLOCK_REALTIME, &rt) != 0)
		return 0;
	return ((int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec - (int64_t)(mono - now_ns)) / 1000;
}

#endif
