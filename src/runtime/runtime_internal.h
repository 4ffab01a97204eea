/* Inside the graph runtime: the in-memory run and node state that
 * runtime.c (scheduling, the writer, the public calls), run_graph.c (a
 * run's graph), node.c (one node's attempts) and submit.c share. */
#ifndef PF_RUNTIME_INTERNAL_H
#define PF_RUNTIME_INTERNAL_H

#include "core/clock.h"
#include "core/metrics.h"
#include "core/sha256.h"
#include "core/throttle.h"
#include "runtime/cache.h"
#include "runtime/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

typedef enum { N_PENDING, N_RUNNING, N_SUCCEEDED, N_FAILED, N_SKIPPED, N_CANCELLED } node_status;
static const char *const node_status_name[]
    __attribute__((unused)) = {"pending", "running", "succeeded", "failed", "skipped", "cancelled"};

/* A look-up made ahead (rt_look_ahead): the verdict (NULL when none was
 * made) and its outputs on a hit, for the key in probe.key; params,
 * sources and the whole probe go with it when the key is fixed
 * (rt_ahead_fixed; probe.basis is NULL when not). */
typedef struct {
    json_t *verdict, *outputs, *params, *sources;
    pf_cache_probe probe;
} rt_ahead_result;

typedef struct {
    size_t from; /* upstream node */
    const char *from_port, *to_port;
} rt_edge;

typedef struct {
    const json_t *doc; /* the node in the run's canonical workflow */
    const char *id;
    const pf_module *module;
    rt_edge *in;
    size_t n_in;
    size_t *down, n_down; /* dependents */
    size_t waiting;       /* upstream nodes not finished yet */
    node_status status;
    /* A node a parity report compares, in a run of a shadow pair: it
     * executes, never reused from the cache (runtime/parity.h). */
    bool fresh;
    json_t *state; /* persisted: attempts, outputs, params, cache, error */
    /* While it runs, under rt->lock: what live.c shows of it. */
    struct {
        long started_ms; /* 0 when it is not running */
        char started_at[PF_ISO_LEN];
        double fraction; /* < 0: not said */
        char *message;
        json_t *log;        /* the latest progress entries */
        pf_throttle notice; /* when observers are told */
    } live;
    /* A cache look-up made ahead, by a worker batching the look-ups of
     * queued nodes (rt_look_ahead), under rt->lock. */
    struct {
        enum { AHEAD_NONE, AHEAD_BUSY, AHEAD_READY } state;
        /* READY: the verdict for probe.key, and what the look-up was made
         * of when it cannot change before the node runs (rt_ahead_fixed):
         * the worker that runs the node takes it instead of resolving and
         * hashing again. */
        rt_ahead_result r;
    } ahead;
} rt_node;

typedef struct rt_run {
    char *id;
    json_t *record; /* the run row's doc: {workflow, context, overrides, line_overrides} */
    const json_t *workflow;
    rt_node *nodes;
    size_t n, unfinished;
    bool hard_failure; /* a node failed with fail_run or skip_dependents */
    char *stalled;     /* set on a resume after restarts without progress: nodes fail with it, unrun */
    atomic_bool cancel;
    /* With leases: the epoch this server claimed the run at (its fencing
     * token), and whether the lease has passed to another server since,
     * which stops the run here without recording anything more. */
    long long epoch;
    bool lost;
    struct rt_run *next;
} rt_run;

typedef struct {
    rt_run *run;
    size_t node;
} task;

/* A finished node waiting for the writer: its transition, with the artifact
 * rows and cache entry that commit with it. */
typedef struct {
    rt_run *run;
    size_t node;
    node_status status;
    json_t *artifacts, *assets;
    char *state_text, *cache_text; /* serialised by the worker, so the writer only writes */
    char cache_key[65];
    char *cache_slot;
} completion;

