/* How one 2 MiB region of a process is mapped right now, read from
 * /proc/PID/pagemap: the PAGEMAP_SCAN ioctl where the kernel has it (6.7+),
 * else pagemap entries plus /proc/kpageflags.  This stands in for the
 * function probes (pmdp_collapse_flush, do_set_pmd) that a kernel may not let
 * us attach: a PMD cleared shows as "none", a PMD mapped as "pmd". */
#ifndef THP_PAGE_STATE_H
#define THP_PAGE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "model/event.h"

struct region_sample {
	enum page_state state;	/* PS_NONE, PS_PTE or PS_PMD */
	bool thp;		/* some present page belongs to a huge folio (KPF_THP) */
	uint32_t present;	/* present 4 KiB pages out of 512 */
	const char *method;	/* "pagemap_scan" or "pagemap" */
};

struct page_sampler;

/* Open the sampler for pid: keeps /proc/PID/pagemap (and /proc/kpageflags
 * when readable) open.  Returns NULL with errno set on failure.
 * no_scan makes this sampler use plain pagemap entries even where
 * PAGEMAP_SCAN works (THPTRACE_NO_PAGEMAP_SCAN=1, and the tests). */
struct page_sampler *page_sampler_open(pid_t pid, bool no_scan);
void page_sampler_close(struct page_sampler *s);

/* Sample the 2 MiB region starting at region (2 MiB aligned).  Returns 0, or
 * -errno (ESRCH when the process is gone). */
int page_sampler_read(struct page_sampler *s, uint64_t region, struct region_sample *out);

/* Does the region map frame pfn?  1 yes (*addr: the page's address), 0
 * no, -errno.  One pagemap read of the region. */
int page_sampler_find_pfn(struct page_sampler *s, uint64_t region, uint64_t pfn, uint64_t *addr);

/* The orders of the large folios (compound pages) that back the present
 * pages of the region: bit k set for a folio of 4 KiB << k, k >= 1.  Needs
 * /proc/kpageflags (root); 0 and -errno otherwise.  Costs a pagemap read
 * of the region and one kpageflags read per run of contiguous frames: for
 * a sample whose state changed to small pages of a huge folio only. */
int page_sampler_folios(struct page_sampler *s, uint64_t region, uint32_t *orders);

#endif
