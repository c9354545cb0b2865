/* A live trace, start to end:
 *   preflight -> choose probes -> open, set rodata, load -> spawn held / check
 *   PID -> attach -> release -> loop { ring buffer -> decode -> regions ->
 *   output; pagemap samples } -> drain -> verdicts -> summary.
 *
 * The ring buffer wakes us only past a backlog; a 10 ms epoll timeout (50 ms
 * while idle) drains it otherwise, which keeps the cost per event low and
 * the delay bounded.
 * A spawned target stays ptraced with PTRACE_O_TRACEEXIT so that its last
 * page state can be read before its mm goes away. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe/btf_names.h"
#include "util/config.h"
#include "input/decode.h"
#include "host/page_state.h"
#include "probe/probes.h"
#include "host/procmaps.h"
#include "model/regions.h"
#include "host/sysinfo.h"
#include "pipeline/pipeline.h"
#include "cli/trace.h"
#include "cli/tracer.h"
#include "thptrace.skel.h"

/* How long CMD may take to end after thptrace passed it a stop signal. */
#define GRACE_NS (5 * 1000000000ull)

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t stop_from_tty;	/* the terminal sent it to CMD too */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* A second one means "now": exiting closes every BPF link, and the
	 * kernel lets a ptraced command go. */
	if (stop_signal)
		_exit(128 + sig);
	stop_from_tty = si && si->si_code == SI_KERNEL;
	stop_signal = sig;
}

static const char *signal_label(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP"
									: "signal";
}

uint64_t tracer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int libbpf_quiet(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	(void)lvl;
	(void)fmt;
	(void)ap;
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	(void)lvl;
	return vfprintf(stderr, fmt, ap);
}

#define SCAN_NAMES_MAX 64

static char scan_names[SCAN_NAMES_MAX][48];

static const char *result_name(void *ctx, int v)
{
	(void)ctx;
	return v >= 0 && v < SCAN_NAMES_MAX && scan_names[v][0] ? scan_names[v] : NULL;
}

/* ---- events ---- */

/* A region seen for the first time: its backing file's facts, from /proc,
 * go through the pipeline as an event of their own (JSON keeps them for
 * `report`). */
static void region_file_facts(struct tracer *tr, const struct region *r, const struct thp_event *by)
{
	struct thp_event fe = { .kind = EV_REGION_FILE, .ts_ns = by->ts_ns, .t = by->t,
				.mm_id = r->mm_id, .target_pid = r->pid, .region = r->start };

	sysinfo_region_file(r->pid, r->start, &fe.finfo, fe.file, sizeof(fe.file));
	if (r->file[0])
		snprintf(fe.file, sizeof(fe.file), "%s", r->file);
	pipeline_event(&tr->pl, &fe);
}

static void emit(struct tracer *tr, struct thp_event *ev)
{
	const struct region *r = pipeline_event(&tr->pl, ev);

	if (r && !r->have_finfo && r->pid) {
		region_file_facts(tr, r, ev);
		r = regions_find(&tr->pl.rs, r->mm_id, r->start);
	}
	/* Sample once per drain, after the drain's events: a state read between
	 * two of them would put a later time before an earlier event. */
	if (r && ev->kind != EV_STATE && ev->kind != EV_EXIT)
		states_mark_dirty(tr, r);
}

static void update_ranges(struct tracer *tr, pid_t pid, char *err, size_t n);

/* The target's mapping that holds addr; false if none.  The last maps read
 * is kept: a process that exits before its events are drained (-p gives no
 * exit stop) is still described by what it had mapped. */
static bool mapping_of(struct tracer *tr, pid_t pid, uint64_t addr, struct map_entry *out)
{
	struct map_list maps = { 0 };
	const struct map_entry *m;

	/* One read per drain: a madvise storm must not cost a read per call. */
	if (!tr->maps_fresh || pid != tr->maps_pid) {
		if (procmaps_read(pid, &maps) == 0) {
			map_list_free(&tr->maps);
			tr->maps = maps;
			tr->maps_pid = pid;
			tr->maps_fresh = true;
		} else if (pid != tr->maps_pid) {
			return false;
		}
	}
	m = map_list_find(&tr->maps, addr);
	if (m)
		*out = *m;
	return m != NULL;
}

