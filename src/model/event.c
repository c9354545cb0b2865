/* Names for the enums in event.h: shared by the text and JSON writers and by
 * the JSON reader, so a name printed is a name that parses back. */
#include <string.h>
#include "model/event.h"

static const char *const kind_names[EV_KIND_MAX] = {
	[EV_NONE] = "none",
	[EV_EXEC] = "exec",
	[EV_EXIT] = "exit",
	[EV_MADVISE] = "madvise",
	[EV_FAULT] = "fault",
	[EV_SCAN_FILE] = "scan_file",
	[EV_COLLAPSE_FILE] = "collapse_file",
	[EV_RETRACT] = "retract_page_tables",
	[EV_PMDP_COLLAPSE_FLUSH] = "pmdp_collapse_flush",
	[EV_MAP_PAGES] = "filemap_map_pages",
	[EV_SET_PMD] = "do_set_pmd",
	[EV_MMAP] = "mmap",
	[EV_MUNMAP] = "munmap",
	[EV_MREMAP] = "mremap",
	[EV_MPROTECT] = "mprotect",
	[EV_STATE] = "state",
	[EV_PMD_SPLIT] = "pmd_split",
	[EV_PMD_ZAP] = "pmd_zap",
	[EV_PMD_MIGRATION] = "pmd_migration",
	[EV_PMD_MIGRATED] = "pmd_migrated",
	[EV_FOLIO_SPLIT] = "folio_split",
	[EV_FOLIO_DEFERRED_SPLIT] = "folio_deferred_split",
	[EV_SCAN_PMD] = "scan_pmd",
	[EV_COLLAPSE_HUGE_PAGE] = "collapse_huge_page",
	[EV_PAGE_ALLOC] = "page_alloc",
	[EV_HUGE_FAULT] = "huge_fault",
	[EV_SETTINGS] = "settings",
	[EV_LOST] = "lost",
	[EV_SUMMARY] = "summary",
	[EV_VERDICT] = "verdict",
	[EV_REGION_FILE] = "region_file",
	[EV_CONTEXT] = "context",
};

static const char *const via_names[VIA_ID_MAX] = {
	[VIA_ID_NONE] = "none",
	[VIA_ID_FENTRY] = "fentry",
	[VIA_ID_FEXIT] = "fexit",
	[VIA_ID_KPROBE] = "kprobe",
	[VIA_ID_KRETPROBE] = "kretprobe",
	[VIA_ID_TRACEPOINT] = "tracepoint",
	[VIA_ID_PAGEMAP] = "pagemap",
	[VIA_ID_SYSFS] = "sysfs",
	[VIA_ID_SNAPSHOT] = "snapshot",
};

static const char *const state_names[] = {
	[PS_UNKNOWN] = "unknown",
	[PS_NONE] = "none",
	[PS_PTE] = "pte",
	[PS_PMD] = "pmd",
	[PS_UNMAPPED] = "unmapped",
};

/* Linux's MADV_* numbers are part of the UAPI and do not change. */
static const struct {
	int nr;
	const char *name;
} madv_names[] = {
	{ 0, "MADV_NORMAL" },		{ 1, "MADV_RANDOM" },
	{ 2, "MADV_SEQUENTIAL" },	{ 3, "MADV_WILLNEED" },
	{ 4, "MADV_DONTNEED" },		{ 8, "MADV_FREE" },
	{ 9, "MADV_REMOVE" },		{ 10, "MADV_DONTFORK" },
	{ 11, "MADV_DOFORK" },		{ 12, "MADV_MERGEABLE" },
	{ 13, "MADV_UNMERGEABLE" },	{ 14, "MADV_HUGEPAGE" },
	{ 15, "MADV_NOHUGEPAGE" },	{ 16, "MADV_DONTDUMP" },
	{ 17, "MADV_DODUMP" },		{ 18, "MADV_WIPEONFORK" },
	{ 19, "MADV_KEEPONFORK" },	{ 20, "MADV_COLD" },
	{ 21, "MADV_PAGEOUT" },		{ 22, "MADV_POPULATE_READ" },
	{ 23, "MADV_POPULATE_WRITE" },	{ 24, "MADV_DONTNEED_LOCKED" },
	{ 25, "MADV_COLLAPSE" },	{ 100, "MADV_HWPOISON" },
	{ 101, "MADV_SOFT_OFFLINE" },	{ 102, "MADV_GUARD_INSTALL" },
	{ 103, "MADV_GUARD_REMOVE" },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int index_of(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return i;
	return 0;
}

const char *ev_kind_name(enum ev_kind k)
{
	return (unsigned)k < EV_KIND_MAX && kind_names[k] ? kind_names[k] : "none";
}

enum ev_kind ev_kind_from_name(const char *s)
{
	return (enum ev_kind)index_of(kind_names, EV_KIND_MAX, s);
}

const char *ev_via_name(enum ev_via v)
{
	return (unsigned)v < VIA_ID_MAX ? via_names[v] : "none";
}

enum ev_via ev_via_from_name(const char *s)
{
	return (enum ev_via)index_of(via_names, VIA_ID_MAX, s);
}

const char *page_state_name(enum page_state s)
{
	return (unsigned)s < ARRAY_LEN(state_names) ? state_names[s] : "unknown";
}

enum page_state page_state_from_name(const char *s)
{
	return (enum page_state)index_of(state_names, ARRAY_LEN(state_names), s);
}

const char *madv_name(int behavior)
{
	for (unsigned i = 0; i < ARRAY_LEN(madv_names); i++)
		if (madv_names[i].nr == behavior)
			return madv_names[i].name;
	return NULL;
}

int madv_from_name(const char *s)
{
	for (unsigned i = 0; i < ARRAY_LEN(madv_names); i++)
		if (strcmp(madv_names[i].name, s) == 0)
			return madv_names[i].nr;
	return -1;
}

bool ev_count_listed(enum ev_kind k, uint64_t n)
{
	return k >= EV_EXEC && k < EV_LOST &&
	       (k <= EV_COUNT_ALWAYS_LAST || k == EV_STATE || n > 0);
}
