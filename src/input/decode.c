/* Decoding of BPF records; see decode.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "util/thp_types.h"
#include "thptrace.h"
#include "input/decode.h"

_Static_assert((int)REC_ZAP_PMD == (int)EV_PMD_ZAP &&
	       (int)REC_DEFERRED_SPLIT == (int)EV_FOLIO_DEFERRED_SPLIT &&
	       (int)REC_SCAN_PMD == (int)EV_SCAN_PMD && (int)REC_HUGE_FAULT == (int)EV_HUGE_FAULT &&
	       (int)REC_KIND_MAX == (int)EV_HUGE_FAULT + 1,
	       "enum ev_kind 1..EV_HUGE_FAULT must match enum thp_rec_kind");

void decoder_init(struct decoder *d, uint64_t start_ns, result_name_fn fn, void *ctx)
{
	memset(d, 0, sizeof(*d));
	mm_ids_init(&d->mms);
	d->start_ns = start_ns;
	d->result_name = fn;
	d->result_ctx = ctx;
}

double decoder_t(const struct decoder *d, uint64_t ts_ns)
{
	return ts_ns >= d->start_ns ? (double)(ts_ns - d->start_ns) / 1e9
				    : -(double)(d->start_ns - ts_ns) / 1e9;
}

void decoder_free(struct decoder *d)
{
	mm_ids_free(&d->mms);
}

uint32_t decoder_mm_id(struct decoder *d, uint64_t mm, uint32_t tgid)
{
	return mm_ids_of_key(&d->mms, mm, tgid);
}

uint32_t decoder_mm_id_of_pid(struct decoder *d, uint32_t tgid)
{
	return mm_ids_of_tgid(&d->mms, tgid);
}

void decoder_forget_tgid(struct decoder *d, uint32_t tgid, uint64_t *keys, size_t *nkeys,
			 size_t max)
{
	mm_ids_forget(&d->mms, tgid, keys, nkeys, max);
}

/* A scan or collapse result (enum scan_result): its number and its name
 * from the kernel's BTF, or the number as text where BTF gave none. */
static void decode_result(struct decoder *d, const struct thp_rec *r, struct thp_event *ev)
{
	const char *name = d->result_name ? d->result_name(d->result_ctx, r->ret) : NULL;

	ev->result = r->ret;
	if (name)
		snprintf(ev->result_name, sizeof(ev->result_name), "%s", name);
	else
		snprintf(ev->result_name, sizeof(ev->result_name), "%d", r->ret);
	ev->fields |= EVF_RESULT;
}

/* An anonymous scan or collapse: the result, the counts. */
static void decode_anon(struct decoder *d, const struct thp_rec *r, struct thp_event *ev)
{
	decode_result(d, r, ev);
	ev->fields |= EVF_ANON_SCAN;
	if (r->kind == REC_SCAN_PMD && r->via == VIA_TRACEPOINT) {
		ev->pfn = r->len;
		ev->referenced = r->arg;
		ev->none_or_zero = r->arg2;
		ev->unmapped = (int32_t)r->pgoff;
	} else if (r->kind == REC_SCAN_PMD) {
		ev->referenced = ev->none_or_zero = ev->unmapped = -1;
	} else {
		ev->referenced = ev->none_or_zero = ev->unmapped = -1;
		if (r->via == VIA_TRACEPOINT)
			ev->isolated = r->arg;
		else
			ev->referenced = r->arg;
	}
	if (r->kind == REC_COLLAPSE_HUGE_PAGE && r->via != VIA_TRACEPOINT)
		ev->isolated = -1;
	if (r->kind == REC_SCAN_PMD)
		ev->isolated = -1;
	if ((r->flags & REC_F_ADDR_GUESS) && (ev->fields & EVF_ADDR))
		ev->fields |= EVF_ADDR_GUESS;
}

