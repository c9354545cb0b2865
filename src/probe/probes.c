/* The attach policy over the probe table.
 *
 * The table, probe_table.c, has one block per probe: what it observes, the
 * programs of bpf/thptrace.bpf.c that serve it by each mechanism, and what
 * its choice sets in .rodata (the fields are described in probe_def.h).
 * The policy below is the same for every row: per probe, fentry/fexit, then
 * kprobe/kretprobe, then the tracepoint (raw where its BTF prototype has
 * the expected arguments, else by perf event), each tried on this kernel
 * (probe_trials.c); the first that works is used, or the one --backend
 * forces.  What was chosen is printed by probes_print.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe/btf_names.h"
#include "probe/probe_def.h"
#include "probe/probe_trials.h"
#include "probe/probes.h"
#include "util/config.h"

#define defs probe_defs
#define NDEFS probe_ndefs

/* ---- the policy: the same for every row ---- */

static size_t nparams(const struct probe_def *d)
{
	size_t n = 0;

	while (n < PROBE_PARAMS_MAX && d->params[n])
		n++;
	return n;
}

static void try_fentry(struct probe_status *s, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;
	char why[160];
	int id, np;

	s->tried[MECH_FENTRY] = true;
	if (!kbtf_func_matches(btf, d->func, d->params, nparams(d), why, sizeof(why))) {
		snprintf(s->why[MECH_FENTRY], sizeof(s->why[0]), "%s", why);
		return;
	}
	id = kbtf_func_id(btf, d->func);
	/* Try fentry even where we have no program, so the kernel's reason is
	 * shown.  Each trial reads the context as the program does: the last
	 * parameter it checks, and at fexit the return value's slot with
	 * bpf_get_func_ret() where the kernel has it. */
	np = (int)(d->ctx_args ? d->ctx_args : nparams(d)) - 1;
	if (trial_tracing(id, BPF_TRACE_FENTRY, np, false, why, sizeof(why)) < 0 ||
	    (d->fentry[1] && trial_tracing(id, BPF_TRACE_FEXIT, s->ret_idx > 0 ? s->ret_idx : np,
					   d->ret_slot && s->ret_idx > 0, why, sizeof(why)) < 0)) {
		snprintf(s->why[MECH_FENTRY], sizeof(s->why[0]), "%s", why);
		return;
	}
	if (!has_progs(d->fentry)) {
		snprintf(s->why[MECH_FENTRY], sizeof(s->why[0]), "not used: %s",
			 d->why_no_fentry ? d->why_no_fentry : "no fentry program");
		return;
	}
	s->ok[MECH_FENTRY] = true;
	snprintf(s->why[MECH_FENTRY], sizeof(s->why[0]), "ok");
}

static void try_kprobe(struct probe_status *s, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;
	char why[160];

	s->tried[MECH_KPROBE] = true;
	/* Without BTF for the function we cannot check its arguments: a kprobe
	 * on a function whose prototype we cannot see would read garbage. */
	if (btf && kbtf_func_id(btf, d->func) >= 0 &&
	    !kbtf_func_matches(btf, d->func, d->params, nparams(d), why, sizeof(why))) {
		snprintf(s->why[MECH_KPROBE], sizeof(s->why[0]), "%s", why);
		return;
	}
	if (trial_kprobe(d->func, false, why, sizeof(why)) < 0 ||
	    (d->kprobe[1] && trial_kprobe(d->func, true, why, sizeof(why)) < 0)) {
		snprintf(s->why[MECH_KPROBE], sizeof(s->why[0]), "%s", why);
		return;
	}
	s->ok[MECH_KPROBE] = true;
	snprintf(s->why[MECH_KPROBE], sizeof(s->why[0]), "ok");
}

/* Raw when every one of the probe's tracepoints has the argument shape
 * its raw program reads; otherwise raw_why says why not. */
