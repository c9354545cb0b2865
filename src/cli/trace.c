/* A live trace, start to end:
 *   preflight -> choose probes -> open, set rodata, load -> spawn held / check
 *   PID -> attach -> release -> loop { ring buffer -> decode -> regions ->
 *   output; pagemap samples } -> drain -> verdicts -> summary.
 *
 * The ring buffer wakes us only past a backlog; a 10 ms epoll timeout (50 ms
 * while idle) drains it otherwise, which keeps the cost per event low and
 * the delay bounded.
 * A spawned target stays ptraced with PTRACE_O_TRACEEXIT so that its last
 * page state can be read before its mm goes away.
 * This is the run loop: the other files of the trace (tracer.h) return what
 * they found, and only this one and trace_events.c, which feeds the
 * pipeline each drain's events in time order, act on it. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "host/sysinfo.h"
#include "util/config.h"
#include "cli/bpf_targets.h"
#include "cli/trace_clock.h"
#include "cli/trace_events.h"
#include "cli/trace_setup.h"
#include "cli/tracer.h"
#include "thptrace.skel.h"

/* How long CMD may take to end after thptrace passed it a stop signal. */
#define GRACE_NS (5 * 1000000000ull)

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t reopen_requested;	/* SIGUSR1: logrotate moved -o away */
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

