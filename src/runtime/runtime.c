#include "runtime/runtime.h"

#include "core/clock.h"
#include "core/id.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "core/subprocess.h"
#include "modules/invoke.h"
#include "runtime/artifact_store.h"
#include "runtime/cache.h"
#include "runtime/params.h"
#include "workflow/workflow.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum { N_PENDING, N_RUNNING, N_SUCCEEDED, N_FAILED, N_SKIPPED, N_CANCELLED } node_status;
static const char *const node_status_name[] = {"pending", "running", "succeeded", "failed", "skipped", "cancelled"};

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
    json_t *state; /* persisted: attempts, outputs, params, cache, error */
} rt_node;

typedef struct rt_run {
    char *id;
    json_t *record; /* the run row's doc: {workflow, context, overrides, line_overrides} */
    const json_t *workflow;
    rt_node *nodes;
    size_t n, unfinished;
    bool hard_failure; /* a node failed with fail_run or skip_dependents */
    atomic_bool cancel;
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
};

static const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static bool is_final(node_status s) { return s != N_PENDING && s != N_RUNNING; }

/* ---------------------------------------------------------------- runs */

static void run_free(rt_run *run) {
    for (size_t i = 0; i < run->n; i++) {
        free(run->nodes[i].in);
        free(run->nodes[i].down);
        json_decref(run->nodes[i].state);
    }
    free(run->nodes);
    json_decref(run->record);
    free(run->id);
    free(run);
}

/* A node's position: a canonical workflow lists its nodes sorted by id. */
static size_t node_index(const rt_run *run, const char *id) {
    size_t lo = 0, hi = run->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(run->nodes[mid].id, id);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    abort(); /* a validated workflow's edges name its nodes */
}

/* Builds the in-memory graph from the record; node states from `nodes`
 * (id -> {status, state}) when resuming, else fresh. */
static rt_run *run_build(const pf_registry *reg, const char *id, json_t *record, const json_t *nodes) {
    rt_run *run = pf_xcalloc(1, sizeof *run);
    run->id = pf_strdup(id);
    run->record = record;
    run->workflow = json_object_get(record, "workflow");
    const json_t *list = json_object_get(run->workflow, "nodes");
    run->n = json_array_size(list);
    run->nodes = pf_xcalloc(run->n ? run->n : 1, sizeof *run->nodes);
    for (size_t i = 0; i < run->n; i++) {
        rt_node *n = &run->nodes[i];
        n->doc = json_array_get(list, i);
        n->id = str(n->doc, "id");
        const char *step = str(n->doc, "step");
        n->module = i > 0 && step && run->nodes[i - 1].module && strcmp(run->nodes[i - 1].module->key, step) == 0
                        ? run->nodes[i - 1].module /* neighbours mostly share a step */
                        : pf_registry_find(reg, step);
        const json_t *saved = json_object_get(nodes, n->id);
        n->status = N_PENDING;
        for (int s = 0; saved && s <= N_CANCELLED; s++)
            if (strcmp(str(saved, "status"), node_status_name[s]) == 0) n->status = (node_status)s;
        if (n->status == N_RUNNING) n->status = N_PENDING; /* interrupted: it runs again */
        n->state = saved ? json_deep_copy(json_object_get(saved, "state")) : json_object();
        if (!json_is_object(n->state)) {
            json_decref(n->state);
            n->state = json_object();
        }
    }
    /* Two passes over the edges: count, then fill arrays of exact size. */
    const json_t *edges = json_object_get(run->workflow, "edges");
    size_t n_edges = json_array_size(edges);
    struct {
        size_t from, to;
        const char *from_port, *to_port;
    } *ends = pf_xcalloc(n_edges ? n_edges : 1, sizeof *ends);
    for (size_t k = 0; k < n_edges; k++) {
        const json_t *edge = json_array_get(edges, k);
        const json_t *from = json_object_get(edge, "from"), *to = json_object_get(edge, "to");
        ends[k].from = node_index(run, str(from, "node"));
        ends[k].to = node_index(run, str(to, "node"));
        ends[k].from_port = str(from, "port");
        ends[k].to_port = str(to, "port");
        run->nodes[ends[k].from].n_down++;
        run->nodes[ends[k].to].n_in++;
    }
    for (size_t i = 0; i < run->n; i++) {
        rt_node *n = &run->nodes[i];
        n->down = pf_xcalloc(n->n_down ? n->n_down : 1, sizeof *n->down);
        n->in = pf_xcalloc(n->n_in ? n->n_in : 1, sizeof *n->in);
        n->n_down = n->n_in = 0;
    }
    for (size_t k = 0; k < n_edges; k++) {
        rt_node *f = &run->nodes[ends[k].from], *t = &run->nodes[ends[k].to];
        f->down[f->n_down++] = ends[k].to;
        t->in[t->n_in++] = (rt_edge){ends[k].from, ends[k].from_port, ends[k].to_port};
    }
    free(ends);
    return run;
}

static pf_error *persist_node(pf_runtime *rt, rt_run *run, const rt_node *n, const pf_store_node_extras *extras) {
    return pf_store_run_transition(rt->cfg.store, run->id, NULL, NULL, n->id, node_status_name[n->status], n->state,
                                   extras);
}

static void log_store_error(pf_error *err, const char *run_id) {
    if (!err) return;
    pf_log(PF_LOG_ERROR, "run.store_failed", "run %s: %s", run_id, err->message);
    pf_error_free(err);
}

