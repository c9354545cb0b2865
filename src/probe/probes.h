/* The probe table and the attach policy: for every probe, which mechanism
 * (fentry/fexit, kprobe/kretprobe, tracepoint) really loads and attaches on
 * this kernel, found by trying, and why the others did not.
 *
 * probes.c holds the table (one block per probe; the row's fields are in
 * probe_def.h) and the policy, probe_trials.c the trial loads and tracefs,
 * probes_print.c the names and the --list-probes output. */
#ifndef THP_PROBES_H
#define THP_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kbtf;
struct bpf_object;
struct bpf_link;

enum backend { BACKEND_AUTO = 0, BACKEND_FENTRY, BACKEND_KPROBE, BACKEND_TRACEPOINT };
enum mech { MECH_NONE = 0, MECH_FENTRY, MECH_KPROBE, MECH_TRACEPOINT, MECH_MAX };

struct probe_def;

/* The .rodata constants that hold a return value's context slot. */
enum ret_slot { RET_NONE = 0, RET_COLLAPSE, RET_SET_PMD, RET_MAP_PAGES, RET_MIGRATE, RET_SCAN_PMD,
		RET_COLLAPSE_HP, RET_HUGE_FAULT, RET_SLOTS };

struct probe_status {
	const struct probe_def *def;
	enum mech chosen;
	bool tried[MECH_MAX];
	bool ok[MECH_MAX];		/* the trial loaded and attached */
	char why[MECH_MAX][160];	/* per mechanism: "ok" or why not */
	char note[400];			/* fallback or absence, said once */
	bool unprobeable;		/* the note is "not probeable here": said with the others alike */
	bool raw;			/* tracepoint by a raw program */
	int raw_variant;		/* which kbtf_tp_shape() alternative matched */
	char raw_why[160];		/* "ok" or why not raw */
	const char *serving;		/* a variant row not tried: the function that serves */
	int ret_idx;			/* kbtf_func_ret_index() of the function, -1 unknown */
	bool refused;			/* its chosen programs failed the real load once */
	struct bpf_link *links[2];
};

#define PROBES_MAX 32

struct probe_set {
	enum backend backend;
	size_t n;
	struct probe_status p[PROBES_MAX];
};

const char *backend_name(enum backend b);
int backend_from_name(const char *s);	/* -1 if unknown */
const char *mech_name(enum mech m);

/* Try every mechanism the backend allows for every probe and choose.
 * Returns 0, or -1 with a one-line reason in err when the forced backend
 * cannot load anywhere. */
int probes_choose(struct probe_set *ps, enum backend b, struct kbtf *btf,
		  char *err, size_t errlen);

/* What the chosen programs need set in .rodata before load. */
struct probe_consts {
	bool want_fault_addr;		/* map_pages by tracepoint: faults carry the address */
	unsigned cf_addr_arg;		/* raw collapse_file: addr's argument index */
	bool have_func_ret;		/* fexit: bpf_get_func_ret() (5.17+) */
	int ret_idx[RET_SLOTS];		/* fexit: the return value's slot; -1: the default */
};

/* Before load: enable exactly the chosen programs. */
int probes_apply(const struct probe_set *ps, struct bpf_object *obj, struct probe_consts *c);

/* The real load refused program prog (why: the kernel's or libbpf's
 * reason): the probe it serves gives up that mechanism and takes the next
 * one the policy allows (a perf-event tracepoint after a raw one, a later
 * variant row), trying it first where it was not tried yet.  line gets the
 * one line to say so; the probe's note is the same.  false when prog is
 * not one of the chosen programs (nothing to fall back from). */
bool probes_drop_program(struct probe_set *ps, const struct kbtf *btf, const char *prog,
			 const char *why, char *line, size_t n);

/* After load: attach each chosen program; a probe whose attach fails is
 * reported on warn and dropped, never stopping the others. */
void probes_attach(struct probe_set *ps, struct bpf_object *obj, FILE *warn);
void probes_detach(struct probe_set *ps);

/* The human table (--list-probes, doctor) and its JSON Lines twin. */
void probes_print(const struct probe_set *ps, FILE *out);
void probes_print_json(const struct probe_set *ps, FILE *out);

/* One line per probe that fell back or is missing, for the run's start. */
void probes_print_notes(const struct probe_set *ps, FILE *out);

/* After probes_choose(): has the kernel bpf_get_func_ret() (5.17+)?  1
 * yes, 0 no, -1 not known (fentry loads nowhere here).  Where no fexit
 * trial has asked yet (no chosen fexit program reads a result), one more
 * trial asks (doctor). */
int probes_have_func_ret(const struct probe_set *ps, const struct kbtf *btf);

/* Was probe `name` attached, and by what? */
enum mech probes_mech_of(const struct probe_set *ps, const char *name);

/* Mount tracefs at /sys/kernel/tracing if no tracefs is reachable.
 * Returns 0, or -1 with a reason in err. */
int tracefs_ensure(char *err, size_t errlen);

#endif
