/* Workloads for bench/run.  Each one is the target of the tool being
 * measured (thptrace -- faulter ..., bpftrace -c 'faulter ...'), so it times
 * itself: the figure is the workload's own time, not the tracer's start-up.
 *
 *   faulter fault [-m MIB] [-n ITERS] [-r FILE]
 *       Fill a MIB (256) MiB tmpfs file, then ITERS (30) times: map it, read
 *       one byte per page, unmap.  Every read fault is a page_fault_user
 *       event and, through fault-around, a mm_filemap_map_pages event.
 *   faulter burst -N PAGES [-S] [-r FILE]
 *       Read one byte from each of PAGES fresh anonymous pages as fast as
 *       possible: PAGES faults (each maps the zero page, the cheapest fault
 *       there is) in one burst, after a 50 ms pause that lets the tracer
 *       settle.  -S stops the parent (the tracer that spawned us) with
 *       SIGSTOP for the burst and continues it after: the whole burst must
 *       then fit in the tracer's buffer.
 *   faulter tick [-n COUNT] [-i MS] [-r FILE]
 *       One fault every MS (200) milliseconds, COUNT (10) times: for the
 *       latency of a live stream.
 *   faulter madv -N COUNT [-r FILE]
 *       Map 2 MiB of a tmpfs file and call madvise(MADV_HUGEPAGE) on it
 *       COUNT times in a row: a storm of events that thptrace keeps and
 *       names (file, region), each one cheap for the kernel.
 *   faulter heap [-m MIB]
 *       MIB (default 256) of anonymous MADV_HUGEPAGE memory, written (PMD-mapped
 *       where THP allows), then "ready" and a pause: a running process for
 *       the snapshot at attach.
 *   faulter quiet
 *       Print START-END of a 2 MiB range that is mapped from exec on (this
 *       binary's .bss; bench/run links it without PIE, so the address is
 *       fixed) and that no mode ever touches: thptrace --range START-END
 *       then filters out every event of the workload.
 *
 * -x CMD runs CMD through the shell after the measured part, before exit,
 * with TRACER_PID set to the parent's pid (bench/run reads the tracer's BPF
 * statistics there, while its programs are still loaded).
 *
 * -r FILE gets one line "key=value ..." with the workload's own figures:
 * loop_s (seconds of the measured part), cpu_s (its user + system CPU
 * time), faults (minor faults during it, from getrusage), pages,
 * total_cpu_s (the whole process's CPU time until then); in fault mode also
 * iter_med_s and iter_min_s, the median and shortest of its iterations.  Without -r the line goes to standard error. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Never read or written: the out-of-range filter's target (see "quiet"). */
static char quiet_range[4 << 20] __attribute__((aligned(2 << 20)));

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "faulter: %s: %s\n", what, strerror(errno));
	exit(1);
}

static const char *after_cmd;
static double iter_med = -1, iter_min = -1;	/* fault mode: per-iteration figures */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *path, double loop_s, double cpu, long faults, long pages)
{

	if (after_cmd) {
		char ppid[16];

		snprintf(ppid, sizeof(ppid), "%d", (int)getppid());
		setenv("TRACER_PID", ppid, 1);
		if (system(after_cmd) != 0)
			fprintf(stderr, "faulter: -x command failed\n");
	}

	FILE *f = path ? fopen(path, "we") : stderr;

	if (!f)
		die(path);
	fprintf(f, "loop_s=%.6f cpu_s=%.6f faults=%ld pages=%ld total_cpu_s=%.6f", loop_s, cpu, faults,
		pages, cpu_s());
	if (iter_med >= 0)
		fprintf(f, " iter_med_s=%.6f iter_min_s=%.6f", iter_med, iter_min);

	fputc('\n', f);
	if (f != stderr)
		fclose(f);
}

static int fault_file(long mib, long iters, const char *out)
{
	size_t size = (size_t)mib << 20, page = (size_t)sysconf(_SC_PAGESIZE);
	char name[64], *buf;
	volatile unsigned long sum = 0;
	long f0;
	double t0, c0, *iter;
	int fd;

	/* tmpfs: the pages stay in the page cache, every fault is a minor one. */
	snprintf(name, sizeof(name), "/dev/shm/thptrace-bench-%d", (int)getpid());
	fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die(name);
	unlink(name);
	buf = malloc(1 << 20);
	if (!buf)
		die("malloc");
	memset(buf, 1, 1 << 20);
	for (long i = 0; i < mib; i++)
		if (write(fd, buf, 1 << 20) != 1 << 20)
			die("write");
	free(buf);
	iter = calloc((size_t)iters, sizeof(*iter));
	if (!iter)
		die("calloc");

	f0 = minflt();
	c0 = cpu_s();
	t0 = now_s();
	for (long it = 0; it < iters; it++) {
		double ti = now_s();
		const volatile char *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED)
			die("mmap");
		for (size_t off = 0; off < size; off += page)
			sum += p[off];
		munmap((void *)p, size);
		iter[it] = now_s() - ti;
	}
	qsort(iter, (size_t)iters, sizeof(*iter), cmp_double);
	iter_min = iter[0];
	iter_med = iters % 2 ? iter[iters / 2] : (iter[iters / 2 - 1] + iter[iters / 2]) / 2;
	if (getenv("FAULTER_ITERS"))
		for (long it = 0; it < iters; it++)
			fprintf(stderr, "%.4f%c", iter[it], it + 1 < iters ? ' ' : '\n');
	report(out, now_s() - t0, cpu_s() - c0, minflt() - f0, (long)(size / page) * iters);
	close(fd);
	return 0;
}

