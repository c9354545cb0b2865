/* The kernel config; see kconfig.h.  zlib reads the gzip file and the plain
 * one alike. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>
#include "host/kconfig.h"

static struct {
	bool loaded;
	char *text;		/* the whole config, NUL-terminated; NULL if none */
	char source[300];
} kc;

/* The whole of path, or NULL. */
static char *slurp(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int r = -1;

	if (!gz)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				r = -1;
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		r = gzread(gz, buf + len, (unsigned)(cap - len - 1));
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	gzclose(gz);
	if (!buf || r < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	return buf;
}

static void load(void)
{
	struct utsname u;

	if (kc.loaded)
		return;
	kc.loaded = true;
	snprintf(kc.source, sizeof(kc.source), "/proc/config.gz");
	kc.text = slurp(kc.source);
	if (kc.text || uname(&u) < 0)
		return;
	snprintf(kc.source, sizeof(kc.source), "/boot/config-%s", u.release);
	kc.text = slurp(kc.source);
}

const char *kconfig_source(void)
{
	load();
	return kc.text ? kc.source : NULL;
}

int kconfig_get(const char *name)
{
	size_t n = strlen(name);

	load();
	if (!kc.text)
		return -1;
	for (const char *l = kc.text, *nl; *l; l = nl ? nl + 1 : l + strlen(l)) {
		nl = strchr(l, '\n');
		if (strncmp(l, name, n) == 0 && l[n] == '=')
			return l[n + 1] == 'y' || l[n + 1] == 'm';
		if (strncmp(l, "# ", 2) == 0 && strncmp(l + 2, name, n) == 0 &&
		    strncmp(l + 2 + n, " is not set", 11) == 0)
			return 0;
	}
	return 0;
}
