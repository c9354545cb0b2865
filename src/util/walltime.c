/* Wall-clock times of JSON lines (see walltime.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/walltime.h"

/* t in µs, from its 6-decimal print: decimal digits, no float rounding. */
static int64_t printed_us(double t)
{
	char tmp[48], *dot;
	int64_t us;

	if (!(t > -1e12 && t < 1e12))
		return 0;
	snprintf(tmp, sizeof(tmp), "%.6f", t);
	dot = strchr(tmp, '.');
	if (!dot)
		return 0;
	us = strtoll(tmp, NULL, 10) * 1000000;
	us += (tmp[0] == '-' ? -1 : 1) * strtoll(dot + 1, NULL, 10);
	return us;
}

const char *walltime_at(int64_t wall_start_us, double t, char out[WALLTIME_LEN])
{
	char tmp[96];
	int64_t us;
	time_t secs;
	struct tm tm;

	if (wall_start_us <= 0)
		return NULL;
	us = wall_start_us + printed_us(t);
	if (us < 0)
		return NULL;
	secs = (time_t)(us / 1000000);
	if (!gmtime_r(&secs, &tm) || tm.tm_year > 8099)
		return NULL;
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us % 1000000));
	if (strlen(tmp) >= WALLTIME_LEN)
		return NULL;
	memcpy(out, tmp, strlen(tmp) + 1);
	return out;
}

int walltime_parse(const char *s, int64_t *us)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	struct tm tm;
	int frac = 0, n = 0;
	time_t secs;

	for (size_t i = 0; i < sizeof(shape); i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &frac, &n) != 7 || n != 27 || s[n] || frac < 0)
		return -1;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	secs = timegm(&tm);
	if (secs == (time_t)-1)
		return -1;
	*us = (int64_t)secs * 1000000 + frac;
	return 0;
}