static bool try_raw(struct probe_status *s, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;
	char why[160];
	int alt = 0;

	if (!d->raw[0]) {
		snprintf(s->raw_why, sizeof(s->raw_why), "no raw program");
		return false;
	}
	if (config()->perf_tracepoints) {
		snprintf(s->raw_why, sizeof(s->raw_why), "THPTRACE_PERF_TRACEPOINTS is set");
		return false;
	}
	if (!btf) {
		snprintf(s->raw_why, sizeof(s->raw_why), "no BTF to check its arguments");
		return false;
	}
	for (int i = 0; i < 2 && d->raw_event[i]; i++) {
		int a = kbtf_tp_shape(btf, d->raw_event[i], d->raw_shape[i], why, sizeof(why));

		if (a < 0) {
			snprintf(s->raw_why, sizeof(s->raw_why), "%s", why);
			return false;
		}
		if (i == 0)
			alt = a;
	}
	if (trial_raw_tp(why, sizeof(why)) < 0) {
		snprintf(s->raw_why, sizeof(s->raw_why), "%s", why);
		return false;
	}
	s->raw = true;
	s->raw_variant = alt;
	snprintf(s->raw_why, sizeof(s->raw_why), "ok");
	return true;
}

static void try_tp(struct probe_status *s, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;
	char why[160];

	s->tried[MECH_TRACEPOINT] = true;
	if (try_raw(s, btf)) {
		s->ok[MECH_TRACEPOINT] = true;
		snprintf(s->why[MECH_TRACEPOINT], sizeof(s->why[0]), "ok (raw: arguments checked against BTF)");
		return;
	}
	if (!has_progs(d->tp)) {
		/* a raw program only: no perf-event twin to fall back to */
		snprintf(why, sizeof(why), "%s", s->raw_why);
		snprintf(s->why[MECH_TRACEPOINT], sizeof(s->why[0]), "not raw: %.140s", why);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (d->tp_event[i] && trial_tracepoint(d->tp_event[i], why, sizeof(why)) < 0) {
			snprintf(s->why[MECH_TRACEPOINT], sizeof(s->why[0]), "%s", why);
			return;
		}
	}
	s->ok[MECH_TRACEPOINT] = true;
	snprintf(why, sizeof(why), "%s", s->raw_why);
	snprintf(s->why[MECH_TRACEPOINT], sizeof(s->why[0]), "ok (perf event; not raw: %.100s)", why);
}

static void choose_one(struct probe_status *s, enum backend b);

/* Every mechanism the backend allows for row s, and the choice. */
static void try_row(struct probe_status *s, enum backend b, const struct kbtf *btf)
{
	const struct probe_def *d = s->def;

	s->ret_idx = d->func && btf ? kbtf_func_ret_index(btf, d->func) : -1;
	if (d->func && b != BACKEND_TRACEPOINT) {
		try_fentry(s, btf);
		try_kprobe(s, btf);
	}
	if (has_progs(d->tp) || has_progs(d->raw))
		try_tp(s, btf);
}

static void choose_one(struct probe_status *s, enum backend b)
{
	const struct probe_def *d = s->def;
	/* The forced mechanism first, then the normal order for what is left. */
	enum mech order[4] = { MECH_FENTRY, MECH_KPROBE, MECH_TRACEPOINT, MECH_NONE };
	enum mech want = b == BACKEND_FENTRY ? MECH_FENTRY
		       : b == BACKEND_KPROBE ? MECH_KPROBE
		       : b == BACKEND_TRACEPOINT ? MECH_TRACEPOINT : MECH_NONE;

	if (want == MECH_KPROBE) {
		order[0] = MECH_KPROBE;
		order[1] = MECH_FENTRY;
	} else if (want == MECH_TRACEPOINT) {
		order[0] = MECH_TRACEPOINT;
		order[1] = order[2] = MECH_NONE;
	}
	s->chosen = MECH_NONE;
	for (int i = 0; i < 3 && order[i] != MECH_NONE; i++) {
		if (s->ok[order[i]]) {
			s->chosen = order[i];
			break;
		}
	}
	if (!d->func)
		return;
	s->unprobeable = s->chosen == MECH_NONE;
	if (s->chosen == MECH_NONE)
		snprintf(s->note, sizeof(s->note),
			 "%s: not probeable here (fentry: %s; kprobe: %s); %s",
			 d->name, s->why[MECH_FENTRY], s->why[MECH_KPROBE],
			 d->stand_in ? d->stand_in : "pagemap sampling stands in");
	else if (want != MECH_NONE && s->chosen != want)
		snprintf(s->note, sizeof(s->note), "%s: %s unavailable (%s); using %s", d->name,
			 mech_name(want), s->why[want], mech_name(s->chosen));
	else if (want == MECH_NONE && s->chosen == MECH_TRACEPOINT &&
		 strstr(s->why[MECH_FENTRY], "not in the kernel's BTF"))
		/* Missing, not refused: worth saying once, the events differ. */
		snprintf(s->note, sizeof(s->note), "%s: %s; using tracepoint %s", d->name,
			 s->why[MECH_FENTRY], d->tp_event[0]);
}

