/* Reading THP facts from the machine; see sysinfo.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/kconfig.h"
#include "host/mountinfo.h"
#include "host/procmaps.h"
#include "host/sysinfo.h"

/* A selector's bracketed choice, else the first line (a number). */
static void selected_word(const char *buf, char *out, size_t n)
{
	const char *a = strchr(buf, '['), *b = a ? strchr(a, ']') : NULL;

	if (a && b)
		snprintf(out, n, "%.*s", (int)(b - a - 1), a + 1);
	else
		snprintf(out, n, "%.*s", (int)strcspn(buf, "\n"), buf);
}

int sysinfo_selected(const char *path, char *out, size_t n)
{
	char buf[256];
	FILE *f = fopen(path, "re");

	out[0] = 0;
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	selected_word(buf, out, n);
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
	ctx->duration_s = -1;		/* known at the end (the end context) */
	ctx->read_only_thp_for_fs = kconfig_get("CONFIG_READ_ONLY_THP_FOR_FS");
	ctx->max_ptes_none = sysinfo_long(THP_SYSFS "/khugepaged/max_ptes_none");
	ctx->max_ptes_swap = sysinfo_long(THP_SYSFS "/khugepaged/max_ptes_swap");
	ctx->max_ptes_shared = sysinfo_long(THP_SYSFS "/khugepaged/max_ptes_shared");
	ctx->have_max_ptes = ctx->max_ptes_none >= 0;
	sysinfo_mthp_enabled(ctx->mthp_enabled, sizeof(ctx->mthp_enabled));
}

/* The tunables a run may see change (counters such as full_scans are not
 * settings); one this kernel lacks has no file and is left out. */
static const char *const knob_names[] = {
	"enabled", "defrag", "shmem_enabled", "use_zero_page", "shrink_underused",
	"khugepaged/defrag", "khugepaged/scan_sleep_millisecs", "khugepaged/alloc_sleep_millisecs",
	"khugepaged/pages_to_scan", "khugepaged/max_ptes_none", "khugepaged/max_ptes_swap",
	"khugepaged/max_ptes_shared",
};

#define SIZE_DIR_LEN 32		/* "hugepages-2048kB" */

int sysinfo_knob_read(const struct thp_knob *k, char *value, size_t n)
{
	char buf[256];
	/* sysfs makes the text again for a read at offset 0 */
	ssize_t len = pread(k->fd, buf, sizeof(buf) - 1, 0);

	value[0] = 0;
	if (len <= 0)
		return -1;
	buf[len] = 0;
	selected_word(buf, value, n);
	return 0;
}

static void knob_add(struct thp_knobs *ks, const char *name)
{
	char path[sizeof(THP_SYSFS) + EV_KNOB_LEN + 1];
	struct thp_knob *k = &ks->k[ks->n];

	if (ks->n >= THP_KNOBS_MAX || strlen(name) >= sizeof(k->name))
		return;
	snprintf(path, sizeof(path), THP_SYSFS "/%s", name);
	k->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->fd < 0)
		return;
	snprintf(k->name, sizeof(k->name), "%s", name);
	if (sysinfo_knob_read(k, k->value, sizeof(k->value)) < 0) {
		close(k->fd);
		return;
	}
	ks->n++;
}

/* hugepages-<size>kB, smallest size first */
static int by_size(const void *a, const void *b)
{
	unsigned long x = strtoul((const char *)a + 10, NULL, 10);
	unsigned long y = strtoul((const char *)b + 10, NULL, 10);

	return x < y ? -1 : x > y;
}

/* The hugepages-<size>kB directories, smallest first; their count. */
static size_t size_dirs(char (*sizes)[SIZE_DIR_LEN], size_t max)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(THP_SYSFS);

	while (d && n < max && (de = readdir(d)))
		if (strncmp(de->d_name, "hugepages-", 10) == 0 && strlen(de->d_name) < SIZE_DIR_LEN)
			snprintf(sizes[n++], SIZE_DIR_LEN, "%s", de->d_name);
	if (d)
		closedir(d);
	qsort(sizes, n, sizeof(sizes[0]), by_size);
	return n;
}