/* ---------------------------------------------------------------- queue */

static void push(pf_runtime *rt, rt_run *run, size_t node) {
    if (rt->len == rt->cap) {
        size_t cap = rt->cap ? rt->cap * 2 : 64;
        task *q = pf_xcalloc(cap, sizeof *q);
        for (size_t i = 0; i < rt->len; i++)
            q[i] = rt->queue[(rt->head + i) % rt->cap];
        free(rt->queue);
        rt->queue = q, rt->cap = cap, rt->head = 0;
    }
    rt->queue[(rt->head + rt->len++) % rt->cap] = (task){run, node};
    pthread_cond_signal(&rt->work);
}

/* ---------------------------------------------------------------- one node */

typedef struct {
    json_t *outputs, *params, *sources, *cache;
    json_t *artifacts;   /* rows that commit with the node's success */
    json_t *assets;      /* likewise */
    json_t *cache_entry; /* likewise, with cache_key and cache_slot */
    char cache_key[65];
    char *cache_slot;
    pf_error *err;
} node_result;

static json_t *collect_inputs(const rt_run *run, const rt_node *n) {
    json_t *inputs = json_object();
    for (size_t k = 0; k < n->n_in; k++) {
        const rt_edge *e = &n->in[k];
        const json_t *value = json_object_get(json_object_get(run->nodes[e->from].state, "outputs"), e->from_port);
        if (value) json_object_set(inputs, e->to_port, (json_t *)value);
    }
    return inputs;
}

static bool retryable(pf_code code) { return code == PF_EIO || code == PF_ETIMEOUT || code == PF_EINTERNAL; }

/* Sleeps for the backoff of attempt `attempt`, with jitter; false when the
 * run was cancelled or the runtime stops meanwhile. */
static bool back_off(pf_runtime *rt, rt_run *run, const json_t *policy, int attempt) {
    double base = json_number_value(json_object_get(policy, "backoff_s"));
    pthread_mutex_lock(&rt->lock);
    double jitter = 0.5 + (double)rand_r(&rt->jitter_seed) / RAND_MAX / 2;
    pthread_mutex_unlock(&rt->lock);
    long wait_ms = (long)(base * 1000 * (double)(1L << (attempt - 1 < 10 ? attempt - 1 : 10)) * jitter);
    for (long until = pf_now_ms() + wait_ms; pf_now_ms() < until;) {
        if (atomic_load(&run->cancel) || rt->stopping) return false;
        usleep(10000);
    }
    return !atomic_load(&run->cancel);
}

/* Lists the assets a publishing node produced, to record with its
 * transition (a shadow run publishes nothing); NULL when there are none,
 * as for most nodes. */
static json_t *published_assets(const rt_run *run, const rt_node *n, const json_t *outputs) {
    json_t *assets = NULL;
    const char *port;
    json_t *v;
    json_object_foreach((json_t *)outputs, port, v) {
        const pf_port *p = pf_module_port(&n->module->outputs, port);
        if (!p || strcmp(p->type, "asset_ref") != 0 || !json_object_get(v, "id") ||
            json_is_true(json_object_get(v, "shadow")))
            continue;
        json_t *asset = json_deep_copy(v);
        json_object_set_new(asset, "run_id", json_string(run->id));
        json_object_set_new(asset, "node_id", json_string(n->id));
        if (!assets) assets = json_array();
        json_array_append_new(assets, asset);
    }
    return assets;
}

/* Moves each file output into the artifact store and lists its metadata
 * rows in *rows (NULL when there are none), to commit with the node's
 * transition. */
static pf_error *keep_artifacts(pf_runtime *rt, rt_run *run, rt_node *n, json_t *outputs, const json_t *inputs,
                                json_t **rows) {
    *rows = NULL; /* made with the first file output */
    json_t *parents = NULL;
    const char *port;
    json_t *v;
    pf_error *err = NULL;
    json_object_foreach(outputs, port, v) {
        const char *path = str(v, "path"), *sha = str(v, "sha256");
        if (!path || !sha) continue;
        if (!parents) {
            *rows = json_array();
            parents = json_array();
            const char *in;
            json_t *iv;
            json_object_foreach((json_t *)inputs, in, iv) if (json_object_get(iv, "artifact_id"))
                json_array_append(parents, json_object_get(iv, "artifact_id"));
        }
        char *stored = NULL;
        err = pf_artifact_store_put(rt->cfg.data_dir, path, sha, &stored);
        if (err) break;
        char *id = pf_asprintf("%s:%s:%s", run->id, n->id, port);
        const pf_port *p = pf_module_port(&n->module->outputs, port);
        json_object_set_new(v, "path", json_string(stored));
        json_object_set_new(v, "artifact_id", json_string(id));
        if (p && p->role) json_object_set_new(v, "role", json_string(p->role));
        json_t *meta =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:O, s:O, s:s}", "id", id, "sha256", sha, "run_id",
                      run->id, "node_id", n->id, "port", port, "role", p ? p->role : NULL, "media_type",
                      str(v, "media_type"), "size", json_object_get(v, "size"), "parents", parents, "path", stored);
        json_array_append_new(*rows, meta);
        free(id);
        free(stored);
    }
    json_decref(parents);
    return err;
}