static void name_madvise_file(struct tracer *tr, struct thp_event *ev)
{
	static struct map_entry m;

	if (mapping_of(tr, ev->target_pid, ev->addr, &m) && m.path[0] == '/') {
		snprintf(ev->file, sizeof(ev->file), "%.*s", (int)sizeof(ev->file) - 1, m.path);
		ev->fields |= EVF_FILE;
	}
}

/* The collapse tracepoint's address was garbage on kernels before a 2024
 * fix (swapped with is_shmem), and its index is where the scan stopped, not
 * where the range starts: both are checked against the target's mappings. */
static void fix_collapse_tp(struct tracer *tr, struct thp_event *ev)
{
	static struct map_entry m;

	if (ev->via != VIA_ID_TRACEPOINT || !(ev->fields & EVF_ADDR))
		return;
	if (!mapping_of(tr, ev->target_pid, ev->addr, &m)) {
		ev->fields &= ~EVF_ADDR;
		ev->addr = 0;
		return;
	}
	if (m.path[0] == '/')
		ev->pgoff = (m.offset + (ev->addr - m.start)) >> 12;
}

static void forget_target(struct tracer *tr, uint32_t tgid)
{
	uint64_t keys[16];
	size_t n;

	decoder_forget_tgid(&tr->dec, tgid, keys, &n, 16);
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(bpf_map__fd(tr->skel->maps.target_mms), &keys[i]);
}

static void process(struct tracer *tr, struct thp_event *ev)
{
	char err[256];

	switch (ev->kind) {
	case EV_MADVISE:
		name_madvise_file(tr, ev);
		break;
	case EV_COLLAPSE_FILE:
		fix_collapse_tp(tr, ev);
		break;
	case EV_EXEC:
		/* A new mm: pagemap must be opened again. */
		states_sampler_drop(tr, ev->tgid);
		tr->maps_fresh = false;
		if (tr->o->ranges.text || tr->o->ranges.file)
			update_ranges(tr, ev->tgid, err, sizeof(err));
		break;
	default:
		break;
	}
	emit(tr, ev);
	if (ev->kind == EV_EXIT) {
		states_proc_exited(tr, ev->tgid);
		forget_target(tr, ev->tgid);
		if (!tr->o->all && (pid_t)ev->tgid == tr->tgt.pid)
			tr->target_gone = true;
	}
}

