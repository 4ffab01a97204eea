/* The GLB container: a 12-byte header, a JSON chunk, then the binary chunk.
 * Enough to read the JSON and change it while keeping the binary as it is. */
#ifndef PF_CAD_GLB_H
#define PF_CAD_GLB_H

#include "core/error.h"

#include <jansson.h>

/* *doc_out is a new reference to the JSON chunk. */
pf_error *pf_glb_read_json(const char *path, json_t **doc_out);
/* Replaces the value of the top-level JSON member name (such as "nodes")
 * of the GLB at path, atomically, with what edit makes of it. Only that
 * value is parsed: a model's accessors are most of its JSON, and the rest
 * stays as it was, byte for byte. edit's error is returned; PF_ENOTFOUND
 * when there is no such member (nothing is written then). */
typedef pf_error *(*pf_glb_edit_fn)(json_t *value, void *user);
pf_error *pf_glb_update_member(const char *path, const char *name, pf_glb_edit_fn edit, void *user);

#endif
