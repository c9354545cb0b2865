/* The trials behind the attach policy, and tracefs: two-instruction
 * programs loaded (and attached where that is cheap) to learn whether a
 * mechanism works here.  No kernel config is read: on our 6.18 machines
 * fentry is refused with EPERM although BTF and the functions are all
 * there, and the only honest test is the kernel's answer. */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probe/probe_trials.h"
#include "probe/probes.h"

static const char *tracefs_dir(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[64];

	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events", dirs[i]);
		if (access(p, F_OK) == 0)
			return dirs[i];
	}
	return NULL;
}

int tracefs_ensure(char *err, size_t errlen)
{
	if (tracefs_dir())
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 && tracefs_dir())
		return 0;
	snprintf(err, errlen,
		 "tracefs is not mounted and mounting it failed (%s): run 'mount -t tracefs nodev /sys/kernel/tracing'",
		 strerror(errno));
	return -1;
}

/* Two instructions: r0 = 0; exit. */
static const struct bpf_insn ret0[] = {
	{ .code = 0xb7, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0 },
	{ .code = 0x95, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0 },
};

void last_log_line(const char *log, char *out, size_t outlen)
{
	const char *end = log + strlen(log), *start;

	for (;;) {
		while (end > log && (end[-1] == '\n' || end[-1] == ' '))
			end--;
		start = end;
		while (start > log && start[-1] != '\n')
			start--;
		if (start == log || (strncmp(start, "processed ", 10) != 0 &&
				     strncmp(start, "verification time", 17) != 0))
			break;
		end = start;
	}
	snprintf(out, outlen, "%.*s", (int)(end - start), start);
}

static void set_errno_why(char *why, size_t n, const char *what, int err, const char *log)
{
	char line[120] = "";

	if (log)
		last_log_line(log, line, sizeof(line));
	snprintf(why, n, "%s: %s%s%s", what, strerror(err), line[0] ? ": " : "", line);
}

/* A tracing program that reads its context as ours do: slot ctx_idx (-1:
 * none), and with ret_helper, bpf_get_func_ret() first.  Into prog. */
static size_t tracing_insns(struct bpf_insn *prog, int ctx_idx, bool ret_helper)
{
	size_t n = 0;

	prog[n++] = (struct bpf_insn){ .code = 0xbf, .dst_reg = 6, .src_reg = 1 };	/* r6 = r1 */
	if (ret_helper) {
		/* *(u64 *)(r10 - 8) = 0; r2 = r10; r2 += -8; r1 = r6; call get_func_ret */
		prog[n++] = (struct bpf_insn){ .code = 0x7a, .dst_reg = 10, .off = -8, .imm = 0 };
		prog[n++] = (struct bpf_insn){ .code = 0xbf, .dst_reg = 2, .src_reg = 10 };
		prog[n++] = (struct bpf_insn){ .code = 0x07, .dst_reg = 2, .imm = -8 };
		prog[n++] = (struct bpf_insn){ .code = 0xbf, .dst_reg = 1, .src_reg = 6 };
		prog[n++] = (struct bpf_insn){ .code = 0x85, .imm = BPF_FUNC_get_func_ret };
	}
	if (ctx_idx >= 0)	/* r0 = *(u64 *)(r6 + 8 * ctx_idx) */
		prog[n++] = (struct bpf_insn){ .code = 0x79, .dst_reg = 0, .src_reg = 6,
					       .off = (short)(8 * ctx_idx) };
	prog[n++] = ret0[0];
	prog[n++] = ret0[1];
	return n;
}

/* bpf_get_func_ret(): -1 not known yet, 0 absent (before 5.17), 1 there. */
static int func_ret = -1;

int trial_func_ret(void)
{
	return func_ret;
}