static int by_time(const void *a, const void *b)
{
	const struct thp_event *x = a, *y = b;

	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

/* Records from different CPUs can reach the ring buffer slightly out of
 * order: sort each drain before anything sees it. */
void tracer_process_batch(struct tracer *tr)
{
	tr->maps_fresh = false;
	memcpy(tr->batch + tr->n_batch, tr->pending, tr->n_pending * sizeof(tr->pending[0]));
	tr->n_batch += tr->n_pending;
	tr->n_pending = 0;
	qsort(tr->batch, tr->n_batch, sizeof(tr->batch[0]), by_time);
	for (size_t i = 0; i < tr->n_batch; i++)
		process(tr, &tr->batch[i]);
	tr->n_batch = 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct tracer *tr = ctx;

	if (tr->n_batch == BATCH_MAX)
		tracer_process_batch(tr);
	if (decode_rec(&tr->dec, data, size, &tr->batch[tr->n_batch]) == 0)
		tr->n_batch++;
	return tr->pl.out.err ? -EPIPE : 0;
}

static void check_lost(struct tracer *tr)
{
	uint64_t lost = tr->skel->bss->lost_records;
	struct thp_event *ev;
	uint64_t ts;

	if (lost == tr->lost_seen)
		return;
	if (tr->n_pending == PENDING_STATES)
		tracer_process_batch(tr);
	ts = tracer_now_ns();
	ev = &tr->pending[tr->n_pending++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = EV_LOST;
	ev->ts_ns = ts;
	ev->t = decoder_t(&tr->dec, ts);
	ev->count = lost - tr->lost_seen;
	tr->lost_seen = lost;
	tr->sum.lost = lost;
}

int tracer_drain(struct tracer *tr)
{
	int rc = ring_buffer__consume(tr->rb);

	tracer_process_batch(tr);
	states_sample_dirty(tr);
	check_lost(tr);
	return rc;
}

/* ---- ranges ---- */

static void apply_ranges(struct tracer *tr, const struct resolved_ranges *rr)
{
	int fd = bpf_map__fd(tr->skel->maps.target_files);
	__u32 one = 1;

	for (size_t i = 0; i < rr->n; i++) {
		tr->skel->bss->ranges[i].start = rr->r[i].start;
		tr->skel->bss->ranges[i].end = rr->r[i].end;
	}
	tr->skel->bss->nr_ranges = (__u32)rr->n;
	tr->skel->bss->range_filter = rr->filter;
	for (size_t i = 0; i < rr->n_files; i++)
		bpf_map_update_elem(fd, &rr->files[i], &one, BPF_ANY);
}

static void update_ranges(struct tracer *tr, pid_t pid, char *err, size_t n)
{
	struct resolved_ranges rr;

	if (target_resolve(pid, &tr->o->ranges, false, &rr, err, n) == 0)
		apply_ranges(tr, &rr);
}

int tracer_resolve_initial(struct tracer *tr, pid_t pid)
{
	struct resolved_ranges rr;
	struct map_entry m;
	char err[512];
	int rc;

	/* One fresh read serves both the maps cache and the ranges. */
	tr->maps_fresh = false;
	mapping_of(tr, pid, 0, &m);
	if (tr->maps_fresh && tr->maps_pid == pid)
		rc = target_resolve_in(&tr->maps, pid, &tr->o->ranges, true, &rr, err, sizeof(err));
	else
		rc = target_resolve(pid, &tr->o->ranges, true, &rr, err, sizeof(err));
	if (rc) {
		char why[256];

		/* /proc/PID/maps vanished: the process is gone, say that. */
		if (tr->o->pid && target_check_pid(pid, why, sizeof(why)))
			fprintf(stderr, "thptrace: -p %d exited while attaching\n", (int)pid);
		else
			fprintf(stderr, "thptrace: %s\n", err);
		return rc;
	}
	apply_ranges(tr, &rr);
	return 0;
}

/* ---- setup and teardown ---- */

static char out_buf[1 << 16];

static FILE *open_output(const char *path)
{
	FILE *f = path ? fopen(path, "we") : stdout;
	struct stat st;

	if (!f)
		return NULL;
	/* A pipe or terminal reader wants each line as it happens. */
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode))
		setvbuf(f, NULL, _IOLBF, 0);
	else
		/* glibc ignores the size without a buffer of ours: give it one. */
		setvbuf(f, out_buf, _IOFBF, sizeof(out_buf));
	return f;
}

/* Parse the BPF object while the BTF is still loading. */
static int open_bpf(struct tracer *tr, unsigned long rb_bytes)
{
	const struct trace_opts *o = tr->o;
	struct load_params lp = { .all = o->all, .self_tgid = (uint32_t)getpid(),
				  .rb_bytes = rb_bytes };
	char err[512];

	if (loader_open(&tr->ld, &lp, err, sizeof(err)) < 0) {
		fprintf(stderr, "thptrace: %s\n", err);
		return EXIT_BPF;
	}
	return 0;
}

static int setup_bpf(struct tracer *tr)
{
	const struct trace_opts *o = tr->o;
	char err[512];
	int rc;

	if ((rc = preflight_btf(&tr->btf_job, &tr->btf)))
		return rc;
	if (probes_choose(&tr->ps, o->backend, tr->btf, err, sizeof(err)) < 0) {
		fprintf(stderr, "thptrace: %s\n", err);
		return EXIT_BPF;
	}
	/* Keep the few names we need, and drop the BTF once loaded. */
	kbtf_scan_result_table(tr->btf, scan_names, SCAN_NAMES_MAX);
	rc = loader_load(&tr->ld, tr->btf, &tr->ps, err, sizeof(err));
	kbtf_free(tr->btf);
	tr->btf = NULL;
	if (rc < 0) {
		fprintf(stderr, "thptrace: %s%s\n", err,
			o->verbose || !strstr(err, "failed to load") ? "" :
			" (run with -v for the verifier's log)");
		return EXIT_BPF;
	}
	tr->skel = tr->ld.skel;
	return 0;
}

