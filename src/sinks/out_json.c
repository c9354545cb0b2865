/* The JSON Lines sink.  The schema is documented in README.md ("JSON Lines
 * schema"); report.c reads the same names back. */
#include <stdio.h>
#include "sinks/jsonw.h"
#include "sinks/explain.h"
#include "sinks/output.h"
#include "sinks/out_json_anon.h"

#define LINE_MAX_BYTES 8192

static void put_line(FILE *f, struct jsonw *w)
{
	if (!w->overflow)
		fprintf(f, "%s\n", w->buf);
}

static void common(struct jsonw *w, const struct thp_event *ev, const char *time)
{
	jsonw_event(w, ev_kind_name(ev->kind), time);
	jsonw_double(w, "t", ev->t, 6);
	jsonw_u64(w, "ts_ns", ev->ts_ns);
	jsonw_u64(w, "pid", ev->pid);
	jsonw_u64(w, "tgid", ev->tgid);
	jsonw_str(w, "comm", ev->comm);
	jsonw_str(w, "via", ev_via_name(ev->via));
	if (ev->mm_id)
		jsonw_u64(w, "mm", ev->mm_id);
	if (ev->target_pid)
		jsonw_u64(w, "target_pid", ev->target_pid);
}

void json_event(FILE *f, const struct thp_event *ev, const char *time)
{
	char buf[LINE_MAX_BYTES];
	struct jsonw w;

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	common(&w, ev, time);
	if (ev->fields & EVF_ADDR)
		jsonw_hex(&w, "addr", ev->addr);
	if (ev->fields & EVF_LEN)
		jsonw_u64(&w, "len", ev->len);
	if (ev->fields & EVF_UNRECORDED)
		jsonw_u64(&w, "faults_unrecorded", ev->faults_unrecorded);
	if (ev->fields & EVF_BEHAVIOR) {
		const char *name = madv_name(ev->behavior);

		if (name)
			jsonw_str(&w, "behavior", name);
		jsonw_i64(&w, "advice", ev->behavior);
	}
	if (ev->fields & EVF_FILE)
		jsonw_str(&w, "file", ev->file);
	if (ev->fields & EVF_INODE) {
		jsonw_u64(&w, "ino", ev->ino);
		jsonw_u64(&w, "dev", ev->dev);
	}
	if (ev->fields & EVF_PGOFF)
		jsonw_u64(&w, "pgoff", ev->pgoff);
	if (ev->fields & EVF_PGOFF_END)
		jsonw_u64(&w, "pgoff_end", ev->pgoff_end);
	if (ev->fields & EVF_RESULT) {
		jsonw_str(&w, "result", ev->result_name);
		jsonw_i64(&w, "result_code", ev->result);
	}
	if (ev->fields & EVF_NR)
		jsonw_i64(&w, "nr", ev->nr);
	if (ev->fields & EVF_PRESENT) {
		jsonw_i64(&w, "present", ev->present);
		jsonw_i64(&w, "swap", ev->swap);
	}
	if (ev->fields & EVF_ERRCODE)
		jsonw_u64(&w, "error_code", ev->errcode);
	if (ev->fields & EVF_NEW_RANGE) {
		jsonw_hex(&w, "new_addr", ev->new_addr);
		jsonw_u64(&w, "new_len", ev->new_len);
	}
	if (ev->fields & EVF_PROT)
		jsonw_i64(&w, "prot", ev->prot);
	if (ev->fields & EVF_FLAGS)
		jsonw_i64(&w, "flags", ev->flags);
	if (ev->fields & EVF_ORDER) {
		jsonw_i64(&w, "order", ev->order);
		if (ev->kind == EV_FOLIO_SPLIT)
			jsonw_i64(&w, "new_order", ev->new_order);
	}
	if ((ev->kind == EV_PMD_SPLIT || ev->kind == EV_PMD_ZAP) && ev->via == VIA_ID_PAGEMAP) {
		jsonw_str(&w, "state", page_state_name(ev->state));
		jsonw_bool(&w, "inferred", true);
		if (ev->fields & EVF_CAUSE) {
			jsonw_str(&w, "cause", ev->cause);
			jsonw_double(&w, "cause_t", ev->cause_t, 6);
		} else {
			jsonw_raw(&w, "cause", "null");
		}
	}
	if (ev->fields & EVF_RET)
		jsonw_i64(&w, "ret", ev->ret);
	if (ev->fields & EVF_IN_COLLAPSE)
		jsonw_bool(&w, "in_collapse", true);
	if (ev->kind == EV_STATE) {
		jsonw_hex(&w, "region", ev->region);
		jsonw_str(&w, "state", page_state_name(ev->state));
		jsonw_bool(&w, "thp", ev->thp);
		jsonw_i64(&w, "present", ev->present);
	}
	if (ev->fields & EVF_VMFLAGS) {
		jsonw_bool(&w, "vm_hugepage", ev->vm_hugepage > 0);
		jsonw_bool(&w, "vm_nohugepage", ev->vm_nohugepage > 0);
		if (ev->thp_eligible >= 0)
			jsonw_i64(&w, "thp_eligible", ev->thp_eligible);
		if (ev->map_end > ev->map_start) {
			jsonw_hex(&w, "map_start", ev->map_start);
			jsonw_hex(&w, "map_end", ev->map_end);
		}
	}
	if (ev->fields & EVF_VMSTAT) {
		jsonw_i64(&w, "thp_split_pmd_delta", ev->split_pmd_delta);
		jsonw_double(&w, "vmstat_since_t", ev->vmstat_since_t, 6);
	}
	if (ev->kind == EV_LOST)
		jsonw_u64(&w, "count", ev->count);
	if (ev->fields & EVF_KNOB) {
		jsonw_str(&w, "knob", ev->knob);
		jsonw_str(&w, "value", ev->value);
		jsonw_str(&w, "old", ev->old_value);
	}
	json_anon_event(&w, ev);
	jsonw_end(&w);
	put_line(f, &w);
}

