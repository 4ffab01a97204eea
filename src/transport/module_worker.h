/* What a `prodflow worker` does with one task `prodflow.module.<key>`:
 * checks that its own module has the task's version (no silent skew in a
 * rolling upgrade), fetches the file inputs by digest, runs the module as
 * the server would (isolated in a child under its limits, or with the
 * worker's own Blender pool), validating params and inputs against the
 * contract first, uploads the output files and answers with their digests.
 * A worker holds no database: what the module may know came in the task. */
#ifndef PF_TRANSPORT_MODULE_WORKER_H
#define PF_TRANSPORT_MODULE_WORKER_H

#include "render/blender_pool.h"
#include "runtime/runtime.h"
#include "transport/artifact_client.h"
#include "transport/celery_worker.h"

typedef struct pf_module_worker {
    const pf_registry *registry;
    /* Where artifacts come from and go to: the server's API, or (when
     * server is NULL) a data directory this worker shares with the servers. */
    pf_artifact_remote remote;
    const char *shared_data_dir;
    const char *work_dir;      /* scratch per task, and the cache of fetched inputs */
    const char *share_dir;     /* templates, libraries, the Blender script */
    const char *module_runner; /* the prodflow binary, for isolated modules */
    struct pf_zygote *zygote;  /* forks their children (runtime/zygote.h); NULL spawns each */
    const pf_limit_override *limits;
    size_t n_limits;
    pf_blender_pool *blender_pool; /* NULL renders in a fresh Blender per task */
} pf_module_worker;

/* The worker options' handler and accepts, with user = a pf_module_worker. */
pf_error *pf_module_worker_handle(void *user, const pf_celery_task *task, const atomic_bool *revoked, json_t **result);
bool pf_module_worker_accepts(void *user, const char *task_name);

#endif
