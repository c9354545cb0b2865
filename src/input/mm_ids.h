/* Kernel mm_struct addresses -> small ids, for as long as the process
 * that owns the mm lives.  The kernel reuses a freed mm_struct for the
 * next process, so an id is retired when its process exits (mm_ids_forget)
 * and the same address then gets a new id: two processes are never one.
 * Ids are never reused and there is no limit on how many are handed out;
 * only live ones take memory. */
#ifndef THP_MM_IDS_H
#define THP_MM_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mm_entry {
	uint64_t key;			/* the mm_struct's address; 0: not bound yet */
	uint32_t id;
	uint32_t tgid;			/* the process that owns it */
};

#define MM_IDS_DEAD 4096

struct mm_ids {
	struct mm_entry *e;		/* the live ones, in no order */
	size_t n, cap;
	uint32_t *index;		/* key -> e[] index + 1, open addressing; 0 empty */
	size_t index_cap;
	uint32_t last_id;
	/* the processes that exited most recently: a record of theirs that
	 * comes after their exit (khugepaged had their mm in hand) must not
	 * bind their mm_struct's address, which the next process may get */
	uint32_t dead[MM_IDS_DEAD];
	size_t dead_next;
};

void mm_ids_init(struct mm_ids *m);
void mm_ids_free(struct mm_ids *m);

/* The id of key (an mm's address) owned by tgid (the mm's owner, not the
 * thread that named it), assigning one if new: the id of a process's
 * unbound entry (see mm_ids_of_tgid) when tgid has one, else a new id.  A
 * key bound to another owner is the new mm of a new process at a reused
 * address: a new id.  A record of a process that has exited gets an id of
 * its own that binds nothing.  0 for no key or no memory. */
uint32_t mm_ids_of_key(struct mm_ids *m, uint64_t key, uint32_t tgid);

/* The id of tgid's mm when what names it comes from /proc (a snapshot),
 * not from a record: its live id, or a new unbound one that the first
 * record of that tgid with an mm takes over.  0 for no memory. */
uint32_t mm_ids_of_tgid(struct mm_ids *m, uint32_t tgid);

/* tgid exited: retire its ids.  The keys it had go to keys (at most max,
 * *nkeys of them) so that the caller can forget them elsewhere. */
void mm_ids_forget(struct mm_ids *m, uint32_t tgid, uint64_t *keys, size_t *nkeys, size_t max);

/* Did tgid exit lately (one of the last MM_IDS_DEAD exits)? */
bool mm_ids_exited(const struct mm_ids *m, uint32_t tgid);

/* How many ids are live. */
static inline size_t mm_ids_live(const struct mm_ids *m)
{
	return m->n;
}

#endif
