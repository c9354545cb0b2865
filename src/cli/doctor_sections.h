/* doctor's sections, in the order they print: each words what
 * doctor_facts.h gathered, as text rows and JSON checks (doctor_out.h).
 * The verdict (doctor_verdict.c) asks model/eligibility.h whether file THP
 * can happen here. */
#ifndef THP_DOCTOR_SECTIONS_H
#define THP_DOCTOR_SECTIONS_H

#include "cli/doctor_facts.h"
#include "cli/doctor_out.h"

void sec_system(struct doc *d, const struct doctor_facts *f);
void sec_kconfig(struct doc *d, const struct doctor_facts *f);
void sec_thp(struct doc *d, const struct doctor_facts *f);
void sec_tmpfs(struct doc *d, const struct doctor_facts *f);
/* doctor_anon.c: anonymous THP; pid > 0: also that process's THP state */
void sec_anon(struct doc *d, const struct doctor_facts *f, int pid);
void sec_probes(struct doc *d, const struct doctor_facts *f);
void sec_verdict(struct doc *d, const struct doctor_facts *f);

#endif
