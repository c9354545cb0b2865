/* The environment, read once into struct thp_config (see config.h). */
#include <stdlib.h>
#include <string.h>
#include "util/config.h"

static struct thp_config cfg;
static bool loaded;

static bool set(const char *name)
{
	return getenv(name) != NULL;
}

static unsigned long micros(const char *name)
{
	const char *v = getenv(name);
	long us = v ? strtol(v, NULL, 10) : 0;

	return us < 0 || us > 10000000 ? 0 : (unsigned long)us;
}

const struct thp_config *config(void)
{
	const char *v;

	if (loaded)
		return &cfg;
	cfg.btf_path = getenv("THPTRACE_BTF");
	cfg.full_btf = set("THPTRACE_FULL_BTF");
	cfg.perf_tracepoints = set("THPTRACE_PERF_TRACEPOINTS");
	v = getenv("THPTRACE_NO_PAGEMAP_SCAN");
	cfg.no_pagemap_scan = v && *v && strcmp(v, "0") != 0;
	cfg.ringbuf_bytes = getenv("THPTRACE_RINGBUF_BYTES");
	cfg.sample_delay_us = micros("THPTRACE_TEST_SAMPLE_DELAY_US");
	cfg.attach_delay_us = micros("THPTRACE_TEST_ATTACH_DELAY_US") % 10000000;
	cfg.empty_core_btf = set("THPTRACE_TEST_EMPTY_CORE_BTF");
	cfg.fail_load = getenv("THPTRACE_TEST_FAIL_LOAD");
	loaded = true;
	return &cfg;
}