void sysinfo_mthp_enabled(char *out, size_t len)
{
	char sizes[THP_KNOBS_MAX / 2][SIZE_DIR_LEN], path[96], v[32];
	size_t n = size_dirs(sizes, THP_KNOBS_MAX / 2), used = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && used < len; i++) {
		snprintf(path, sizeof(path), THP_SYSFS "/%.*s/enabled", SIZE_DIR_LEN - 1, sizes[i]);
		if (sysinfo_selected(path, v, sizeof(v)) < 0)
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s:%s", used ? " " : "", sizes[i] + 10, v);
	}
	if (used >= len)
		out[0] = 0;	/* cut short: better unknown than wrong */
}

void sysinfo_knobs_open(struct thp_knobs *ks)
{
	char sizes[THP_KNOBS_MAX / 2][SIZE_DIR_LEN], name[EV_KNOB_LEN];
	size_t n;

	ks->n = 0;
	for (size_t i = 0; i < sizeof(knob_names) / sizeof(knob_names[0]); i++)
		knob_add(ks, knob_names[i]);
	n = size_dirs(sizes, THP_KNOBS_MAX / 2);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s/enabled", SIZE_DIR_LEN - 1, sizes[i]);
		knob_add(ks, name);
		snprintf(name, sizeof(name), "%.*s/shmem_enabled", SIZE_DIR_LEN - 1, sizes[i]);
		knob_add(ks, name);
	}
}

void sysinfo_knobs_close(struct thp_knobs *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		close(ks->k[i].fd);
	ks->n = 0;
}

int sysinfo_tmpfs_huge(pid_t pid, const char *path, char *mode, size_t n, char *mnt, size_t mn)
{
	struct mount_entry *e = malloc(sizeof(*e));
	int ret = -1;

	mode[0] = 0;
	if (mnt && mn)
		mnt[0] = 0;
	if (e && mountinfo_find(pid, path, e) == 0) {
		snprintf(mode, n, "%s", e->huge);
		if (mnt)
			snprintf(mnt, mn, "%s", e->point);
		ret = 0;
	}
	free(e);
	return ret;
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

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The kernel names these files on its internal shm mount (mm/memfd.c,
 * ipc/shm.c, mm/shmem.c's shmem_zero_setup) and maps shows them from "/"
 * of that mount, always unlinked; a named shared anonymous mapping shows its
 * name instead (fs/proc/task_mmu.c). */
bool sysinfo_internal_shmem(const char *path)
{
	if (strncmp(path, "[anon_shmem:", 12) == 0)
		return true;
	if (!ends_with(path, " (deleted)"))
		return false;
	return strncmp(path, "/memfd:", 7) == 0 || strncmp(path, "/SYSV", 5) == 0 ||
	       strcmp(path, "/dev/zero (deleted)") == 0;
}

int sysinfo_thp_disabled(pid_t pid)
{
	char path[64], line[128];
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "THP_enabled: %d", &v) == 1)
			break;
	fclose(f);
	return v < 0 ? -1 : v == 0;
}

void sysinfo_region_file(pid_t pid, uint64_t region, struct region_file_info *fi, char *file,
			 size_t filen)
{
	struct map_list maps = { 0 };
	const struct map_entry *m;

	fi->tmpfs_huge[0] = 0;
	fi->is_shmem = fi->open_for_write = fi->fully_mapped = fi->file_aligned = -1;
	fi->thp_disabled = sysinfo_thp_disabled(pid) == 1;
	if (procmaps_read(pid, &maps) < 0)
		return;
	m = map_list_find(&maps, region);
	if (!m)
		m = map_list_find(&maps, region + THP_REGION_SIZE - 1);
	if (m) {
		bool internal = sysinfo_internal_shmem(m->path);

		fi->fully_mapped = m->start <= region && m->end >= region + THP_REGION_SIZE;
		if ((m->path[0] == '/' || internal) && m->start <= region)
			fi->file_aligned = ((m->offset + (region - m->start)) % THP_REGION_SIZE) == 0;
		if (m->path[0] == '/') {
			if (file && filen)
				snprintf(file, filen, "%s", m->path);
			fi->open_for_write = open_for_write(pid, m->path);
		}
		if (internal) {
			/* shmem_enabled governs it, not the mount "/" of the path */
			fi->is_shmem = 1;
		} else if (m->path[0] == '/') {
			sysinfo_tmpfs_huge(pid, m->path, fi->tmpfs_huge, sizeof(fi->tmpfs_huge), NULL, 0);
			fi->is_shmem = fi->tmpfs_huge[0] != 0;
		} else {
			fi->is_shmem = 0;
		}
	}
	map_list_free(&maps);
}
