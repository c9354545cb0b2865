/* Sentences built a clause at a time in a fixed buffer (verdict reasons,
 * doctor's summary): one append that truncates quietly when full. */
#ifndef THP_TEXTBUF_H
#define THP_TEXTBUF_H

#include <stddef.h>

/* Append printf-style to the NUL-terminated string in buf (size n). */
void text_append(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
