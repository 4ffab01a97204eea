/* Workflow definitions: canonical JSON DAGs of workflow nodes. Validation
 * returns every problem at once, each with a JSON pointer into the document
 * and a sentence that names the node, edge or field. */
#ifndef PF_WORKFLOW_WORKFLOW_H
#define PF_WORKFLOW_WORKFLOW_H

#include "modules/registry.h"
#include "store/store.h"

#define PF_WORKFLOW_SCHEMA "prodflow.workflow/v1"

/* Appends every problem with doc (borrowed) to errs; returns how many. */
size_t pf_workflow_validate(const pf_registry *reg, const json_t *doc, pf_errors *errs);

/* The canonical form of a valid document: nodes sorted by id, edges by
 * their endpoints, params/ui/policy made explicit (policy from the module's
 * defaults). New reference that shares unchanged values with doc, so
 * treat both as read-only. Serialise with pf_workflow_canonical_text. */
json_t *pf_workflow_canonicalize(const pf_registry *reg, const json_t *doc);

/* Compact, key-sorted bytes: the same graph always gives the same text.
 * Caller frees. */
char *pf_workflow_canonical_text(const json_t *doc);

/* A workflow by id and version (0: the latest) from the store, else from
 * the starters (a borrowed array of documents). *doc_out: new reference. */
pf_error *pf_workflow_find(pf_store *store, const json_t *starters, const char *id, int version, json_t **doc_out);

#endif
