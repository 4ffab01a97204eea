/* Node definitions: each module contract plus the editor's UI metadata and
 * the families it may appear in. `step` is the runtime key and equals the
 * module key. Built once at start-up from the registry. */
#ifndef PF_WORKFLOW_NODE_REGISTRY_H
#define PF_WORKFLOW_NODE_REGISTRY_H

#include "modules/registry.h"

/* The definition of one module; new reference. */
json_t *pf_node_definition(const pf_module *m);

/* {"family": F|null, "node_definitions": [...]} for one family, or all when
 * family is NULL. New reference; NULL for an unknown family. */
json_t *pf_node_definitions(const pf_registry *reg, const char *family);

/* {"families": [...]} with each family's palette resolved; new reference. */
json_t *pf_families_document(const pf_registry *reg);

#endif
