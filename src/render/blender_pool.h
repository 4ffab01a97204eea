/* Warm Blender workers. Each keeps a few imported models, so many stills or
 * turntable frames of one product cost one import. A worker that crashes or
 * hangs is killed and the job runs again in a fresh process. */
#ifndef PF_RENDER_BLENDER_POOL_H
#define PF_RENDER_BLENDER_POOL_H

#include "render/blender_worker.h"

typedef struct pf_blender_pool_opts {
    pf_blender_setup setup;
    int workers;   /* at most this many processes; <= 0 means 1 */
    long stall_ms; /* output silence that counts as a hang; <= 0 means 120 s */
} pf_blender_pool_opts;

typedef struct pf_blender_pool pf_blender_pool;

/* Copies opts; workers start on first use. */
pf_blender_pool *pf_blender_pool_new(const pf_blender_pool_opts *opts);
/* Stops every worker. */
void pf_blender_pool_free(pf_blender_pool *pool);
/* {"workers": [{"pid", "busy", "jobs", "imports"}], "jobs", "fallbacks"};
 * new reference. */
json_t *pf_blender_pool_status(pf_blender_pool *pool);

/* Renders one job on a warm worker when pool is non-NULL, else in a fresh
 * Blender started from cold. *result is a new reference. */
pf_error *pf_blender_render(pf_blender_pool *pool, const pf_blender_setup *cold, const json_t *job,
                            const pf_blender_call *call, json_t **result);

#endif