static void fill_summary_end(struct tracer *tr, const char *why)
{
	tr->sum.t = decoder_t(&tr->dec, tracer_now_ns());
	/* Its exit event came first: it is dying, reap it for the status (a
	 * leader whose other threads still run may take a while: not forever). */
	for (int i = 0; i < 200 && tr->tgt.spawned && !tr->tgt.exited && tr->target_gone &&
			!tr->ptraced; i++) {
		struct pollfd p = { .fd = tr->sigfd, .events = POLLIN };
		struct signalfd_siginfo si;
		int st;

		if (waitpid(tr->tgt.pid, &st, WNOHANG) == tr->tgt.pid) {
			child_ended(tr, st);
			break;
		}
		/* Woken by its SIGCHLD, not a fixed sleep: it is usually a
		 * fraction of a millisecond away. */
		if (poll(&p, 1, 10) > 0)
			while (read(tr->sigfd, &si, sizeof(si)) == sizeof(si))
				;
	}
	snprintf(tr->sum.stop_reason, sizeof(tr->sum.stop_reason), "%s", why);
	tr->sum.exit_status = tr->tgt.spawned && tr->tgt.exited ? tr->tgt.exit_status : -1;
	tr->sum.lost = tr->lost_seen;
}

/* A stop signal: with -p or -a, stop now.  A command thptrace started gets
 * the signal too, unless the terminal already sent it to both (Ctrl-C), and
 * is traced until it ends, for its final states and exit status, or until
 * GRACE_NS have passed.  A second signal exits at once (on_signal). */
static bool stop_requested(struct tracer *tr, uint64_t now, const char **why)
{
	if (!stop_signal)
		return false;
	if (!tr->grace_end) {
		*why = signal_label(stop_signal);
		if (!tr->tgt.spawned || tr->tgt.exited || !tr->cmd_running)
			return true;
		if (!stop_from_tty)
			kill(tr->tgt.pid, stop_signal);
		tr->grace_end = now + GRACE_NS;
	}
	return now >= tr->grace_end;
}

static int run_loop(struct tracer *tr)
{
	const struct trace_opts *o = tr->o;
	uint64_t deadline = o->duration > 0 ? tr->start_ns + (uint64_t)(o->duration * 1e9) : 0;
	uint64_t next_refresh = 0;
	struct epoll_event evs[4], e = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	const char *why = "target exited";
	int timeout = POLL_MS, records;

	if (ep < 0)
		return -errno;
	e.data.fd = ring_buffer__epoll_fd(tr->rb);
	epoll_ctl(ep, EPOLL_CTL_ADD, e.data.fd, &e);
	e.data.fd = tr->sigfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tr->sigfd, &e);
	for (;;) {
		int n = epoll_wait(ep, evs, 4, timeout);
		uint64_t now;

		if (n < 0 && errno != EINTR)
			break;
		child_handle(tr);
		records = tracer_drain(tr);
		/* Nothing to watch closely (no region waiting for its PMD, no
		 * record this turn): wake less often.  A wake-up costs about
		 * 0.1 ms of CPU here; a backlog past wake_bytes and the target's
		 * exit still wake us at once, and a lone record waits at most
		 * IDLE_POLL_MS, well inside the 100 ms promised for a pipe. */
		timeout = states_sample_pending(tr) || records > 0 ? POLL_MS : IDLE_POLL_MS;
		now = tracer_now_ns();
		if (deadline && deadline > now && deadline - now < (uint64_t)timeout * 1000000)
			timeout = (int)((deadline - now) / 1000000) + 1;
		if (tr->pl.out.err) {
			why = "output closed";
			break;
		}
		if (stop_requested(tr, now, &why))
			break;
		if (deadline && now >= deadline && !tr->grace_end) {
			why = "duration";
			break;
		}
		/* A spawned child is reaped by child_handle() alone: a stray
		 * waitpid() would swallow its ptrace stops. */
		if (!o->all && (tr->target_gone || (!tr->tgt.spawned && target_poll_exit(&tr->tgt))))
			break;
		if (o->ranges.file && !o->all && now >= next_refresh) {
			char err[256];

			/* A file may be mapped after start: look again twice a second. */
			update_ranges(tr, tr->tgt.pid, err, sizeof(err));
			next_refresh = now + 500000000ull;
		}
	}
	close(ep);
	tracer_drain(tr);
	/* Stopped early (signal, duration, output closed): the command runs on
	 * untraced, never left stopped. */
	child_detach(tr);
	tracer_process_batch(tr);	/* the last samples */
	fill_summary_end(tr, why);
	return 0;
}

