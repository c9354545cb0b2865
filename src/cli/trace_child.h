/* The command thptrace started, under ptrace.  These functions only move
 * it along and say what happened; the run loop (trace.c) decides what to
 * do about it: resolve the ranges at its exec, read its final page states
 * at its exit stop, take its status when it ended. */
#ifndef THP_TRACE_CHILD_H
#define THP_TRACE_CHILD_H

#include <stdbool.h>
#include "host/target.h"

struct child {
	struct target *tgt;	/* the run's target (tgt->spawned: a CMD) */
	bool ptraced;		/* still under PTRACE_O_TRACEEXIT */
	bool running;		/* released past its exec */
};

enum child_news {
	CHILD_QUIET,		/* nothing to act on (stops passed on as if untraced) */
	CHILD_AT_EXIT,		/* stopped at its exit, its mm still there: read the
				 * final page states, then child_let_exit() */
	CHILD_ENDED,		/* exited or killed: tgt->exit_status */
};

/* Let it exec; returns once it is stopped right after its exec (its
 * mappings are final for the ranges), or an EXIT_* code after one line. */
int child_release(struct child *c, const char *cmd);
/* After the exec stop: traced at its exit only, and running. */
void child_run(struct child *c);

/* After SIGCHLD: its wait statuses, until one the run loop must act on. */
enum child_news child_wait(struct child *c);
/* Let it go wherever it is (stopping early): CHILD_AT_EXIT when it got to
 * its exit stop on the way (act, then call again), else done. */
enum child_news child_detach(struct child *c);
/* Past its exit stop: let it end. */
void child_let_exit(struct child *c);
/* Its wait status once it ended (reaped by whoever saw it). */
void child_ended(struct child *c, int st);

#endif