int trial_tracing(int btf_id, enum bpf_attach_type at, int ctx_idx, bool ret_helper, char *why,
		  size_t n)
{
	static char log[16384];
	/* EPERM at load is about us (lockdown, an LSM, capabilities), not
	 * about the function: once is enough to know, and each try costs a
	 * verifier run. */
	static char refused[160];
	struct bpf_insn prog[12];
	size_t ni;
	int fd, link;

	if (refused[0]) {
		snprintf(why, n, "%s", refused);
		return -EPERM;
	}
	ret_helper = ret_helper && func_ret != 0;
	for (;;) {
		log[0] = 0;
		ni = tracing_insns(prog, ctx_idx, ret_helper);
		LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at, .attach_btf_id = btf_id,
			    .log_buf = log, .log_size = sizeof(log), .log_level = 1);
		fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", prog, ni, &o);
		/* The helper is the kernel's, not the function's: asked once.
		 * Without it, fexit programs read the slot after the arguments. */
		if (fd < 0 && ret_helper && errno == EINVAL && strstr(log, "invalid func")) {
			func_ret = 0;
			ret_helper = false;
			continue;
		}
		if (fd >= 0 && ret_helper)
			func_ret = 1;
		break;
	}
	if (fd < 0) {
		int e = errno;

		set_errno_why(why, n, "refused at load", e, log);
		if (e == EPERM)
			snprintf(refused, sizeof(refused), "%s", why);
		return -e;
	}
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0) {
		int e = errno;

		set_errno_why(why, n, "refused at attach", e, NULL);
		close(fd);
		return -e;
	}
	close(link);
	close(fd);
	snprintf(why, n, "ok");
	return 0;
}

static int read_int_file(const char *path, int *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%d", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int perf_attach_trial(struct perf_event_attr *attr, enum bpf_prog_type type, char *why,
			     size_t n)
{
	int pfd, fd, e;

	fd = bpf_prog_load(type, NULL, "GPL", ret0, 2, NULL);
	if (fd < 0) {
		e = errno;
		set_errno_why(why, n, "program refused", e, NULL);
		return -e;
	}
	pfd = syscall(__NR_perf_event_open, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		e = errno;
		set_errno_why(why, n, "perf_event_open failed", e, NULL);
		close(fd);
		return -e;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, fd) < 0) {
		e = errno;
		set_errno_why(why, n, "attach refused", e, NULL);
		close(pfd);
		close(fd);
		return -e;
	}
	close(pfd);
	close(fd);
	snprintf(why, n, "ok");
	return 0;
}

int trial_kprobe(const char *func, bool ret, char *why, size_t n)
{
	struct perf_event_attr attr;
	int type, bit = 0, rc;

	if (read_int_file("/sys/bus/event_source/devices/kprobe/type", &type) < 0) {
		snprintf(why, n, "no kprobe PMU (kernel built without CONFIG_KPROBES)");
		return -ENOTSUP;
	}
	if (ret) {
		FILE *f = fopen("/sys/bus/event_source/devices/kprobe/format/retprobe", "re");

		if (!f || fscanf(f, "config:%d", &bit) != 1)
			bit = 0;
		if (f)
			fclose(f);
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = ret ? 1ULL << bit : 0;
	attr.config1 = (uint64_t)(uintptr_t)func;
	rc = perf_attach_trial(&attr, BPF_PROG_TYPE_KPROBE, why, n);
	if (rc == -ENOENT)
		snprintf(why, n, "%s is not a kernel symbol here (inlined or not traceable)", func);
	return rc;
}

/* A tracepoint is tried by its id in tracefs and by loading a tracepoint
 * program, not by attaching: closing a tracepoint perf event waits for an
 * RCU grace period (25-60 ms here), and eight of them made start-up slow. */
int trial_tracepoint(const char *event, char *why, size_t n)
{
	const char *dir = tracefs_dir();
	char path[256];
	int id, fd;

	if (!dir) {
		snprintf(why, n, "tracefs not mounted");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/id", dir, event);
	if (read_int_file(path, &id) < 0) {
		snprintf(why, n, "no tracepoint %s on this kernel", event);
		return -ENOENT;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, NULL, "GPL", ret0, 2, NULL);
	if (fd < 0) {
		int e = errno;

		set_errno_why(why, n, "program refused", e, NULL);
		return -e;
	}
	close(fd);
	snprintf(why, n, "ok");
	return 0;
}

/* The program type, once: the tracepoint itself is vouched for by its
 * btf_trace_ typedef, and attaching to try it would make the real attach
 * wait for an RCU grace period. */
int trial_raw_tp(char *why, size_t n)
{
	static int rc = 1;
	static char saved[160];

	if (rc == 1) {
		int fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", ret0, 2, NULL);

		rc = fd < 0 ? -errno : 0;
		if (fd < 0)
			set_errno_why(saved, sizeof(saved), "raw tracepoint program refused", -rc, NULL);
		else
			close(fd);
	}
	snprintf(why, n, "%s", rc ? saved : "ok");
	return rc;
}
