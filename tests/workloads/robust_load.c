/* Small workloads for tests/live/test_robust_*.sh.
 *
 *   robust_load faults MIB
 *       Touch MIB MiB of anonymous memory (MADV_NOHUGEPAGE) a byte per page
 *       with writes: one user page fault per 4 KiB, enough to overflow a
 *       small ring buffer.
 *   robust_load madv-exit FILE N [LINGER_MS]
 *       N times: fork a child that maps FILE (at least 4 MiB, on a huge=advise
 *       tmpfs), madvises its aligned 2 MiB with MADV_HUGEPAGE, touches it and
 *       exits (after LINGER_MS, default 0), so that /proc/PID vanishes while
 *       thptrace still has its events to handle.
 *   robust_load madv-exec FILE
 *       Madvise a region of FILE, then exec "sleep 0.3": the pid stays, its
 *       mm and mappings are replaced under thptrace.
 *
 * Exit status 0, or 1 with a message on a setup error. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1ul << 20)
#define HUGE (2 * MIB)

static int faults(unsigned long mib)
{
	size_t len = mib * MIB;
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("robust_load: mmap");
		return 1;
	}
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += (size_t)page)
		p[off] = 1;
	printf("robust_load: touched %zu pages\n", len / (size_t)page);
	return 0;
}

/* FILE mapped, and the first 2 MiB-aligned address inside the mapping. */
static char *map_region(const char *path, size_t *maplen, char **region)
{
	int fd = open(path, O_RDWR);
	char *p;

	if (fd < 0) {
		fprintf(stderr, "robust_load: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	*maplen = 4 * MIB;
	p = mmap(NULL, *maplen, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "robust_load: mmap %s: %s\n", path, strerror(errno));
		return NULL;
	}
	*region = (char *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	return p;
}

static int madv_exit(const char *path, int n, int linger_ms)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("robust_load: fork");
			return 1;
		}
		if (pid == 0) {
			char *region;
			size_t len;

			if (!map_region(path, &len, &region))
				_exit(1);
			madvise(region, HUGE, MADV_HUGEPAGE);
			(void)*(volatile char *)region;
			if (linger_ms > 0)
				usleep((useconds_t)linger_ms * 1000);
			_exit(0);
		}
		if (waitpid(pid, NULL, 0) < 0)
			return 1;
	}
	printf("robust_load: %d children madvised and exited\n", n);
	return 0;
}

static int madv_exec(const char *path)
{
	char *region;
	size_t len;

	if (!map_region(path, &len, &region))
		return 1;
	madvise(region, HUGE, MADV_HUGEPAGE);
	(void)*(volatile char *)region;
	usleep(100000);		/* let thptrace sample the region once */
	execlp("sleep", "sleep", "0.3", (char *)NULL);
	perror("robust_load: exec sleep");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "faults") == 0)
		return faults(strtoul(argv[2], NULL, 0));
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "madv-exit") == 0)
		return madv_exit(argv[2], atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 0);
	if (argc == 3 && strcmp(argv[1], "madv-exec") == 0)
		return madv_exec(argv[2]);
	fprintf(stderr, "usage: robust_load faults MIB | madv-exit FILE N [LINGER_MS] | madv-exec FILE\n");
	return 2;
}