/* Rows with the same name are variants of one probe, one per kernel
 * shape of its function (split_huge_pmd_locked or __split_huge_pmd): the
 * first whose trial passed serves, the later ones are not even tried.
 * The earlier row of the same name that can serve, or NULL. */
static const struct probe_status *variant_serving(const struct probe_set *ps, size_t upto)
{
	for (size_t i = 0; i < upto; i++) {
		const struct probe_status *e = &ps->p[i];

		if (strcmp(e->def->name, defs[upto].name) == 0 &&
		    (e->ok[MECH_FENTRY] || e->ok[MECH_KPROBE] || e->ok[MECH_TRACEPOINT]))
			return e;
	}
	return NULL;
}

/* One note per probe: where a variant serves, the others' notes go; where
 * none does, only the first variant's note stays (naming its function; a
 * tracepoint-only row has none: fault's handle_mm_fault row says it). */
static void variants_settle(struct probe_set *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct probe_status *s = &ps->p[i];
		bool served = false, first = true;

		for (size_t j = 0; j < ps->n; j++) {
			if (j == i || strcmp(ps->p[j].def->name, s->def->name) != 0)
				continue;
			served |= ps->p[j].chosen != MECH_NONE;
			first &= j > i || !ps->p[j].note[0];
		}
		if (s->serving || (s->chosen == MECH_NONE && (served || !first)))
			s->note[0] = '\0';
	}
}

int probes_choose(struct probe_set *ps, enum backend b, struct kbtf *btf,
		  char *err, size_t errlen)
{
	bool want_fentry = b == BACKEND_FENTRY, want_kprobe = b == BACKEND_KPROBE;
	bool any_fentry = false, any_kprobe = false;

	memset(ps, 0, sizeof(*ps));
	ps->backend = b;
	if (tracefs_ensure(err, errlen) < 0)
		return -1;
	if (btf) {
		const char *funcs[PROBES_MAX];
		size_t nf = 0;

		/* once each: kbtf_prefetch() takes 16 at most */
		for (size_t i = 0; i < NDEFS; i++) {
			size_t k = 0;

			while (defs[i].func && k < nf && strcmp(funcs[k], defs[i].func) != 0)
				k++;
			if (defs[i].func && k == nf)
				funcs[nf++] = defs[i].func;
		}
		kbtf_prefetch(btf, BTF_KIND_FUNC, funcs, nf);
	}
	for (size_t i = 0; i < NDEFS; i++) {
		struct probe_status *s = &ps->p[ps->n++];
		const struct probe_status *serving = variant_serving(ps, s - ps->p);

		s->def = &defs[i];
		for (int m = 0; m < MECH_MAX; m++)
			snprintf(s->why[m], sizeof(s->why[m]), "not offered");
		if (serving) {
			/* an earlier variant of this probe attaches: not tried
			 * (named by its function, or its tracepoint: fault) */
			s->serving = serving->def->func ? serving->def->func : serving->def->tp_event[0];
			continue;
		}
		try_row(s, b, btf);
		any_fentry |= s->ok[MECH_FENTRY];
		any_kprobe |= s->ok[MECH_KPROBE];
	}
	if (want_fentry && !any_fentry) {
		snprintf(err, errlen, "--backend fentry: no fentry program can attach on this kernel (%s)",
			 ps->p[0].why[MECH_FENTRY]);
		return -1;
	}
	if (want_kprobe && !any_kprobe) {
		snprintf(err, errlen, "--backend kprobe: no kprobe can attach on this kernel (%s)",
			 ps->p[0].why[MECH_KPROBE]);
		return -1;
	}
	for (size_t i = 0; i < ps->n; i++)
		choose_one(&ps->p[i], b);
	variants_settle(ps);
	return 0;
}

