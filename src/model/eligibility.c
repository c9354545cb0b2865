/* Eligibility rules (see eligibility.h), after mm/huge_memory.c's
 * thp_vma_allowable_orders and mm/shmem.c's shmem_huge_global_enabled. */
#include <string.h>
#include "model/eligibility.h"

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

enum backing backing_of(const struct region_file_info *fi, bool known, bool has_file)
{
	if (known && fi && (fi->is_shmem == 1 || fi->tmpfs_huge[0]))
		return BACKING_SHMEM;
	if (!has_file)
		return BACKING_ANON;
	if (known && fi && fi->is_shmem == 0)
		return BACKING_FILE;
	return BACKING_UNKNOWN;
}

const char *shmem_mode_of(const struct region_file_info *fi, const struct thp_context *ctx)
{
	return fi && fi->tmpfs_huge[0] ? fi->tmpfs_huge : ctx->shmem_enabled;
}

bool shmem_mode_allows(const char *mode)
{
	return is(mode, "always") || is(mode, "within_size") || is(mode, "advise") || is(mode, "force");
}

unsigned elig_blockers(const struct elig_facts *f, const struct thp_context *ctx)
{
	const struct region_file_info *fi = f->fi;
	const bool forced = f->madv_collapse;
	unsigned b = 0;

	if (f->nohuge)
		b |= EB_NOHUGEPAGE;
	/* PR_SET_THP_DISABLE: no huge page at all in this mm, MADV_COLLAPSE
	 * included */
	if (fi && fi->thp_disabled == 1)
		b |= EB_PROCESS_DISABLED;
	if (fi && fi->fully_mapped == 0)
		b |= EB_NOT_FULLY_MAPPED;
	if (fi && fi->file_aligned == 0)
		b |= EB_FILE_MISALIGNED;
	if (f->backing == BACKING_SHMEM) {
		/* deny beats everything, MADV_COLLAPSE included; force and
		 * MADV_COLLAPSE beat a mount's or the knob's own mode. */
		const char *mode = shmem_mode_of(fi, ctx);

		if (is(ctx->shmem_enabled, "deny"))
			b |= EB_SHMEM_DENY;
		else if (is(ctx->shmem_enabled, "force") || forced)
			;
		else if (is(mode, "never"))
			b |= EB_SHMEM_NEVER;
		else if (is(mode, "advise") && !f->madvised_huge)
			b |= EB_SHMEM_UNADVISED;
	} else if (f->backing == BACKING_FILE) {
		if (ctx->read_only_thp_for_fs == 0)
			b |= EB_NO_RO_THP_FOR_FS;
		if (fi && fi->open_for_write == 1)
			b |= EB_OPEN_FOR_WRITE;
	}
	/* The sysfs mode governs anonymous memory and read-only file THP;
	 * MADV_COLLAPSE ignores it. */
	if (!forced && (f->backing == BACKING_FILE || f->backing == BACKING_ANON)) {
		if (is(ctx->thp_enabled, "never"))
			b |= EB_THP_NEVER;
		else if (is(ctx->thp_enabled, "madvise") && !f->madvised_huge)
			b |= EB_THP_UNADVISED;
	}
	return b;
}
