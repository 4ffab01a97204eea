/* Dispatching an order line by its output type's rollout: `legacy` runs the
 * legacy pipeline alone, `graph` the linked workflow alone, and `shadow`
 * runs the legacy pipeline as the authoritative run with the graph beside
 * it, side effects held back, for the parity report. */
#ifndef PF_LEGACY_ROLLOUT_H
#define PF_LEGACY_ROLLOUT_H

#include "runtime/runtime.h"

typedef struct pf_dispatched {
    char *run_id;        /* the authoritative run */
    char *shadow_run_id; /* the graph run beside it under shadow rollout, else NULL */
} pf_dispatched;

/* line: the order line's context (pf_order_line_context, borrowed). The
 * run's context is the output type's family's, built from the line by the
 * family's order_context (contract/families.json): an order_line run gets
 * {order_line_id, line}, a cad_file run {step_path, cad_file_id,
 * product_id, order_line_id}. A family without a legacy pipeline (one
 * whose rollouts lack legacy) only runs its graph. Every
 * problem goes to errs with pointers under /output_type or /line. out must
 * be zeroed, or carry the ids (malloc'd) the runs are to get, so a caller
 * can record them before any run starts; on failure it is freed. */
pf_error *pf_rollout_dispatch(pf_runtime *rt, pf_store *store, const json_t *starters, const pf_contract *contract,
                              const json_t *output_type, const json_t *line, pf_errors *errs, pf_dispatched *out);
void pf_dispatched_free(pf_dispatched *d);
/* The run request's constraints from the output type's material
 * constraints ({source, modules: {"materials.resolve_map": params}}), or
 * NULL when it has none that constrain. New reference. */
json_t *pf_rollout_constraints(const json_t *output_type);

#endif