static const char *const *progs_of(const struct probe_status *s, enum mech m)
{
	const struct probe_def *d = s->def;

	switch (m) {
	case MECH_FENTRY: return d->fentry;
	case MECH_KPROBE: return d->kprobe;
	case MECH_TRACEPOINT: return s->raw ? d->raw : d->tp;
	default: return NULL;
	}
}

int probes_apply(const struct probe_set *ps, struct bpf_object *obj, struct probe_consts *c)
{
	memset(c, 0, sizeof(*c));
	c->cf_addr_arg = 3;	/* the BPF object's own default */
	/* unknown only where no fexit trial ran, and then no fexit is chosen */
	c->have_func_ret = trial_func_ret() != 0;
	for (int k = 0; k < RET_SLOTS; k++)
		c->ret_idx[k] = -1;
	for (size_t i = 0; i < ps->n; i++) {
		const struct probe_status *s = &ps->p[i];
		const char *const *progs = progs_of(s, s->chosen);

		for (int j = 0; progs && j < 2; j++) {
			struct bpf_program *p;

			if (!progs[j])
				continue;
			p = bpf_object__find_program_by_name(obj, progs[j]);
			if (!p) {
				errno = ENOENT;
				return -1;
			}
			bpf_program__set_autoload(p, true);
		}
		if ((s->chosen == MECH_FENTRY || s->chosen == MECH_KPROBE) && s->def->ret_slot &&
		    s->ret_idx >= 0)
			c->ret_idx[s->def->ret_slot] = s->ret_idx;
		/* What the row says its tracepoint programs need. */
		if (s->chosen != MECH_TRACEPOINT)
			continue;
		if (s->def->tp_needs_fault_addr)
			c->want_fault_addr = true;
		if (s->raw && (unsigned)s->raw_variant < RAW_SHAPE_ALTS &&
		    s->def->raw_cf_addr_arg[s->raw_variant])
			c->cf_addr_arg = s->def->raw_cf_addr_arg[s->raw_variant];
	}
	return 0;
}

void probes_attach(struct probe_set *ps, struct bpf_object *obj, FILE *warn)
{
	for (size_t i = 0; i < ps->n; i++) {
		struct probe_status *s = &ps->p[i];
		const char *const *progs = progs_of(s, s->chosen);

		for (int j = 0; progs && j < 2; j++) {
			struct bpf_program *p;
			struct bpf_link *l;

			if (!progs[j])
				continue;
			p = bpf_object__find_program_by_name(obj, progs[j]);
			l = p ? bpf_program__attach(p) : NULL;
			if (!l) {
				int e = errno;

				fprintf(warn, "thptrace: failed to attach %s for %s: %s; continuing without it\n",
					progs[j], s->def->name, strerror(e));
				for (int k = 0; k < 2; k++) {
					bpf_link__destroy(s->links[k]);
					s->links[k] = NULL;
				}
				snprintf(s->note, sizeof(s->note), "%s: attach failed (%s)", s->def->name,
					 strerror(e));
				s->chosen = MECH_NONE;
				break;
			}
			s->links[j] = l;
		}
	}
}

void probes_detach(struct probe_set *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		for (int k = 0; k < 2; k++) {
			bpf_link__destroy(ps->p[i].links[k]);
			ps->p[i].links[k] = NULL;
		}
}