int decode_rec(struct decoder *d, const void *data, size_t size, struct thp_event *ev)
{
	static struct thp_rec full;
	const struct thp_rec *r = data;

	if (size < THP_REC_SMALL || r->kind == REC_NONE || r->kind >= REC_KIND_MAX)
		return -1;
	if (size < sizeof(*r)) {
		/* A short record: what it lacks reads as empty. */
		memset(&full, 0, sizeof(full));
		memcpy(&full, data, size);
		r = &full;
	}
	memset(ev, 0, sizeof(*ev));
	ev->kind = (enum ev_kind)r->kind;
	ev->via = r->via < VIA_MAX ? (enum ev_via)r->via : VIA_ID_NONE;
	ev->ts_ns = r->ts_ns;
	ev->t = decoder_t(d, r->ts_ns);
	ev->pid = r->pid;
	ev->tgid = r->tgid;
	memcpy(ev->comm, r->comm, sizeof(r->comm));
	ev->comm[EV_COMM_LEN - 1] = 0;
	ev->target_pid = r->mm_tgid;
	ev->mm_id = decoder_mm_id(d, r->mm, r->mm_tgid);
	if (r->file[0]) {
		snprintf(ev->file, sizeof(ev->file), "%.*s", (int)sizeof(r->file), r->file);
		ev->fields |= EVF_FILE;
	}
	if (r->ino) {
		ev->ino = r->ino;
		ev->dev = r->dev;
		ev->fields |= EVF_INODE;
	}
	if (r->flags & REC_F_IN_COLLAPSE)
		ev->fields |= EVF_IN_COLLAPSE;
	if (r->addr) {
		ev->addr = r->addr;
		ev->fields |= EVF_ADDR;
	}

	switch (r->kind) {
	case REC_EXEC:
		break;
	case REC_EXIT:
		/* task->exit_code is a wait status: report it like a shell. */
		ev->ret = (r->ret & 0x7f) ? 128 + (r->ret & 0x7f) : (r->ret >> 8) & 0xff;
		ev->fields |= EVF_RET;
		if (r->flags & REC_F_FILTERED) {
			ev->faults_unrecorded = r->len;
			ev->fields |= EVF_UNRECORDED;
		}
		break;
	case REC_MADVISE:
		ev->addr = r->addr;
		ev->len = r->len;
		ev->behavior = r->arg;
		ev->ret = r->ret;
		ev->fields |= EVF_ADDR | EVF_LEN | EVF_BEHAVIOR | EVF_RET;
		break;
	case REC_FAULT:
		ev->errcode = r->len;
		ev->fields |= EVF_ERRCODE;
		break;
	case REC_SCAN_PMD:
	case REC_COLLAPSE_HUGE_PAGE:
		decode_anon(d, r, ev);
		break;
	case REC_PAGE_ALLOC:
		ev->order = r->arg;
		ev->ret = r->ret;	/* 0, or -ENOMEM: the allocation failed */
		ev->fields |= EVF_ORDER | EVF_RET;
		break;
	case REC_HUGE_FAULT:
		ev->ret = r->ret;
		ev->fields |= EVF_RET;
		break;
	case REC_SCAN_FILE:
	case REC_COLLAPSE_FILE:
		decode_result(d, r, ev);
		if (r->kind == REC_SCAN_FILE) {
			ev->present = r->arg;
			ev->swap = r->arg2;
			ev->fields |= EVF_PRESENT;
		} else {
			ev->pgoff = r->pgoff;
			ev->fields |= EVF_PGOFF;
			if (r->via == VIA_TRACEPOINT) {
				ev->nr = r->arg;
				ev->fields |= EVF_NR;
			}
		}
		break;
	case REC_RETRACT:
		ev->pgoff = r->pgoff;
		ev->fields |= EVF_PGOFF;
		break;
	case REC_PMDP_COLLAPSE_FLUSH:
		break;
	case REC_MAP_PAGES:
		ev->pgoff = r->pgoff;
		ev->pgoff_end = r->pgoff_end;
		ev->fields |= EVF_PGOFF | EVF_PGOFF_END;
		if (r->flags & REC_F_HAS_RET) {
			ev->ret = r->ret;
			ev->fields |= EVF_RET;
		}
		break;
	case REC_SET_PMD:
		ev->ret = r->ret;
		ev->fields |= EVF_RET;
		break;
	case REC_MMAP:
	case REC_MUNMAP:
	case REC_MREMAP:
	case REC_MPROTECT:
		ev->addr = r->addr;
		ev->len = r->len;
		ev->ret = r->ret;
		ev->fields |= EVF_ADDR | EVF_LEN | EVF_RET;
		if (r->kind == REC_MREMAP && r->pgoff_end) {
			ev->new_addr = r->pgoff;
			ev->new_len = r->pgoff_end;
			ev->fields |= EVF_NEW_RANGE;
		}
		if (r->kind == REC_MMAP || r->kind == REC_MPROTECT) {
			ev->prot = r->arg;
			ev->fields |= EVF_PROT;
		}
		if (r->kind == REC_MMAP && r->arg2) {
			ev->flags = r->arg2;
			ev->fields |= EVF_FLAGS;
		}
		break;
	case REC_MIGRATE_PMD:
		if (r->flags & REC_F_HAS_RET) {	/* set_pmd_migration_entry's result */
			ev->ret = r->ret;
			ev->fields |= EVF_RET;
		}
		break;
	case REC_SPLIT_FOLIO:
		ev->ret = r->ret;
		ev->fields |= EVF_RET;
		/* fall through */
	case REC_DEFERRED_SPLIT:
		ev->order = r->arg;
		ev->new_order = r->arg2;
		ev->fields |= EVF_ORDER;
		break;
	}
	return 0;
}
