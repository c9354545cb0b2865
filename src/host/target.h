/* The traced process: spawned held until every probe is attached, or an
 * existing PID; and the address ranges and files to trace in it. */
#ifndef THP_TARGET_H
#define THP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "host/ranges.h"
#include "util/thp_types.h"
#include "thptrace.h"

/* Exit codes, documented in README.md ("Exit status"). */
enum {
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_TARGET = 3,	/* no such process, kernel thread, range not mapped */
	EXIT_ENV = 4,		/* not root / capability, no BTF, no tracefs */
	EXIT_BPF = 5,		/* BPF load/attach failed, backend unavailable */
	EXIT_OUTPUT = 6,	/* cannot write the output file */
	EXIT_EXPECT = 7,	/* --expect: a region ended with a verdict not in the list */
	EXIT_NOEXEC = 126,	/* CMD found but not executable (like a shell) */
	EXIT_NOTFOUND = 127,	/* CMD not found (like a shell) */
};

struct target {
	pid_t pid;
	bool spawned;
	bool exited;
	int exit_status;	/* shell style: code, or 128+signal */
	int go_fd, err_fd;	/* spawn handshake pipes, -1 when done */
};

/* Fork CMD, held before exec until target_release().  user: run it as that
 * user (name or uid), or NULL.  Returns 0 or an EXIT_* code with err set. */
int target_spawn(struct target *t, char *const argv[], const char *user, char *err, size_t n);

/* Let a spawned CMD exec; returns once it is stopped right after exec (so
 * its mappings can be read) or failed to exec (EXIT_NOTFOUND/EXIT_NOEXEC). */
int target_release(struct target *t, char *err, size_t n);

/* Let it run after target_release(). */
void target_detach(struct target *t);

/* Kill and reap a spawned CMD that never ran (setup failed). */
void target_abort(struct target *t);

/* Check an existing PID: 0, or EXIT_TARGET with err set. */
int target_check_pid(pid_t pid, char *err, size_t n);

/* A wait status as a shell reports it: the exit code, or 128+signal. */
int target_shell_status(int st);

/* Has the target ended?  Reaps a spawned child without blocking. */
bool target_poll_exit(struct target *t);

/* What the user asked to trace. */
struct range_spec {
	struct addr_range user[THP_MAX_RANGES];
	size_t n_user;
	bool text;
	const char *file;	/* --file PATH, or NULL */
};

struct resolved_ranges {
	struct addr_range r[THP_MAX_RANGES];
	size_t n;
	bool filter;		/* false: the whole address space */
	struct thp_file_key files[256];
	size_t n_files;
};

struct map_list;

/* Resolve spec against the process's current mappings.  strict: fail when a
 * range or file is not mapped at all (EXIT_TARGET). */
int target_resolve(pid_t pid, const struct range_spec *spec, bool strict,
		   struct resolved_ranges *out, char *err, size_t n);
/* The same against mappings already read from /proc/PID/maps. */
int target_resolve_in(const struct map_list *maps, pid_t pid, const struct range_spec *spec,
		      bool strict, struct resolved_ranges *out, char *err, size_t n);

#endif
