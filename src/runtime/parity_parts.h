/* The parts of a parity report (runtime/parity.c puts them together).
 * legacy and graph are the two runs as the store returns them with their
 * nodes; diffs collects {what, legacy, graph, ...} for every difference. */
#ifndef PF_RUNTIME_PARITY_PARTS_H
#define PF_RUNTIME_PARITY_PARTS_H

#include "runtime/parity.h"

void pf_parity_differ(json_t *diffs, const char *what, const json_t *legacy, const json_t *graph);

/* The node whose output port `from` ("node.port") names, in run. */
const json_t *pf_parity_node(const json_t *run, const char *from);

/* Each delivered artifact, by role, judged by its kind. Diff images go to
 * the artifact store; work files under data_dir/parity/<graph run>. */
json_t *pf_parity_compare_artifacts(const pf_parity_env *env, const json_t *legacy, const json_t *graph, json_t *diffs);

/* Every node pair (nodes of one module, in workflow order) with the params
 * that differ and where each value came from; unpaired nodes too. */
json_t *pf_parity_compare_nodes(const json_t *legacy, const json_t *graph, json_t *diffs);

/* {both, compared: [{run, node, step, executed, cache}], reused_from_cache:
 * [{run, node, step}]}: whether the compared nodes of both runs really
 * executed. A compared node that did not is a difference. */
json_t *pf_parity_execution(const json_t *legacy, const json_t *graph, json_t *diffs);

#endif
