/* /proc/vmstat counters; see vmstat.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "host/vmstat.h"

bool vmstat_find(const char *text, size_t len, const char *key, int64_t *out)
{
	const size_t klen = strlen(key);
	size_t i = 0;

	if (!text || !klen)
		return false;
	while (i < len) {
		const char *line = text + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;

		i += n + 1;
		if (n <= klen + 1 || memcmp(line, key, klen) != 0 || line[klen] != ' ')
			continue;
		/* the value: decimal digits to the end of the line */
		int64_t v = 0;
		size_t j = klen + 1;

		if (j == n)
			continue;
		for (; j < n; j++) {
			if (line[j] < '0' || line[j] > '9' || v > (INT64_MAX - (line[j] - '0')) / 10)
				break;
			v = v * 10 + (line[j] - '0');
		}
		if (j != n)
			continue;
		*out = v;
		return true;
	}
	return false;
}

int vmstat_read(const char *key, int64_t *out)
{
	/* about 180 lines, 5 KiB on 6.x */
	char buf[16384];
	size_t got = 0;
	ssize_t n;
	int fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got < sizeof(buf) && (n = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	if (n < 0 && got == 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return vmstat_find(buf, got, key, out) ? 0 : -ENOENT;
}
