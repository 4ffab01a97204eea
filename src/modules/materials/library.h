/* Material libraries: <name>.json with Principled BSDF inputs per material
 * key, in <data_root>/materials (edited through the API) or else
 * <share_dir>/materials (shipped). */
#ifndef PF_MODULES_MATERIALS_LIBRARY_H
#define PF_MODULES_MATERIALS_LIBRARY_H

#include "modules/module.h"

/* Loads library `name`, the data directory's copy first; *out is a new
 * reference to the library document. Errors point at /params/library. */
pf_error *pf_material_library_load(const pf_module_ctx *ctx, const char *name, json_t **out);
/* The library's content digest: maps record it, so a cached render made
 * with an edited library is not reused. */
void pf_material_library_digest(const json_t *library, char out[65]);
/* The material object with this key, or NULL (borrowed from library). */
const json_t *pf_material_find(const json_t *library, const char *key);

/* How unlike two materials look, 0..1: the root mean square of the
 * differences of their sRGB base colour (three channels), metallic,
 * roughness and transmission (missing: 0, 0.5, 0). */
double pf_material_distance(const json_t *a, const json_t *b);
/* Of the keys in allowed (an array of strings), the material of library
 * that looks most like material `key` (borrowed), or NULL when none is in
 * the library. Ties go to the earlier key. */
const json_t *pf_material_nearest_allowed(const json_t *library, const char *key, const json_t *allowed);

/* The library's name_rules compile and name its own materials; the first
 * problem points under base (materials/auto_populate.c). */
pf_error *pf_material_name_rules_check(const json_t *library, const char *base);

/* Every library, {library, label, description, materials (count), source:
 * "data" or "share"}, by name. New reference. */
json_t *pf_material_libraries(const char *share_dir, const char *data_root);
/* Every problem of a library document, with pointers: the schema
 * (material_library.schema.json), unique keys, and library equal to name. */
size_t pf_material_library_validate(const json_t *doc, const char *name, pf_errors *errs);
/* Writes the data directory's copy atomically, after validating it. */
pf_error *pf_material_library_save(const char *data_root, const char *name, const json_t *doc, pf_errors *errs);
/* Removes the data directory's copy (the shipped one, if any, shows again). */
pf_error *pf_material_library_delete(const char *data_root, const char *name);

#endif