static void json_secs(struct jsonw *w, const char *key, double s)
{
	if (s < 0)
		jsonw_raw(w, key, "null");
	else
		jsonw_double(w, key, s, 6);
}

void json_verdict(FILE *f, const struct region *r, const char *time)
{
	char buf[LINE_MAX_BYTES * 4], ms[LINE_MAX_BYTES * 3], d[128], why[EXPLAIN_WHY_MAX];
	struct jsonw w, m;
	size_t used = 0;

	/* Milestones are an array of objects: built here, then inserted raw. */
	ms[used++] = '[';
	ms[used] = 0;
	for (size_t i = 0; i < r->n_milestones; i++) {
		char one[512];

		jsonw_init(&m, one, sizeof(one));
		jsonw_begin(&m);
		jsonw_double(&m, "t", r->ms[i].t, 6);
		jsonw_str(&m, "what", ms_kind_name(r->ms[i].kind));
		jsonw_str(&m, "detail", explain_milestone(&r->ms[i], d, sizeof(d)));
		jsonw_end(&m);
		if (m.overflow || used + m.len + 3 >= sizeof(ms))
			break;
		used += (size_t)snprintf(ms + used, sizeof(ms) - used, "%s%s", i ? "," : "", one);
	}
	snprintf(ms + used, sizeof(ms) - used, "]");

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_event(&w, "verdict", time);
	jsonw_hex(&w, "region", r->start);
	jsonw_str(&w, "file", r->file);
	jsonw_u64(&w, "target_pid", r->pid);
	jsonw_u64(&w, "mm", r->mm_id);
	jsonw_u64(&w, "life", (uint64_t)r->life);
	json_secs(&w, "mapped_t", r->t_mapped);
	json_secs(&w, "unmapped_t", r->t_unmapped);
	jsonw_str(&w, "final", page_state_name(r->final_state));
	if (r->final_inferred)
		jsonw_bool(&w, "final_inferred", true);
	jsonw_str(&w, "reason", verdict_reason_name(r->reason));
	jsonw_str(&w, "why", explain_why(r, why, sizeof(why)));
	json_anon_verdict(&w, r);
	jsonw_raw(&w, "milestones", ms);
	jsonw_u64(&w, "milestones_dropped", r->dropped_milestones);
	json_secs(&w, "unmapped_s", r->unmapped_s);
	json_secs(&w, "madvise_to_pmd_s", r->madvise_to_pmd_s);
	jsonw_end(&w);
	put_line(f, &w);
}