static void on_usr1(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static const char *signal_label(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP"
									: "signal";
}

static void context_event(struct tracer *tr, bool at_end);

/* SIGUSR1: logrotate moved the -o file away (or copied it), so write on
 * into a file of that name, appended to if it is there; the new file
 * begins with the context line, so that `report` can read it alone. */
static void reopen_output(struct tracer *tr)
{
	FILE *nf;

	if (!tr->o->out_path || tr->pl.out.err)
		return;
	fflush(tr->outf);
	nf = setup_reopen_output(tr->o->out_path);
	if (!nf) {
		fprintf(stderr, "thptrace: SIGUSR1: cannot reopen '%s': %s; still writing to the old file\n",
			tr->o->out_path, strerror(errno));
		return;
	}
	output_reopened(&tr->pl.out, nf);	/* what text still folds goes to the old one */
	fclose(tr->outf);
	tr->outf = nf;
	context_event(tr, false);
}

/* ---- the target ---- */

/* The spawned command stopped at its exit: its mm is still there, record
 * the final page states now, then let it end. */
static void child_at_exit(struct tracer *tr)
{
	trace_drain(tr);
	trace_sample_all(tr);
	child_let_exit(&tr->child);
}

/* On every loop turn (SIGCHLD wakes it): what the spawned command did.  It
 * is reaped here alone: a stray waitpid() would swallow its ptrace stops. */
static void child_news(struct tracer *tr)
{
	struct signalfd_siginfo si;
	enum child_news n;

	while (read(tr->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	while ((n = child_wait(&tr->child)) == CHILD_AT_EXIT)
		child_at_exit(tr);
	if (n == CHILD_ENDED)
		tr->target_gone = true;
}

/* Stopped early (signal, duration, output closed): the command runs on
 * untraced, never left stopped. */
static void child_let_go(struct tracer *tr)
{
	enum child_news n;

	while ((n = child_detach(&tr->child)) == CHILD_AT_EXIT)
		child_at_exit(tr);
	if (n == CHILD_ENDED)
		tr->target_gone = true;
}

/* The target's ranges at its start (-p now, a spawned CMD at its exec). */
static int resolve_initial(struct tracer *tr, pid_t pid)
{
	const struct map_list *maps;
	struct resolved_ranges rr;
	char err[512];
	int rc;

	/* One fresh read serves both the maps cache and the ranges. */
	maps = maps_cache_read(&tr->maps, pid);
	if (maps)
		rc = target_resolve_in(maps, pid, &tr->o->ranges, true, &rr, err, sizeof(err));
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
	bpf_targets_set_ranges(tr->skel, &rr);
	return 0;
}

/* -p: its ranges.  A held CMD: released to its exec, its ranges, running. */
static int start_target(struct tracer *tr)
{
	const struct trace_opts *o = tr->o;
	int rc;

	if (!o->cmd)
		return o->all ? 0 : resolve_initial(tr, o->pid);
	if ((rc = child_release(&tr->child, o->cmd[0])))
		return rc;
	/* Stopped right after exec: its mappings are final for the ranges. */
	if (!o->all && (rc = resolve_initial(tr, tr->tgt.pid)))
		return rc;
	child_run(&tr->child);
	return 0;
}

/* ---- the run ---- */

static void fill_summary_end(struct tracer *tr, const char *why)
{
	tr->sum.t = decoder_t(&tr->dec, trace_now_ns());
	/* Its exit event came first: it is dying, reap it for the status (a
	 * leader whose other threads still run may take a while: not forever). */
	for (int i = 0; i < 200 && tr->tgt.spawned && !tr->tgt.exited && tr->target_gone &&
			!tr->child.ptraced; i++) {
		struct pollfd p = { .fd = tr->sigfd, .events = POLLIN };
		struct signalfd_siginfo si;
		int st;

		if (waitpid(tr->tgt.pid, &st, WNOHANG) == tr->tgt.pid) {
			child_ended(&tr->child, st);
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
		if (!tr->tgt.spawned || tr->tgt.exited || !tr->child.running)
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
	/* A pipe's reader going away (| head) shows as EPOLLERR on its write
	 * end even when nothing is written: text folds most lines now, so
	 * waiting for a write to fail could wait until the end.  Regular
	 * files and terminals cannot be polled (EPERM): nothing to watch. */
	struct epoll_event oe = { .events = 0, .data.fd = fileno(tr->outf) };

	epoll_ctl(ep, EPOLL_CTL_ADD, fileno(tr->outf), &oe);
	for (;;) {
		int n = epoll_wait(ep, evs, 4, timeout);
		uint64_t now;

		if (n < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++)
			if (evs[k].data.fd == fileno(tr->outf) && (evs[k].events & (EPOLLERR | EPOLLHUP)) &&
			    !tr->pl.out.err)
				tr->pl.out.err = EPIPE;
		child_news(tr);
		records = trace_drain(tr);
		if (reopen_requested) {
			reopen_requested = 0;
			reopen_output(tr);
		}
		/* Nothing to watch closely (no region waiting for its PMD, no
		 * record this turn): wake less often.  A wake-up costs about
		 * 0.1 ms of CPU here; a backlog past wake_bytes and the target's
		 * exit still wake us at once, and a lone record waits at most
		 * IDLE_POLL_MS, well inside the 100 ms promised for a pipe. */
		timeout = trace_sample_pending(tr) || records > 0 ? POLL_MS : IDLE_POLL_MS;
		now = trace_now_ns();
		trace_settings_check(tr, now, false);
		if (snapshots_due(&tr->snap, now))
			snapshots_again(&tr->snap, o);
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
		/* A spawned child is reaped by child_news() alone: a stray
		 * waitpid() would swallow its ptrace stops. */
		if (!o->all && (tr->target_gone || (!tr->tgt.spawned && target_poll_exit(&tr->tgt))))
			break;
		if (o->ranges.file && !o->all && now >= next_refresh) {
			/* A file may be mapped after start: look again twice a second. */
			bpf_targets_update_ranges(tr->skel, tr->tgt.pid, &o->ranges);
			next_refresh = now + 500000000ull;
		}
	}
	close(ep);
	trace_settings_check(tr, 0, true);	/* a change in the last half second too */
	trace_drain(tr);
	child_let_go(tr);
	trace_process_batch(tr);	/* the last samples */
	fill_summary_end(tr, why);
	return 0;
}

/* The settings in force, as an event: at the start, and at the end with
 * what changed (khugepaged's full scans, the duration). */
static void context_event(struct tracer *tr, bool at_end)
{
	struct thp_event ev = { .kind = EV_CONTEXT, .ctx = &tr->ctx, .start_ns = tr->start_ns,
				.wall_start_us = tr->wall_start_us, .ctx_end = at_end };

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
	/* the exited processes' counts, and those still running */
	tr->sum.faults_unrecorded = -1;
	if (tr->fault_filter) {
		int64_t exited = pipeline_counted(&tr->pl)->faults_unrecorded;

		tr->sum.faults_unrecorded = (exited > 0 ? exited : 0) + bpf_targets_unrecorded(tr->skel);
	}
	if (pipeline_finish(&tr->pl, &tr->sum, err, sizeof(err)) < 0) {
		fprintf(stderr, "thptrace: %s\n", err);
		tr->svg_failed = true;
	}
	if (ferror(tr->pl.out.f) && !tr->pl.out.err)
		tr->pl.out.err = errno ? errno : EIO;
}

static void cleanup(struct tracer *tr)
{
	child_let_go(tr);
	probes_detach(&tr->ps);
	ring_buffer__free(tr->rb);
	loader_close(&tr->ld);
	states_free(&tr->st);
	settings_free(&tr->knobs);
	pipeline_free(&tr->pl);
	decoder_free(&tr->dec);
	maps_cache_free(&tr->maps);
	state_queue_free(&tr->pending);
	free(tr->batch);
	if (tr->outf && tr->outf != stdout)
		fclose(tr->outf);
	if (tr->sigfd >= 0)
		close(tr->sigfd);
	kbtf_free(tr->btf);
	kbtf_free(kbtf_load_wait(&tr->btf_job));	/* an early exit left it loading */
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
	/* the CI gate: distinct from any status CMD could give for itself */
	if (pipeline_unexpected(&tr->pl) > 0)
		return EXIT_EXPECT;
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
	int rc;

	tr.child.tgt = &tr.tgt;
	states_init(&tr.st, &tr.pl.rs, &tr.dec, &tr.pending);
	setup_libbpf_print(o->verbose);
	if ((rc = setup_check(o, &rb_bytes)))
		return rc;
	/* Until the probes are attached, the default action is right: the
	 * kernel closes what was loaded.  From here on, stop cleanly. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGUSR1, on_usr1);
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
	sysinfo_context(&tr.ctx);
	tr.ctx.streaming = o->all || o->pid;
	tr.fault_filter = trace_fault_filter(o);
	if ((rc = trace_preflight(&tr.btf_job)) ||
	    (rc = setup_open_bpf(&tr.ld, o, rb_bytes, tr.fault_filter)))
		goto out;
	tr.outf = setup_open_output(o->out_path);
	if (!tr.outf) {
		fprintf(stderr, "thptrace: cannot write '%s': %s\n", o->out_path, strerror(errno));
		rc = EXIT_OUTPUT;
		goto out;
	}
	pipeline_init(&tr.pl, tr.outf, &(struct pipeline_opts){
		.json = o->json, .color = !o->out_path && isatty(fileno(stdout)),
		.all_faults = o->all_faults, .by_region = o->by_region, .svg_path = o->svg_path,
		.expect = o->expect });
	settings_start(&tr.knobs, trace_now_ns());	/* the knobs as the context has them */
	tr.batch_cap = BATCH_MAX + PENDING_STATES;
	tr.batch = calloc(tr.batch_cap, sizeof(*tr.batch));
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
	if ((rc = setup_load_bpf(&tr.ld, &tr.ps, &tr.btf_job, &tr.btf, o)))
		goto out;
	tr.skel = tr.ld.skel;
	if (stop_signal) {
		rc = 128 + stop_signal;
		goto out;
	}
	if (o->pid) {
		tr.tgt.pid = o->pid;
	}
	if (tr.tgt.pid && bpf_targets_register(tr.skel, tr.tgt.pid, tr.tgt.spawned) < 0) {
		fprintf(stderr, "thptrace: cannot register the target: %s\n", strerror(errno));
		rc = EXIT_BPF;
		goto out;
	}
	probes_attach(&tr.ps, tr.skel->obj, stderr);
	tr.rb = ring_buffer__new(bpf_map__fd(tr.skel->maps.rb), trace_on_record, &tr, NULL);
	if (!tr.rb) {
		fprintf(stderr, "thptrace: cannot open the ring buffer: %s\n", strerror(errno));
		rc = EXIT_BPF;
		goto out;
	}
	tr.start_ns = trace_now_ns();
	tr.wall_start_us = trace_wall_us(tr.start_ns);
	decoder_init(&tr.dec, tr.start_ns, setup_result_name, NULL);
	context_event(&tr, false);
	fflush(tr.pl.out.f);	/* a reader waiting for the start sees it */
	if ((rc = start_target(&tr)))
		goto out;
	if (o->pid && target_check_pid(o->pid, err, sizeof(err))) {
		fprintf(stderr, "thptrace: -p %d exited while attaching\n", (int)o->pid);
		rc = EXIT_TARGET;
		goto out;
	}
	/* Only now, once the target is sure: a failed start says one line. */
	probes_print_notes(&tr.ps, stderr);
	snapshots_init(&tr.snap, &tr.dec, &tr.pl.rs, &tr.pending, tr.skel, o);
	snapshots_start(&tr.snap, o);
	run_loop(&tr);
	finish(&tr);
	rc = run_status(&tr);
out:
	/* A command that never got past its exec must not run on its own. */
	if (rc && tr.tgt.spawned && !tr.tgt.exited && !tr.child.running)
		target_abort(&tr.tgt);
	cleanup(&tr);
	return rc;
}
