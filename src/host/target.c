/* Spawning and checking the target, and resolving what to trace in it.
 *
 * A spawned CMD asks to be ptraced and waits on a pipe: once released it
 * execs and the kernel stops it right after exec, before its first
 * instruction.  That is the one moment its executable's load bias is known
 * and nothing it does has happened yet, so --text ranges are exact and no
 * early event is lost.  It is detached at once afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "host/elfsegs.h"
#include "host/procmaps.h"
#include "host/target.h"

static int lookup_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t n)
{
	struct passwd *pw = getpwnam(user);
	char *end;

	if (!pw) {
		unsigned long v;

		errno = 0;
		v = strtoul(user, &end, 10);
		if (errno || *end || end == user || !(pw = getpwuid((uid_t)v))) {
			snprintf(err, n, "-u %s: no such user", user);
			return -1;
		}
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* What the child reports on its error pipe before it could exec. */
struct spawn_err {
	int stage;	/* SPAWN_* */
	int err;	/* errno */
};

enum { SPAWN_USER = 1, SPAWN_PTRACE, SPAWN_EXEC };

static void child_fail(int fd, int stage, int code)
{
	struct spawn_err e = { stage, errno };

	if (write(fd, &e, sizeof(e)) < 0)
		_exit(code);
	_exit(code);
}

/* The dispositions thptrace found at start, restored in the child: CMD runs
 * as it would without thptrace (a signal ignored by the caller stays
 * ignored), with no signal blocked (thptrace blocks SIGCHLD for itself). */
static const int kept_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
static struct sigaction orig_sa[sizeof(kept_signals) / sizeof(kept_signals[0])];
static bool orig_saved;
static const char *spawn_user;	/* -u, for target_release's messages */

/* Before main(): nothing has installed a handler yet. */
__attribute__((constructor)) static void save_signals(void)
{
	for (size_t i = 0; i < sizeof(kept_signals) / sizeof(kept_signals[0]); i++)
		sigaction(kept_signals[i], NULL, &orig_sa[i]);
	orig_saved = true;
}

