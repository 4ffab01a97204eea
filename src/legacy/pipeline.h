/* The legacy pipeline: the old fixed order of an order render, built from
 * legacy render settings alone: resolve the line, resolve the material
 * map, resolve the template, then the still, turntable or .blend, then
 * publish, then notify. It is expressed as a fixed chain of the same
 * modules and runs through the same module layer as any workflow. */
#ifndef PF_LEGACY_PIPELINE_H
#define PF_LEGACY_PIPELINE_H

#include "core/error.h"

#include <jansson.h>

/* The chain for these settings, as an order_line workflow document with
 * id "legacy-<output_type>" (new reference), or NULL with every problem in
 * errs under base. */
json_t *pf_legacy_workflow(const json_t *settings, const char *output_type, const char *base, pf_errors *errs);

#endif