/* Notes an attempt's start (err NULL, status "running") or its end. The
 * attempts are stored with the node's final transition: a node interrupted
 * by a crash runs again from scratch, so its partial history has no use. */
static void record_attempt(rt_node *n, int attempt, const char *status, const pf_error *err) {
    /* Keys and values here are ASCII: jansson's UTF-8 checks are skipped. */
    json_t *attempts = json_object_get(n->state, "attempts");
    if (!json_is_array(attempts)) json_object_set_new_nocheck(n->state, "attempts", attempts = json_array());
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    if (strcmp(status, "running") == 0) {
        json_t *entry = json_object();
        json_object_set_new_nocheck(entry, "attempt", json_integer(attempt));
        json_object_set_new_nocheck(entry, "status", json_stringn_nocheck(status, strlen(status)));
        json_object_set_new_nocheck(entry, "started_at", json_stringn_nocheck(stamp, strlen(stamp)));
        json_array_append_new(attempts, entry);
        return;
    }
    json_t *last = json_array_get(attempts, json_array_size(attempts) - 1);
    json_object_set_new_nocheck(last, "status", json_stringn_nocheck(status, strlen(status)));
    json_object_set_new_nocheck(last, "finished_at", json_stringn_nocheck(stamp, strlen(stamp)));
    if (err) json_object_set_new_nocheck(last, "error", pf_error_to_json(err));
}

#define NODE_LOG_MAX 200

/* A module's progress, kept in the node's log (the latest entries). */
static void on_progress(void *user, double fraction, const char *message) {
    rt_node *n = user;
    json_t *log = json_object_get(n->state, "log");
    if (!json_is_array(log)) json_object_set_new(n->state, "log", log = json_array());
    if (json_array_size(log) >= NODE_LOG_MAX) json_array_remove(log, 0);
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    json_t *entry = json_pack("{s:s, s:s}", "at", stamp, "message", message ? message : "");
    if (fraction >= 0) json_object_set_new(entry, "fraction", json_real(fraction));
    json_array_append_new(log, entry);
}

/* "<data>/runs/<run>/<node>.<attempt>", without printf's per-call cost. */
static char *work_dir(const char *data_dir, const char *run_id, const char *node_id, int attempt) {
    char num[16];
    int k = (int)sizeof num;
    num[--k] = '\0';
    for (unsigned a = attempt > 0 ? (unsigned)attempt : 0;; a /= 10) {
        num[--k] = (char)('0' + a % 10);
        if (a < 10) break;
    }
    const char *parts[] = {data_dir, "/runs/", run_id, "/", node_id, ".", num + k};
    return pf_concat(parts, 7);
}

static node_result run_node(pf_runtime *rt, rt_run *run, rt_node *n, pf_sha256_hasher *hasher) {
    node_result r = {0};
    json_t *inputs = collect_inputs(run, n);
    if (!n->module) {
        r.err = pf_error_new(PF_ENOTFOUND, "", "node %s: no module \"%s\" in this build", n->id, str(n->doc, "step"));
        json_decref(inputs);
        return r;
    }
    r.err = pf_params_resolve(n->module, run->workflow, n->doc, json_object_get(run->record, "overrides"),
                              json_object_get(run->record, "line_overrides"), &r.params, &r.sources);
    if (r.err) {
        json_decref(inputs);
        return r;
    }
    const json_t *policy = json_object_get(n->doc, "policy");
    pf_cache_probe probe = {0};
    const json_t *context = n->module->entry ? json_object_get(run->record, "context") : NULL;
    /* An entry module reads what its context points at (a file, an order),
     * which can change under the same context: it always runs, and the
     * digests it records key everything downstream. */
    const char *uncached = n->module->external ? "side-effecting module: never cached"
                           : n->module->entry  ? "entry module: it reads its subject afresh every run"
                           : json_is_false(json_object_get(policy, "cache")) ? "cache disabled by policy"
                                                                             : NULL;
    bool cacheable = uncached == NULL;
    if (cacheable) {
        pf_cache_probe_init(&probe, n->module, str(run->workflow, "id"), n->id, r.params, inputs, hasher);
        r.cache = pf_cache_lookup(rt->cfg.store, &probe, &r.outputs);
    } else {
        r.cache = json_pack("{s:b, s:s}", "hit", 0, "reason", uncached);
    }
    if (r.outputs) { /* a hit: nothing runs */
        pf_cache_probe_free(&probe);
        json_decref(inputs);
        return r;
    }
    int retries = (int)json_integer_value(json_object_get(policy, "retries"));
    double timeout_s = json_number_value(json_object_get(policy, "timeout_s"));
    for (int attempt = 1;; attempt++) {
        record_attempt(n, attempt, "running", NULL);
        char *work = work_dir(rt->cfg.data_dir, run->id, n->id, attempt);
        pf_module_ctx ctx = {.data_root = rt->cfg.data_dir,
                             .work_dir = work,
                             .share_dir = rt->cfg.share_dir,
                             .context = context,
                             .cancel = &run->cancel,
                             .timeout_ms = timeout_s > 0 ? (long)(timeout_s * 1000) : 0,
                             .blender_pool = rt->cfg.blender_pool,
                             .run_id = run->id,
                             .node_id = n->id,
                             .shadow = json_is_true(json_object_get(run->record, "shadow")),
                             .settings = rt->cfg.settings,
                             .store = rt->cfg.store,
                             .progress = on_progress,
                             .progress_user = n};
        pf_error *err = pf_module_invoke(rt->cfg.registry, n->module->key, &ctx, inputs, r.params, &r.outputs);
        free(work);
        if (!err) {
            record_attempt(n, attempt, "succeeded", NULL);
            break;
        }
        record_attempt(n, attempt, "failed", err);
        if (atomic_load(&run->cancel) || !retryable(err->code) || attempt > retries ||
            !back_off(rt, run, policy, attempt)) {
            r.err = err;
            break;
        }
        pf_error_free(err);
    }
    if (!r.err) r.err = keep_artifacts(rt, run, n, r.outputs, inputs, &r.artifacts);
    if (!r.err) r.assets = published_assets(run, n, r.outputs);
    if (!r.err && cacheable) {
        r.cache_entry = pf_cache_entry(&probe, r.outputs);
        memcpy(r.cache_key, probe.key, sizeof r.cache_key);
        r.cache_slot = pf_strdup(probe.slot);
    }
    pf_cache_probe_free(&probe);
    json_decref(inputs);
    return r;
}