struct pf_runtime {
    pf_runtime_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t work, finished;
    pthread_cond_t backoff; /* broadcast when a run is cancelled or the runtime stops */
    task *queue;
    size_t head, len, cap;
    rt_run *runs;    /* active runs */
    rt_run *retired; /* finished runs, freed outside the lock */
    pthread_t *threads;
    int n_threads;
    bool stopping;
    unsigned jitter_seed;
    /* Group commit: workers hand finished nodes to one writer, which commits
     * whatever has gathered in one transaction and only then lets
     * dependents start. */
    completion *done;
    size_t n_done, cap_done;
    pthread_cond_t to_write;
    pthread_t writer;
    bool writer_stop;
    /* Leases (cfg.lease_seconds > 0): a thread renews them and claims runs
     * whose lease ran out. */
    pthread_t leaser;
    pthread_cond_t lease_tick;
    bool leasing, lease_stop;
    /* Cancels other servers asked for, of runs not running here when the
     * notice came: a run being claimed at that moment is cancelled once
     * it is scheduled (the newest few, by run id; emptied at each claim). */
    char *cancel_asked[16];
    size_t cancel_asked_next;
    /* Metrics (pf_runtime_metrics_write): atomics, no lock. */
    pf_counter runs_finished[3];    /* succeeded, failed, cancelled */
    pf_counter nodes_finished[6];   /* by node_status */
    pf_histogram *module_durations; /* one per registry module, then one for any other */
    _Atomic long nodes_running;
    /* Forks the children of isolated modules (runtime/zygote.h); NULL
     * spawns each as `module-child`. */
    struct pf_zygote *zygote;
};

/* The fence every write of run carries (buf filled), or NULL when this
 * runtime leases nothing (one server). */
static inline const pf_store_fence *rt_fence(const pf_runtime *rt, const rt_run *run, pf_store_fence *buf) {
    if (!rt->leasing) return NULL;
    *buf = (pf_store_fence){rt->cfg.lease_owner, run->epoch};
    return buf;
}
/* The run's lease passed to another server (a write refused by its fence,
 * a renewal that found it taken): the run stops here, its running nodes
 * are cancelled and nothing more of it is recorded. rt->lock held. */
void rt_lease_lost_locked(pf_runtime *rt, rt_run *run, const char *how);
/* The same, taking rt->lock (for a worker running one of the run's nodes). */
void rt_lease_lost(pf_runtime *rt, rt_run *run, const char *how);

/* effect.c: claims n's side effect before its module acts (NULL *claim_out
 * for a node without one, or in a shadow run). A fence that no longer
 * holds loses the run's lease here (PF_ECANCELLED). A claim that carries
 * "result" was done already: the node takes that result and does not act.
 * rt_effect_done records the outputs of an effect performed. */
pf_error *rt_effect_claim(pf_runtime *rt, rt_run *run, const rt_node *n, json_t **claim_out);
void rt_effect_done(pf_runtime *rt, const rt_run *run, const rt_node *n, const json_t *outputs);

/* Counts one module invocation's wall time (node.c). */
void rt_observe_module(pf_runtime *rt, const pf_module *m, unsigned long long us);

static inline const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static inline bool is_final(node_status s) { return s != N_PENDING && s != N_RUNNING; }

typedef struct {
    json_t *outputs, *params, *sources, *cache;
    json_t *artifacts; /* rows that commit with the node's success */
    json_t *assets;    /* likewise */
    char *cache_text;  /* likewise (the entry's text), with cache_key and cache_slot */
    char cache_key[65];
    char *cache_slot;
    pf_error *err;
} node_result;

/* run_graph.c: builds the in-memory graph from the run's record (taken),
 * with node states from `nodes` (id -> {status, state}) when resuming. */
rt_run *rt_run_build(const pf_registry *reg, const char *id, json_t *record, const json_t *nodes);
void rt_run_free(rt_run *run);

/* node.c: one node's attempts, its cache verdict and its artifacts; ahead
 * is what a look-ahead left for it (rt_ahead_take_locked), used or left. */
node_result rt_run_node(pf_runtime *rt, rt_run *run, rt_node *n, rt_ahead_result *ahead, pf_sha256_hasher *hasher);

/* Look-aheads: whether n is worth one (pending, cached, none made or under
 * way; rt->lock held); the batch for tasks whose nodes the caller marked
 * AHEAD_BUSY; dropping one (rt->lock held, or the node unshared). */
