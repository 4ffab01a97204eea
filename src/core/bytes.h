/* Byte counts as people write and read them: "6G", "512M", "6 GiB". */
#ifndef PF_CORE_BYTES_H
#define PF_CORE_BYTES_H

#include <stdbool.h>

/* "6 GiB", "512 MiB", "900 KiB", "12 bytes": whole units when exact, one
 * decimal otherwise. */
void pf_bytes_text(unsigned long long n, char out[24]);
/* Parses "6G", "6GiB", "512M", "4096" (bytes), case-insensitive, binary
 * units; false for anything else or 0. */
bool pf_bytes_parse(const char *text, unsigned long long *out);

#endif
