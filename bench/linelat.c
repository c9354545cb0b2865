/* Read thptrace's JSON Lines from a pipe and measure how long each event
 * took to arrive: the reader's CLOCK_MONOTONIC when the line is read, minus
 * the event's "ts_ns" (bpf_ktime_get_ns(), also CLOCK_MONOTONIC).  This is
 * what `| while read l; do date +%s.%N; done` shows by eye, on one clock.
 *
 *   thptrace --json -- faulter tick ... | linelat [EVENT]
 *
 * Prints one line: lines=N events=N max_ms=X median_ms=X summary=0|1
 * over the lines that have a ts_ns (and, with EVENT, whose "event" is EVENT);
 * summary=1 if a summary line arrived. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *want = argc > 1 ? argv[1] : NULL;
	char line[16384], key[80];
	double *d = NULL, max = 0;
	size_t n = 0, cap = 0, lines = 0;
	int summary = 0;

	if (want)
		snprintf(key, sizeof(key), "\"event\":\"%s\"", want);
	while (fgets(line, sizeof(line), stdin)) {
		struct timespec ts;
		const char *p;
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		lines++;
		if (strstr(line, "\"event\":\"summary\""))
			summary = 1;
		p = strstr(line, "\"ts_ns\":");
		if (!p || (want && !strstr(line, key)))
			continue;
		ms = ((double)ts.tv_sec * 1e9 + (double)ts.tv_nsec -
		      (double)strtoull(p + 8, NULL, 10)) / 1e6;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			d = realloc(d, cap * sizeof(*d));
			if (!d)
				return 1;
		}
		d[n++] = ms;
		if (ms > max)
			max = ms;
	}
	if (n)
		qsort(d, n, sizeof(*d), cmp);
	printf("lines=%zu events=%zu max_ms=%.1f median_ms=%.1f summary=%d\n", lines, n, max,
	       n ? d[n / 2] : 0.0, summary);
	free(d);
	return 0;
}
