/* The module layer: the only way a module runs. The graph runtime, the
 * legacy pipeline, shadow mode, the CLI and the tests all call this. */
#ifndef PF_MODULES_INVOKE_H
#define PF_MODULES_INVOKE_H

#include "modules/registry.h"

/* Applies defaults to `params` (borrowed; NULL means none) and checks them
 * against the module's param_schema. Returns the resolved params (new
 * reference) or NULL with every problem appended to errs, pointers under
 * base_pointer ("/params" for a direct call). */
json_t *pf_module_resolve_params(const pf_module *m, const json_t *params, const char *base_pointer, pf_errors *errs);

/* What pf_module_invoke refuses before the module runs: an unknown key
 * (with the nearest known one), a module not in this build
 * (PF_EUNAVAILABLE), an input port it lacks or a required one missing,
 * params that do not fit. NULL when it would run; *resolved (may be NULL)
 * then holds the params with defaults, a new reference. */
pf_error *pf_module_precheck(const pf_registry *reg, const char *key, const json_t *inputs, const json_t *params,
                             json_t **resolved);

/* Runs module `key`. inputs and params are borrowed; on success *outputs
 * is a new reference and the result is NULL. */
pf_error *pf_module_invoke(const pf_registry *reg, const char *key, const pf_module_ctx *ctx, const json_t *inputs,
                           const json_t *params, json_t **outputs);

/* Whether outputs has every output the contract requires: what a module
 * run elsewhere (a worker, an external module's task) is checked with on
 * return. */
pf_error *pf_module_check_outputs(const pf_module *m, const json_t *outputs);

#endif
