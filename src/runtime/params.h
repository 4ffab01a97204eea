/* A node's parameters, resolved in the fixed order: the module's defaults,
 * then the node's params, then the invocation overrides routed by the
 * workflow's invocation targets ("still.width"), then the order line's
 * overrides. Every value records where it came from. */
#ifndef PF_RUNTIME_PARAMS_H
#define PF_RUNTIME_PARAMS_H

#include "modules/registry.h"

/* Checks overrides (name -> value, borrowed; may be NULL) against the
 * workflow's invocation params; every problem goes to errs under base.
 * *pattern_budget pays for the schemas' patterns: one budget per request
 * (PF_REGEX_BUDGET, core/regex.h), however many overrides or lines it has. */
void pf_params_check_overrides(const json_t *workflow, const json_t *overrides, const char *base, pf_errors *errs,
                               long *pattern_budget);

/* *resolved: the params the module gets; *sources: name -> {"value",
 * "source"} with source "default", "node", "invocation", "order_line" or
 * "constraint". constraints ({"source", "modules": {module key: {param:
 * value}}}, may be NULL) win over everything: they are what the output
 * type enforces; their entries say "via" the constraint's source. Both new
 * references; on error neither is set. */
pf_error *pf_params_resolve(const pf_module *m, const json_t *workflow, const json_t *node, const json_t *overrides,
                            const json_t *line_overrides, const json_t *constraints, json_t **resolved,
                            json_t **sources);

#endif
