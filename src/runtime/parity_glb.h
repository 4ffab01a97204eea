/* A GLB's structure, for parity: what a viewer of the model would notice
 * (its nodes and their names and placement, meshes, primitives with their
 * vertex and index counts, materials and their colours, and the bounds of
 * the scene), without the binary chunk's bytes, which two exporters may
 * lay out differently for the same model. */
#ifndef PF_RUNTIME_PARITY_GLB_H
#define PF_RUNTIME_PARITY_GLB_H

#include "core/error.h"

#include <jansson.h>

/* {nodes, meshes, materials, bounds: {min, max}}. *out: new reference. */
pf_error *pf_parity_glb_structure(const char *path, json_t **out);

#endif
