/* Dispatch to the text or JSON sink, and notice a closed stdout. */
#include <errno.h>
#include "output.h"

void output_init(struct output *o, FILE *f, bool json, bool color)
{
	o->f = f;
	o->json = json;
	o->color = color && !json;
	o->header_done = false;
	o->err = 0;
}

static void check(struct output *o)
{
	if (!o->err && ferror(o->f))
		o->err = errno ? errno : EIO;
}

void output_event(struct output *o, const struct thp_event *ev)
{
	if (o->err)
		return;
	if (o->json) {
		json_event(o->f, ev);
	} else {
		if (!o->header_done) {
			text_header(o->f);
			o->header_done = true;
		}
		text_event(o->f, ev, o->color);
	}
	check(o);
}

void output_verdicts(struct output *o, const struct regions *rs)
{
	if (o->err)
		return;
	if (o->json) {
		for (size_t i = 0; i < rs->n; i++)
			json_verdict(o->f, &rs->v[i]);
	} else {
		text_verdicts(o->f, rs);
	}
	check(o);
}

void output_summary(struct output *o, const struct run_summary *s)
{
	if (o->err)
		return;
	if (o->json)
		json_summary(o->f, s);
	else
		text_summary(o->f, s);
	check(o);
}
