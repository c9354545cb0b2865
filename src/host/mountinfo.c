/* /proc/PID/mountinfo; see mountinfo.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host/mountinfo.h"

/* The next space-separated field at *p (length 0 at the end of the line). */
static size_t field(const char **p, const char **start)
{
	const char *s = *p;
	size_t n;

	while (*s == ' ')
		s++;
	n = strcspn(s, " \n");
	*start = s;
	*p = s + n;
	return n;
}

/* Mountinfo escapes space, tab, newline and backslash as \ooo. */
static int unescape(const char *s, size_t n, char *out, size_t outn)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= outn)
			return -1;
		out[o++] = c;
	}
	out[o] = 0;
	return 0;
}

/* huge= among the comma-separated superblock options; "never" without it. */
static void huge_option(const char *opts, size_t n, char *out, size_t outn)
{
	const char *end = opts + n;

	snprintf(out, outn, "never");
	for (const char *o = opts; o < end;) {
		const char *comma = memchr(o, ',', (size_t)(end - o));
		size_t l = comma ? (size_t)(comma - o) : (size_t)(end - o);

		if (l >= 5 && strncmp(o, "huge=", 5) == 0) {
			snprintf(out, outn, "%.*s", (int)(l - 5), o + 5);
			return;
		}
		o += l + 1;
	}
}

int mountinfo_parse_line(const char *line, struct mount_entry *e)
{
	const char *p = line, *f[6], *fs, *src, *opts;
	size_t n[6], fsn, optn;

	for (int i = 0; i < 6; i++)
		if ((n[i] = field(&p, &f[i])) == 0)
			return -1;
	/* optional fields up to the lone "-" */
	for (;;) {
		const char *s;
		size_t l = field(&p, &s);

		if (l == 0)
			return -1;
		if (l == 1 && s[0] == '-')
			break;
	}
	fsn = field(&p, &fs);
	if (fsn == 0 || field(&p, &src) == 0)
		return -1;
	optn = field(&p, &opts);
	if (unescape(f[4], n[4], e->point, sizeof(e->point)) < 0)
		return -1;
	snprintf(e->fstype, sizeof(e->fstype), "%.*s", (int)fsn, fs);
	if (strcmp(e->fstype, "tmpfs") == 0)
		huge_option(opts, optn, e->huge, sizeof(e->huge));
	else
		e->huge[0] = 0;
	return 0;
}

int mountinfo_each(pid_t pid, int (*fn)(const struct mount_entry *e, void *arg), void *arg)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	struct mount_entry *e;
	FILE *f;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/mountinfo");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	e = malloc(sizeof(*e));
	if (!e) {
		fclose(f);
		return -ENOMEM;
	}
	while (getline(&line, &cap, f) > 0)
		if (mountinfo_parse_line(line, e) == 0 && fn(e, arg))
			break;
	free(line);
	free(e);
	fclose(f);
	return 0;
}

struct find {
	const char *path;
	struct mount_entry *out;
	size_t best;
	bool found;
};

static int find_one(const struct mount_entry *e, void *arg)
{
	struct find *s = arg;
	size_t len = strlen(e->point);

	if (strncmp(s->path, e->point, len) != 0 ||
	    (s->path[len] != '/' && s->path[len] != 0 && strcmp(e->point, "/") != 0))
		return 0;
	if (s->found && len < s->best)
		return 0;
	s->best = len;
	s->found = true;
	*s->out = *e;
	return 0;
}

int mountinfo_find(pid_t pid, const char *path, struct mount_entry *out)
{
	struct find s = { .path = path, .out = out };

	if (mountinfo_each(pid, find_one, &s) < 0 || !s.found)
		return -1;
	return 0;
}