/* The settings in force, as an event: at the start, and at the end with
 * what changed (khugepaged's full scans, the duration). */
static void context_event(struct tracer *tr, bool at_end)
{
	struct thp_event ev = { .kind = EV_CONTEXT, .ctx = &tr->ctx, .start_ns = tr->start_ns,
				.ctx_end = at_end };

	pipeline_event(&tr->pl, &ev);
}

static void finish(struct tracer *tr)
{
	char err[256];

	if (tr->pl.out.err)
		return;
	tr->ctx.full_scans_end = sysinfo_long(THP_SYSFS "/khugepaged/full_scans");
	tr->ctx.duration_s = tr->sum.t;
	context_event(tr, true);
	memcpy(tr->sum.counts, pipeline_counted(&tr->pl)->counts, sizeof(tr->sum.counts));
	if (pipeline_finish(&tr->pl, &tr->sum, err, sizeof(err)) < 0) {
		fprintf(stderr, "thptrace: %s\n", err);
		tr->svg_failed = true;
	}
	if (ferror(tr->pl.out.f) && !tr->pl.out.err)
		tr->pl.out.err = errno ? errno : EIO;
}

static void cleanup(struct tracer *tr)
{
	child_detach(tr);
	probes_detach(&tr->ps);
	ring_buffer__free(tr->rb);
	loader_close(&tr->ld);
	for (int i = 0; i < MAX_SAMPLERS; i++)
		page_sampler_close(tr->smp[i].s);
	pipeline_free(&tr->pl);
	map_list_free(&tr->maps);
	free(tr->batch);
	if (tr->outf && tr->outf != stdout)
		fclose(tr->outf);
	if (tr->sigfd >= 0)
		close(tr->sigfd);
	kbtf_free(tr->btf);
	kbtf_free(kbtf_load_wait(&tr->btf_job));	/* an early exit left it loading */
}

/* THPTRACE_RINGBUF_BYTES: the ring buffer's size (default 4 MiB), a power
 * of two of at least one page.  A test knob: small ones lose records. */
static int ringbuf_size(unsigned long *bytes)
{
	const char *v = config()->ringbuf_bytes;
	long page = sysconf(_SC_PAGESIZE);
	char *end;

	*bytes = 0;
	if (!v || !*v)
		return 0;
	errno = 0;
	*bytes = strtoul(v, &end, 0);
	if (errno || *end || *bytes < (unsigned long)page || (*bytes & (*bytes - 1)) ||
	    *bytes > (1ul << 30)) {
		fprintf(stderr, "thptrace: THPTRACE_RINGBUF_BYTES=%s: expected a power of two from"
			" %ld to 1073741824\n", v, page);
		return EXIT_USAGE;
	}
	return 0;
}

/* Find CMD as execvp would, so that a typo fails before any BPF is loaded.
 * Only a sure "not found" counts: the exec itself has the last word. */
static bool cmd_missing(const char *cmd)
{
	const char *path = getenv("PATH"), *p, *colon;
	char buf[4096];

	if (strchr(cmd, '/'))
		return access(cmd, F_OK) < 0 && errno == ENOENT;
	if (!*cmd)
		return true;
	for (p = path ? path : "/bin:/usr/bin"; ; p = colon + 1) {
		colon = strchrnul(p, ':');
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(colon - p), p, colon == p ? "" : "/",
			 cmd);
		if (access(buf, F_OK) == 0 || errno != ENOENT)
			return false;
		if (!*colon)
			return true;
	}
}

