/* Material libraries: share/materials/<name>.json, Principled BSDF inputs
 * per material key. */
#ifndef PF_MODULES_MATERIALS_LIBRARY_H
#define PF_MODULES_MATERIALS_LIBRARY_H

#include "modules/module.h"

/* Loads library `name` from the share directory; *out is a new reference
 * to the library document. Errors point at /params/library. */
pf_error *pf_material_library_load(const pf_module_ctx *ctx, const char *name, json_t **out);
/* The material object with this key, or NULL (borrowed from library). */
const json_t *pf_material_find(const json_t *library, const char *key);

#endif
