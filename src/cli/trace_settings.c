/* THP knobs changing during a live run (see trace_settings.h). */
#include <stdio.h>
#include <string.h>
#include "cli/trace_clock.h"
#include "cli/trace_settings.h"

void settings_start(struct trace_settings *s, uint64_t now)
{
	sysinfo_knobs_open(&s->knobs);
	s->next_ns = now + SETTINGS_POLL_NS;
}

size_t settings_poll(struct trace_settings *s, const struct decoder *dec, struct state_queue *q)
{
	char value[EV_KNOB_VALUE_LEN];
	uint64_t ts = trace_now_ns();
	size_t queued = 0;

	for (size_t i = 0; i < s->knobs.n; i++) {
		struct thp_knob *k = &s->knobs.k[i];
		struct thp_event *ev;

		/* unreadable now: no news, the next look tells */
		if (sysinfo_knob_read(k, value, sizeof(value)) < 0 || strcmp(value, k->value) == 0)
			continue;
		ev = state_queue_push(q);
		if (!ev)
			break;
		ev->kind = EV_SETTINGS;
		ev->via = VIA_ID_SYSFS;
		ev->fields = EVF_KNOB;
		ev->ts_ns = ts;
		ev->t = decoder_t(dec, ts);
		snprintf(ev->knob, sizeof(ev->knob), "%s", k->name);
		snprintf(ev->value, sizeof(ev->value), "%s", value);
		snprintf(ev->old_value, sizeof(ev->old_value), "%s", k->value);
		memcpy(k->value, value, sizeof(k->value));
		queued++;
	}
	s->next_ns = ts + SETTINGS_POLL_NS;
	return queued;
}

void settings_free(struct trace_settings *s)
{
	sysinfo_knobs_close(&s->knobs);
}
