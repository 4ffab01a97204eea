/* What the render benches share: a scratch directory, the module registry,
 * the gearbox fixture's GLB and bounding box, and module calls that end the
 * bench on an error. */
#ifndef PF_BENCH_RENDER_BENCH_H
#define PF_BENCH_RENDER_BENCH_H

#include "modules/invoke.h"
#include "render/blender_pool.h"

typedef struct {
    char dir[64];
    char cache[80]; /* dir/cache: the data directory's cache, where imported products are kept; "": none */
    pf_errors errs;
    pf_registry *reg;
    pf_blender_pool *pool; /* NULL: every render starts Blender cold */
    json_t *glb, *bbox;    /* the fixture's port values */
} pf_render_bench;

/* Makes the directory (named after name), loads the registry and exports
 * the gearbox (8 bolts) to a GLB with its bounding box; exits on failure. */
void pf_render_bench_open(pf_render_bench *b, const char *name);
/* Frees everything, the pool included, and removes the directory. */
void pf_render_bench_close(pf_render_bench *b);
/* A warm pool of one worker. */
pf_blender_pool *pf_render_bench_pool(void);
/* The context a render gets: data root dir, its cache, work directory
 * work (borrowed, like cancel), the share directory and b's pool. */
pf_module_ctx pf_render_bench_ctx(const pf_render_bench *b, const char *work, const atomic_bool *cancel);
/* Runs module key in its own work directory <dir>/work-<work_name>; takes
 * inputs and params; exits with the error on failure. */
json_t *pf_render_bench_invoke(const pf_render_bench *b, const char *key, const char *work_name, json_t *inputs,
                               json_t *params);

#endif
