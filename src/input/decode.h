/* Raw BPF record -> struct thp_event.  Kernel pointers stop here: an mm is
 * turned into a small id the first time it is seen. */
#ifndef THP_DECODE_H
#define THP_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "model/event.h"
#include "input/mm_ids.h"

struct thp_rec;

typedef const char *(*result_name_fn)(void *ctx, int value);

struct decoder {
	uint64_t start_ns;		/* CLOCK_MONOTONIC at trace start */
	result_name_fn result_name;
	void *result_ctx;
	struct mm_ids mms;		/* mm addresses -> ids, retired at exit */
};

void decoder_init(struct decoder *d, uint64_t start_ns, result_name_fn fn, void *ctx);
void decoder_free(struct decoder *d);

/* Returns 0, or -1 if the record is malformed (short, unknown kind). */
int decode_rec(struct decoder *d, const void *data, size_t size, struct thp_event *ev);

/* The id of an mm key (1-based), assigning one if new; 0 for no mm.  An
 * mm whose process exited (decoder_forget_tgid) is a new mm with a new id
 * even at the same address: the kernel reuses a freed mm_struct. */
uint32_t decoder_mm_id(struct decoder *d, uint64_t mm, uint32_t tgid);

/* The id of tgid's mm, for events about a process that come from /proc
 * (a snapshot) rather than from a record: its current id, or a new one
 * that the first record with an mm of that tgid takes over; 0 when the
 * table is full. */
uint32_t decoder_mm_id_of_pid(struct decoder *d, uint32_t tgid);

/* Retire the mms owned by tgid (it exited): their addresses may be reused. */
void decoder_forget_tgid(struct decoder *d, uint32_t tgid, uint64_t *keys, size_t *nkeys,
			 size_t max);

/* Seconds from start_ns to ts_ns. */
double decoder_t(const struct decoder *d, uint64_t ts_ns);

#endif
