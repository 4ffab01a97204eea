/* The GLB container: a 12-byte header, a JSON chunk, then the binary chunk.
 * Enough to read and replace the JSON while keeping the binary as it is. */
#ifndef PF_CAD_GLB_H
#define PF_CAD_GLB_H

#include "core/error.h"

#include <jansson.h>

/* *doc_out is a new reference to the JSON chunk. */
pf_error *pf_glb_read_json(const char *path, json_t **doc_out);
/* Replaces the JSON chunk of the GLB at path, atomically. */
pf_error *pf_glb_write_json(const char *path, const json_t *doc);

#endif
