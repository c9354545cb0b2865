/* Private to the SVG sink (svg.c): the fixed layout, text and number
 * writing, and the markers (their shapes, merging and tooltips), in
 * svg_draw.c.  Nothing here knows about events; markers are made from the
 * regions' milestones by svg.c. */
#ifndef THP_SVG_DRAW_H
#define THP_SVG_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "model/mappings.h"
#include "model/regions.h"

/* Layout, fixed width; every lane is LANE_H high. */
#define SVG_W 1200
#define LABEL_X 8
#define PLOT_X0 262
#define PLOT_X1 1010
#define PLOT_W (PLOT_X1 - PLOT_X0)
#define VERDICT_X 1018
#define HEADER_H 74
#define LANE_H 28
#define AXIS_H 40
#define LEGEND_H 70
#define MARK_HALF 5		/* no marker reaches further than this from its x */
#define DIGIT_W 5		/* width of a count digit at font-size 8, at most */

/* By mapping, the picture fits one screen: at most this tall. */
#define SVG_MAX_H 1200

/* Numbers are written into char[NUMBUF] buffers. */
#define NUMBUF 32
/* A milestone's tooltip detail, at most. */
#define SVG_DETAIL_LEN 256

/* Write s as XML character data, good in text and in quoted attributes. */
void svg_xml_text(FILE *f, const char *s);
/* v rounded to the nearest integer (no libm). */
double svg_rnd(double v);
/* A coordinate with one decimal, whatever the locale's decimal point. */
const char *svg_num(char *b, double v);
/* Seconds for people with 0 to 6 decimals, a '.' whatever the locale. */
const char *svg_secs(char *b, double v, int decimals);
/* At most max bytes of s, whole UTF-8 characters; the tail when tail. */
void svg_clip_text(char *out, size_t outlen, const char *s, size_t max, bool tail);
/* 1, 2 or 5 times a power of ten, the smallest at least raw (> 0). */
double svg_nice_step(double raw, int *decimals);

enum mark_kind {
	MK_CLEAR,
	MK_EXIT,
	MK_MADVISE,
	MK_SCAN,
	MK_REFAULT,
	MK_REFUSED,
	MK_COLLAPSE_OK,
	MK_COLLAPSE_FAIL,
	MK_LOST,		/* a huge page split or zapped */
	MK_MAX,
};

extern const char *const svg_mark_label[MK_MAX];

#define MARK_DETAILS 3

/* One marker: one milestone, or several of one kind merged.  det[] are
 * indexes into the lane's details (the first MARK_DETAILS distinct ones). */
struct mark {
	uint8_t kind;
	uint32_t seq;			/* the first milestone's index: a stable order */
	double x, t0, t1;
	uint32_t count;
	uint32_t det[MARK_DETAILS], det_n[MARK_DETAILS], det_other;
};

/* The tooltip words of one lane's milestones, by milestone index. */
struct svg_details {
	char s[REGION_MAX_MILESTONES][SVG_DETAIL_LEN];
};

/* The shape of a marker of kind k centred on x in the lane at y0, its tag
 * left open (the caller adds "/>" or a title and the closing tag). */
void svg_shape(FILE *f, int k, double x, double y0);
/* Sort m by kind, then time, and merge the markers of a kind that would
 * touch (shape or count); returns how many are left. */
size_t svg_coalesce(struct mark *m, size_t n, const struct svg_details *d);
/* One marker, clamped inside the plot, with its tooltip and count. */
void svg_draw_mark(FILE *f, const struct mark *m, double y0, const struct svg_details *d);
/* Shape and label of each marker kind, in a row starting at x, y. */
void svg_legend_marks(FILE *f, double x, double y);

/* ---- by mapping (svg_mappings.c) ---- */

enum svg_lane_kind { SVG_LANE_MAPPING, SVG_LANE_REGION };

struct svg_lane {
	enum svg_lane_kind kind;
	size_t mapping;			/* index into mappings.v */
	size_t region;			/* SVG_LANE_REGION: index into regions.v */
	size_t more;			/* ... and this many more of its verdict, not drawn */
};

struct svg_plan {
	struct svg_lane *v;
	size_t n, cap;
	size_t mappings_not_drawn, exceptions_not_drawn;
};

/* The lanes, at most max_lanes: each mapping, then its exceptions beneath
 * it (a few of a verdict each, many as one lane); exceptions give way
 * first.  Returns 0, or -1 when out of memory. */
int svg_plan_by_mapping(const struct regions *rs, const struct mappings *ms, size_t max_lanes,
			struct svg_plan *p);
void svg_plan_free(struct svg_plan *p);

/* Mapping k's lane at y0 (T: the seconds the plot spans); fill: the
 * colour of its majority's verdict. */
void svg_mapping_lane(FILE *f, const struct mapping *m, size_t k, double T, double y0, const char *fill);

#endif
