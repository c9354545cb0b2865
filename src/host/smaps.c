/* /proc/PID/smaps parsing.  The text is, for each mapping, its maps line
 * (host/procmaps.c parses it) and then "Key:   value" lines:
 *
 *	7f2a00000000-7f2a00400000 rw-p 00000000 00:00 0
 *	Size:               4096 kB
 *	...
 *	AnonHugePages:      4096 kB
 *	THPeligible:           1
 *	VmFlags: rd wr mr mw me ac sd hg
 *
 * A line is a key line when it starts with a run of letters, digits and
 * '_' followed by ':'; a maps line starts with hex digits and '-', so the
 * two never mix up (keys such as "AnonHugePages" start with a hex digit
 * too, which is why the whole run is looked at).  A mapping ends at the
 * next line that is not a key line (a maps line, good or bad), or where
 * the text ends. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/smaps.h"
#include "model/event.h"

/* Longest line kept: a maps line with the longest path (as procmaps.c). */
#define LINE_MAX_LEN (sizeof(((struct map_entry *)0)->path) + 256)
/* Longest key name: the kernel's are below 20 characters. */
#define KEY_MAX 64
/* Bytes asked for per read().  /proc gives whole mappings, about 4 KiB of
 * them per read (its seq_file buffer), so lines are cut only in other
 * files; the size only has to hold the longest line. */
#define READ_CHUNK 65536
_Static_assert(READ_CHUNK > LINE_MAX_LEN, "a read holds the longest line");

struct parser {
	smaps_fn fn;
	void *arg;
	size_t bad;
	bool open;			/* cur is a mapping whose key lines may follow */
	struct smaps_entry cur;
	char line[LINE_MAX_LEN + 1];	/* a maps line, NUL-terminated for procmaps */
};

/* Fields given in kB, stored in bytes. */
static const struct kb_key {
	const char *name;
	uint32_t have;
	size_t off;
} kb_keys[] = {
	{ "Size", SMAPS_HAVE_SIZE, offsetof(struct smaps_entry, size) },
	{ "Rss", SMAPS_HAVE_RSS, offsetof(struct smaps_entry, rss) },
	{ "AnonHugePages", SMAPS_HAVE_ANON_HUGE, offsetof(struct smaps_entry, anon_huge) },
	{ "ShmemPmdMapped", SMAPS_HAVE_SHMEM_PMD, offsetof(struct smaps_entry, shmem_pmd) },
	{ "FilePmdMapped", SMAPS_HAVE_FILE_PMD, offsetof(struct smaps_entry, file_pmd) },
};

static const struct named_flag {
	char code[3];
	uint32_t bit;
} named_flags[] = {
	{ "rd", SMAPS_VM_RD }, { "wr", SMAPS_VM_WR }, { "ex", SMAPS_VM_EX },
	{ "sh", SMAPS_VM_SH }, { "mr", SMAPS_VM_MR }, { "mw", SMAPS_VM_MW },
	{ "me", SMAPS_VM_ME }, { "lo", SMAPS_VM_LO }, { "io", SMAPS_VM_IO },
	{ "dd", SMAPS_VM_DD }, { "ht", SMAPS_VM_HT }, { "hg", SMAPS_VM_HG },
	{ "nh", SMAPS_VM_NH }, { "mg", SMAPS_VM_MG },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool key_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(name, want, n) == 0;
}