enum mech probes_mech_of(const struct probe_set *ps, const char *name)
{
	/* the variant that serves, if any */
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].def->name, name) == 0 && ps->p[i].chosen != MECH_NONE)
			return ps->p[i].chosen;
	return MECH_NONE;
}

int probes_have_func_ret(const struct probe_set *ps, const struct kbtf *btf)
{
	char why[160];

	/* not asked yet: an fexit trial on a function whose fentry loads */
	for (size_t i = 0; trial_func_ret() < 0 && btf && i < ps->n; i++)
		if (ps->p[i].ok[MECH_FENTRY] && ps->p[i].def->func)
			trial_tracing(kbtf_func_id(btf, ps->p[i].def->func), BPF_TRACE_FEXIT, -1, true,
				      why, sizeof(why));
	return trial_func_ret();
}

/* ---- a program the real load refused ---- */

static bool names(const char *const p[2], const char *prog)
{
	return (p[0] && strcmp(p[0], prog) == 0) || (p[1] && strcmp(p[1], prog) == 0);
}

bool probes_drop_program(struct probe_set *ps, const struct kbtf *btf, const char *prog,
			 const char *why, char *line, size_t n)
{
	struct probe_status *s = NULL;
	enum mech was;
	char reason[160];

	for (size_t i = 0; i < ps->n && !s; i++)
		if (ps->p[i].chosen != MECH_NONE && names(progs_of(&ps->p[i], ps->p[i].chosen), prog))
			s = &ps->p[i];
	if (!s)
		return false;
	was = s->chosen;
	s->refused = true;
	snprintf(reason, sizeof(reason), "program %s refused at load: %.100s", prog, why);
	if (was == MECH_TRACEPOINT && s->raw && has_progs(s->def->tp)) {
		/* the same tracepoints by perf event, if the kernel has them */
		char tw[160] = "ok";

		s->raw = false;
		snprintf(s->raw_why, sizeof(s->raw_why), "%s", reason);
		for (int i = 0; i < 2 && s->def->tp_event[i]; i++)
			if (trial_tracepoint(s->def->tp_event[i], tw, sizeof(tw)) < 0)
				break;
		if (strcmp(tw, "ok") == 0) {
			snprintf(line, n, "%s: raw tracepoint %s; using the perf-event tracepoint",
				 s->def->name, reason);
			snprintf(s->note, sizeof(s->note), "%s", line);
			return true;
		}
	}
	s->ok[was] = false;
	snprintf(s->why[was], sizeof(s->why[was]), "%s", reason);
	choose_one(s, ps->backend);
	/* nothing else for this row: a later variant row, not tried yet, may serve */
	for (size_t i = (size_t)(s - ps->p) + 1; s->chosen == MECH_NONE && i < ps->n; i++) {
		struct probe_status *v = &ps->p[i];

		if (strcmp(v->def->name, s->def->name) != 0 || !v->serving)
			continue;
		v->serving = NULL;
		try_row(v, ps->backend, btf);
		choose_one(v, ps->backend);
		v->note[0] = '\0';
		if (v->chosen != MECH_NONE) {
			snprintf(line, n, "%s: %s %s; using %s (variant %s)", s->def->name,
				 mech_name(was), reason, mech_name(v->chosen), v->def->func);
			s->note[0] = '\0';
			snprintf(v->note, sizeof(v->note), "%s", line);
			return true;
		}
	}
	if (s->chosen != MECH_NONE)
		snprintf(line, n, "%s: %s %s; using %s", s->def->name, mech_name(was), reason,
			 mech_name(s->chosen));
	else
		snprintf(line, n, "%s: %s %s; not traced%s%s", s->def->name, mech_name(was), reason,
			 s->def->func ? ": " : "",
			 s->def->func ? (s->def->stand_in ? s->def->stand_in : "pagemap sampling stands in") : "");
	snprintf(s->note, sizeof(s->note), "%s", line);
	s->unprobeable = false;
	return true;
}
