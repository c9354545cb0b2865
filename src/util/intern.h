/* Strings kept once for the life of the process: the names many regions
 * share (a file's path, a kernel result name), so that each region holds
 * a pointer instead of a buffer of its own. */
#ifndef THP_INTERN_H
#define THP_INTERN_H

/* The one copy of s ("" for NULL).  Never NULL: without memory, "?". */
const char *str_intern(const char *s);

#endif
