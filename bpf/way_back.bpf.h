/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Part of bpf/thptrace.bpf.c, included by it (one BPF object: the maps and
 * helpers there are shared): the way back: a PMD split or zapped. */
/* ---- the way back: __split_huge_pmd(vma, pmd, address, ...) and
 * zap_huge_pmd(tlb, vma, pmd, addr) ----
 * The actor (its pid and comm) tells the cause: the target's own thread
 * in a syscall (user space pairs it with that syscall's exit record), or
 * a kernel thread (kcompactd, kswapd, khugepaged). */
#define PF_EXITING 0x00000004

static __always_inline void pmd_lost(__u16 kind, __u8 via, struct vm_area_struct *vma, __u64 address)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct thp_rec *r;

	/* an exiting process tears every mapping down: no loss to explain */
	if (BPF_CORE_READ(task, flags) & PF_EXITING)
		return;
	if ((r = vma_rec(kind, via, vma, address, true)))
		rec_submit(r);
}

SEC("?fentry/__split_huge_pmd")
int BPF_PROG(split_huge_pmd_fentry, struct vm_area_struct *vma, void *pmd, unsigned long address)
{
	pmd_lost(REC_SPLIT_PMD, VIA_FENTRY, vma, address);
	return 0;
}

SEC("?kprobe/__split_huge_pmd")
int BPF_KPROBE(split_huge_pmd_kprobe, void *vma, void *pmd, unsigned long address)
{
	pmd_lost(REC_SPLIT_PMD, VIA_KPROBE, vma, address);
	return 0;
}

SEC("?fentry/zap_huge_pmd")
int BPF_PROG(zap_huge_pmd_fentry, void *tlb, struct vm_area_struct *vma, void *pmd, unsigned long addr)
{
	pmd_lost(REC_ZAP_PMD, VIA_FENTRY, vma, addr);
	return 0;
}

SEC("?kprobe/zap_huge_pmd")
int BPF_KPROBE(zap_huge_pmd_kprobe, void *tlb, void *vma, void *pmd, unsigned long addr)
{
	pmd_lost(REC_ZAP_PMD, VIA_KPROBE, vma, addr);
	return 0;
}
