/* A snapshot of what a process already has: smaps read once, in pieces,
 * and each region of a THP-relevant mapping sampled as soon as its mapping
 * has been parsed, so nothing grows with the number of mappings.
 *
 * Whether a file mapping is shmem takes the target's mountinfo (the same
 * rule as sysinfo_region_file()); that answer belongs to the filesystem, so
 * it is looked up once per device, not once per mapping. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "host/snapshot.h"
#include "host/sysinfo.h"

/* Devices remembered per snapshot: a process maps files from a handful. */
#define DEV_CACHE 16

struct dev_fact {
	uint32_t major, minor;
	int is_shmem;			/* 1, 0, -1 unknown */
	char tmpfs_huge[16];
};

struct snap {
	pid_t pid;
	struct page_sampler *ps;
	snapshot_fn fn;
	void *arg;
	struct snapshot_stats *st;
	int err;			/* -errno that ended the walk */
	struct dev_fact dev[DEV_CACHE];
	size_t ndev;
};

/* is_shmem and tmpfs_huge of a file mapping (path starts with '/'). */
static void file_facts(struct snap *s, const struct map_entry *m, struct region_file_info *fi)
{
	struct dev_fact f = { m->dev_major, m->dev_minor, -1, "" };

	for (size_t i = 0; i < s->ndev; i++) {
		if (s->dev[i].major == f.major && s->dev[i].minor == f.minor) {
			fi->is_shmem = s->dev[i].is_shmem;
			memcpy(fi->tmpfs_huge, s->dev[i].tmpfs_huge, sizeof(fi->tmpfs_huge));
			return;
		}
	}
	if (sysinfo_tmpfs_huge(s->pid, m->path, f.tmpfs_huge, sizeof(f.tmpfs_huge), NULL, 0) == 0)
		f.is_shmem = f.tmpfs_huge[0] != 0;
	if (s->ndev < DEV_CACHE)
		s->dev[s->ndev++] = f;
	fi->is_shmem = f.is_shmem;
	_Static_assert(sizeof(fi->tmpfs_huge) == sizeof(f.tmpfs_huge), "tmpfs_huge size");
	memcpy(fi->tmpfs_huge, f.tmpfs_huge, sizeof(fi->tmpfs_huge));
}

/* The facts every region of mapping e shares. */
static void mapping_facts(struct snap *s, const struct smaps_entry *e, struct snapshot_region *r)
{
	const struct map_entry *m = &e->map;
	struct region_file_info *fi = &r->finfo;
	bool internal = sysinfo_internal_shmem(m->path);

	memset(r, 0, sizeof(*r));
	r->map = e;
	fi->tmpfs_huge[0] = '\0';
	fi->open_for_write = -1;
	fi->fully_mapped = 1;
	fi->file_aligned = -1;
	if (internal) {
		/* memfd, SysV shm, shared anonymous: shmem_enabled governs */
		fi->is_shmem = 1;
	} else if (m->path[0] == '/') {
		file_facts(s, m, fi);
	} else {
		/* "", [heap], [stack], [anon:NAME] */
		fi->is_shmem = 0;
		r->anon = true;
	}
}

static int on_mapping(const struct smaps_entry *e, void *arg)
{
	struct snap *s = arg;
	struct snapshot_stats *st = s->st;
	struct snapshot_region r;
	uint64_t first, n;

	st->mappings++;
	if (!smaps_thp_relevant(e))
		return 0;
	st->relevant++;
	n = smaps_aligned_regions(&e->map, &first);
	mapping_facts(s, e, &r);
	for (uint64_t i = 0; i < n; i++) {
		int rc;

		if (st->regions >= SNAPSHOT_MAX_REGIONS) {
			st->dropped += n - i;
			break;
		}
		r.addr = first + i * THP_REGION_SIZE;
		if (!r.anon) {
			r.file_offset = e->map.offset + (r.addr - e->map.start);
			r.finfo.file_aligned = r.file_offset % THP_REGION_SIZE == 0;
		}
		r.sample_err = page_sampler_read(s->ps, r.addr, &r.sample);
		if (r.sample_err == -ESRCH) {
			s->err = -ESRCH;
			return 1;
		}
		st->regions++;
		rc = s->fn(&r, s->arg);
		if (rc)
			return rc;
	}
	return 0;
}

int snapshot_take(pid_t pid, bool no_scan, snapshot_fn fn, void *arg, struct snapshot_stats *st)
{
	struct snapshot_stats local;
	struct snap s = { 0 };
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if (!fn || pid < 0)
		return -EINVAL;
	s.pid = pid ? pid : getpid();
	s.fn = fn;
	s.arg = arg;
	s.st = st;
	s.ps = page_sampler_open(s.pid, no_scan);
	if (!s.ps)
		return errno == ENOENT ? -ESRCH : -errno;
	rc = smaps_read_each(s.pid, on_mapping, &s, &st->bad_lines);
	page_sampler_close(s.ps);
	if (s.err)
		return s.err;
	if (rc == -ENOENT)
		return -ESRCH;
	return rc < 0 ? rc : 0;
}
