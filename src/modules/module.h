/* Production modules: the unit of backend capability. A module is a static
 * descriptor (key, contract file, execute function) defined with PF_MODULE
 * in src/modules/<domain>/<name>.c, beside its contract <name>.json, which
 * is embedded at build time. The table of modules registry.c loads is
 * generated from the contracts (tools/gen_modules.c), the way nginx lists
 * its modules but without a hand-kept list. */
#ifndef PF_MODULES_MODULE_H
#define PF_MODULES_MODULE_H

#include "core/error.h"
#include "core/subprocess.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct pf_blender_pool;

/* Where a module runs: on the caller's thread, in an isolated child (on a
 * worker when the server has a broker), or as somebody else's Celery task
 * served by a worker that is not Prodflow's (an external module). */
typedef enum { PF_EXEC_INLINE, PF_EXEC_PROCESS, PF_EXEC_CELERY } pf_execution;

/* Everything a module may touch while it runs. All pointers are borrowed
 * for the duration of one execute call. */
typedef struct pf_module_ctx {
    const char *data_root; /* user paths are confined below this */
    const char *work_dir;  /* scratch directory; reach it through pf_module_work_dir/_path, which create it */
    const char *share_dir; /* libraries and templates (share/) */
    const json_t *context; /* the run's entry context: entry and side-effecting modules get it, others NULL */
    const atomic_bool *cancel;
    long timeout_ms;                      /* subprocess time limit; <= 0 means none */
    struct pf_blender_pool *blender_pool; /* warm Blender workers; NULL renders cold */
    /* Where a module may keep what it derived from its inputs for later
     * runs (DATA/cache; the render modules keep imported products there),
     * under data_root's disk quota (core/quota.h; 0: none). NULL keeps
     * nothing. */
    const char *cache_dir;
    uint64_t disk_quota_bytes;
    /* Which run and node this is (side effects key their idempotency on
     * them); NULL outside a run. */
    const char *run_id, *node_id;
    bool shadow;            /* record what side effects would do, and do nothing */
    const json_t *settings; /* operator settings, e.g. {"webhooks": {...}}; may be NULL */
    /* What the children it starts may use (Blender): the module's limits,
     * as the runtime resolved them. Zero: no limits. */
    pf_limits limits;
    /* Optional progress sink: fraction in [0,1], or < 0 when unknown. */
    void (*progress)(void *user, double fraction, const char *message);
    void *progress_user;
} pf_module_ctx;

/* inputs: object port -> value; params: the fully resolved params (defaults
 * applied, schema-checked). On success sets *outputs to a new object
 * port -> value and returns NULL. File values look like
 * {"path", "sha256", "size", "media_type"}. */
typedef pf_error *(*pf_module_execute_fn)(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params,
                                          json_t **outputs);

/* What a result depends on besides its params and inputs: files a module
 * reads by name, such as a material library. A new reference to a JSON
 * object that goes into the cache key, or NULL for nothing. */
typedef json_t *(*pf_module_depends_fn)(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params);

typedef struct pf_module_desc {
    const char *key;              /* "cad.export_glb": PF_MODULE takes it from the contract, external.c too */
    const char *contract_path;    /* embedded path, "modules/cad/export_glb.json" */
    const char *contract_json;    /* or the contract itself, for modules defined outside src/ (tests) */
    pf_module_execute_fn execute; /* NULL until the module has a body */
    const char *pending_issue;    /* where the body will come from, while execute is NULL */
    pf_module_depends_fn depends; /* NULL: params and inputs are all it depends on */
    /* Its heavy work already runs in children it starts under ctx->limits
     * (the Blender workers, warm or cold): a module with "execution":
     * "process" that says so runs on the caller's thread, and the child it
     * starts is the isolated process. */
    bool isolates_itself;
    /* An external module's body: the Celery task that serves it
     * (modules/external.h); NULL for Prodflow's own modules. */
    const char *celery_task;
} pf_module_desc;

/* Each built-in module's key and contract path, generated from the
 * contracts: PF_MODULE_CONTRACT_<domain>_<name>. */
#include "modules/contracts.h"

/* Defines the built-in module <domain>.<name>, pf_module_<domain>_<name>,
 * with the key and contract path its contract gives; the arguments after the
 * name are the rest of the descriptor:
 *   PF_MODULE(cad, export_glb, .execute = execute);
 * A PF_MODULE without a contract beside it does not compile, and a contract
 * without one fails the build in tools/gen_modules.c. */
#define PF_MODULE(domain, name, ...)                                                                                   \
    const pf_module_desc pf_module_##domain##_##name = {PF_MODULE_CONTRACT_##domain##_##name, __VA_ARGS__}

#endif