/* ---------------------------------------------------------------- scheduling */

/* Drops queued tasks of a run that is about to be freed. */
static void purge_locked(pf_runtime *rt, const rt_run *run) {
    size_t kept = 0;
    for (size_t i = 0; i < rt->len; i++) {
        task t = rt->queue[(rt->head + i) % rt->cap];
        if (t.run != run) rt->queue[(rt->head + kept++) % rt->cap] = t;
    }
    rt->len = kept;
}

static void finish_run_locked(pf_runtime *rt, rt_run *run) {
    const char *status = atomic_load(&run->cancel) ? "cancelled" : run->hard_failure ? "failed" : "succeeded";
    log_store_error(pf_store_run_transition(rt->cfg.store, run->id, status, NULL, NULL, NULL, NULL, NULL), run->id);
    pf_log(PF_LOG_INFO, "run.finished", "run %s %s", run->id, status);
    for (rt_run **p = &rt->runs; *p; p = &(*p)->next)
        if (*p == run) {
            *p = run->next;
            break;
        }
    purge_locked(rt, run);
    run->next = rt->retired;
    rt->retired = run;
    pthread_cond_broadcast(&rt->finished);
}

/* Frees retired runs; called with the lock held, which it drops meanwhile
 * so waiters and workers go on. */
static void free_retired_locked(pf_runtime *rt) {
    rt_run *list = rt->retired;
    rt->retired = NULL;
    if (!list) return;
    pthread_mutex_unlock(&rt->lock);
    while (list) {
        rt_run *next = list->next;
        run_free(list);
        list = next;
    }
    pthread_mutex_lock(&rt->lock);
}

/* Gives a pending node a final status without running it. */
static void settle_locked(pf_runtime *rt, rt_run *run, size_t i, node_status status, const char *why) {
    rt_node *n = &run->nodes[i];
    if (n->status != N_PENDING) return;
    n->status = status;
    json_object_set_new(n->state, "reason", json_string(why));
    log_store_error(persist_node(rt, run, n, NULL), run->id);
    run->unfinished--;
}

static void skip_dependents_locked(pf_runtime *rt, rt_run *run, size_t i, const char *why) {
    for (size_t d = 0; d < run->nodes[i].n_down; d++) {
        size_t j = run->nodes[i].down[d];
        if (run->nodes[j].status != N_PENDING) continue;
        settle_locked(rt, run, j, N_SKIPPED, why);
        skip_dependents_locked(rt, run, j, why);
    }
}

/* Settles every pending node: the run will start nothing more. */
static void stop_run_locked(pf_runtime *rt, rt_run *run, node_status status, const char *why) {
    for (size_t i = 0; i < run->n; i++)
        settle_locked(rt, run, i, status, why);
}

static void release_dependents_locked(pf_runtime *rt, rt_run *run, size_t i) {
    for (size_t d = 0; d < run->nodes[i].n_down; d++) {
        rt_node *m = &run->nodes[run->nodes[i].down[d]];
        if (m->waiting > 0 && --m->waiting == 0 && m->status == N_PENDING) push(rt, run, run->nodes[i].down[d]);
    }
}

static void complete_locked(pf_runtime *rt, rt_run *run, size_t i) {
    rt_node *n = &run->nodes[i];
    run->unfinished--;
    const char *on_failure = str(json_object_get(n->doc, "policy"), "on_failure");
    if (n->status == N_SUCCEEDED || (n->status == N_FAILED && on_failure && strcmp(on_failure, "continue") == 0)) {
        release_dependents_locked(rt, run, i);
    } else if (n->status == N_FAILED && on_failure && strcmp(on_failure, "skip_dependents") == 0) {
        run->hard_failure = true;
        char *why = pf_asprintf("upstream node %s failed", n->id);
        skip_dependents_locked(rt, run, i, why);
        free(why);
    } else if (n->status == N_FAILED) {
        run->hard_failure = true;
        char *why = pf_asprintf("node %s failed and its policy fails the run", n->id);
        stop_run_locked(rt, run, N_SKIPPED, why);
        free(why);
    }
    if (atomic_load(&run->cancel)) stop_run_locked(rt, run, N_CANCELLED, "the run was cancelled");
    if (run->unfinished == 0) finish_run_locked(rt, run);
}

