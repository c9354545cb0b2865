/* UTF-8 validation shared by the JSON writer, the JSON reader and the SVG
 * writer: each must turn bytes that are not UTF-8 into U+FFFD the same way. */
#ifndef THP_UTF8_H
#define THP_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s (n bytes available), or 0
 * if the bytes there are not one (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
size_t utf8_seq(const unsigned char *s, size_t n);

#endif
