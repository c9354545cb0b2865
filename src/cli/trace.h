/* A live trace: load, attach, run the target, stream events, report.
 * The trace command's interface: trace_run() is trace.c's, --list-probes
 * trace_setup.c's, the preflight preflight.c's (tracer.h: who owns what). */
#ifndef THP_TRACE_H
#define THP_TRACE_H

#include <stdbool.h>
#include <sys/types.h>
#include "probe/probes.h"
#include "host/target.h"

struct trace_opts {
	enum backend backend;
	bool json;
	bool verbose;
	bool all;			/* -a */
	bool all_faults;		/* text: every fault line, no folding */
	bool by_region;			/* --by region: text and SVG per region, not per mapping */
	unsigned expect;		/* --expect: the allowed verdicts, a bit each; 0: none given */
	pid_t pid;			/* -p */
	char **cmd;			/* -- CMD ARGS */
	const char *user;		/* -u */
	const char *out_path;		/* -o */
	const char *svg_path;		/* --svg */
	double duration;		/* --duration, 0 = until the target ends */
	double resnapshot;		/* -p, -a: --resnapshot seconds, 0 = only at the start */
	bool no_snapshot;		/* -p, -a: --no-snapshot */
	enum fault_rec { FAULTS_DEFAULT, FAULTS_THP, FAULTS_ALL } faults;	/* --faults */
	struct range_spec ranges;
};

/* --faults: record only the faults inside regions that matter for THP?
 * By default with -a and -p, not with -- CMD.  In THP mode always too:
 * there a region matters once a fault tried a huge page in it (the BPF
 * side learns it from do_huge_pmd_anonymous_page and the 2 MiB
 * allocation, bpf/relevance.bpf.h). */
bool trace_fault_filter(const struct trace_opts *o);

/* Returns the process exit code (the command's status when one ran). */
int trace_run(const struct trace_opts *o);

/* --list-probes (trace_setup.c) */
int trace_list_probes(const struct trace_opts *o);

/* Shared preflight for trace, --list-probes and doctor (preflight.c):
 * root/capabilities, BTF, which starts loading in the background.  Returns
 * 0 or an EXIT_* code after printing one line. */
struct kbtf_job;
struct kbtf;
int trace_preflight(struct kbtf_job *btf);
/* The BTF trace_preflight() started loading (the caller's to free), or an
 * EXIT_* code after one line. */
int preflight_btf(struct kbtf_job *job, struct kbtf **btf);

#endif
