/* A live trace's set-up before its run loop: the checks that need nothing
 * loaded, the output, and the BPF object opened and loaded (see
 * trace_setup.h); and --list-probes, which stops after choosing. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "probe/btf_names.h"
#include "util/config.h"
#include "host/target.h"
#include "cli/trace_setup.h"

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

void setup_libbpf_print(bool verbose)
{
	libbpf_set_print(verbose ? libbpf_verbose : libbpf_quiet);
}

#define SCAN_NAMES_MAX 64

static char scan_names[SCAN_NAMES_MAX][48];

const char *setup_result_name(void *ctx, int v)
{
	(void)ctx;
	return v >= 0 && v < SCAN_NAMES_MAX && scan_names[v][0] ? scan_names[v] : NULL;
}

/* ---- before anything loads ---- */

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

int setup_check(const struct trace_opts *o, unsigned long *rb_bytes)
{
	int rc;

	if ((rc = check_fds(o)) || (rc = ringbuf_size(rb_bytes)))
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
	return 0;
}

static char out_buf[1 << 16];

FILE *setup_open_output(const char *path)
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

FILE *setup_reopen_output(const char *path)
{
	/* appended to: a SIGUSR1 without a rotation must not lose the file */
	FILE *f = fopen(path, "ae");

	if (f)
		setvbuf(f, out_buf, _IOFBF, sizeof(out_buf));
	return f;
}

/* ---- the BPF object ---- */

bool trace_fault_filter(const struct trace_opts *o)
{
	return o->faults == FAULTS_THP || (o->faults == FAULTS_DEFAULT && (o->all || o->pid));
}

int setup_open_bpf(struct loader *ld, const struct trace_opts *o, unsigned long rb_bytes,
		   bool fault_filter)
{
	struct load_params lp = { .all = o->all, .self_tgid = (uint32_t)getpid(),
				  .rb_bytes = rb_bytes, .fault_filter = fault_filter };
	char err[512];

	if (loader_open(ld, &lp, err, sizeof(err)) < 0) {
		fprintf(stderr, "thptrace: %s\n", err);
		return EXIT_BPF;
	}
	return 0;
}

int setup_load_bpf(struct loader *ld, struct probe_set *ps, struct kbtf_job *job,
		   struct kbtf **btf, const struct trace_opts *o)
{
	char err[512];
	int rc;

	if ((rc = preflight_btf(job, btf)))
		return rc;
	if (probes_choose(ps, o->backend, *btf, err, sizeof(err)) < 0) {
		fprintf(stderr, "thptrace: %s\n", err);
		return EXIT_BPF;
	}
	/* Keep the few names we need, and drop the BTF once loaded. */
	kbtf_scan_result_table(*btf, scan_names, SCAN_NAMES_MAX);
	rc = loader_load(ld, *btf, ps, err, sizeof(err));
	kbtf_free(*btf);
	*btf = NULL;
	if (rc < 0) {
		fprintf(stderr, "thptrace: %s%s\n", err,
			o->verbose || !strstr(err, "failed to load") ? "" :
			" (run with -v for the verifier's log)");
		return EXIT_BPF;
	}
	return 0;
}

/* ---- --list-probes ---- */

int trace_list_probes(const struct trace_opts *o)
{
	struct probe_set ps;
	struct kbtf_job job;
	struct kbtf *btf = NULL;
	char err[512];
	int rc;

	setup_libbpf_print(o->verbose);
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