static void execute(pf_runtime *rt, rt_run *run, size_t i, pf_sha256_hasher *hasher) {
    rt_node *n = &run->nodes[i];
    node_result r = run_node(rt, run, n, hasher);
    json_object_del(n->state, "reason");
    if (r.params) json_object_set_new_nocheck(n->state, "params", r.params);
    if (r.sources) json_object_set_new_nocheck(n->state, "param_sources", r.sources);
    if (r.cache) json_object_set_new_nocheck(n->state, "cache", r.cache);
    node_status status = N_SUCCEEDED;
    if (r.err) {
        json_object_set_new(n->state, "error", pf_error_to_json(r.err));
        json_decref(r.outputs);
        status = atomic_load(&run->cancel) && r.err->code == PF_ECANCELLED ? N_CANCELLED : N_FAILED;
        pf_error_free(r.err);
    } else {
        json_object_del(n->state, "error");
        json_object_set_new_nocheck(n->state, "outputs", r.outputs);
    }
    char *state_text = pf_json_text(n->state, false), *cache_text = pf_json_text(r.cache_entry, false);
    json_decref(r.cache_entry);
    pthread_mutex_lock(&rt->lock);
    if (rt->n_done == rt->cap_done) {
        rt->cap_done = rt->cap_done ? rt->cap_done * 2 : 64;
        rt->done = pf_xrealloc(rt->done, rt->cap_done * sizeof *rt->done);
    }
    completion *c = &rt->done[rt->n_done++];
    *c = (completion){.run = run,
                      .node = i,
                      .status = status,
                      .artifacts = r.artifacts,
                      .assets = r.assets,
                      .state_text = state_text,
                      .cache_text = cache_text,
                      .cache_slot = r.cache_slot};
    memcpy(c->cache_key, r.cache_key, sizeof c->cache_key);
    pthread_cond_signal(&rt->to_write);
    pthread_mutex_unlock(&rt->lock);
}

/* Commits finished nodes in batches, then schedules what they release. */
static void *writer(void *arg) {
    pf_runtime *rt = arg;
    pthread_setname_np(pthread_self(), "pf-run-writer"); /* for top -H and perf */
    completion *batch = NULL;
    pf_store_transition *items = NULL;
    pf_store_node_extras *extras = NULL;
    size_t cap = 0;
    pthread_mutex_lock(&rt->lock);
    for (;;) {
        while (rt->n_done == 0 && !rt->writer_stop)
            pthread_cond_wait(&rt->to_write, &rt->lock);
        if (rt->n_done == 0) break;
        size_t n = rt->n_done;
        if (n > cap) {
            cap = n;
            batch = pf_xrealloc(batch, cap * sizeof *batch);
            items = pf_xrealloc(items, cap * sizeof *items);
            extras = pf_xrealloc(extras, cap * sizeof *extras);
        }
        memcpy(batch, rt->done, n * sizeof *batch);
        rt->n_done = 0;
        for (size_t k = 0; k < n; k++) {
            completion *c = &batch[k];
            rt_node *node = &c->run->nodes[c->node];
            node->status = c->status;
            extras[k] = (pf_store_node_extras){.artifacts = c->artifacts,
                                               .assets = c->assets,
                                               .cache_key = c->cache_text ? c->cache_key : NULL,
                                               .cache_slot = c->cache_slot,
                                               .cache_entry_text = c->cache_text};
            items[k] = (pf_store_transition){.run_id = c->run->id,
                                             .node_id = node->id,
                                             .node_status = node_status_name[c->status],
                                             .node_state_text = c->state_text,
                                             .extras = c->status == N_SUCCEEDED ? &extras[k] : NULL};
        }
        pthread_mutex_unlock(&rt->lock);
        pf_error *err = pf_store_run_transitions(rt->cfg.store, items, n);
        if (err) log_store_error(err, "(batch)");
        pthread_mutex_lock(&rt->lock);
        for (size_t k = 0; k < n; k++) {
            /* A stopping runtime records what finished and decides nothing
             * more: the next start resumes the run as after a crash. */
            if (!rt->stopping) complete_locked(rt, batch[k].run, batch[k].node);
            json_decref(batch[k].artifacts);
            json_decref(batch[k].assets);
            free(batch[k].state_text);
            free(batch[k].cache_text);
            free(batch[k].cache_slot);
        }
        free_retired_locked(rt);
    }
    pthread_mutex_unlock(&rt->lock);
    free(batch);
    free(items);
    free(extras);
    return NULL;
}

static void *worker(void *arg) {
    pf_runtime *rt = arg;
    pthread_setname_np(pthread_self(), "pf-run-worker");
    pf_sha256_hasher *hasher = pf_sha256_hasher_new(); /* this thread's, for cache keys */
    pthread_mutex_lock(&rt->lock);
    for (;;) {
        while (!rt->stopping && rt->len == 0)
            pthread_cond_wait(&rt->work, &rt->lock);
        if (rt->stopping) break;
        task t = rt->queue[rt->head];
        rt->head = (rt->head + 1) % rt->cap;
        rt->len--;
        rt_node *n = &t.run->nodes[t.node];
        if (n->status != N_PENDING) continue;
        n->status = N_RUNNING;
        pthread_mutex_unlock(&rt->lock);
        execute(rt, t.run, t.node, hasher);
        pthread_mutex_lock(&rt->lock);
    }
    pthread_mutex_unlock(&rt->lock);
    pf_sha256_hasher_free(hasher);
    return NULL;
}

