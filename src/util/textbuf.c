/* See textbuf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util/textbuf.h"

void text_append(char *buf, size_t n, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, n - used, fmt, ap);
	va_end(ap);
}
