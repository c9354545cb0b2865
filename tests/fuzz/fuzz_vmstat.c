/* libFuzzer target: vmstat_find() on arbitrary bytes, checked against a
 * plain reference: the value found is that of the first line that is
 * exactly "thp_split_pmd <decimal that fits int64_t>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host/vmstat.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

static bool reference(const char *s, size_t len, int64_t *out)
{
	static const char key[] = "thp_split_pmd ";
	size_t i = 0;

	while (i < len) {
		size_t e = i;

		while (e < len && s[e] != '\n')
			e++;
		if (e - i > strlen(key) && memcmp(s + i, key, strlen(key)) == 0) {
			char num[4096];
			size_t dl = e - i - strlen(key);
			bool digits = dl > 0 && dl < sizeof(num);

			for (size_t k = 0; digits && k < dl; k++)
				digits = s[i + strlen(key) + k] >= '0' && s[i + strlen(key) + k] <= '9';
			if (digits) {
				memcpy(num, s + i + strlen(key), dl);
				num[dl] = 0;
				/* fits int64_t: compare as digit strings, leading zeros stripped */
				const char *p = num;
				while (*p == '0' && p[1])
					p++;
				if (strlen(p) < 19 || (strlen(p) == 19 && strcmp(p, "9223372036854775807") <= 0)) {
					*out = strtoll(p, NULL, 10);
					return true;
				}
			}
		}
		i = e + 1;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t got = -1, want = -1;
	bool g = vmstat_find((const char *)data, size, "thp_split_pmd", &got);
	bool w = reference((const char *)data, size, &want);

	CHECK(g == w);
	if (g)
		CHECK(got == want && got >= 0);
	return 0;
}
