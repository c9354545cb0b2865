/* mm ids (see mm_ids.h): a dense array of live entries and a hash index
 * from key to entry.  A lookup per record; a rebuild of the index per
 * exit, which costs as much as the live processes, not all that were. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "input/mm_ids.h"
#include "util/hash.h"

void mm_ids_init(struct mm_ids *m)
{
	memset(m, 0, sizeof(*m));
}

void mm_ids_free(struct mm_ids *m)
{
	free(m->e);
	free(m->index);
	memset(m, 0, sizeof(*m));
}

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)hash_mix64(key) & (cap - 1);
}

static void index_put(uint32_t *index, size_t cap, const struct mm_entry *e, size_t k)
{
	size_t i = slot_of(e[k].key, cap);

	while (index[i])
		i = (i + 1) & (cap - 1);
	index[i] = (uint32_t)k + 1;
}

/* Every bound entry, into an index at most half full. */
static int index_rebuild(struct mm_ids *m)
{
	size_t cap = m->index_cap ? m->index_cap : 64;
	uint32_t *index;

	while (cap < (m->n + 1) * 2)
		cap *= 2;
	if (cap != m->index_cap || !m->index) {
		index = calloc(cap, sizeof(*index));
		if (!index)
			return -1;
		free(m->index);
		m->index = index;
		m->index_cap = cap;
	} else {
		memset(m->index, 0, cap * sizeof(*m->index));
	}
	for (size_t k = 0; k < m->n; k++)
		if (m->e[k].key)
			index_put(m->index, m->index_cap, m->e, k);
	return 0;
}

static struct mm_entry *find_key(const struct mm_ids *m, uint64_t key)
{
	if (!m->index)
		return NULL;
	for (size_t i = slot_of(key, m->index_cap);; i = (i + 1) & (m->index_cap - 1)) {
		uint32_t v = m->index[i];

		if (!v)
			return NULL;
		if (m->e[v - 1].key == key)
			return &m->e[v - 1];
	}
}

static struct mm_entry *add(struct mm_ids *m, uint64_t key, uint32_t tgid)
{
	struct mm_entry *e;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;

		e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		m->e = e;
		m->cap = cap;
	}
	if (m->last_id == UINT32_MAX)
		return NULL;
	e = &m->e[m->n++];
	*e = (struct mm_entry){ .key = key, .id = ++m->last_id, .tgid = tgid };
	if ((m->n + 1) * 2 > m->index_cap) {
		if (index_rebuild(m) < 0) {
			m->n--;
			return NULL;
		}
	} else if (key) {
		index_put(m->index, m->index_cap, m->e, m->n - 1);
	}
	return e;
}

static bool dead(const struct mm_ids *m, uint32_t tgid)
{
	for (size_t i = 0; tgid && i < MM_IDS_DEAD; i++)
		if (m->dead[i] == tgid)
			return true;
	return false;
}

bool mm_ids_exited(const struct mm_ids *m, uint32_t tgid)
{
	return dead(m, tgid);
}

uint32_t mm_ids_of_key(struct mm_ids *m, uint64_t key, uint32_t tgid)
{
	struct mm_entry *e;

	if (!key)
		return 0;
	if ((e = find_key(m, key))) {
		if (!e->tgid)
			e->tgid = tgid;
		else if (tgid && e->tgid != tgid && m->last_id < UINT32_MAX) {
			/* another owner: the process that had it is gone (its exit
			 * not seen, or its records came late), this is a new mm */
			e->id = ++m->last_id;
			e->tgid = tgid;
		}
		return e->id;
	}
	if (dead(m, tgid))
		return m->last_id < UINT32_MAX ? ++m->last_id : 0;
	/* a snapshot came first: this is that process's mm */
	for (size_t k = 0; tgid && k < m->n; k++)
		if (!m->e[k].key && m->e[k].tgid == tgid) {
			m->e[k].key = key;
			index_put(m->index, m->index_cap, m->e, k);
			return m->e[k].id;
		}
	e = add(m, key, tgid);
	return e ? e->id : 0;
}

uint32_t mm_ids_of_tgid(struct mm_ids *m, uint32_t tgid)
{
	struct mm_entry *e;
	uint32_t best = 0;

	if (!tgid)
		return 0;
	/* the newest id of that process (a process that exec'ed has had two) */
	for (size_t k = 0; k < m->n; k++)
		if (m->e[k].tgid == tgid && m->e[k].id > best)
			best = m->e[k].id;
	if (best)
		return best;
	e = add(m, 0, tgid);
	return e ? e->id : 0;
}

void mm_ids_forget(struct mm_ids *m, uint32_t tgid, uint64_t *keys, size_t *nkeys, size_t max)
{
	bool removed = false;

	m->dead[m->dead_next++ % MM_IDS_DEAD] = tgid;
	*nkeys = 0;
	for (size_t k = 0; k < m->n;) {
		if (m->e[k].tgid != tgid) {
			k++;
			continue;
		}
		if (m->e[k].key && *nkeys < max)
			keys[(*nkeys)++] = m->e[k].key;
		m->e[k] = m->e[--m->n];
		removed = true;
	}
	if (removed)
		index_rebuild(m);	/* without memory, no index: lookups find none */
}