/* Output and the other descriptors must be sound before anything opens a
 * file: a closed 0/1/2 would be handed to the next open(). */
static int check_fds(const struct trace_opts *o)
{
	bool out_closed = fcntl(STDOUT_FILENO, F_GETFD) < 0;

	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);

			if (nfd >= 0 && nfd != fd) {
				dup2(nfd, fd);
				close(nfd);
			}
		}
	if (out_closed && !o->out_path) {
		fprintf(stderr, "thptrace: standard output is closed: give -o FILE\n");
		return EXIT_OUTPUT;
	}
	if (o->svg_path) {
		char dir[4096], *slash;

		snprintf(dir, sizeof(dir), "%s", o->svg_path);
		slash = strrchr(dir, '/');
		if (slash)
			slash == dir ? (void)(dir[1] = 0) : (void)(*slash = 0);
		else
			snprintf(dir, sizeof(dir), ".");
		if (access(dir, W_OK | X_OK) < 0) {
			fprintf(stderr, "thptrace: cannot write '%s': %s\n", o->svg_path,
				strerror(errno));
			return EXIT_OUTPUT;
		}
	}
	return 0;
}

/* The exit status once the trace ran (see --help, "Exit status"). */
static int run_status(struct tracer *tr)
{
	if (tr->pl.out.err && tr->pl.out.err != EPIPE) {
		fprintf(stderr, "thptrace: cannot write %s%s%s: %s\n",
			tr->o->out_path ? "'" : "to standard output",
			tr->o->out_path ? tr->o->out_path : "", tr->o->out_path ? "'" : "",
			strerror(tr->pl.out.err));
		return EXIT_OUTPUT;
	}
	if (tr->tgt.spawned && tr->tgt.exited)
		return tr->tgt.exit_status;
	/* The reader went away (| head): quiet, and the command runs on. */
	if (tr->pl.out.err == EPIPE)
		return 0;
	if (tr->svg_failed)
		return EXIT_OUTPUT;
	if (tr->tgt.spawned && stop_signal) {
		fprintf(stderr, "thptrace: '%s' (pid %d) is still running %llu s after %s: left it"
			" running, untraced\n", tr->o->cmd[0], (int)tr->tgt.pid,
			GRACE_NS / 1000000000ull, signal_label(stop_signal));
		return 128 + stop_signal;
	}
	return 0;
}

