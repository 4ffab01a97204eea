/* The parity report of a shadow rollout: the legacy run against the graph
 * run beside it. Both sides really execute the nodes compared (they bypass
 * the module cache, so two hits on one key never compare a file with
 * itself); upstream work such as the CAD import may still be shared, and
 * the report lists what was reused. Each delivered artifact is judged by
 * its kind: images by pixels, PSNR and SSIM with a diff image, videos frame
 * by frame, .blend files by a digest Blender makes, GLB files by structure.
 * Every node pair is compared by its resolved params, each difference with
 * where each value came from. docs/legacy.md states the thresholds. */
#ifndef PF_RUNTIME_PARITY_H
#define PF_RUNTIME_PARITY_H

#include "store/store.h"

typedef struct pf_parity_env {
    pf_store *store;
    const char *data_dir;  /* the artifact store, where diff images are kept */
    const char *share_dir; /* share/blender/prodflow_blend_digest.py */
} pf_parity_env;

/* The item kind a finished pair's report is kept under, keyed by the
 * graph run's id: artifacts are decoded and Blender started once, not on
 * every look. */
#define PF_PARITY_ITEM "parity_report"

/* run_id may name either run of the pair. A report of two finished runs is
 * computed once and kept; one with a run still going is computed afresh.
 * *report is a new reference. */
pf_error *pf_parity_report(const pf_parity_env *env, const char *run_id, json_t **report);

/* Whether node_id delivers one of the workflow's invocation artifacts: the
 * nodes a parity report compares, which run afresh in a shadow pair. */
bool pf_parity_compared_node(const json_t *workflow, const char *node_id);

#endif
