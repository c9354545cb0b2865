/* The kernel's BTF, read in place; see kbtf.h for why not libbpf's reader. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "probe/kbtf.h"
#include "util/config.h"

struct kbtf {
	const uint8_t *data;
	size_t size;
	void *map;		/* the mmap of the file (or of our read of it), or */
	size_t map_len;
	void *owned;		/* our copy of it */
	const char *strs;
	uint32_t str_len;
	const uint8_t *types;
	uint32_t types_len;
	uint32_t n;		/* ids 0..n-1 */
	uint32_t *off;		/* id -> offset in types; [0] unused */
	uint32_t *slot;		/* name hash: ids, 0 = empty */
	uint32_t mask;
	struct { char name[64]; int kind, id; } memo[KBTF_MEMO];	/* linear lookups done */
	unsigned nmemo;
};

/* Kinds looked up by name through the hash; the rest by scanning. */
static bool indexed_kind(int k)
{
	return k == BTF_KIND_STRUCT || k == BTF_KIND_UNION || k == BTF_KIND_ENUM ||
	       k == BTF_KIND_TYPEDEF || k == BTF_KIND_FWD ||
	       k == BTF_KIND_INT || k == 19 /* ENUM64 */;
}

/* The memo keeps the last KBTF_MEMO answers of the scans below. */
static void memo_put(struct kbtf *kb, const char *name, int kind, int id)
{
	unsigned i;

	if (strlen(name) >= sizeof(kb->memo[0].name))
		return;
	i = kb->nmemo++ % KBTF_MEMO;
	strcpy(kb->memo[i].name, name);
	kb->memo[i].kind = kind;
	kb->memo[i].id = id;
}

/* Functions are half of all types and are looked up a handful of times:
 * hashing their names would cost more than scanning for them, once for
 * all the names wanted. */
static void scan_for(const struct kbtf *kb, int kind, const char *const *names, size_t n, int *ids)
{
	for (size_t j = 0; j < n; j++)
		ids[j] = -ENOENT;
	for (uint32_t id = 1; id < kb->n; id++) {
		const struct btf_type *t = (const void *)(kb->types + kb->off[id]);
		const char *s;

		if (btf_kind(t) != kind)
			continue;
		s = kb->strs + t->name_off;
		for (size_t j = 0; j < n; j++)
			if (ids[j] < 0 && s[0] == names[j][0] && strcmp(s, names[j]) == 0)
				ids[j] = (int)id;
	}
}

void kbtf_prefetch(struct kbtf *kb, int kind, const char *const *names, size_t n)
{
	int ids[KBTF_MEMO];

	if (!kb || n > KBTF_MEMO || indexed_kind(kind))
		return;
	scan_for(kb, kind, names, n, ids);
	for (size_t j = 0; j < n; j++)
		memo_put(kb, names[j], kind, ids[j]);
}

static int find_linear(struct kbtf *kb, const char *name, int kind)
{
	int id;

	for (unsigned i = 0; i < kb->nmemo && i < KBTF_MEMO; i++)
		if (kb->memo[i].kind == kind && strcmp(kb->memo[i].name, name) == 0)
			return kb->memo[i].id;
	scan_for(kb, kind, &name, 1, &id);
	memo_put(kb, name, kind, id);
	return id;
}

/* Index arrays are touched once, all of them: populated in one call
 * rather than one page fault at a time. */