/* Counts unfinished nodes and waiting edges, and queues what can start. */
static void schedule_locked(pf_runtime *rt, rt_run *run) {
    run->next = rt->runs;
    rt->runs = run;
    for (size_t i = 0; i < run->n; i++)
        run->nodes[i].waiting = 0;
    for (size_t i = 0; i < run->n; i++) {
        const rt_node *n = &run->nodes[i];
        if (!is_final(n->status)) run->unfinished++;
        bool releases = n->status == N_SUCCEEDED || n->status == N_FAILED;
        for (size_t d = 0; d < n->n_down && !releases; d++)
            run->nodes[n->down[d]].waiting++;
    }
    for (size_t i = 0; i < run->n; i++)
        if (run->nodes[i].status == N_PENDING && run->nodes[i].waiting == 0) push(rt, run, i);
    if (run->unfinished == 0) finish_run_locked(rt, run);
}

/* ---------------------------------------------------------------- public */

pf_error *pf_runtime_start(const pf_runtime_config *cfg, pf_runtime **out) {
    pf_runtime *rt = pf_xcalloc(1, sizeof *rt);
    rt->cfg = *cfg;
    rt->jitter_seed = (unsigned)time(NULL);
    pthread_mutex_init(&rt->lock, NULL);
    pthread_cond_init(&rt->work, NULL);
    pthread_cond_init(&rt->finished, NULL);
    rt->n_threads = cfg->workers > 0 ? cfg->workers : 2;
    rt->threads = pf_xcalloc((size_t)rt->n_threads, sizeof *rt->threads);
    pthread_cond_init(&rt->to_write, NULL);
    for (int i = 0; i < rt->n_threads; i++)
        pthread_create(&rt->threads[i], NULL, worker, rt);
    pthread_create(&rt->writer, NULL, writer, rt);
    *out = rt;
    return NULL;
}

void pf_runtime_stop(pf_runtime *rt) {
    if (!rt) return;
    pthread_mutex_lock(&rt->lock);
    rt->stopping = true;
    /* Running modules stop now (their subprocesses are killed). Since a
     * stopping runtime decides nothing, their runs stay running in the store
     * and those nodes run again on resume. */
    for (rt_run *r = rt->runs; r; r = r->next)
        atomic_store(&r->cancel, true);
    pthread_cond_broadcast(&rt->work);
    pthread_mutex_unlock(&rt->lock);
    for (int i = 0; i < rt->n_threads; i++)
        pthread_join(rt->threads[i], NULL);
    pthread_mutex_lock(&rt->lock);
    rt->writer_stop = true; /* it commits what the workers finished, then ends */
    pthread_cond_signal(&rt->to_write);
    pthread_mutex_unlock(&rt->lock);
    pthread_join(rt->writer, NULL);
    free(rt->done);
    pthread_cond_destroy(&rt->to_write);
    for (rt_run *lists[] = {rt->runs, rt->retired}, **l = lists; l < lists + 2; l++)
        while (*l) {
            rt_run *next = (*l)->next;
            run_free(*l);
            *l = next;
        }
    free(rt->threads);
    free(rt->queue);
    pthread_cond_destroy(&rt->finished);
    pthread_cond_destroy(&rt->work);
    pthread_mutex_destroy(&rt->lock);
    free(rt);
}

/* A large workflow's submit shares its work with a second thread: it
 * validates the workflow while this one canonicalises it and writes the
 * run's record, then builds the run's graph while this one stores the
 * record. Below this many nodes a thread costs more than it saves. */
#define SUBMIT_AID_MIN_NODES 512

typedef struct {
    const pf_registry *reg;
    const json_t *workflow;
    pf_errors found;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool validated;
    bool released; /* id and record are set */
    const char *id;
    json_t *record;
    rt_run *run;
    pthread_t thread;
} submit_aid;

static void *submit_aid_main(void *arg) {
    submit_aid *a = arg;
    pthread_setname_np(pthread_self(), "pf-run-submit");
    pf_workflow_validate(a->reg, a->workflow, &a->found);
    pthread_mutex_lock(&a->lock);
    a->validated = true;
    pthread_cond_broadcast(&a->cond);
    while (!a->released)
        pthread_cond_wait(&a->cond, &a->lock);
    pthread_mutex_unlock(&a->lock);
    if (a->found.len == 0) a->run = run_build(a->reg, a->id, a->record, NULL);
    return NULL;
}

static bool submit_aid_start(submit_aid *a, const pf_registry *reg, const json_t *workflow) {
    if (!json_is_object(workflow) || json_array_size(json_object_get(workflow, "nodes")) < SUBMIT_AID_MIN_NODES)
        return false;
    *a = (submit_aid){.reg = reg, .workflow = workflow};
    pf_errors_init(&a->found);
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    if (pthread_create(&a->thread, NULL, submit_aid_main, a) == 0) return true;
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    return false;
}

static void submit_aid_wait_validated(submit_aid *a) {
    pthread_mutex_lock(&a->lock);
    while (!a->validated)
        pthread_cond_wait(&a->cond, &a->lock);
    pthread_mutex_unlock(&a->lock);
}

/* Hands over the run's id and record: the other thread builds the run's
 * graph from them (a->run, which then owns the record) once the workflow
 * proved valid. From here the record is only read, by both threads. */
