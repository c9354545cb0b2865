/* The running kernel's build configuration, found and read in one place:
 * /proc/config.gz (CONFIG_IKCONFIG_PROC), else /boot/config-$(uname -r).
 * Read once, on the first question, and kept (not thread-safe until then). */
#ifndef THP_KCONFIG_H
#define THP_KCONFIG_H

/* The file the config is read from, or NULL when neither is readable. */
const char *kconfig_source(void);

/* CONFIG_NAME: 1 (y or m), 0 (not set, or absent from the config),
 * -1 (no config readable). */
int kconfig_get(const char *name);

#endif