/* A decimal number in s[*i..n), blanks before it.  Advances *i. */
static int get_dec(const char *s, size_t n, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	size_t k = *i;

	while (k < n && is_blank(s[k]))
		k++;
	if (k == n || s[k] < '0' || s[k] > '9')
		return -1;
	while (k < n && s[k] >= '0' && s[k] <= '9') {
		unsigned d = (unsigned)(s[k] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		k++;
	}
	*i = k;
	*out = v;
	return 0;
}

/* Only blanks from s[i] to the end. */
static bool rest_blank(const char *s, size_t n, size_t i)
{
	while (i < n && is_blank(s[i]))
		i++;
	return i == n;
}

/* "   4096 kB" in bytes. */
static int parse_kb(const char *s, size_t n, uint64_t *bytes)
{
	uint64_t v;
	size_t i = 0;

	if (get_dec(s, n, &i, &v) || v > (UINT64_MAX >> 10))
		return -1;
	while (i < n && is_blank(s[i]))
		i++;
	if (n - i < 2 || s[i] != 'k' || s[i + 1] != 'B' || !rest_blank(s, n, i + 2))
		return -1;
	*bytes = v << 10;
	return 0;
}

/* " rd wr mr mw me ac hg": all or nothing, so a bad line changes nothing. */
static int parse_vmflags(const char *s, size_t n, struct smaps_entry *e)
{
	char raw[SMAPS_VMFLAGS_LEN];
	uint32_t bits = 0;
	size_t i = 0, codes = 0, len = 0;

	for (;;) {
		while (i < n && is_blank(s[i]))
			i++;
		if (i == n)
			break;
		/* Codes are two lower-case letters or digits, blank-separated. */
		if (n - i < 2 || (i + 2 < n && !is_blank(s[i + 2])))
			return -1;
		for (int k = 0; k < 2; k++)
			if (!((s[i + k] >= 'a' && s[i + k] <= 'z') || (s[i + k] >= '0' && s[i + k] <= '9')))
				return -1;
		if (++codes > SMAPS_VMFLAGS_MAX)
			return -1;
		for (size_t f = 0; f < ARRAY_LEN(named_flags); f++)
			if (s[i] == named_flags[f].code[0] && s[i + 1] == named_flags[f].code[1])
				bits |= named_flags[f].bit;
		if (len)
			raw[len++] = ' ';
		raw[len++] = s[i];
		raw[len++] = s[i + 1];
		i += 2;
	}
	raw[len] = '\0';
	memcpy(e->vmflags_raw, raw, len + 1);
	e->vmflags = bits;
	return 0;
}

/* A "Key: value" line of the open mapping.  Returns 0 or -1 (bad). */
static int key_line(struct smaps_entry *e, const char *name, size_t nlen, const char *val,
		    size_t vlen)
{
	for (size_t k = 0; k < ARRAY_LEN(kb_keys); k++) {
		uint64_t bytes;

		if (!key_is(name, nlen, kb_keys[k].name))
			continue;
		if (parse_kb(val, vlen, &bytes))
			return -1;
		memcpy((char *)e + kb_keys[k].off, &bytes, sizeof(bytes));
		e->have |= kb_keys[k].have;
		return 0;
	}
	if (key_is(name, nlen, "THPeligible")) {
		uint64_t v;
		size_t i = 0;

		if (get_dec(val, vlen, &i, &v) || v > 1 || !rest_blank(val, vlen, i))
			return -1;
		e->thp_eligible = (int)v;
		e->have |= SMAPS_HAVE_THP_ELIGIBLE;
		return 0;
	}
	if (key_is(name, nlen, "VmFlags")) {
		if (parse_vmflags(val, vlen, e))
			return -1;
		e->have |= SMAPS_HAVE_VMFLAGS;
		return 0;
	}
	return 0;		/* a key we do not use */
}

/* Hand the open mapping to fn. */
static int finish(struct parser *p)
{
	if (!p->open)
		return 0;
	p->open = false;
	return p->fn(&p->cur, p->arg);
}

/* One line, without its newline.  Returns 0 or fn's nonzero return.
 * A line longer than any smaps line (LINE_MAX_LEN) is bad; whether it was
 * a key line is decided by its start, so that smaps_fd_each(), which sees
 * only the start of a very long line, decides the same. */
static int feed_line(struct parser *p, const char *s, size_t n)
{
	size_t k = 0;
	int rc;

	if (n == 0)
		return 0;
	while (k < n && k <= KEY_MAX && is_key_char(s[k]))
		k++;
	if (k > 0 && k <= KEY_MAX && k < n && s[k] == ':') {
		if (n > LINE_MAX_LEN || !p->open || key_line(&p->cur, s, k, s + k + 1, n - k - 1))
			p->bad++;
		return 0;
	}
	/* Not a key line: the mapping above ends here, whatever this is. */
	rc = finish(p);
	if (rc)
		return rc;
	if (n > LINE_MAX_LEN || memchr(s, '\0', n)) {
		p->bad++;
		return 0;
	}
	memcpy(p->line, s, n);
	p->line[n] = '\0';
	if (procmaps_parse_line(p->line, &p->cur.map)) {
		p->bad++;
		return 0;
	}
	memset((char *)&p->cur + offsetof(struct smaps_entry, size), 0,
	       sizeof(p->cur) - offsetof(struct smaps_entry, size));
	p->cur.thp_eligible = -1;
	p->open = true;
	return 0;
}

/* Feed every complete line of s[0..n); returns how many bytes that used
 * (in *used), 0, or fn's nonzero return.  With last, the rest is a line. */
static int feed_text(struct parser *p, const char *s, size_t n, bool last, size_t *used)
{
	size_t pos = 0;
	int rc = 0;

	while (pos < n) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t len;

		if (!nl && !last)
			break;
		len = nl ? (size_t)(nl - (s + pos)) : n - pos;
		rc = feed_line(p, s + pos, len);
		pos += len + (nl ? 1 : 0);
		if (rc)
			break;
	}
	*used = pos;
	return rc;
}

static struct parser *parser_new(smaps_fn fn, void *arg)
{
	struct parser *p = malloc(sizeof(*p));

	if (!p)
		return NULL;
	p->fn = fn;
	p->arg = arg;
	p->bad = 0;
	p->open = false;
	return p;
}

/* The end of the text: the last mapping, then the bad count. */
static int parser_end(struct parser *p, int rc, size_t *bad)
{
	if (!rc)
		rc = finish(p);
	if (bad)
		*bad = p->bad;
	free(p);
	return rc;
}

