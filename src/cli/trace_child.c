/* The command thptrace started: held before exec until the probes are
 * attached, then traced only with PTRACE_O_TRACEEXIT (its final page state
 * is read before its mm goes away) and resumed from every other stop as if
 * untraced: its signals reach it unchanged. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/tracer.h"

/* ---- the spawned child under ptrace ---- */

void child_ended(struct tracer *tr, int st)
{
	tr->tgt.exited = true;
	tr->tgt.exit_status = target_shell_status(st);
	tr->target_gone = true;
	tr->ptraced = false;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* One ptrace stop of the spawned command: resume it as if untraced. */
static void child_stop(struct tracer *tr, int st)
{
	pid_t pid = tr->tgt.pid;
	int sig = WSTOPSIG(st), event = st >> 16;
	siginfo_t si;

	if (event == PTRACE_EVENT_EXIT) {
		/* Its mm is still there: record the final page states now. */
		tracer_drain(tr);
		states_sample_all(tr);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		tr->ptraced = false;
		return;
	}
	if (event) {		/* PTRACE_EVENT_EXEC: nothing to deliver */
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		return;
	}
	if (is_stop_signal(sig) && ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0 &&
	    errno == EINVAL) {
		/* A group stop (Ctrl-Z, SIGSTOP): let it go, stopped, so that
		 * SIGCONT resumes it as usual. */
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		tr->ptraced = false;
		return;
	}
	ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
}

void child_handle(struct tracer *tr)
{
	struct signalfd_siginfo si;
	int st;

	while (read(tr->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	if (!tr->tgt.spawned || tr->tgt.exited)
		return;
	for (;;) {
		pid_t r = waitpid(tr->tgt.pid, &st, WNOHANG | __WALL);

		if (r <= 0)
			return;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			child_ended(tr, st);
			return;
		}
		if (WIFSTOPPED(st) && tr->ptraced)
			child_stop(tr, st);
	}
}

/* Let the spawned command go wherever it is.  PTRACE_DETACH needs it in a
 * ptrace stop: stop its main thread with a SIGSTOP of our own, which the
 * detach then discards; other stops met on the way are passed on. */
void child_detach(struct tracer *tr)
{
	pid_t pid = tr->tgt.pid;
	siginfo_t si;
	int st;

	if (!tr->ptraced)
		return;
	if (syscall(SYS_tgkill, pid, pid, SIGSTOP) < 0) {
		tr->ptraced = false;
		return;
	}
	while (tr->ptraced) {
		pid_t r = waitpid(pid, &st, __WALL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			tr->ptraced = false;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			child_ended(tr, st);
			break;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (st >> 16 == 0 && WSTOPSIG(st) == SIGSTOP &&
		    ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0 && si.si_code == SI_TKILL &&
		    si.si_pid == getpid()) {
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
			tr->ptraced = false;
			break;
		}
		child_stop(tr, st);
	}
}

int child_start(struct tracer *tr)
{
	const struct trace_opts *o = tr->o;
	char err[512];
	int rc;

	if (!o->cmd)
		return o->all ? 0 : tracer_resolve_initial(tr, o->pid);
	rc = target_release(&tr->tgt, err, sizeof(err));
	if (rc) {
		if (rc == EXIT_NOTFOUND || rc == EXIT_NOEXEC)
			fprintf(stderr, "thptrace: cannot run '%s': %s\n", o->cmd[0], err);
		else
			fprintf(stderr, "thptrace: %s\n", err);
		return rc;
	}
	/* Stopped right after exec: its mappings are final for the ranges. */
	rc = o->all ? 0 : tracer_resolve_initial(tr, tr->tgt.pid);
	if (rc)
		return rc;
	/* TRACEEXEC: a later exec stops as an event, so that every plain
	 * SIGTRAP is the program's own and is delivered. */
	if (ptrace(PTRACE_SETOPTIONS, tr->tgt.pid, NULL,
		   (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC)) == 0 &&
	    ptrace(PTRACE_CONT, tr->tgt.pid, NULL, NULL) == 0)
		tr->ptraced = true;
	else
		target_detach(&tr->tgt);
	tr->cmd_running = true;
	return 0;
}