static int burst(long pages, int stop_parent, const char *out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = (size_t)pages * page;
	const volatile char *p;
	volatile unsigned long sum = 0;
	struct timespec settle = { 0, 50 * 1000 * 1000 };
	long f0;
	double t0, c0;

	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	/* No THP here: one fault per 4 KiB page, not one per 2 MiB. */
	madvise((void *)p, size, MADV_NOHUGEPAGE);
	nanosleep(&settle, NULL);
	if (stop_parent) {
		/* Wait until it is really stopped, not just signalled. */
		char path[64], st[256];
		FILE *f;

		kill(getppid(), SIGSTOP);
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)getppid());
		for (int i = 0; i < 1000; i++) {
			const char *s;

			f = fopen(path, "re");
			if (!f || !fgets(st, sizeof(st), f)) {
				if (f)
					fclose(f);
				break;
			}
			fclose(f);
			s = strrchr(st, ')');
			if (s && (s[2] == 'T' || s[2] == 't'))
				break;
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		}
	}
	f0 = minflt();
	c0 = cpu_s();
	t0 = now_s();
	for (size_t off = 0; off < size; off += page)
		sum += p[off];
	t0 = now_s() - t0;
	c0 = cpu_s() - c0;
	f0 = minflt() - f0;
	if (stop_parent)
		kill(getppid(), SIGCONT);
	report(out, t0, c0, f0, pages);
	return 0;
}

static int madv(long count, const char *out)
{
	size_t size = 2 << 20;
	char name[64], *p;
	long f0;
	double t0, c0;
	int fd;

	snprintf(name, sizeof(name), "/dev/shm/thptrace-bench-%d", (int)getpid());
	fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die(name);
	unlink(name);
	if (ftruncate(fd, (off_t)size) < 0)
		die("ftruncate");
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	f0 = minflt();
	c0 = cpu_s();
	t0 = now_s();
	for (long i = 0; i < count; i++)
		madvise(p, size, MADV_HUGEPAGE);
	report(out, now_s() - t0, cpu_s() - c0, minflt() - f0, count);
	return 0;
}

static int tick(long count, long ms, const char *out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const volatile char *p;
	volatile unsigned long sum = 0;
	struct timespec gap = { ms / 1000, (ms % 1000) * 1000000 };
	long f0;
	double t0, c0;

	p = mmap(NULL, (size_t)count * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	f0 = minflt();
	c0 = cpu_s();
	t0 = now_s();
	for (long i = 0; i < count; i++) {
		nanosleep(&gap, NULL);
		sum += p[(size_t)i * page];
	}
	report(out, now_s() - t0, cpu_s() - c0, minflt() - f0, count);
	return 0;
}

/* A running process with a big PMD-mapped heap, for the snapshot at
 * attach: MIB of anonymous memory madvised MADV_HUGEPAGE and written,
 * then "ready" and a pause until killed. */
static int heap(long mib)
{
	size_t size = (size_t)mib << 20, huge = 2 << 20;
	char *p = mmap(NULL, size + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	p = (char *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	if (madvise(p, size, MADV_HUGEPAGE) < 0)
		die("madvise");
	for (size_t o = 0; o < size; o += 4096)
		p[o] = 1;
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: faulter fault [-m MIB] [-n ITERS] [-r FILE]\n"
			"       faulter madv -N COUNT [-r FILE]\n"
			"       faulter quiet\n"
			"       faulter burst -N PAGES [-S] [-r FILE]\n"
			"       faulter tick [-n COUNT] [-i MS] [-r FILE]\n"
			"       faulter heap [-m MIB]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode, *out = NULL;
	long mib = 256, n = -1, pages = 0, ms = 200;
	int c, stop_parent = 0;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "m:n:N:i:r:Sx:")) != -1) {
		switch (c) {
		case 'm': mib = atol(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'N': pages = atol(optarg); break;
		case 'i': ms = atol(optarg); break;
		case 'r': out = optarg; break;
		case 'S': stop_parent = 1; break;
		case 'x': after_cmd = optarg; break;
		default: usage();
		}
	}
	if (strcmp(mode, "fault") == 0)
		return fault_file(mib, n < 0 ? 30 : n, out);
	if (strcmp(mode, "burst") == 0 && pages > 0)
		return burst(pages, stop_parent, out);
	if (strcmp(mode, "madv") == 0 && pages > 0)
		return madv(pages, out);
	if (strcmp(mode, "quiet") == 0) {
		/* The 2 MiB-aligned 2 MiB inside the array, whatever its start. */
		uintptr_t a = ((uintptr_t)quiet_range + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1);

		printf("%#lx-%#lx\n", (unsigned long)a, (unsigned long)a + (2 << 20));
		return 0;
	}
	if (strcmp(mode, "tick") == 0)
		return tick(n < 0 ? 10 : n, ms, out);
	if (strcmp(mode, "heap") == 0)
		return heap(mib);
	usage();
	return 2;
}