int smaps_each(const char *text, size_t len, smaps_fn fn, void *arg, size_t *bad)
{
	struct parser *p;
	size_t used;

	if (bad)
		*bad = 0;
	if (!fn)
		return -1;
	if (!text)
		len = 0;
	p = parser_new(fn, arg);
	if (!p)
		return -1;
	return parser_end(p, feed_text(p, text, len, true, &used), bad);
}

/* Append e; 1 (stop) when out of memory. */
static int collect(const struct smaps_entry *e, void *arg)
{
	struct smaps_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct smaps_entry *v;

		if (cap < l->cap || cap > SIZE_MAX / sizeof(*v))
			return 1;
		v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return 1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

int smaps_parse(const char *text, size_t len, struct smaps_list *out, size_t *bad)
{
	if (bad)
		*bad = 0;
	if (!out)
		return -1;
	return smaps_each(text, len, collect, out, bad) ? -1 : 0;
}

int smaps_fd_each(int fd, smaps_fn fn, void *arg, size_t *bad)
{
	char *buf;
	struct parser *p;
	size_t have = 0, used;
	bool skipping = false;	/* inside a line too long to keep */
	int rc = 0;

	if (bad)
		*bad = 0;
	if (!fn || fd < 0)
		return -EINVAL;
	buf = malloc(READ_CHUNK);
	p = parser_new(fn, arg);
	if (!buf || !p) {
		free(buf);
		free(p);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, buf + have, READ_CHUNK - have);
		size_t n;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		n = have + (size_t)r;
		have = 0;
		if (skipping) {
			char *nl = memchr(buf, '\n', n);

			if (!nl) {
				if (r == 0)
					break;
				continue;	/* still inside it */
			}
			skipping = false;
			n -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, n);
		}
		rc = feed_text(p, buf, n, r == 0, &used);
		if (rc || r == 0)
			break;
		if (used == 0 && n == READ_CHUNK) {
			/* No newline in a full buffer: judge the line by its
			 * start (it is too long, so bad) and skip the rest. */
			rc = feed_line(p, buf, n);
			if (rc)
				break;
			skipping = true;
			continue;
		}
		have = n - used;
		memmove(buf, buf + used, have);
	}
	free(buf);
	return parser_end(p, rc, bad);
}

int smaps_read_each(pid_t pid, smaps_fn fn, void *arg, size_t *bad)
{
	char path[64];
	int fd, rc;

	if (bad)
		*bad = 0;
	if (!fn || pid < 0)
		return -EINVAL;
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/smaps");
	else
		snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = smaps_fd_each(fd, fn, arg, bad);
	close(fd);
	return rc;
}

int smaps_read(pid_t pid, struct smaps_list *out)
{
	size_t n0;
	int rc;

	if (!out)
		return -EINVAL;
	n0 = out->n;
	rc = smaps_read_each(pid, collect, out, NULL);
	if (rc) {
		out->n = n0;
		return rc < 0 ? rc : -ENOMEM;	/* collect stops only for memory */
	}
	return 0;
}

void smaps_list_free(struct smaps_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

bool smaps_has_flag(const struct smaps_entry *e, const char *code)
{
	if (!e || !code || strlen(code) != 2)
		return false;
	for (const char *c = e->vmflags_raw; c[0] && c[1]; c += c[2] ? 3 : 2)
		if (c[0] == code[0] && c[1] == code[1])
			return true;
	return false;
}

uint64_t smaps_aligned_regions(const struct map_entry *m, uint64_t *first)
{
	uint64_t a;

	if (first)
		*first = 0;
	if (!m || m->start > UINT64_MAX - (THP_REGION_SIZE - 1))
		return 0;
	a = (m->start + THP_REGION_SIZE - 1) & THP_REGION_MASK;
	if (a >= m->end || m->end - a < THP_REGION_SIZE)
		return 0;
	if (first)
		*first = a;
	return (m->end - a) / THP_REGION_SIZE;
}

/* The rule: a mapping matters for THP when
 *   - it holds at least one 2 MiB aligned 2 MiB region (a PMD can only map
 *     such a range: a 1.9 MiB mapping never gets one, nor a 2 MiB one that
 *     is not aligned, while an unaligned 4 MiB one holds one), and
 *   - it is not hugetlb (ht: huge pages, but not transparent ones), and
 *   - it is asking for THP or has some: MADV_HUGEPAGE (hg), or the kernel
 *     calls it eligible now (THPeligible 1: the mode, flags and file allow
 *     it), or part of it is PMD-mapped already (AnonHugePages,
 *     ShmemPmdMapped, FilePmdMapped).
 * MADV_NOHUGEPAGE (nh) makes THPeligible 0 and excludes hg, so an nh
 * mapping counts only while it still holds a PMD from before. */
bool smaps_thp_relevant(const struct smaps_entry *e)
{
	if (!e || smaps_aligned_regions(&e->map, NULL) == 0)
		return false;
	if (e->vmflags & SMAPS_VM_HT)
		return false;
	return (e->vmflags & SMAPS_VM_HG) || e->thp_eligible == 1 || e->anon_huge > 0 ||
	       e->shmem_pmd > 0 || e->file_pmd > 0;
}
