/* Many short processes, each with one huge-page region: the load under
 * which `thptrace -a` must tell the processes apart (the kernel hands a
 * freed mm_struct to the next one) and forget each once it has exited.
 *
 *   thp_short N [PARALLEL]
 *
 * forks N children, at most PARALLEL (default 1) at a time; each maps
 * 4 MiB of anonymous memory, madvises its aligned 2 MiB MADV_HUGEPAGE,
 * writes one byte per 4 KiB page of it and exits.  Prints "thp_short: N
 * processes" and exits 0 when all of them did. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define TWO_MIB (2ul << 20)

static int child(void)
{
	char *p = mmap(NULL, 2 * TWO_MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return 1;
	a = (char *)(((uintptr_t)p + TWO_MIB - 1) & ~(TWO_MIB - 1));
	if (madvise(a, TWO_MIB, MADV_HUGEPAGE) != 0)
		return 2;
	for (size_t off = 0; off < TWO_MIB; off += 4096)
		a[off] = 1;
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	long par = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
	long running = 0, done = 0, failed = 0;

	if (n <= 0 || par <= 0) {
		fprintf(stderr, "usage: thp_short N [PARALLEL]\n");
		return 2;
	}
	for (long i = 0; i < n || running > 0;) {
		int st;

		if (i < n && running < par) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("thp_short: fork");
				return 1;
			}
			if (pid == 0)
				_exit(child());
			running++;
			i++;
			continue;
		}
		if (wait(&st) < 0) {
			if (errno == EINTR)
				continue;
			perror("thp_short: wait");
			return 1;
		}
		running--;
		done++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	printf("thp_short: %ld processes, %ld failed\n", done, failed);
	return failed ? 1 : 0;
}
