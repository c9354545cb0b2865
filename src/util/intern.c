/* str_intern (see intern.h): an open-addressing set of strings, kept at
 * most half full.  A trace has few distinct names (files, result names),
 * looked up each time a region takes one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/intern.h"

static char **slots;
static size_t cap, used;

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

static char **find(char **v, size_t n, const char *s)
{
	size_t i = hash(s) & (n - 1);

	while (v[i] && strcmp(v[i], s))
		i = (i + 1) & (n - 1);
	return &v[i];
}

const char *str_intern(const char *s)
{
	char **slot;

	if (!s || !*s)
		return "";
	if ((used + 1) * 2 > cap) {
		size_t ncap = cap ? cap * 2 : 64;
		char **v = calloc(ncap, sizeof(*v));

		if (!v)
			return "?";
		for (size_t i = 0; i < cap; i++)
			if (slots[i])
				*find(v, ncap, slots[i]) = slots[i];
		free(slots);
		slots = v;
		cap = ncap;
	}
	slot = find(slots, cap, s);
	if (!*slot) {
		if (!(*slot = strdup(s)))
			return "?";
		used++;
	}
	return *slot;
}
