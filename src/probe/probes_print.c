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

/* Does another row serve the same probe (one per kernel shape)? */
static bool has_variants(const struct probe_set *ps, const struct probe_status *s)
{
	for (size_t i = 0; i < ps->n; i++)
		if (&ps->p[i] != s && strcmp(ps->p[i].def->name, s->def->name) == 0)
			return true;
	return false;
}

void probes_print(const struct probe_set *ps, FILE *out)
{
	fprintf(out, "probes on this kernel (backend %s):\n", backend_name(ps->backend));
	for (size_t i = 0; i < ps->n; i++) {
		const struct probe_status *s = &ps->p[i];
		const struct probe_def *d = s->def;

		if (s->serving) {
			fprintf(out, "%-20s variant %s not tried: %s serves\n", d->name, d->func, s->serving);
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
		jsonw_str(&w, "event", "probe");
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

void probes_print_notes(const struct probe_set *ps, FILE *out)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].note[0])
			fprintf(out, "thptrace: %s\n", ps->p[i].note);
}
