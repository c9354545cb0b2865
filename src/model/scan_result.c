/* The kernel's enum scan_result (mm/khugepaged.c): what each name means
 * and whether it counts as a huge page made.  Names come from the running
 * kernel's BTF (their numbers move between versions); the huge_memory
 * tracepoints print the lower-case text. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "model/region.h"

/* enum scan_result of mm/khugepaged.c across versions (names come from BTF,
 * numbers move), with the text the huge_memory tracepoints print. */
static const struct {
	const char *name, *tp, *meaning;
} results[] = {
	{ "SCAN_FAIL", "failed", "the collapse failed for a reason the kernel does not name" },
	{ "SCAN_SUCCEED", "succeeded", "the huge page was made" },
	{ "SCAN_PMD_NULL", "pmd_null", "there is no page table for this 2 MiB range yet: nothing in it was ever mapped" },
	{ "SCAN_PMD_NONE", "pmd_none", "the page table entry for this 2 MiB range is empty: nothing in it is mapped" },
	{ "SCAN_NO_PTE_TABLE", "no_pte_table", "there is no small-page table for this 2 MiB range: nothing in it is mapped" },
	{ "SCAN_PMD_MAPPED", "page_pmd_mapped", "the range is already mapped as one huge page; nothing to do" },
	{ "SCAN_EXCEED_NONE_PTE", "exceed_none_pte", "too many of the 512 small pages are missing (more than khugepaged/max_ptes_none allows); touch the whole range first" },
	{ "SCAN_EXCEED_SWAP_PTE", "exceed_swap_pte", "too many of the small pages are swapped out (more than khugepaged/max_ptes_swap)" },
	{ "SCAN_EXCEED_SHARED_PTE", "exceed_shared_pte", "too many of the small pages are shared with other processes (more than khugepaged/max_ptes_shared)" },
	{ "SCAN_PTE_NON_PRESENT", "pte_non_present", "a small page is not in memory (swapped out or being migrated)" },
	{ "SCAN_PTE_UFFD_WP", "pte_uffd_wp", "a page is write-protected through userfaultfd, and merging would lose that" },
	{ "SCAN_PTE_UFFD", "pte_uffd", "the range is watched through userfaultfd, and merging would hide faults from it" },
	{ "SCAN_PTE_MAPPED_HUGEPAGE", "pte_mapped_hugepage", "the huge page exists but is still mapped with small entries; the kernel then maps it as one huge page (counts as success)" },
	{ "SCAN_PAGE_RO", "no_writable_page", "none of the pages is writable (older kernels require one for anonymous memory)" },
	{ "SCAN_LACK_REFERENCED_PAGE", "lack_referenced_page", "too few of the pages were used recently to be worth merging" },
	{ "SCAN_NO_REFERENCED_PAGE", "no_referenced_page", "none of the pages was used recently" },
	{ "SCAN_PAGE_NULL", "page_null", "a page could not be found or is not an ordinary page (for example the shared zero page)" },
	{ "SCAN_SCAN_ABORT", "scan_aborted", "the scan was stopped: khugepaged had to yield, the process was exiting, or a lock was busy" },
	{ "SCAN_PAGE_COUNT", "not_suitable_page_count", "a page has extra references (pinned by I/O, get_user_pages or another mapping), so it cannot be moved" },
	{ "SCAN_PAGE_LRU", "page_not_in_lru", "a page was not on the kernel's LRU lists (it was being reclaimed, migrated or had only just been added), so it could not be taken for the huge page" },
	{ "SCAN_PAGE_LOCK", "page_locked", "a page was locked by someone else (I/O or another memory operation in progress)" },
	{ "SCAN_PAGE_ANON", "page_not_anon", "a page is not of the expected kind (anonymous where a file page was expected, or the reverse)" },
	{ "SCAN_PAGE_LAZYFREE", "page_lazyfree", "a page was marked lazily freeable (MADV_FREE), so it is left for reclaim" },
	{ "SCAN_PAGE_COMPOUND", "page_compound", "a page is already part of a larger folio" },
	{ "SCAN_ANY_PROCESS", "no_process_for_page", "no process maps the page any more" },
	{ "SCAN_VMA_NULL", "vma_null", "the mapping went away (unmapped while the collapse ran)" },
	{ "SCAN_VMA_CHECK", "vma_check_failed", "the mapping does not allow a huge page here (THP settings, MADV_NOHUGEPAGE, alignment, or the kind of file)" },
	{ "SCAN_ADDRESS_RANGE", "not_suitable_address_range", "the aligned 2 MiB range is not entirely inside the mapping" },
	{ "SCAN_SWAP_CACHE_PAGE", "page_swap_cache", "a page is in the swap cache" },
	{ "SCAN_DEL_PAGE_LRU", "could_not_delete_page_from_lru", "a page could not be taken off the LRU list" },
	{ "SCAN_ALLOC_HUGE_PAGE_FAIL", "alloc_huge_page_failed", "no free, physically contiguous 2 MiB of memory could be found (memory low or fragmented)" },
	{ "SCAN_CGROUP_CHARGE_FAIL", "ccgroup_charge_failed", "the memory cgroup's limit did not allow charging another 2 MiB" },
	{ "SCAN_TRUNCATED", "truncated", "the file is shorter than the 2 MiB range, or was truncated during the collapse" },
	{ "SCAN_PAGE_HAS_PRIVATE", "page_has_private", "a page carries filesystem data (buffer heads) that could not be released" },
	{ "SCAN_STORE_FAILED", "store_failed", "the huge page could not be put into the page cache (no memory for its index, or the slot changed)" },
	{ "SCAN_COPY_MC", "copy_poisoned_page", "copying a page hit a hardware memory error" },
	{ "SCAN_PAGE_FILLED", "page_filled", "a hole in the range was filled by someone else while the collapse ran" },
	{ "SCAN_PAGE_DIRTY_OR_WRITEBACK", "page_dirty_or_writeback", "a page of a regular file is dirty or being written back; it must be clean first (MADV_COLLAPSE writes it back and retries once)" },
	{ "SCAN_INVALID_PTES_NONE", "invalid_ptes_none", "khugepaged/max_ptes_none is set to a value this collapse size does not support" },
};

static int result_index(const char *name)
{
	if (!name || !name[0])
		return -1;
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		if (strcasecmp(name, results[i].name) == 0 || strcasecmp(name, results[i].name + 5) == 0 ||
		    strcasecmp(name, results[i].tp) == 0)
			return (int)i;
	return -1;
}

const char *scan_result_meaning(const char *name)
{
	int i = result_index(name);
	return i >= 0 ? results[i].meaning
		      : "a result this tool does not know (a newer kernel?); look it up in mm/khugepaged.c";
}

int scan_result_outcome(const char *name)
{
	int i = result_index(name);

	if (!name || !name[0])
		return 0;
	/* Without BTF names the decoder passes the number; only SCAN_FAIL (0)
	 * and SCAN_SUCCEED (1) have kept their numbers across versions. */
	if (name[strspn(name, "0123456789")] == 0)
		return strcmp(name, "1") == 0 ? 1 : -1;
	if (i < 0)
		return -1;
	if (!strcmp(results[i].name, "SCAN_SUCCEED") || !strcmp(results[i].name, "SCAN_PTE_MAPPED_HUGEPAGE"))
		return 1;
	return strcmp(results[i].name, "SCAN_PMD_MAPPED") == 0 ? 0 : -1;
}

