/* libFuzzer target: procmaps_parse() and procmaps_parse_line() on arbitrary
 * bytes; what parses must print back as a maps line that parses the same. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host/procmaps.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static struct map_entry again;
static char line[sizeof(again.path) + 256];

static void check_entry(const struct map_entry *e)
{
	CHECK(e->start < e->end);
	CHECK(strlen(e->perms) == 4);
	CHECK(strchr("r-", e->perms[0]) && strchr("w-", e->perms[1]) &&
	      strchr("x-", e->perms[2]) && strchr("ps", e->perms[3]));
	CHECK(memchr(e->path, '\0', sizeof(e->path)) != NULL);
	CHECK(strchr(e->path, '\n') == NULL);
	CHECK(e->path[0] != ' ' && e->path[0] != '\t');
	CHECK(e->dev_major <= 0xfff && e->dev_minor <= 0xfffff);

	/* Print it the kernel's way and parse it again. */
	int n = snprintf(line, sizeof(line), "%" PRIx64 "-%" PRIx64 " %s %08" PRIx64 " %02x:%02x %" PRIu64 "%s%s\n",
			 e->start, e->end, e->perms, e->offset, e->dev_major, e->dev_minor,
			 e->ino, e->path[0] ? "    " : "", e->path);
	CHECK(n > 0 && (size_t)n < sizeof(line));
	CHECK(procmaps_parse_line(line, &again) == 0);
	CHECK(again.start == e->start && again.end == e->end && again.offset == e->offset);
	CHECK(again.dev_major == e->dev_major && again.dev_minor == e->dev_minor);
	CHECK(again.ino == e->ino);
	CHECK(strcmp(again.perms, e->perms) == 0);
	CHECK(strcmp(again.path, e->path) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct map_list l = { 0 };
	size_t bad = (size_t)-1, lines = 0;

	/* Non-empty lines in the input: each is either parsed or bad. */
	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : size - i;

		lines += n > 0;
		i += n + 1;
	}
	if (procmaps_parse((const char *)data, size, &l, &bad) != 0)
		abort();	/* out of memory on a fuzz input: not expected */
	CHECK(l.n + bad == lines);
	CHECK(l.n <= l.cap);
	for (size_t i = 0; i < l.n; i++) {
		const struct map_entry *e = &l.v[i], *f;

		check_entry(e);
		f = map_list_find(&l, e->start);
		CHECK(f && f->start <= e->start && e->start < f->end);
		f = map_list_find(&l, e->end - 1);
		CHECK(f && f->start <= e->end - 1 && e->end - 1 < f->end);
	}
	map_list_free(&l);
	CHECK(l.v == NULL && l.n == 0);

	/* The whole input as one line. */
	char *s = malloc(size + 1);
	struct map_entry *e = malloc(sizeof(*e));

	if (s && e) {
		memcpy(s, data, size);
		s[size] = '\0';
		if (procmaps_parse_line(s, e) == 0) {
			check_entry(e);
			/* A single line, at most ending in a newline. */
			char *nl = strchr(s, '\n');

			CHECK(!nl || nl[1] == '\0');
		}
	}
	free(s);
	free(e);
	return 0;
}
