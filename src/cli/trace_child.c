/* The command thptrace started: held before exec until the probes are
 * attached, then traced only with PTRACE_O_TRACEEXIT (its final page state
 * is read before its mm goes away) and resumed from every other stop as if
 * untraced: its signals reach it unchanged.  What it did is returned to the
 * run loop (enum child_news), which acts on it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/trace_child.h"

void child_ended(struct child *c, int st)
{
	c->tgt->exited = true;
	c->tgt->exit_status = target_shell_status(st);
	c->ptraced = false;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* One ptrace stop of the spawned command: resume it as if untraced.  Its
 * exit stop is left for the run loop (CHILD_AT_EXIT). */
static enum child_news child_stop(struct child *c, int st)
{
	pid_t pid = c->tgt->pid;
	int sig = WSTOPSIG(st), event = st >> 16;
	siginfo_t si;

	if (event == PTRACE_EVENT_EXIT)
		return CHILD_AT_EXIT;
	if (event) {		/* PTRACE_EVENT_EXEC: nothing to deliver */
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		return CHILD_QUIET;
	}
	if (is_stop_signal(sig) && ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0 &&
	    errno == EINVAL) {
		/* A group stop (Ctrl-Z, SIGSTOP): let it go, stopped, so that
		 * SIGCONT resumes it as usual. */
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		c->ptraced = false;
		return CHILD_QUIET;
	}
	ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	return CHILD_QUIET;
}

void child_let_exit(struct child *c)
{
	ptrace(PTRACE_DETACH, c->tgt->pid, NULL, NULL);
	c->ptraced = false;
}

enum child_news child_wait(struct child *c)
{
	int st;

	if (!c->tgt->spawned || c->tgt->exited)
		return CHILD_QUIET;
	for (;;) {
		pid_t r = waitpid(c->tgt->pid, &st, WNOHANG | __WALL);

		if (r <= 0)
			return CHILD_QUIET;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			child_ended(c, st);
			return CHILD_ENDED;
		}
		if (WIFSTOPPED(st) && c->ptraced && child_stop(c, st) == CHILD_AT_EXIT)
			return CHILD_AT_EXIT;
	}
}

/* Let the spawned command go wherever it is.  PTRACE_DETACH needs it in a
 * ptrace stop: stop its main thread with a SIGSTOP of our own, which the
 * detach then discards; other stops met on the way are passed on. */
enum child_news child_detach(struct child *c)
{
	pid_t pid = c->tgt->pid;
	siginfo_t si;
	int st;

	if (!c->ptraced)
		return CHILD_QUIET;
	if (syscall(SYS_tgkill, pid, pid, SIGSTOP) < 0) {
		c->ptraced = false;
		return CHILD_QUIET;
	}
	while (c->ptraced) {
		pid_t r = waitpid(pid, &st, __WALL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			c->ptraced = false;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			child_ended(c, st);
			return CHILD_ENDED;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (st >> 16 == 0 && WSTOPSIG(st) == SIGSTOP &&
		    ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0 && si.si_code == SI_TKILL &&
		    si.si_pid == getpid()) {
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
			c->ptraced = false;
			break;
		}
		if (child_stop(c, st) == CHILD_AT_EXIT)
			return CHILD_AT_EXIT;
	}
	return CHILD_QUIET;
}

int child_release(struct child *c, const char *cmd)
{
	char err[512];
	int rc = target_release(c->tgt, err, sizeof(err));

	if (rc == EXIT_NOTFOUND || rc == EXIT_NOEXEC)
		fprintf(stderr, "thptrace: cannot run '%s': %s\n", cmd, err);
	else if (rc)
		fprintf(stderr, "thptrace: %s\n", err);
	return rc;
}

void child_run(struct child *c)
{
	/* TRACEEXEC: a later exec stops as an event, so that every plain
	 * SIGTRAP is the program's own and is delivered. */
	if (ptrace(PTRACE_SETOPTIONS, c->tgt->pid, NULL,
		   (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC)) == 0 &&
	    ptrace(PTRACE_CONT, c->tgt->pid, NULL, NULL) == 0)
		c->ptraced = true;
	else
		target_detach(c->tgt);
	c->running = true;
}