static void *alloc_populated(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t arr_bytes(uint32_t n)
{
	return ((size_t)n * sizeof(uint32_t) + 4095) & ~(size_t)4095;
}

static uint32_t rec_size(const struct btf_type *t)
{
	uint32_t vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_INT: return 4;
	case BTF_KIND_ARRAY: return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM: return vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO: return vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR: return sizeof(struct btf_var);
	case BTF_KIND_DATASEC: return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG: return sizeof(struct btf_decl_tag);
	case 19: return vlen * 12;	/* ENUM64, newer than some headers */
	default: return 0;	/* PTR, FWD, TYPEDEF, modifiers, FUNC, FLOAT, TYPE_TAG */
	}
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int build_index(struct kbtf *kb)
{
	const struct btf_header *h = (const void *)kb->data;
	uint32_t pos = 0, n = 1, cap, named = 0;

	if (kb->size < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len < sizeof(*h) ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > kb->size ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > kb->size || h->str_len == 0)
		return -EINVAL;
	kb->types = kb->data + h->hdr_len + h->type_off;
	kb->types_len = h->type_len;
	kb->strs = (const char *)kb->data + h->hdr_len + h->str_off;
	kb->str_len = h->str_len;
	if (kb->strs[kb->str_len - 1] != '\0')
		return -EINVAL;
	/* An upper bound on the count: every record is at least 12 bytes. */
	cap = kb->types_len / sizeof(struct btf_type) + 2;
	kb->off = alloc_populated(arr_bytes(cap));
	if (!kb->off)
		return -ENOMEM;
	while (pos + sizeof(struct btf_type) <= kb->types_len) {
		const struct btf_type *t = (const void *)(kb->types + pos);
		uint32_t sz = sizeof(*t) + rec_size(t);

		if ((uint64_t)pos + sz > kb->types_len || t->name_off >= kb->str_len)
			return -EINVAL;
		kb->off[n++] = pos;
		pos += sz;
	}
	if (pos != kb->types_len)
		return -EINVAL;
	kb->n = n;
	/* Sized for the names indexed, not all types: a table that fits in
	 * the cache makes the inserts several times faster. */
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = kbtf_type(kb, id);

		named += t->name_off && indexed_kind(btf_kind(t));
	}
	for (kb->mask = 1023; kb->mask < named * 2; kb->mask = kb->mask * 2 + 1)
		;
	kb->slot = alloc_populated(arr_bytes(kb->mask + 1));
	if (!kb->slot)
		return -ENOMEM;
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = kbtf_type(kb, id);
		uint32_t i;

		if (!t->name_off || !indexed_kind(btf_kind(t)))
			continue;
		for (i = name_hash(kb->strs + t->name_off) & kb->mask; kb->slot[i]; i = (i + 1) & kb->mask)
			;
		kb->slot[i] = id;
	}
	return 0;
}

static struct kbtf *finish(struct kbtf *kb)
{
	int err = build_index(kb);

	if (err) {
		kbtf_free(kb);
		errno = -err;
		return NULL;
	}
	return kb;
}

struct kbtf *kbtf_from_mem(const void *data, size_t size)
{
	struct kbtf *kb = calloc(1, sizeof(*kb));

	if (!kb)
		return NULL;
	kb->owned = malloc(size ? size : 1);
	if (!kb->owned) {
		free(kb);
		return NULL;
	}
	memcpy(kb->owned, data, size);
	kb->data = kb->owned;
	kb->size = size;
	return finish(kb);
}

/* Any BTF libbpf can parse (raw or an ELF .BTF section), for $THPTRACE_BTF. */
static struct kbtf *load_via_libbpf(const char *path)
{
	struct btf *b = btf__parse(path, NULL);
	struct kbtf *kb;
	const void *raw;
	__u32 sz;

	if (!b) {
		if (!errno)
			errno = EINVAL;
		return NULL;
	}
	raw = btf__raw_data(b, &sz);
	kb = raw ? kbtf_from_mem(raw, sz) : NULL;
	btf__free(b);
	return kb;
}

static struct kbtf *load_file(const char *path)
{
	struct kbtf *kb;
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		int e = errno ? errno : EINVAL;

