/* libFuzzer target: the whole replay path, `thptrace report` (report_main),
 * which reads JSON Lines written on other machines.  The input is the saved
 * file, handed over as /proc/self/fd/N of a memfd.  Its first byte also
 * picks the options (OPT_* bits below) and stays in the file, so seeds are
 * plain traces: '{' gives --json --svg, and a blank first byte, which report
 * skips, the others (' ' text, '\n' text --svg, '\t' --json, '\r' --json
 * --all-faults; '$' text --all-faults costs a bad first line);
 * tests/fuzz/corpus/report/ has one of each.
 *
 * Checked: the exit status is 0, 1, 6 or 8 (report.c's RX_OK, RX_BADLINES,
 * RX_OUTPUT, RX_SCHEMA; never 2, usage, as the options and the input are good); no
 * crash, leak or undefined behaviour (ASan, LSan, UBSan); and with --json,
 * what report writes it reads back: each of its lines parses (exit 0), and
 * a replay of that output is a fixed point (the third pass writes what the
 * second did; the first may differ: it rounds "t" to 6 decimals). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/report.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

enum {
	OPT_JSON = 1,		/* --json, and the read-back checks */
	OPT_SVG = 2,		/* --svg /dev/null */
	OPT_ALL = 4,		/* --all-faults */
};

static int in_fd = -1, out_fd = -1;
static char in_path[40], out_path[40];
static FILE *quiet;

/* Make the memfd hold data[0..n) from offset 0. */
static void fill(int fd, const void *data, size_t n)
{
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, n, 0) == (ssize_t)n);
}

/* The memfd's bytes, in a new buffer (NUL-terminated, *n long). */
static char *slurp(int fd, size_t *n)
{
	struct stat st;
	char *b;

	CHECK(fstat(fd, &st) == 0);
	*n = (size_t)st.st_size;
	b = malloc(*n + 1);
	CHECK(b && pread(fd, b, *n, 0) == (ssize_t)*n);
	b[*n] = 0;
	return b;
}

/* thptrace report [--json] [--svg /dev/null] [--all-faults] -o OUT IN.
 * Only valid options: on a bad one argp would exit the fuzzer.  Each line
 * report cannot parse costs a message on stderr: those go to /dev/null
 * (stderr is a variable; ASan and libFuzzer write to fd 2, which stays). */
static int run(int opts, const char *out)
{
	char *argv[10];
	int argc = 0, rc;
	FILE *saved = stderr;

	argv[argc++] = (char *)"report";
	if (opts & OPT_JSON)
		argv[argc++] = (char *)"--json";
	if (opts & OPT_SVG) {
		argv[argc++] = (char *)"--svg";
		argv[argc++] = (char *)"/dev/null";
	}
	if (opts & OPT_ALL)
		argv[argc++] = (char *)"--all-faults";
	argv[argc++] = (char *)"-o";
	argv[argc++] = (char *)out;
	argv[argc++] = in_path;
	argv[argc] = NULL;
	stderr = quiet;
	rc = report_main(argc, argv);
	stderr = saved;
	CHECK(rc == 0 || rc == 1 || rc == 6 || rc == 8);
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	in_fd = memfd_create("fuzz_report_in", 0);
	out_fd = memfd_create("fuzz_report_out", 0);
	quiet = fopen("/dev/null", "w");
	CHECK(in_fd >= 0 && out_fd >= 0 && quiet);
	snprintf(in_path, sizeof(in_path), "/proc/self/fd/%d", in_fd);
	snprintf(out_path, sizeof(out_path), "/proc/self/fd/%d", out_fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int opts = size ? data[0] & 7 : 0;
	char *first, *second, *third;
	size_t n1, n2, n3;
	int rc;

	fill(in_fd, data, size);
	if (!(opts & OPT_JSON)) {
		run(opts, "/dev/null");
		return 0;
	}
	rc = run(opts, out_path);
	if (rc == 6 || rc == 8)		/* unwritable, or refused: a newer schema_version */
		return 0;
	first = slurp(out_fd, &n1);

	/* Its own JSON, read back: every line parses. */
	fill(in_fd, first, n1);
	CHECK(run(OPT_JSON, out_path) == 0);
	second = slurp(out_fd, &n2);

	/* And the replay of a replay changes nothing more. */
	fill(in_fd, second, n2);
	CHECK(run(OPT_JSON, out_path) == 0);
	third = slurp(out_fd, &n3);
	if (n2 != n3 || memcmp(second, third, n2)) {
		fprintf(stderr, "replay is not a fixed point:\n--- second\n%s--- third\n%s", second, third);
		CHECK(!"replay of a replay differs");
	}
	free(first);
	free(second);
	free(third);
	return 0;
}