int trace_run(const struct trace_opts *o)
{
	struct tracer tr = { .o = o, .sigfd = -1, .ld = { .core_fd = -1 } };
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	unsigned long rb_bytes;
	sigset_t chld;
	char err[512];
	int rc, map_fd;
	__u32 state;

	libbpf_set_print(o->verbose ? libbpf_verbose : libbpf_quiet);
	if ((rc = check_fds(o)) || (rc = ringbuf_size(&rb_bytes)))
		return rc;
	if (o->ranges.file && access(o->ranges.file, F_OK) < 0) {
		fprintf(stderr, "thptrace: --file %s: %s\n", o->ranges.file, strerror(errno));
		return EXIT_TARGET;
	}
	if (o->cmd && cmd_missing(o->cmd[0])) {
		fprintf(stderr, "thptrace: cannot run '%s': %s\n", o->cmd[0],
			strchr(o->cmd[0], '/') ? strerror(ENOENT) : "command not found");
		return EXIT_NOTFOUND;
	}
	/* Until the probes are attached, the default action is right: the
	 * kernel closes what was loaded.  From here on, stop cleanly. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The command first, held before its exec: forking is cheapest while
	 * thptrace is small (a fork after the load cost 1-8 ms on this VM),
	 * and the child gets ready while the probes load.  Every failure from
	 * here on kills it before it runs (see out:). */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	tr.sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (o->cmd && (rc = target_spawn(&tr.tgt, o->cmd, o->user, err, sizeof(err)))) {
		fprintf(stderr, "thptrace: %s\n", err);
		goto out;
	}
	if ((rc = trace_preflight(&tr.btf_job)) || (rc = open_bpf(&tr, rb_bytes)))
		goto out;
	tr.outf = open_output(o->out_path);
	if (!tr.outf) {
		fprintf(stderr, "thptrace: cannot write '%s': %s\n", o->out_path, strerror(errno));
		rc = EXIT_OUTPUT;
		goto out;
	}
	pipeline_init(&tr.pl, tr.outf, &(struct pipeline_opts){
		.json = o->json, .color = !o->out_path && isatty(fileno(stdout)),
		.all_faults = o->all_faults, .svg_path = o->svg_path });
	sysinfo_context(&tr.ctx);
	tr.batch = calloc(BATCH_MAX + PENDING_STATES, sizeof(*tr.batch));
	if (!tr.batch) {
		fprintf(stderr, "thptrace: out of memory\n");
		rc = EXIT_ENV;
		goto out;
	}
	if (o->pid && (rc = target_check_pid(o->pid, err, sizeof(err)))) {
		fprintf(stderr, "thptrace: %s\n", err);
		goto out;
	}
	/* THPTRACE_TEST_ATTACH_DELAY_US: fault injection for the live tests, a
	 * pause after the -p check that lets the process exit while attaching. */
	if (o->pid && config()->attach_delay_us)
		usleep((useconds_t)config()->attach_delay_us);
	if ((rc = setup_bpf(&tr)))
		goto out;
	if (stop_signal) {
		rc = 128 + stop_signal;
		goto out;
	}
	if (o->pid) {
		tr.tgt.pid = o->pid;
	}
	map_fd = bpf_map__fd(tr.skel->maps.targets);
	state = tr.tgt.spawned ? TARGET_PENDING_EXEC : TARGET_ACTIVE;
	if (tr.tgt.pid && bpf_map_update_elem(map_fd, &tr.tgt.pid, &state, BPF_ANY) < 0) {
		fprintf(stderr, "thptrace: cannot register the target: %s\n", strerror(errno));
		rc = EXIT_BPF;
		goto out;
	}
	probes_attach(&tr.ps, tr.skel->obj, stderr);
	tr.rb = ring_buffer__new(bpf_map__fd(tr.skel->maps.rb), on_record, &tr, NULL);
	if (!tr.rb) {
		fprintf(stderr, "thptrace: cannot open the ring buffer: %s\n", strerror(errno));
		rc = EXIT_BPF;
		goto out;
	}
	tr.start_ns = tracer_now_ns();
	decoder_init(&tr.dec, tr.start_ns, result_name, NULL);
	context_event(&tr, false);
	fflush(tr.pl.out.f);	/* a reader waiting for the start sees it */
	if ((rc = child_start(&tr)))
		goto out;
	if (o->pid && target_check_pid(o->pid, err, sizeof(err))) {
		fprintf(stderr, "thptrace: -p %d exited while attaching\n", (int)o->pid);
		rc = EXIT_TARGET;
		goto out;
	}
	/* Only now, once the target is sure: a failed start says one line. */
	probes_print_notes(&tr.ps, stderr);
	run_loop(&tr);
	finish(&tr);
	rc = run_status(&tr);
out:
	/* A command that never got past its exec must not run on its own. */
	if (rc && tr.tgt.spawned && !tr.tgt.exited && !tr.cmd_running)
		target_abort(&tr.tgt);
	cleanup(&tr);
	return rc;
}

int trace_list_probes(const struct trace_opts *o)
{
	struct probe_set ps;
	struct kbtf_job job;
	struct kbtf *btf = NULL;
	char err[512];
	int rc;

	libbpf_set_print(o->verbose ? libbpf_verbose : libbpf_quiet);
	if ((rc = trace_preflight(&job)) || (rc = preflight_btf(&job, &btf)))
		return rc;
	rc = probes_choose(&ps, o->backend, btf, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "thptrace: %s\n", err);
		kbtf_free(btf);
		return EXIT_BPF;
	}
	if (o->json)
		probes_print_json(&ps, stdout);
	else
		probes_print(&ps, stdout);
	kbtf_free(btf);
	return 0;
}
