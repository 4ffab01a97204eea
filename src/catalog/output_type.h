/* Output types as invocation profiles: what a customer orders. Each binds a
 * workflow (or none, for the legacy pipeline) to overrides, an artifact kind
 * and a rollout. Until the catalog stores them (issue #6), they are read
 * from the JSON files in share/output-types. */
#ifndef PF_CATALOG_OUTPUT_TYPE_H
#define PF_CATALOG_OUTPUT_TYPE_H

#include "core/error.h"

#include <jansson.h>

/* key -> document, new reference; a broken file is reported in errs (its
 * path in the message) and left out. */
json_t *pf_output_types_load(const char *share_dir, pf_errors *errs);

/* The checks that need no workflow: fields, rollout against the workflow
 * link, and the legacy settings through the compat adapter. Problems go to
 * errs under base. Returns how many it added. */
size_t pf_output_type_check(const json_t *doc, const char *base, pf_errors *errs);

#endif
