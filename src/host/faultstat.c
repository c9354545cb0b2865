/* PMD-size anonymous fault counters (see faultstat.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "host/faultstat.h"
#include "host/vmstat.h"

#define STATS "/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/stats/"

static int fds[3] = { -2, -2, -2 };	/* -2 not opened yet, -1 absent */

static int64_t read_fd(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtoll(buf, NULL, 10);
}

int faultstat_read(struct faultstat *out)
{
	static const char *const files[3] = { STATS "anon_fault_alloc", STATS "anon_fault_fallback",
					      STATS "anon_fault_fallback_charge" };
	static const char *const keys[3] = { "thp_fault_alloc", "thp_fault_fallback", "thp_fault_fallback_charge" };
	int64_t *v[3] = { &out->alloc, &out->fallback, &out->charge };

	for (int i = 0; i < 3; i++)
		if (fds[i] == -2)
			fds[i] = open(files[i], O_RDONLY | O_CLOEXEC);
	if (fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0) {
		for (int i = 0; i < 3; i++)
			if ((*v[i] = read_fd(fds[i])) < 0)
				return -1;
		return 0;
	}
	for (int i = 0; i < 3; i++)
		if (vmstat_read(keys[i], v[i]) < 0)
			return -1;
	return 0;
}
