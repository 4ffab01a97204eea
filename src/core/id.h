/* Identifiers: time-sortable generated ids, and user-chosen slugs. */
#ifndef PF_CORE_ID_H
#define PF_CORE_ID_H

#include <stdbool.h>

#define PF_ID_MAX 64

/* "<prefix>_" followed by 26 Crockford base32 characters: 48 bits of
 * milliseconds then 80 random bits, so ids sort by creation time. */
void pf_id_new(const char *prefix, char out[PF_ID_MAX]);
/* ^[a-z0-9][a-z0-9_.-]{0,63}$ */
bool pf_id_valid_slug(const char *s);

#endif
