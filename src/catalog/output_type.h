/* Output types as invocation profiles: what a customer orders. Each binds a
 * workflow (or none, for the legacy pipeline) to overrides, an artifact
 * kind, a rollout, pricing, categories and material constraints. One JSON
 * Schema (output_type.schema.json, completed with the registry's and the
 * catalog's values) drives both the editor's forms and this validation. */
#ifndef PF_CATALOG_OUTPUT_TYPE_H
#define PF_CATALOG_OUTPUT_TYPE_H

#include "catalog/catalog.h"

/* The schema as served: enums of family, artifact_kind, pricing_tier and
 * categories filled in. With a workflow (borrowed, may be NULL),
 * "overrides" lists that workflow's invocation parameters. New reference. */
json_t *pf_output_type_schema(const pf_catalog *c, const json_t *workflow);

/* The wizard's steps, in order. */
extern const char *const pf_output_type_steps[];
extern const size_t pf_output_type_n_steps;

/* Checks a whole output type (step NULL) or a draft up to and including a
 * step: every problem goes to errs with its JSON pointer under base. When
 * options is not NULL it gets what the next step may choose from:
 * {workflows, artifact_kinds, overrides_schema}. Returns the number of
 * problems added. */
size_t pf_output_type_validate(const pf_catalog *c, const json_t *doc, const char *step, const char *base,
                               pf_errors *errs, json_t **options);

/* doc with the schema's defaults filled in. New reference. */
json_t *pf_output_type_with_defaults(const pf_catalog *c, const json_t *doc);

/* The workflow an output type links into *wf_out (new reference): NULL
 * with no error when there is no link, an error when the link is broken. */
pf_error *pf_output_type_workflow(const pf_catalog *c, const json_t *doc, json_t **wf_out);

/* The items an output type names (its pricing tier, categories and
 * linked workflow), for its write to check they still exist in the same
 * transaction (store.h, pf_store_ref); keys are borrowed from doc.
 * malloc'd, *n set. */
pf_store_ref *pf_output_type_refs(const pf_catalog *c, const json_t *doc, size_t *n);

/* key -> document from share_dir/output-types/ *.json, new reference; a file
 * that is not JSON is reported in errs and left out. */
json_t *pf_output_types_load(const char *share_dir, pf_errors *errs);

#endif
