/* Reading THP facts from the machine; see sysinfo.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include "host/procmaps.h"
#include "host/sysinfo.h"

int sysinfo_selected(const char *path, char *out, size_t n)
{
	char buf[256], *a, *b;
	FILE *f = fopen(path, "re");

	out[0] = 0;
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	a = strchr(buf, '[');
	b = a ? strchr(a, ']') : NULL;
	if (a && b)
		snprintf(out, n, "%.*s", (int)(b - a - 1), a + 1);
	else
		snprintf(out, n, "%.*s", (int)strcspn(buf, "\n"), buf);
	return 0;
}

long sysinfo_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

void sysinfo_context(struct thp_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	sysinfo_selected(THP_SYSFS "/enabled", ctx->thp_enabled, sizeof(ctx->thp_enabled));
	sysinfo_selected(THP_SYSFS "/shmem_enabled", ctx->shmem_enabled, sizeof(ctx->shmem_enabled));
	sysinfo_selected(THP_SYSFS "/defrag", ctx->defrag, sizeof(ctx->defrag));
	ctx->scan_sleep_ms = sysinfo_long(THP_SYSFS "/khugepaged/scan_sleep_millisecs");
	ctx->pages_to_scan = sysinfo_long(THP_SYSFS "/khugepaged/pages_to_scan");
	ctx->full_scans_start = sysinfo_long(THP_SYSFS "/khugepaged/full_scans");
	ctx->full_scans_end = -1;
	ctx->read_only_thp_for_fs = sysinfo_kconfig("CONFIG_READ_ONLY_THP_FOR_FS");
}

static int config_line(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) == 0 && line[n] == '=')
		return line[n + 1] == 'y' || line[n + 1] == 'm';
	if (strncmp(line, "# ", 2) == 0 && strncmp(line + 2, name, n) == 0 &&
	    strncmp(line + 2 + n, " is not set", 11) == 0)
		return 0;
	return -1;
}

int sysinfo_kconfig(const char *name)
{
	char line[512], path[300];
	struct utsname u;
	gzFile gz;
	FILE *f;
	int v = -1, found = 0;

	gz = gzopen("/proc/config.gz", "rb");
	if (gz) {
		while (gzgets(gz, line, sizeof(line)))
			if ((v = config_line(line, name)) >= 0)
				break;
		gzclose(gz);
		return v < 0 ? 0 : v;
	}
	if (uname(&u) < 0)
		return -1;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if ((v = config_line(line, name)) >= 0) {
			found = 1;
			break;
		}
	fclose(f);
	return found ? v : 0;
}

int sysinfo_tmpfs_huge(pid_t pid, const char *path, char *mode, size_t n, char *mnt, size_t mn)
{
	char p[64], line[4096], best[4096] = "", bestmode[32] = "";
	size_t bestlen = 0;
	FILE *f;

	mode[0] = 0;
	snprintf(p, sizeof(p), "/proc/%d/mountinfo", pid > 0 ? (int)pid : (int)getpid());
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char point[4096], fstype[64], opts[1024], *dash;
		size_t len;

		/* id parent maj:min root point opts [optional...] - fstype source superopts */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		dash = strstr(line, " - ");
		if (!dash || sscanf(dash + 3, "%63s %*s %1023s", fstype, opts) != 2)
			continue;
		len = strlen(point);
		if (strncmp(path, point, len) != 0 ||
		    (path[len] != '/' && path[len] != 0 && strcmp(point, "/") != 0))
			continue;
		if (len < bestlen)
			continue;
		bestlen = len;
		snprintf(best, sizeof(best), "%s", point);
		if (strcmp(fstype, "tmpfs") != 0) {
			bestmode[0] = 0;
		} else {
			char *h = strstr(opts, "huge=");

			snprintf(bestmode, sizeof(bestmode), "%.*s", h ? (int)strcspn(h + 5, ",\n") : 5,
				 h ? h + 5 : "never");
		}
	}
	fclose(f);
	snprintf(mode, n, "%s", bestmode);
	if (mnt)
		snprintf(mnt, mn, "%s", best);
	return 0;
}

/* Is path open for writing by pid?  Only the target's own descriptors are
 * looked at (all of them, listed, not guessed): scanning every process
 * would cost more than it tells.  -1 when pid is gone. */
static int open_for_write(pid_t pid, const char *path)
{
	char dir[64], link[340], target[4096], info[340], line[128];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while (!found && (de = readdir(d))) {
		ssize_t len;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = 0;
		if (strcmp(target, path) != 0)
			continue;
		snprintf(info, sizeof(info), "/proc/%d/fdinfo/%s", (int)pid, de->d_name);
		f = fopen(info, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned long flags;

			if (sscanf(line, "flags: %lo", &flags) == 1 && (flags & 3) != 0)
				found = 1;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

void sysinfo_region_file(pid_t pid, uint64_t region, struct region_file_info *fi, char *file,
			 size_t filen)
{
	struct map_list maps = { 0 };
	const struct map_entry *m;

	fi->tmpfs_huge[0] = 0;
	fi->is_shmem = fi->open_for_write = fi->fully_mapped = fi->file_aligned = -1;
	if (procmaps_read(pid, &maps) < 0)
		return;
	m = map_list_find(&maps, region);
	if (!m)
		m = map_list_find(&maps, region + THP_REGION_SIZE - 1);
	if (m) {
		fi->fully_mapped = m->start <= region && m->end >= region + THP_REGION_SIZE;
		if (m->path[0] == '/') {
			char mnt[4096];

			if (file && filen)
				snprintf(file, filen, "%s", m->path);
			sysinfo_tmpfs_huge(pid, m->path, fi->tmpfs_huge, sizeof(fi->tmpfs_huge), mnt,
					   sizeof(mnt));
			fi->is_shmem = fi->tmpfs_huge[0] != 0;
			if (m->start <= region)
				fi->file_aligned =
					((m->offset + (region - m->start)) % THP_REGION_SIZE) == 0;
			fi->open_for_write = open_for_write(pid, m->path);
		} else {
			fi->is_shmem = 0;
		}
	}
	map_list_free(&maps);
}