static void submit_aid_release(submit_aid *a, const char *id, json_t *record) {
    pthread_mutex_lock(&a->lock);
    a->released = true, a->id = id, a->record = record;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

static rt_run *submit_aid_join(submit_aid *a) {
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    pf_errors_clear(&a->found);
    return a->run;
}

/* The run's record: the canonical workflow (taken), the context, the
 * overrides and the shadow flag, as the run row stores it. */
static json_t *run_record(const pf_run_request *req, json_t *workflow) {
    return json_pack("{s:o, s:o, s:o, s:o, s:b}", "workflow", workflow, "context",
                     req->context ? json_incref((json_t *)req->context) : json_object(), "overrides",
                     req->overrides ? json_incref((json_t *)req->overrides) : json_object(), "line_overrides",
                     req->line_overrides ? json_incref((json_t *)req->line_overrides) : json_object(), "shadow",
                     req->shadow);
}

/* The checks after the workflow's own: the context against the family's
 * schema and the overrides against the invocation contract. */
static pf_error *check_request(pf_runtime *rt, const pf_run_request *req, const json_t *context, pf_errors *errs,
                               size_t before) {
    const pf_family *family = pf_contract_family(&rt->cfg.registry->contract, str(req->workflow, "family"));
    if (family && family->context_schema) pf_schema_validate(family->context_schema, context, "/context", errs);
    pf_params_check_overrides(req->workflow, req->overrides, "/overrides", errs);
    pf_params_check_overrides(req->workflow, req->line_overrides, "/line_overrides", errs);
    if (errs->len == before) return NULL;
    return pf_error_new(PF_EINVAL, "", "the run request has %zu problem%s", errs->len - before,
                        errs->len - before == 1 ? "" : "s");
}

/* Adds the workflow's problems to errs under /workflow. */
static pf_error *workflow_problems(const pf_errors *found, pf_errors *errs) {
    for (size_t i = 0; i < found->len; i++) {
        char *ptr = pf_asprintf("/workflow%s", found->items[i].pointer);
        pf_errors_add(errs, found->items[i].code, ptr, "%s", found->items[i].message);
        free(ptr);
    }
    return found->len ? pf_error_new(PF_EINVAL, "/workflow", "the workflow is not valid") : NULL;
}

static char *new_run_id(const pf_run_request *req) {
    char idbuf[PF_ID_MAX];
    pf_id_new("run", idbuf);
    return pf_strdup(req->id ? req->id : idbuf);
}

pf_error *pf_runtime_submit(pf_runtime *rt, const pf_run_request *req, pf_errors *errs, char **run_id) {
    *run_id = NULL;
    size_t before = errs->len;
    submit_aid aid;
    bool aided = submit_aid_start(&aid, rt->cfg.registry, req->workflow);
    pf_error *err = NULL;
    json_t *record = NULL, *doc_text = NULL;
    char *id = NULL;
    if (aided) {
        /* While the other thread validates, this one prepares the run as if
         * the request were valid: canonical workflow (which needs no valid
         * document), record and its text. All is dropped if it is not. */
        record = run_record(req, pf_workflow_canonicalize(rt->cfg.registry, req->workflow));
        id = new_run_id(req);
        submit_aid_release(&aid, id, record);
        char *text = pf_json_text(record, false);
        doc_text = json_stringn_nocheck(text, strlen(text));
        free(text);
        submit_aid_wait_validated(&aid);
        err = workflow_problems(&aid.found, errs);
    } else {
        pf_errors found;
        pf_errors_init(&found);
        pf_workflow_validate(rt->cfg.registry, req->workflow, &found);
        err = workflow_problems(&found, errs);
        pf_errors_clear(&found);
    }
    if (!err) {
        json_t *context = req->context ? json_incref((json_t *)req->context) : json_object();
        err = check_request(rt, req, context, errs, before);
        json_decref(context);
    }
    if (err) {
        if (aided) {
            rt_run *unused = submit_aid_join(&aid);
            if (unused)
                run_free(unused); /* with the record */
            else
                json_decref(record);
        }
        json_decref(doc_text);
        free(id);
        return err;
    }
    if (!record) {
        record = run_record(req, pf_workflow_canonicalize(rt->cfg.registry, req->workflow));
        id = new_run_id(req);
    }
    const json_t *workflow = json_object_get(record, "workflow");
    json_t *row =
        json_pack("{s:s, s:s?, s:O?, s:s, s:s, s:O?, s:O, s:o?}", "id", id, "workflow_id", str(workflow, "id"),
                  "workflow_version", json_object_get(workflow, "version"), "family", str(workflow, "family"), "status",
                  "running", "subject", req->subject, "doc", record, "doc_text", doc_text);
    err = pf_store_run_create(rt->cfg.store, row);
    json_decref(row);
    rt_run *run = aided ? submit_aid_join(&aid) : NULL; /* it owns the record */
    if (err) {
        if (run)
            run_free(run);
        else
            json_decref(record);
        free(id);
        return err;
    }
    if (!run) run = run_build(rt->cfg.registry, id, record, NULL);
    pthread_mutex_lock(&rt->lock);
    schedule_locked(rt, run);
    free_retired_locked(rt);
    pthread_mutex_unlock(&rt->lock);
    *run_id = id;
    return NULL;
}

static bool final_run_status(const char *s) {
    return s && (strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 || strcmp(s, "cancelled") == 0);
}

static bool active_locked(const pf_runtime *rt, const char *run_id) {
    for (const rt_run *r = rt->runs; r; r = r->next)
        if (strcmp(r->id, run_id) == 0) return true;
    return false;
}

pf_error *pf_runtime_wait(pf_runtime *rt, const char *run_id, long timeout_ms, char **status) {
    long until = timeout_ms > 0 ? pf_now_ms() + timeout_ms : 0;
    pthread_mutex_lock(&rt->lock);
    while (active_locked(rt, run_id) && (!until || pf_now_ms() < until)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&rt->finished, &rt->lock, &ts);
    }
    pthread_mutex_unlock(&rt->lock);
    json_t *run = NULL;
    pf_error *err = pf_store_run_get(rt->cfg.store, run_id, false, &run);
    if (!err && status) *status = pf_strdup(str(run, "status"));
    json_decref(run);
    return err;
}

