/* What the attach policy chose, for people and programs: the names of
 * backends and mechanisms, the --list-probes table (also doctor's), its
 * JSON Lines twin, and the one-line notes a run starts with. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "probe/probe_def.h"
#include "probe/probes.h"
#include "sinks/jsonw.h"

const char *backend_name(enum backend b)
{
	static const char *const n[] = { "auto", "fentry", "kprobe", "tracepoint" };

	return (unsigned)b < 4 ? n[b] : "?";
}

int backend_from_name(const char *s)
{
	for (int b = BACKEND_AUTO; b <= BACKEND_TRACEPOINT; b++)
		if (strcmp(s, backend_name(b)) == 0)
			return b;
	return -1;
}

const char *mech_name(enum mech m)
{
	static const char *const n[] = { "none", "fentry", "kprobe", "tracepoint" };

	return (unsigned)m < MECH_MAX ? n[m] : "?";
}

static const char *mech_label(enum mech m)
{
	switch (m) {
	case MECH_FENTRY: return "fentry/fexit";
	case MECH_KPROBE: return "kprobe/kretprobe";
	case MECH_TRACEPOINT: return "tracepoint";
	default: return "none";
	}
}

/* The other variant row of the same probe that attached, or NULL. */
static const struct probe_status *variant_chosen(const struct probe_set *ps, const struct probe_status *s)
{
	for (size_t i = 0; i < ps->n; i++)
		if (&ps->p[i] != s && ps->p[i].chosen != MECH_NONE &&
		    strcmp(ps->p[i].def->name, s->def->name) == 0)
			return &ps->p[i];
	return NULL;
}

/* Does another row serve the same probe (one per kernel shape)? */
static bool has_variants(const struct probe_set *ps, const struct probe_status *s)
{
	for (size_t i = 0; i < ps->n; i++)
		if (&ps->p[i] != s && strcmp(ps->p[i].def->name, s->def->name) == 0)
			return true;
	return false;
}

