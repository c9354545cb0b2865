/* libFuzzer target: range_parse() on arbitrary bytes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host/ranges.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static int ishex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Independent shape check: [0x]HEX+ '-' [0x]HEX+ and nothing else. */
static int well_formed(const char *s)
{
	for (int part = 0; part < 2; part++) {
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		if (!ishex((unsigned char)*s))
			return 0;
		while (ishex((unsigned char)*s))
			s++;
		if (part == 0 && *s++ != '-')
			return 0;
	}
	return *s == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char err[256], small[24];
	struct addr_range r = { 0, 0 }, r2;
	int ret;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(err, 0x5a, sizeof(err));
	ret = range_parse(s, &r, err, sizeof(err));
	CHECK(ret == 0 || ret == -1);
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (ret == 0) {
		CHECK(err[0] == '\0');
		CHECK(r.start < r.end);
		CHECK(well_formed(s));
		CHECK(ranges_overlap(&r, 1, r.start, r.end));
		CHECK(ranges_overlap(&r, 1, r.end - 1, r.end));
		CHECK(!ranges_overlap(&r, 1, r.end, r.end + 1) || r.end == UINT64_MAX);

		/* What it parsed prints back and parses the same. */
		char again[64];

		snprintf(again, sizeof(again), "%#" PRIx64 "-%" PRIX64, r.start, r.end);
		CHECK(range_parse(again, &r2, err, sizeof(err)) == 0);
		CHECK(r2.start == r.start && r2.end == r.end);
	} else {
		size_t n = strlen(err);

		CHECK(n > 0 && n < 200);
		CHECK(strchr(err, '\n') == NULL);
		for (size_t i = 0; i < n; i++)
			CHECK((unsigned char)err[i] >= 0x20 && (unsigned char)err[i] < 0x7f);
	}

	/* A small error buffer: cut, terminated, nothing past it. */
	size_t cap = size ? data[0] % 16 : 0;

	memset(small, 0x5a, sizeof(small));
	CHECK(range_parse(s, NULL, small, cap) == ret);
	for (size_t i = cap; i < sizeof(small); i++)
		CHECK(small[i] == 0x5a);
	if (cap)
		CHECK(memchr(small, '\0', cap) != NULL);

	free(s);
	return 0;
}