static void child_signals(void)
{
	sigset_t none;

	for (size_t i = 0; i < sizeof(kept_signals) / sizeof(kept_signals[0]); i++) {
		struct sigaction sa = { .sa_handler = SIG_DFL };

		if (orig_saved && orig_sa[i].sa_handler == SIG_IGN)
			sa.sa_handler = SIG_IGN;
		sigaction(kept_signals[i], &sa, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int target_spawn(struct target *t, char *const argv[], const char *user, char *err, size_t n)
{
	int go[2], ep[2];
	uid_t uid = 0;
	gid_t gid = 0;
	pid_t pid;

	memset(t, 0, sizeof(*t));
	t->go_fd = t->err_fd = -1;
	if (user && lookup_user(user, &uid, &gid, err, n) < 0)
		return EXIT_USAGE;
	if (pipe2(go, O_CLOEXEC) < 0) {
		snprintf(err, n, "cannot create pipes: %s", strerror(errno));
		return EXIT_TARGET;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(err, n, "cannot create pipes: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		return EXIT_TARGET;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(err, n, "cannot fork: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		close(ep[0]);
		close(ep[1]);
		return EXIT_TARGET;
	}
	if (pid == 0) {
		char c;

		close(go[1]);
		close(ep[0]);
		child_signals();
		if (user) {
			struct passwd *pw = getpwuid(uid);

			if ((pw && initgroups(pw->pw_name, gid) < 0) || setgid(gid) < 0 ||
			    setuid(uid) < 0)
				child_fail(ep[1], SPAWN_USER, EXIT_NOEXEC);
		}
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			child_fail(ep[1], SPAWN_PTRACE, EXIT_NOEXEC);
		/* Held here until every probe is attached; EOF: thptrace gave up. */
		if (read(go[0], &c, 1) != 1)
			_exit(EXIT_NOEXEC);
		execvp(argv[0], argv);
		child_fail(ep[1], SPAWN_EXEC, errno == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
	}
	close(go[0]);
	close(ep[1]);
	t->pid = pid;
	t->spawned = true;
	t->go_fd = go[1];
	t->err_fd = ep[0];
	spawn_user = user;
	return 0;
}

int target_shell_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

int target_release(struct target *t, char *err, size_t n)
{
	struct spawn_err e = { 0, 0 };
	ssize_t got;
	int st;

	if (write(t->go_fd, "g", 1) != 1) {
		snprintf(err, n, "cannot start the command: %s", strerror(errno));
		return EXIT_TARGET;
	}
	close(t->go_fd);
	t->go_fd = -1;
	do
		got = read(t->err_fd, &e, sizeof(e));
	while (got < 0 && errno == EINTR);
	close(t->err_fd);
	t->err_fd = -1;
	if (got == sizeof(e)) {
		while (waitpid(t->pid, &st, 0) < 0 && errno == EINTR)
			;
		t->exited = true;
		t->exit_status = target_shell_status(st);
		switch (e.stage) {
		case SPAWN_USER:
			snprintf(err, n, "-u %s: cannot switch the command to that user: %s",
				 spawn_user ? spawn_user : "?", strerror(e.err));
			return EXIT_TARGET;
		case SPAWN_PTRACE:
			snprintf(err, n, "cannot hold the command before exec (ptrace): %s",
				 strerror(e.err));
			return EXIT_TARGET;
		default:
			snprintf(err, n, "%s", strerror(e.err));
			return e.err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
		}
	}
	while (waitpid(t->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			snprintf(err, n, "lost the command: %s", strerror(errno));
			return EXIT_TARGET;
		}
	}
	if (!WIFSTOPPED(st)) {
		t->exited = true;
		t->exit_status = target_shell_status(st);
		snprintf(err, n, "the command ended before it started (status %d)", t->exit_status);
		return EXIT_TARGET;
	}
	return 0;
}

void target_detach(struct target *t)
{
	if (t->spawned && !t->exited)
		ptrace(PTRACE_DETACH, t->pid, NULL, NULL);
}

void target_abort(struct target *t)
{
	int st;

	if (!t->spawned || t->exited)
		return;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, &st, 0);
	t->exited = true;
	if (t->go_fd >= 0)
		close(t->go_fd);
	if (t->err_fd >= 0)
		close(t->err_fd);
	t->go_fd = t->err_fd = -1;
}

#define PF_KTHREAD_FLAG 0x00200000	/* PF_KTHREAD in include/linux/sched.h */

/* State letter and flags from /proc/PID/stat; comm into name.  -1 if gone. */
static int proc_stat(pid_t pid, char *state, unsigned long *flags, char *name, size_t namelen)
{
	char path[64], buf[1024], *open_paren, *close_paren;
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return -1;
	buf[got] = 0;
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -1;
	if (name && namelen)
		snprintf(name, namelen, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	/* ") S ppid pgrp session tty_nr tpgid flags" */
	if (sscanf(close_paren + 1, " %c %*d %*d %*d %*d %*d %lu", state, flags) != 2)
		return -1;
	return 0;
}

int target_check_pid(pid_t pid, char *err, size_t n)
{
	char path[64], buf[8], state = '?', name[64] = "";
	unsigned long flags = 0;
	ssize_t got;
	int fd;

	if (pid <= 0) {
		snprintf(err, n, "-p %d: not a valid process id", (int)pid);
		return EXIT_USAGE;
	}
	if (pid == getpid()) {
		snprintf(err, n, "-p %d: that is thptrace itself", (int)pid);
		return EXIT_TARGET;
	}
	if ((kill(pid, 0) < 0 && errno == ESRCH) ||
	    proc_stat(pid, &state, &flags, name, sizeof(name)) < 0) {
		snprintf(err, n, "-p %d: no such process", (int)pid);
		return EXIT_TARGET;
	}
	if (flags & PF_KTHREAD_FLAG) {
		snprintf(err, n, "-p %d: is a kernel thread (%s): it has no user memory to trace",
			 (int)pid, name);
		return EXIT_TARGET;
	}
	if (state == 'Z' || state == 'X') {
		snprintf(err, n, "-p %d: has exited (%s is a zombie)", (int)pid, name);
		return EXIT_TARGET;
	}
	/* No address space at all: exiting right now. */
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, n, "-p %d: cannot read its mappings: %s", (int)pid,
			 errno == ENOENT || errno == ESRCH ? "no such process" : strerror(errno));
		return EXIT_TARGET;
	}
	got = read(fd, buf, sizeof(buf));
	close(fd);
	if (got <= 0) {
		snprintf(err, n, "-p %d: has exited (no address space left)", (int)pid);
		return EXIT_TARGET;
	}
	return 0;
}

bool target_poll_exit(struct target *t)
{
	unsigned long flags;
	char state;
	int st;

	if (t->exited)
		return true;
	if (t->spawned) {
		pid_t r = waitpid(t->pid, &st, WNOHANG);

		if (r == t->pid && (WIFEXITED(st) || WIFSIGNALED(st))) {
			t->exited = true;
			t->exit_status = target_shell_status(st);
		}
	} else if (t->pid > 0 && (proc_stat(t->pid, &state, &flags, NULL, 0) < 0 ||
				  state == 'Z' || state == 'X')) {
		/* A zombie no one reaps has ended for us too. */
		t->exited = true;
		t->exit_status = -1;
	}
	return t->exited;
}

static void add_file(struct resolved_ranges *out, const struct map_entry *m)
{
	struct thp_file_key k = { .ino = m->ino, .dev = map_kdev(m) };

	if (!m->ino || m->path[0] != '/')
		return;
	for (size_t i = 0; i < out->n_files; i++)
		if (out->files[i].ino == k.ino && out->files[i].dev == k.dev)
			return;
	if (out->n_files < sizeof(out->files) / sizeof(out->files[0]))
		out->files[out->n_files++] = k;
}

static void add_range(struct resolved_ranges *out, uint64_t s, uint64_t e)
{
	if (out->n < THP_MAX_RANGES)
		out->r[out->n++] = (struct addr_range){ s, e };
}

static int resolve_text(pid_t pid, const struct map_list *maps, struct resolved_ranges *out,
			char *err, size_t n)
{
	char link[64], exe[PATH_MAX], why[200];
	struct addr_range segr[32];
	struct elf_segs segs;
	uint64_t bias;
	ssize_t len;
	size_t k;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	len = readlink(link, exe, sizeof(exe) - 1);
	if (len < 0) {
		snprintf(err, n, "--text: cannot find the target's executable: %s", strerror(errno));
		return EXIT_TARGET;
	}
	exe[len] = 0;
	/* Read through /proc/PID/exe: it works even if the path was replaced. */
	if (elfsegs_read(link, &segs, why, sizeof(why)) < 0) {
		snprintf(err, n, "--text: cannot read %s: %s", exe, why);
		return EXIT_TARGET;
	}
	if (elfsegs_bias(&segs, maps, exe, &bias) < 0) {
		snprintf(err, n, "--text: %s is not mapped in process %d", exe, (int)pid);
		return EXIT_TARGET;
	}
	k = elfsegs_ranges(&segs, bias, segr, 32);
	for (size_t i = 0; i < k; i++)
		add_range(out, segr[i].start, segr[i].end);
	return 0;
}

int target_resolve(pid_t pid, const struct range_spec *spec, bool strict,
		   struct resolved_ranges *out, char *err, size_t n)
{
	struct map_list maps = { 0 };
	int rc = procmaps_read(pid, &maps);

	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		snprintf(err, n, "cannot read /proc/%d/maps: %s", (int)pid, strerror(-rc));
		return EXIT_TARGET;
	}
	rc = target_resolve_in(&maps, pid, spec, strict, out, err, n);
	map_list_free(&maps);
	return rc;
}

int target_resolve_in(const struct map_list *maps, pid_t pid, const struct range_spec *spec,
		      bool strict, struct resolved_ranges *out, char *err, size_t n)
{
	char real[PATH_MAX];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->filter = spec->n_user || spec->text || spec->file;
	for (size_t i = 0; i < spec->n_user; i++) {
		bool mapped = false;

		for (size_t j = 0; j < maps->n; j++)
			if (maps->v[j].start < spec->user[i].end && maps->v[j].end > spec->user[i].start)
				mapped = true;
		if (strict && !mapped) {
			snprintf(err, n, "--range 0x%llx-0x%llx is outside every mapping of process %d",
				 (unsigned long long)spec->user[i].start,
				 (unsigned long long)spec->user[i].end, (int)pid);
			rc = EXIT_TARGET;
			goto out;
		}
		add_range(out, spec->user[i].start, spec->user[i].end);
	}
	if (spec->text && (rc = resolve_text(pid, maps, out, err, n)))
		goto out;
	if (spec->file) {
		size_t before = out->n;
		struct stat st;

		if (stat(spec->file, &st) < 0) {
			snprintf(err, n, "--file %s: %s", spec->file, strerror(errno));
			rc = EXIT_TARGET;
			goto out;
		}
		if (!realpath(spec->file, real))
			snprintf(real, sizeof(real), "%s", spec->file);
		for (size_t j = 0; j < maps->n; j++)
			if (maps->v[j].ino == st.st_ino && strcmp(maps->v[j].path, real) == 0)
				add_range(out, maps->v[j].start, maps->v[j].end);
		if (strict && out->n == before) {
			snprintf(err, n, "--file %s is not mapped by process %d", spec->file, (int)pid);
			rc = EXIT_TARGET;
			goto out;
		}
	}
	/* The files behind the traced ranges identify retract_page_tables calls. */
	for (size_t j = 0; j < maps->n; j++)
		if (!out->filter || ranges_overlap(out->r, out->n, maps->v[j].start, maps->v[j].end))
			add_file(out, &maps->v[j]);
out:
	return rc;
}