/* "func" or, where variants share the function, "func(params, ...)". */
static const char *variant_label(const struct probe_def *d, const char *other_func, char *buf,
				 size_t n)
{
	size_t len;

	if (!other_func || !d->func || strcmp(other_func, d->func) != 0)
		return d->func ? d->func : d->tp_event[0];	/* fault's first row: a tracepoint */
	len = (size_t)snprintf(buf, n, "%s(", d->func);
	for (int k = 0; k < PROBE_PARAMS_MAX && d->params[k] && len < n; k++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", k ? ", " : "", d->params[k]);
	if (len < n)
		snprintf(buf + len, n - len, ", ...)");
	return buf;
}

void probes_print(const struct probe_set *ps, FILE *out)
{
	char lb[128];

	fprintf(out, "probes on this kernel (backend %s):\n", backend_name(ps->backend));
	for (size_t i = 0; i < ps->n; i++) {
		const struct probe_status *s = &ps->p[i], *other;
		const struct probe_def *d = s->def;

		if (s->serving) {
			fprintf(out, "%-20s variant %s not tried: %s serves\n", d->name,
				variant_label(d, s->serving, lb, sizeof(lb)), s->serving);
			continue;
		}
		if (s->chosen == MECH_NONE && (other = variant_chosen(ps, s))) {
			fprintf(out, "%-20s variant %s not usable here; %s serves\n", d->name,
				variant_label(d, other->def->func, lb, sizeof(lb)), other->def->func);
			for (int m = MECH_FENTRY; m < MECH_TRACEPOINT; m++)
				if (s->tried[m])
					fprintf(out, "    %-17s %s\n", m == MECH_FENTRY ? "fentry/fexit:"
						: "kprobe/kretprobe:", s->why[m]);
			continue;
		}
		fprintf(out, "%-20s uses %s", d->name, mech_label(s->chosen));
		if (d->func && has_variants(ps, s)) {
			fprintf(out, " (variant %s(", d->func);
			for (int k = 0; k < PROBE_PARAMS_MAX && d->params[k]; k++)
				fprintf(out, "%s%s", k ? ", " : "", d->params[k]);
			fprintf(out, "%s))", d->params[0] ? ", ..." : "...");
		}
		if (s->chosen == MECH_TRACEPOINT && s->raw)
			fprintf(out, " %s%s%s, raw", d->raw_event[0], d->raw_event[1] ? " + " : "",
				d->raw_event[1] ? d->raw_event[1] : "");
		else if (s->chosen == MECH_TRACEPOINT)
			fprintf(out, " %s%s%s", d->tp_event[0], d->tp_event[1] ? " + " : "",
				d->tp_event[1] ? d->tp_event[1] : "");
		if (s->chosen == MECH_NONE && d->func)
			fprintf(out, " (%s)", d->stand_in ? d->stand_in : "pagemap sampling stands in");
		fputc('\n', out);
		for (int m = MECH_FENTRY; m < MECH_MAX; m++) {
			if (!s->tried[m] && !(d->func && m != MECH_TRACEPOINT))
				continue;
			if (m == MECH_TRACEPOINT && !has_progs(d->tp) && !has_progs(d->raw))
				fprintf(out, "    %-17s none stands for it\n", "tracepoint:");
			else
				fprintf(out, "    %-17s %s\n",
					m == MECH_FENTRY ? "fentry/fexit:" : m == MECH_KPROBE ?
					"kprobe/kretprobe:" : "tracepoint:", s->why[m]);
		}
	}
}

void probes_print_json(const struct probe_set *ps, FILE *out)
{
	char buf[2048];
	struct jsonw w;

	for (size_t i = 0; i < ps->n; i++) {
		const struct probe_status *s = &ps->p[i];

		jsonw_init(&w, buf, sizeof(buf));
		jsonw_begin(&w);
		jsonw_event(&w, "probe", NULL);
		jsonw_str(&w, "probe", s->def->name);
		jsonw_str(&w, "backend", backend_name(ps->backend));
		jsonw_str(&w, "mechanism", mech_name(s->chosen));
		if (s->serving)
			jsonw_str(&w, "served_by", s->serving);
		if (s->def->func)
			jsonw_str(&w, "function", s->def->func);
		for (int m = MECH_FENTRY; m < MECH_MAX; m++)
			if (s->tried[m])
				jsonw_str(&w, mech_name(m), s->why[m]);
		if (s->chosen == MECH_TRACEPOINT)
			jsonw_str(&w, "tracepoint_kind", s->raw ? "raw" : "perf_event");
		if (s->note[0])
			jsonw_str(&w, "note", s->note);
		jsonw_end(&w);
		if (!w.overflow)
			fprintf(out, "%s\n", buf);
	}
}

/* Two probes not probeable for the same reasons, standing in alike. */
static bool same_absence(const struct probe_status *a, const struct probe_status *b)
{
	const char *sa = a->def->stand_in ? a->def->stand_in : "", *sb = b->def->stand_in ? b->def->stand_in : "";

	return a->unprobeable && b->unprobeable && a->note[0] && b->note[0] &&
	       strcmp(a->why[MECH_FENTRY], b->why[MECH_FENTRY]) == 0 &&
	       strcmp(a->why[MECH_KPROBE], b->why[MECH_KPROBE]) == 0 && strcmp(sa, sb) == 0;
}

/* One line per note; probes missing for the same reasons (on a kernel
 * without kprobes that refuses fentry: all of them) share one line. */
void probes_print_notes(const struct probe_set *ps, FILE *out)
{
	for (size_t i = 0; i < ps->n; i++) {
		const struct probe_status *s = &ps->p[i];
		size_t alike = 0;
		bool said = false;

		if (!s->note[0])
			continue;
		for (size_t j = 0; j < ps->n; j++) {
			said |= j < i && same_absence(&ps->p[j], s);
			alike += j != i && same_absence(&ps->p[j], s);
		}
		if (said)
			continue;
		if (!alike) {
			fprintf(out, "thptrace: %s\n", s->note);
			continue;
		}
		fprintf(out, "thptrace: %s", s->def->name);
		for (size_t j = i + 1; j < ps->n; j++)
			if (same_absence(&ps->p[j], s))
				fprintf(out, ", %s", ps->p[j].def->name);
		fprintf(out, ": not probeable here (fentry: %s; kprobe: %s); %s\n", s->why[MECH_FENTRY],
			s->why[MECH_KPROBE], s->def->stand_in ? s->def->stand_in : "pagemap sampling stands in");
	}
}
