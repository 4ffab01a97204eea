/* The graph runtime: runs workflow graphs on a pool of worker threads,
 * independent branches in parallel. Every node runs through
 * pf_module_invoke. Every transition of a run or a node is one store
 * transaction, so a restarted server resumes unfinished runs and keeps what
 * was done (docs/runtime.md). */
#ifndef PF_RUNTIME_RUNTIME_H
#define PF_RUNTIME_RUNTIME_H

#include <stdint.h>
#include <stdio.h>

#include "modules/registry.h"
#include "store/store.h"

struct pf_blender_pool;

/* An operator's limit for the child processes of one queue's modules, or
 * of all of them (queue NULL); a queue's own entry wins. 0 keeps the
 * contract's value. */
typedef struct pf_limit_override {
    const char *queue;
    unsigned long long memory_bytes;
    long cpu_seconds;
    unsigned long long file_bytes;
} pf_limit_override;

/* One module invocation to run elsewhere. */
typedef struct pf_remote_call {
    const pf_module *module;
    const pf_module_ctx *ctx; /* cancel, timeout, progress, run and node ids */
    const json_t *inputs, *params;
    int attempt;
} pf_remote_call;

/* Where "execution": "process" modules run when not here: Celery workers
 * (transport/celery_executor.h). Output files come back as values with a
 * "path" in this server's artifact store. */
typedef struct pf_remote {
    pf_error *(*invoke)(void *self, const pf_remote_call *call, json_t **outputs);
    void *self;
} pf_remote;

typedef struct pf_runtime_config {
    const pf_registry *registry; /* borrowed, as are the others */
    pf_store *store;
    const char *data_dir; /* artifacts, run work directories; modules' data root */
    const char *share_dir;
    int workers; /* threads; <= 0 means 2 */
    struct pf_blender_pool *blender_pool;
    const json_t *settings; /* operator settings handed to modules (webhooks); may be NULL */
    /* Told whenever a run or one of its nodes changes (a node starts, a
     * transition commits), from the runtime's threads: event streams wake
     * on it instead of polling. Must not call back into the runtime. May
     * be NULL. */
    void (*on_change)(void *user, const char *run_id);
    void *on_change_user;
    /* The prodflow binary that runs "execution": "process" modules as
     * `module-child` (runtime/isolate.h); NULL runs them on the worker
     * thread, unisolated (tests of the scheduler do). */
    const char *module_runner;
    const pf_limit_override *limits; /* may be NULL */
    size_t n_limits;
    const pf_remote *remote; /* NULL: every module runs on this machine */
    /* Several servers on one database (PostgreSQL): with lease_seconds >
     * 0, this runtime schedules only the runs it leases as lease_owner (a
     * name unique among the servers). It leases the runs it creates,
     * renews its leases while it runs them, claims runs whose lease ran
     * out (their server died) and resumes them from their last committed
     * node, and gives its leases up on stop. 0: one server, no leases. */
    const char *lease_owner;
    int lease_seconds;
    /* prodflow serve --disk-quota (core/quota.h); 0: none. A node whose
     * outputs find the data directory past it fails (PF_ELIMIT). */
    uint64_t disk_quota_bytes;
} pf_runtime_config;

typedef struct pf_run_request {
    const json_t *workflow;       /* a workflow document; it is validated */
    const json_t *context;        /* the family's entry context */
    const json_t *overrides;      /* invocation parameter -> value; may be NULL */
    const json_t *line_overrides; /* the order line's overrides, same names; may be NULL */
    const json_t *subject;        /* what the run is for (product, order line); may be NULL */
    /* Params enforced on every node of a module, over everything else:
     * {"source": what imposes them, "modules": {module key: {param:
     * value}}}. The output type's material constraints arrive this way
     * (legacy/rollout.c). May be NULL. */
    const json_t *constraints;
    bool shadow; /* side effects record what they would do and do nothing */
    /* One run of a shadow pair: the nodes the parity report compares (those
     * delivering the invocation's artifacts) bypass the module cache, so
     * both sides really execute them. */
    bool parity;
    const char *id; /* the run's id, when the caller recorded it beforehand; NULL makes one */
} pf_run_request;

typedef struct pf_runtime pf_runtime;

pf_error *pf_runtime_start(const pf_runtime_config *cfg, pf_runtime **out);
/* The memory limit of a warm Blender process, which serves every module
 * that starts Blender: the largest of their limits, overrides applied. */
unsigned long long pf_runtime_pool_memory(const pf_runtime_config *cfg);
/* Stops the workers, interrupting the modules they are running (prodflow
 * serve stops at once on SIGTERM). Unfinished runs stay in the store as
 * running, for pf_runtime_resume; interrupted nodes run again then. */
void pf_runtime_stop(pf_runtime *rt);

/* Prometheus text for the runtime: runs and nodes finished by status since
 * start, active runs, running nodes, the ready queue's depth, and module
 * invocation durations by module key. */
void pf_runtime_metrics_write(pf_runtime *rt, FILE *out);

/* Validates and queues a run; every problem goes to errs (pointers into the
 * request: /workflow/..., /context/..., /overrides/...). *run_id: caller frees. */
pf_error *pf_runtime_submit(pf_runtime *rt, const pf_run_request *req, pf_errors *errs, char **run_id);
/* Waits until the run is final or timeout_ms passes (<= 0: forever).
 * *status (caller frees, may be NULL) is the run's status then. */
pf_error *pf_runtime_wait(pf_runtime *rt, const char *run_id, long timeout_ms, char **status);
/* Cancels a run this runtime runs. With leases, a live run it does not
 * run is another server's: the cancel is recorded for that server in the
 * store (pf_store_run_request_cancel), which cancels it when it hears of
 * it (pf_runtime_cancel_requested), or ends it cancelled when it resumes
 * it. A final run is a conflict. */
pf_error *pf_runtime_cancel(pf_runtime *rt, const char *run_id);
/* Another server recorded a cancel of run_id (the store's on_cancel
 * notice): cancels it if this runtime runs it. */
void pf_runtime_cancel_requested(pf_runtime *rt, const char *run_id);
/* Runs a failed or cancelled run again from its unfinished nodes, keeping
 * the outputs of those that succeeded. */
pf_error *pf_runtime_rerun(pf_runtime *rt, const char *run_id);
/* Queues every run the store holds as queued or running; nodes that were
 * running start again. With leases, only the runs nobody else holds (or
 * that lease_owner held before a restart). */
pf_error *pf_runtime_resume(pf_runtime *rt, size_t *resumed);
/* Node id -> what it is doing, for the nodes of an active run that are
 * running now (the store records a node when it finishes): {"status":
 * "running", "started_at", "elapsed_s", and as far as its module said
 * "fraction", "eta_s", "message", and "log", its latest progress entries}.
 * NULL when the run is not active. New reference. */
json_t *pf_runtime_live(pf_runtime *rt, const char *run_id);

#endif