void json_summary(FILE *f, const struct run_summary *s, const char *time)
{
	char buf[LINE_MAX_BYTES], counts[2048];
	struct jsonw w, c;

	jsonw_init(&c, counts, sizeof(counts));
	jsonw_begin(&c);
	for (int k = EV_EXEC; k < EV_LOST; k++)
		if (ev_count_listed(k, s->counts[k]))
			jsonw_u64(&c, ev_kind_name(k), s->counts[k]);
	jsonw_end(&c);

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_event(&w, "summary", time);
	jsonw_double(&w, "t", s->t, 6);
	jsonw_str(&w, "stopped", s->stop_reason);
	if (s->exit_status >= 0)
		jsonw_i64(&w, "exit_status", s->exit_status);
	jsonw_u64(&w, "lost", s->lost);
	if (s->faults_unrecorded >= 0)
		jsonw_i64(&w, "faults_unrecorded", s->faults_unrecorded);
	jsonw_raw(&w, "counts", counts);
	jsonw_end(&w);
	put_line(f, &w);
}

void json_context(FILE *f, const struct thp_context *ctx, uint64_t start_ns, bool at_end, const char *time)
{
	char buf[LINE_MAX_BYTES];
	struct jsonw w;

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_event(&w, "context", time);
	if (!at_end) {
		jsonw_u64(&w, "start_ns", start_ns);
		jsonw_str(&w, "thp_enabled", ctx->thp_enabled);
		jsonw_str(&w, "shmem_enabled", ctx->shmem_enabled);
		jsonw_str(&w, "defrag", ctx->defrag);
		jsonw_i64(&w, "scan_sleep_ms", ctx->scan_sleep_ms);
		jsonw_i64(&w, "pages_to_scan", ctx->pages_to_scan);
		jsonw_i64(&w, "full_scans_start", ctx->full_scans_start);
		jsonw_i64(&w, "read_only_thp_for_fs", ctx->read_only_thp_for_fs);
		json_anon_context(&w, ctx);
		if (ctx->streaming)
			jsonw_bool(&w, "streaming", true);
	} else {
		jsonw_i64(&w, "full_scans_end", ctx->full_scans_end);
		jsonw_double(&w, "duration_s", ctx->duration_s, 6);
	}
	jsonw_end(&w);
	put_line(f, &w);
}

void json_region_file(FILE *f, const struct thp_event *ev, const char *time)
{
	const struct region_file_info *fi = &ev->finfo;
	char buf[LINE_MAX_BYTES];
	struct jsonw w;

	jsonw_init(&w, buf, sizeof(buf));
	jsonw_begin(&w);
	jsonw_event(&w, "region_file", time);
	jsonw_u64(&w, "mm", ev->mm_id);
	jsonw_hex(&w, "region", ev->region);
	jsonw_str(&w, "file", ev->file);
	jsonw_str(&w, "tmpfs_huge", fi->tmpfs_huge);
	jsonw_i64(&w, "is_shmem", fi->is_shmem);
	jsonw_i64(&w, "open_for_write", fi->open_for_write);
	jsonw_i64(&w, "fully_mapped", fi->fully_mapped);
	jsonw_i64(&w, "file_aligned", fi->file_aligned);
	if (fi->thp_disabled == 1)
		jsonw_i64(&w, "thp_disabled", 1);
	jsonw_end(&w);
	put_line(f, &w);
}
