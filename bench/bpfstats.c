/* BPF run-time statistics of one process's programs, for bench/run.
 *
 *   bpfstats hold
 *       Turn the kernel's BPF run-time statistics on (BPF_ENABLE_STATS) for
 *       as long as this process lives; exits when its standard input closes.
 *   bpfstats PID
 *       One line per BPF program that PID holds open: name run_cnt run_time_ns.
 *
 * Statistics cost two clock reads per program run, so bench/run turns them on
 * only for runs that are not timed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

static int hold(void)
{
	char c;
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0) {
		fprintf(stderr, "bpfstats: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	printf("on\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	close(fd);
	return 0;
}

static int dump(const char *pid)
{
	char dir[64], path[320], line[128];
	unsigned ids[256];
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fdinfo", pid);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "bpfstats: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) && n < 256) {
		FILE *f;
		unsigned id;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1) {
				size_t i;

				for (i = 0; i < n && ids[i] != id; i++)
					;
				if (i == n)
					ids[n++] = id;
			}
		fclose(f);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			printf("%s %llu %llu\n", info.name, (unsigned long long)info.run_cnt,
			       (unsigned long long)info.run_time_ns);
		close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bpfstats hold | bpfstats PID\n");
		return 2;
	}
	return strcmp(argv[1], "hold") == 0 ? hold() : dump(argv[1]);
}