bool rt_ahead_wanted(const rt_node *n);
void rt_look_ahead(pf_runtime *rt, const task *tasks, size_t m, pf_sha256_hasher *hasher);
void rt_ahead_clear(rt_node *n);
/* Whether n's cache key is fixed once it is queued: its params come from
 * the run's record and its inputs from finished nodes, and a module with a
 * depends hook (which reads files) is the one thing that can change it
 * between a look-ahead and the node's start. */
static inline bool rt_ahead_fixed(const rt_node *n) { return n->module && !n->module->desc->depends; }
/* Leaves each of the m results (taken) on its node if the node still
 * waits for it (AHEAD_BUSY), keyed by its probe; takes rt->lock. */
void rt_ahead_settle(pf_runtime *rt, const task *tasks, size_t m, rt_ahead_result *results);
/* Moves n's look-ahead, if one is ready, into *r (zeroed when not), and
 * leaves n without one (a look-ahead still under way is dropped when it
 * settles). rt->lock held: the worker takes it with the node. */
void rt_ahead_take_locked(rt_node *n, rt_ahead_result *r);
/* Frees what a look-ahead result holds. */
void rt_ahead_result_free(rt_ahead_result *r);
/* Waits out a retry's backoff: base_s doubled per attempt, with jitter.
 * False when the run is cancelled or the runtime stops meanwhile. Takes
 * rt->lock. */
bool rt_back_off(pf_runtime *rt, rt_run *run, double base_s, int attempt);

/* runtime.c, with rt->lock held. */
void rt_schedule_locked(pf_runtime *rt, rt_run *run);
/* One write of a run, under its fence: refused means the lease was lost
 * (*refused, and no error). */
pf_error *rt_write_run(pf_runtime *rt, const rt_run *run, pf_store_transition t, bool *refused);
/* A node's settled state; nothing for a run whose lease was lost. The
 * caller (settling with rt->lock held) goes on; complete_locked stops
 * the rest of the run. */
pf_error *rt_persist_node(pf_runtime *rt, rt_run *run, const rt_node *n, const pf_store_node_extras *extras);
/* revive.c: loads a stored run and schedules what is left of it; epoch:
 * the lease epoch it was claimed at (with leases; a re-run takes its own);
 * holder_alive: it was claimed from a server that still lives (its lease
 * lapsed while that server was starved), which is no stop of a server. */
pf_error *rt_revive(pf_runtime *rt, const char *run_id, bool only_unfinished, long long epoch, bool holder_alive);
/* lease.c: claims runs nobody holds (own_too: and those this owner held
 * before a restart), never one this runtime is running, and revives
 * them; *n counts them. A run that cannot be revived is logged and its
 * lease lapses, since only running runs are renewed. */
pf_error *rt_claim_and_revive(pf_runtime *rt, bool own_too, size_t *n);
/* lease.c: the lease thread: renews this runtime's leases three times per
 * lease time, and each time claims the runs whose lease ran out. */
void *rt_leaser(void *arg);
/* The limits a module's child processes get: its contract's, with the
 * operator's overrides (executor.c). */
pf_limits rt_limits(const pf_runtime_config *cfg, const pf_module *m);
/* Runs one module invocation where its contract says (executor.c);
 * *process (new reference, NULL when it ran inline) says how it ran in a
 * child: its peak resident memory and limit. */
pf_error *rt_invoke(const pf_runtime *rt, const pf_module *m, pf_module_ctx *ctx, const json_t *inputs,
                    const json_t *params, int attempt, json_t **outputs, json_t **process);
/* Tells the runtime's observer (pf_runtime_config.on_change) that a run changed. */
void rt_changed(const pf_runtime *rt, const char *run_id);
void rt_free_retired_locked(pf_runtime *rt);

/* live.c: a node starts running or stops (rt->lock held), or its module
 * reports progress (entry is the log entry it made; takes rt->lock) and
 * the run's observers hear of it when the report is worth telling now. */
void rt_live_start(rt_node *n);
void rt_live_clear(rt_node *n);
void rt_live_report(pf_runtime *rt, rt_run *run, rt_node *n, double fraction, const char *message, const json_t *entry);
/* {status: "running", started_at, elapsed_s, fraction?, eta_s?, message?, log} */
json_t *rt_live_json(const rt_node *n);
void rt_log_store_error(pf_error *err, const char *run_id);

#endif