pf_error *pf_runtime_cancel(pf_runtime *rt, const char *run_id) {
    pthread_mutex_lock(&rt->lock);
    rt_run *run = rt->runs;
    while (run && strcmp(run->id, run_id) != 0)
        run = run->next;
    if (run) {
        atomic_store(&run->cancel, true);
        stop_run_locked(rt, run, N_CANCELLED, "the run was cancelled");
        bool running = false;
        for (size_t i = 0; i < run->n; i++)
            running = running || run->nodes[i].status == N_RUNNING;
        if (!running && run->unfinished == 0) finish_run_locked(rt, run);
    }
    bool found = run != NULL;
    free_retired_locked(rt);
    pthread_mutex_unlock(&rt->lock);
    if (found) return NULL;
    json_t *stored = NULL;
    pf_error *err = pf_store_run_get(rt->cfg.store, run_id, true, &stored);
    if (!err) err = pf_error_new(PF_ECONFLICT, "", "run %s is already %s", run_id, str(stored, "status"));
    json_decref(stored);
    return err;
}

/* Loads a stored run and schedules what is left of it. */
static pf_error *revive(pf_runtime *rt, const char *run_id, bool only_unfinished) {
    json_t *stored = NULL;
    pf_error *err = pf_store_run_get(rt->cfg.store, run_id, true, &stored);
    if (err) return err;
    const char *status = str(stored, "status");
    if (only_unfinished && final_run_status(status)) {
        json_decref(stored);
        return NULL;
    }
    if (!only_unfinished && !(strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0)) {
        err = pf_error_new(PF_ECONFLICT, "", "run %s is %s; only a failed or cancelled run can run again", run_id,
                           status);
        json_decref(stored);
        return err;
    }
    pthread_mutex_lock(&rt->lock);
    for (rt_run *r = rt->runs; r; r = r->next)
        if (strcmp(r->id, run_id) == 0) err = pf_error_new(PF_ECONFLICT, "", "run %s is running", run_id);
    pthread_mutex_unlock(&rt->lock);
    if (err) {
        json_decref(stored);
        return err;
    }
    json_t *nodes = json_object_get(stored, "nodes");
    const char *id;
    json_t *node;
    json_object_foreach(nodes, id, node) { /* what did not succeed runs again */
        if (strcmp(str(node, "status"), "succeeded") != 0) json_object_set_new(node, "status", json_string("pending"));
    }
    rt_run *run = run_build(rt->cfg.registry, run_id, json_incref(json_object_get(stored, "doc")), nodes);
    json_decref(stored);
    err = pf_store_run_transition(rt->cfg.store, run_id, "running", NULL, NULL, NULL, NULL, NULL);
    for (size_t i = 0; !err && i < run->n; i++)
        if (run->nodes[i].status == N_PENDING) err = persist_node(rt, run, &run->nodes[i], NULL);
    if (err) {
        run_free(run);
        return err;
    }
    pthread_mutex_lock(&rt->lock);
    schedule_locked(rt, run);
    free_retired_locked(rt);
    pthread_mutex_unlock(&rt->lock);
    return NULL;
}

pf_error *pf_runtime_rerun(pf_runtime *rt, const char *run_id) { return revive(rt, run_id, false); }

pf_error *pf_runtime_resume(pf_runtime *rt, size_t *resumed) {
    json_t *list = NULL;
    pf_error *err = pf_store_run_list(rt->cfg.store, "running", &list);
    size_t i, n = 0;
    const json_t *run;
    json_array_foreach(list, i, run) {
        if (err) break;
        err = revive(rt, str(run, "id"), true);
        if (!err) n++;
    }
    json_decref(list);
    if (resumed) *resumed = n;
    if (n) pf_log(PF_LOG_INFO, "runtime.resumed", "resumed %zu unfinished run%s", n, n == 1 ? "" : "s");
    return err;
}

json_t *pf_runtime_live(pf_runtime *rt, const char *run_id) {
    json_t *live = NULL;
    pthread_mutex_lock(&rt->lock);
    for (const rt_run *r = rt->runs; r && !live; r = r->next) {
        if (strcmp(r->id, run_id) != 0) continue;
        live = json_object();
        for (size_t i = 0; i < r->n; i++)
            if (r->nodes[i].status == N_RUNNING) json_object_set_new(live, r->nodes[i].id, json_string("running"));
    }
    pthread_mutex_unlock(&rt->lock);
    return live;
}
