/* The kernel's BTF, read in place.
 *
 * libbpf's btf__load_vmlinux_btf() reads /sys/kernel/btf/vmlinux 4 KiB per
 * read() and copies it twice: on our machines that is 45 ms and 2,700 page
 * faults, most of thptrace's start-up, for the few dozen types it needs.
 * This reader maps the file (kernels since 6.16 allow it; older ones are
 * read once into one buffer), indexes type offsets and names, and answers
 * lookups without copying.  Type ids are the kernel's own, so a FUNC id found
 * here can be given to the kernel as an attach target. */
#ifndef THP_KBTF_H
#define THP_KBTF_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Names remembered from walks of the whole BTF: every function the probe
 * table names (18 today) must fit, or start-up pays a walk for each. */
#define KBTF_MEMO 32
#include <linux/btf.h>

struct kbtf;

/* /sys/kernel/btf/vmlinux, or $THPTRACE_BTF (raw BTF or an ELF file with a
 * .BTF section).  NULL with errno set. */
struct kbtf *kbtf_load(void);

/* kbtf_load() on a thread of its own: the 5-8 ms it takes overlap with the
 * start-up work that does not need the BTF (output, THP settings, config). */
struct kbtf_job {
	pthread_t thread;
	bool running;
	struct kbtf *kb;
	int err;
};
void kbtf_load_start(struct kbtf_job *j);
/* The loaded BTF (the caller owns it), or NULL with errno set: the load's
 * error, or ENOENT when no load was started. */
struct kbtf *kbtf_load_wait(struct kbtf_job *j);

/* Raw BTF bytes (copied).  NULL with errno set (EINVAL if malformed). */
struct kbtf *kbtf_from_mem(const void *data, size_t size);
void kbtf_free(struct kbtf *kb);

/* Number of type ids, including 0 (void). */
uint32_t kbtf_count(const struct kbtf *kb);
/* NULL for id 0 or out of range. */
const struct btf_type *kbtf_type(const struct kbtf *kb, uint32_t id);
/* "" for offset 0, NULL when out of range. */
const char *kbtf_str(const struct kbtf *kb, uint32_t off);
/* First type named name of kind kind (BTF_KIND_*), or -ENOENT. */
int kbtf_find(const struct kbtf *kb, const char *name, int kind);
/* Functions are found by scanning (hashing their 50,000 names would cost
 * more): look up several in one pass, so that kbtf_find() answers them
 * from memory.  At most KBTF_MEMO names (more: none is prefetched,
 * and each is looked up with a walk of its own). */
void kbtf_prefetch(struct kbtf *kb, int kind, const char *const *names, size_t n);
/* Follow typedefs and modifiers (const, volatile, restrict, type tags);
 * the resulting id goes to *out_id when out_id is non-NULL. */
const struct btf_type *kbtf_resolve(const struct kbtf *kb, uint32_t id, uint32_t *out_id);

#endif
