/* /proc/PID/maps parsing.  A line is
 *	START-END PERMS OFFSET MAJOR:MINOR INODE [PATH]
 * with hexadecimal numbers except the decimal inode; the kernel pads the
 * space before PATH, and PATH (which may contain spaces, "[heap]", or end in
 * " (deleted)") runs to the end of the line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/procmaps.h"
#include "util/hexdigit.h"

/* Longest line procmaps_parse() accepts: the fixed fields plus a path. */
#define LINE_MAX_LEN (sizeof(((struct map_entry *)0)->path) + 256)

/* Hexadecimal number of at most maxdig digits (no 0x).  Advances *p. */
static int get_hex(const char **p, int maxdig, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0, d;

	while ((d = hexval(*s)) >= 0) {
		if (++n > maxdig)
			return -1;
		v = (v << 4) | (uint64_t)d;
		s++;
	}
	if (n == 0)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

static int get_dec(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

/* One or more blanks between fields. */
static int get_blanks(const char **p)
{
	const char *s = *p;

	if (*s != ' ' && *s != '\t')
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	*p = s;
	return 0;
}

int procmaps_parse_line(const char *line, struct map_entry *out)
{
	struct map_entry e;
	const char *p = line, *path, *eol;
	uint64_t v;
	size_t plen;

	if (!line || !out)
		return -1;
	memset(&e, 0, offsetof(struct map_entry, path));
	e.path[0] = '\0';

	if (get_hex(&p, 16, &e.start) || *p++ != '-' || get_hex(&p, 16, &e.end))
		return -1;
	if (e.start >= e.end)
		return -1;
	if (get_blanks(&p))
		return -1;
	if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-') || (p[3] != 'p' && p[3] != 's'))
		return -1;
	memcpy(e.perms, p, 4);
	e.perms[4] = '\0';
	p += 4;
	if (get_blanks(&p) || get_hex(&p, 16, &e.offset) || get_blanks(&p))
		return -1;
	/* Kernel dev_t: 12-bit major, 20-bit minor. */
	if (get_hex(&p, 8, &v) || v > 0xfff)
		return -1;
	e.dev_major = (uint32_t)v;
	if (*p++ != ':')
		return -1;
	if (get_hex(&p, 8, &v) || v > 0xfffff)
		return -1;
	e.dev_minor = (uint32_t)v;
	if (get_blanks(&p) || get_dec(&p, &e.ino))
		return -1;

	/* Anonymous: end of line, perhaps after blanks.  Else blanks, path. */
	eol = strchr(p, '\n');
	if (!eol)
		eol = p + strlen(p);
	else if (eol[1] != '\0')
		return -1;		/* more than one line */
	if (p != eol && get_blanks(&p))
		return -1;		/* junk glued to the inode */
	path = p;
	plen = (size_t)(eol - path);
	if (plen >= sizeof(e.path))
		plen = sizeof(e.path) - 1;
	memcpy(e.path, path, plen);
	e.path[plen] = '\0';

	memcpy(out, &e, offsetof(struct map_entry, path));
	memcpy(out->path, e.path, plen + 1);
	return 0;
}

static int list_grow(struct map_list *l)
{
	struct map_entry *v;
	size_t cap;

	if (l->n < l->cap)
		return 0;
	cap = l->cap ? l->cap * 2 : 16;
	if (cap < l->cap || cap > SIZE_MAX / sizeof(*v))
		return -1;
	v = realloc(l->v, cap * sizeof(*v));
	if (!v)
		return -1;
	l->v = v;
	l->cap = cap;
	return 0;
}

int procmaps_parse(const char *text, size_t len, struct map_list *out, size_t *bad)
{
	static const size_t maxlen = LINE_MAX_LEN;
	char *line;
	size_t nbad = 0, pos = 0;

	if (bad)
		*bad = 0;
	if (!out)
		return -1;
	if (!text)
		len = 0;
	line = malloc(maxlen + 1);
	if (!line)
		return -1;
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + (nl ? 1 : 0);
		if (n == 0)
			continue;		/* empty line */
		if (n > maxlen || memchr(s, '\0', n)) {
			nbad++;
			continue;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		if (list_grow(out)) {
			free(line);
			if (bad)
				*bad = nbad;
			return -1;
		}
		if (procmaps_parse_line(line, &out->v[out->n]) == 0)
			out->n++;
		else
			nbad++;
	}
	free(line);
	if (bad)
		*bad = nbad;
	return 0;
}

int procmaps_read(pid_t pid, struct map_list *out)
{
	char path[64];
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n0;
	int fd, ret = 0;

	if (!out || pid < 0)
		return -EINVAL;
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/maps");
	else
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 65536;

			nb = realloc(buf, ncap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	n0 = out->n;
	if (procmaps_parse(buf, len, out, NULL)) {
		out->n = n0;
		ret = -ENOMEM;
	}
out:
	free(buf);
	close(fd);
	return ret;
}

void map_list_free(struct map_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

const struct map_entry *map_list_find(const struct map_list *l, uint64_t addr)
{
	if (!l || !l->v)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (addr >= l->v[i].start && addr < l->v[i].end)
			return &l->v[i];
	return NULL;
}
