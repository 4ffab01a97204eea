/* Compact JSON text, byte for byte what json_dumps(JSON_COMPACT
 * | JSON_ENCODE_ANY [| JSON_SORT_KEYS]) writes, at a tenth of its cost:
 * jansson formats every container's address for its loop check and calls
 * back per fragment, which dominated the run recorder. */
#ifndef PF_CORE_JSON_TEXT_H
#define PF_CORE_JSON_TEXT_H

#include <jansson.h>
#include <stdbool.h>

/* A malloc'd string owned by the caller; NULL for a NULL value. */
char *pf_json_text(const json_t *v, bool sort_keys);

#endif