		close(fd);
		errno = e;
		return NULL;
	}
	kb = calloc(1, sizeof(*kb));
	if (!kb) {
		close(fd);
		return NULL;
	}
	kb->size = (size_t)st.st_size;
	kb->map = mmap(NULL, kb->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (kb->map != MAP_FAILED) {
		kb->data = kb->map;
		kb->map_len = kb->size;
		close(fd);
		return finish(kb);
	}
	kb->map = NULL;
	/* Before 6.16 the file cannot be mapped: one buffer, big reads. */
	kb->owned = alloc_populated(kb->size);
	if (!kb->owned) {
		close(fd);
		free(kb);
		return NULL;
	}
	while (got < kb->size) {
		ssize_t r = read(fd, (char *)kb->owned + got, kb->size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	/* Mapped memory, not malloc'ed: remember to unmap it. */
	kb->map = kb->owned;
	kb->map_len = kb->size;
	kb->owned = NULL;
	kb->data = kb->map;
	kb->size = got;
	return finish(kb);
}

struct kbtf *kbtf_load(void)
{
	const char *path = config()->btf_path;

	if (path)
		return load_via_libbpf(path);
	return load_file("/sys/kernel/btf/vmlinux");
}

static void *load_thread(void *arg)
{
	struct kbtf_job *j = arg;

	j->kb = kbtf_load();
	j->err = j->kb ? 0 : errno;
	return NULL;
}

void kbtf_load_start(struct kbtf_job *j)
{
	sigset_t all, old;

	memset(j, 0, sizeof(*j));
	/* Signals stay with the main thread: the new one starts with all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	j->running = pthread_create(&j->thread, NULL, load_thread, j) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!j->running)
		load_thread(j);
}

struct kbtf *kbtf_load_wait(struct kbtf_job *j)
{
	struct kbtf *kb;

	if (j->running) {
		pthread_join(j->thread, NULL);
		j->running = false;
	}
	kb = j->kb;
	if (!kb)
		errno = j->err ? j->err : ENOENT;
	j->kb = NULL;
	j->err = ENOENT;
	return kb;
}

void kbtf_free(struct kbtf *kb)
{
	if (!kb)
		return;
	if (kb->off)
		munmap(kb->off, arr_bytes(kb->types_len / sizeof(struct btf_type) + 2));
	if (kb->slot)
		munmap(kb->slot, arr_bytes(kb->mask + 1));
	if (kb->map)
		munmap(kb->map, kb->map_len);
	free(kb->owned);
	free(kb);
}

uint32_t kbtf_count(const struct kbtf *kb)
{
	return kb ? kb->n : 0;
}

const struct btf_type *kbtf_type(const struct kbtf *kb, uint32_t id)
{
	if (!kb || id == 0 || id >= kb->n)
		return NULL;
	return (const void *)(kb->types + kb->off[id]);
}

const char *kbtf_str(const struct kbtf *kb, uint32_t off)
{
	if (!kb || off >= kb->str_len)
		return NULL;
	return kb->strs + off;
}

int kbtf_find(const struct kbtf *kb, const char *name, int kind)
{
	if (!kb || !kb->slot || !name)
		return -ENOENT;
	if (!indexed_kind(kind))
		/* The memo is a cache, not part of what the caller sees as const. */
		return find_linear((struct kbtf *)kb, name, kind);
	for (uint32_t i = name_hash(name) & kb->mask; kb->slot[i]; i = (i + 1) & kb->mask) {
		const struct btf_type *t = kbtf_type(kb, kb->slot[i]);

		if (btf_kind(t) == kind && strcmp(kb->strs + t->name_off, name) == 0)
			return (int)kb->slot[i];
	}
	return -ENOENT;
}

const struct btf_type *kbtf_resolve(const struct kbtf *kb, uint32_t id, uint32_t *out_id)
{
	const struct btf_type *t = kbtf_type(kb, id);

	/* Bounded: a malformed BTF could loop. */
	for (int depth = 0; t && depth < 32; depth++) {
		int k = btf_kind(t);

		if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_CONST && k != BTF_KIND_VOLATILE &&
		    k != BTF_KIND_RESTRICT && k != BTF_KIND_TYPE_TAG)
			break;
		id = t->type;
		t = kbtf_type(kb, id);
	}
	if (out_id)
		*out_id = id;
	return t;
}
