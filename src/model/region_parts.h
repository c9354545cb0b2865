/* Private to the region state machine (model/region.c, its part
 * region_loss.c, and the primitives both write through, region_data.c):
 * what they share beyond model/region.h. */
#ifndef THP_REGION_PARTS_H
#define THP_REGION_PARTS_H

#include "model/region.h"

/* A new milestone (NULL when the region keeps no more), and the page
 * state from t on (region_data.c). */
struct milestone *region_add_ms(struct region *r, double t, enum ms_kind kind, enum ms_how how);
void region_set_state(struct region *r, double t, enum page_state st, enum ms_how how);

/* region_loss.c: the events of the way back, applied */
void region_observed_loss(struct region *r, const struct thp_event *ev);	/* EV_PMD_SPLIT, EV_PMD_ZAP */
void region_migration(struct region *r, const struct thp_event *ev);	/* EV_PMD_MIGRATION, _MIGRATED */
void region_folio_split(struct region *r, const struct thp_event *ev);	/* EV_FOLIO_(DEFERRED_)SPLIT */
/* a loss the page state shows (a state sample after the PMD): which kind,
 * and the milestone */
enum ms_kind region_loss_kind(const struct region *r, enum page_state now);
void region_lost(struct region *r, const struct thp_event *ev, enum ms_kind kind);
/* when it was last seen becoming PMD-mapped, or -1 */
double region_last_pmd(const struct region *r);
/* the exit of the syscall whose thread caused the losses a probe saw */
void region_fill_pending_cause(struct region *r, const struct thp_event *ev);

#endif
