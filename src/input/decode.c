/* Decoding of BPF records; see decode.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "util/thp_types.h"
#include "thptrace.h"
#include "input/decode.h"

_Static_assert((int)REC_ZAP_PMD == (int)EV_PMD_ZAP &&
	       (int)REC_DEFERRED_SPLIT == (int)EV_FOLIO_DEFERRED_SPLIT &&
	       (int)REC_KIND_MAX == (int)EV_FOLIO_DEFERRED_SPLIT + 1,
	       "enum ev_kind 1..EV_FOLIO_DEFERRED_SPLIT must match enum thp_rec_kind");

void decoder_init(struct decoder *d, uint64_t start_ns, result_name_fn fn, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->start_ns = start_ns;
	d->result_name = fn;
	d->result_ctx = ctx;
}

double decoder_t(const struct decoder *d, uint64_t ts_ns)
{
	return ts_ns >= d->start_ns ? (double)(ts_ns - d->start_ns) / 1e9
				    : -(double)(d->start_ns - ts_ns) / 1e9;
}

static bool is_unbound(const struct decoder *d, size_t i)
{
	return (d->unbound[i / 64] >> (i % 64)) & 1;
}

static void set_unbound(struct decoder *d, size_t i, bool on)
{
	if (on)
		d->unbound[i / 64] |= 1ull << (i % 64);
	else
		d->unbound[i / 64] &= ~(1ull << (i % 64));
}

uint32_t decoder_mm_id(struct decoder *d, uint64_t mm, uint32_t tgid)
{
	if (!mm)
		return 0;
	for (size_t i = 0; i < d->n_mms; i++)
		if (d->mm_key[i] == mm) {
			if (!d->mm_tgid[i])
				d->mm_tgid[i] = tgid;
			return i + 1;
		}
	/* a snapshot came first: this is that process's mm */
	for (size_t i = 0; tgid && i < d->n_mms; i++)
		if (is_unbound(d, i) && d->mm_tgid[i] == tgid) {
			set_unbound(d, i, false);
			d->mm_key[i] = mm;
			return i + 1;
		}
	if (d->n_mms == DECODE_MAX_MMS)
		return 0;
	d->mm_key[d->n_mms] = mm;
	d->mm_tgid[d->n_mms] = tgid;
	return ++d->n_mms;
}

uint32_t decoder_mm_id_of_pid(struct decoder *d, uint32_t tgid)
{
	if (!tgid)
		return 0;
	for (size_t i = d->n_mms; i-- > 0;)
		if (d->mm_tgid[i] == tgid && (d->mm_key[i] || is_unbound(d, i)))
			return i + 1;
	if (d->n_mms == DECODE_MAX_MMS)
		return 0;
	d->mm_key[d->n_mms] = 0;
	d->mm_tgid[d->n_mms] = tgid;
	set_unbound(d, d->n_mms, true);
	return ++d->n_mms;
}

void decoder_forget_tgid(struct decoder *d, uint32_t tgid, uint64_t *keys, size_t *nkeys,
			 size_t max)
{
	*nkeys = 0;
	for (size_t i = 0; i < d->n_mms; i++) {
		if (d->mm_tgid[i] == tgid && is_unbound(d, i))
			set_unbound(d, i, false);	/* never bound: gone with it */
		if (d->mm_tgid[i] != tgid || !d->mm_key[i])
			continue;
		if (*nkeys < max)
			keys[(*nkeys)++] = d->mm_key[i];
		/* Keep the slot (ids stay stable) but let a reused address get a new id. */
		d->mm_key[i] = 0;
	}
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
	case REC_SCAN_FILE:
	case REC_COLLAPSE_FILE: {
		const char *name = d->result_name ? d->result_name(d->result_ctx, r->ret) : NULL;

		ev->result = r->ret;
		if (name)
			snprintf(ev->result_name, sizeof(ev->result_name), "%s", name);
		else
			snprintf(ev->result_name, sizeof(ev->result_name), "%d", r->ret);
		ev->fields |= EVF_RESULT;
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
	}
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
