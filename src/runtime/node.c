/* One node: parameters, the cache probe, attempts with retries and
 * backoff, artifacts kept and assets listed for the writer to commit. */
#include "runtime/runtime_internal.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/quota.h"
#include "core/subprocess.h"
#include "modules/invoke.h"
#include "runtime/artifact_store.h"
#include "runtime/cache.h"
#include "runtime/params.h"

#include <stdlib.h>
#include <time.h>

/* ---------------------------------------------------------------- one node */

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

/* The outputs sit in the node's work directory, under the data directory,
 * so they are counted already: past the quota, they are not kept. */
static pf_error *check_quota(pf_runtime *rt, const rt_node *n) {
    uint64_t used;
    if (pf_disk_quota_left(rt->cfg.data_dir, rt->cfg.disk_quota_bytes, &used)) return NULL;
    char *what = pf_asprintf("the outputs of node %s (%s)", n->id, n->module->key);
    char *msg = pf_disk_quota_message(rt->cfg.disk_quota_bytes, used, what);
    pf_error *err = pf_error_new(PF_ELIMIT, "", "%s", msg);
    free(msg);
    free(what);
    return err;
}

/* Moves each file output into the artifact store and lists its metadata
 * rows in *rows (NULL when there are none), to commit with the node's
 * transition. A module may hand on a value it was given (an upstream
 * output, the run's context) by reference, and other nodes, even another
 * run sharing the context, read that value on other threads: so the port
 * gets its own shallow copy before the stored path and id go into it. */
static pf_error *keep_artifacts(pf_runtime *rt, rt_run *run, rt_node *n, json_t *outputs, const json_t *inputs,
                                json_t **rows) {
    *rows = NULL; /* made with the first file output */
    json_t *parents = NULL;
    const char *port;
    json_t *v;
    pf_error *err = NULL;
    json_object_foreach(outputs, port, v) {
        if (!str(v, "path") || !str(v, "sha256")) continue;
        if (!parents && (err = check_quota(rt, n))) break;
        if (!parents) {
            *rows = json_array();
            parents = json_array();
            const char *in;
            json_t *iv;
            json_object_foreach((json_t *)inputs, in, iv) if (json_object_get(iv, "artifact_id"))
                json_array_append(parents, json_object_get(iv, "artifact_id"));
        }
        json_t *own = json_copy(v); /* holds path and sha256 while v is let go */
        json_object_set_new_nocheck(outputs, port, own);
        const char *path = str(own, "path"), *sha = str(own, "sha256");
        char *stored = NULL;
        err = pf_artifact_store_put(rt->cfg.data_dir, path, sha, &stored);
        if (err) break;
        char *id = pf_asprintf("%s:%s:%s", run->id, n->id, port);
        const pf_port *p = pf_module_port(&n->module->outputs, port);
        json_object_set_new(own, "path", json_string(stored));
        json_object_set_new(own, "artifact_id", json_string(id));
        if (p && p->role) json_object_set_new(own, "role", json_string(p->role));
        json_t *meta =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:O, s:O, s:s}", "id", id, "sha256", sha, "run_id",
                      run->id, "node_id", n->id, "port", port, "role", p ? p->role : NULL, "media_type",
                      str(own, "media_type"), "size", json_object_get(own, "size"), "parents", parents, "path", stored);
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

/* Where a module's progress goes: the node's log (its latest entries,
 * recorded when it finishes) and, while it runs, the live view that the
 * run's observers are told of. */
typedef struct {
    pf_runtime *rt;
    rt_run *run;
    rt_node *n;
} progress_sink;

static void on_progress(void *user, double fraction, const char *message) {
    const progress_sink *p = user;
    json_t *log = json_object_get(p->n->state, "log");
    if (!json_is_array(log)) json_object_set_new(p->n->state, "log", log = json_array());
    if (json_array_size(log) >= NODE_LOG_MAX) json_array_remove(log, 0);
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    json_t *entry = json_pack("{s:s, s:s}", "at", stamp, "message", message ? message : "");
    if (fraction >= 0) json_object_set_new(entry, "fraction", json_real(fraction));
    json_array_append_new(log, entry);
    rt_live_report(p->rt, p->run, p->n, fraction, message, entry);
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

/* Why n is never looked up in the cache, or NULL when it is. */
static const char *uncached_because(const rt_node *n) {
    /* An entry module reads what its context points at (a file, an order),
     * which can change under the same context: it always runs, and the
     * digests it records key everything downstream. */
    return n->module->external ? "side-effecting module: never cached"
           : n->module->entry  ? "entry module: it reads its subject afresh every run"
           : n->fresh          ? "compared by parity: both runs of a shadow pair execute it"
           : json_is_false(json_object_get(json_object_get(n->doc, "policy"), "cache")) ? "cache disabled by policy"
                                                                                        : NULL;
}

static void make_probe(pf_runtime *rt, const rt_run *run, const rt_node *n, const json_t *inputs, const json_t *params,
                       pf_sha256_hasher *hasher, pf_cache_probe *probe) {
    json_t *depends = NULL;
    if (n->module->desc->depends) {
        pf_module_ctx ctx = {
            .data_root = rt->cfg.data_dir, .share_dir = rt->cfg.share_dir, .settings = rt->cfg.settings};
        depends = n->module->desc->depends(&ctx, inputs, params);
    }
    pf_cache_probe_init(probe, n->module, str(run->workflow, "id"), n->id, params, inputs, depends, hasher);
    json_decref(depends);
}

bool rt_ahead_wanted(const rt_node *n) {
    return n->status == N_PENDING && n->ahead.state == AHEAD_NONE && n->module && !uncached_because(n);
}

/* Looks up the cache for m queued nodes in one store call (one round trip
 * on PostgreSQL, where a look-up per node would cost a round trip each),
 * and leaves each verdict on its node for the worker that runs it. Nodes
 * marked AHEAD_BUSY by the caller; one that started meanwhile looks up
 * for itself, and a stale verdict (another key) is dropped. A verdict is
 * a look-up made a little early: an entry another server adds meanwhile
 * is missed, as it would be by a node that started a moment sooner. */
void rt_look_ahead(pf_runtime *rt, const task *tasks, size_t m, pf_sha256_hasher *hasher) {
    rt_ahead_result *res = pf_xcalloc(m, sizeof *res);
    const char **keys = pf_xcalloc(m, sizeof *keys), **slots = pf_xcalloc(m, sizeof *slots);
    json_t **entries = pf_xcalloc(m, sizeof *entries);
    bool *exact = pf_xcalloc(m, sizeof *exact), *probed = pf_xcalloc(m, sizeof *probed);
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        rt_run *run = tasks[i].run;
        rt_node *n = &run->nodes[tasks[i].node];
        pf_error *err = pf_params_resolve(n->module, run->workflow, n->doc, json_object_get(run->record, "overrides"),
                                          json_object_get(run->record, "line_overrides"),
                                          json_object_get(run->record, "constraints"), &res[i].params, &res[i].sources);
        if (!err) {
            json_t *inputs = collect_inputs(run, n);
            make_probe(rt, run, n, inputs, res[i].params, hasher, &res[i].probe);
            json_decref(inputs);
            probed[i] = true;
            keys[k] = res[i].probe.key;
            slots[k++] = res[i].probe.slot;
        }
        pf_error_free(err);
    }
    pf_error *err = pf_store_cache_find_many(rt->cfg.store, k, keys, slots, entries, exact);
    for (size_t i = 0, j = 0; i < m; i++)
        if (probed[i]) {
            if (!err) res[i].verdict = pf_cache_judge(&res[i].probe, entries[j], exact[j], &res[i].outputs);
            j++;
            /* What the node would work out again when it runs, unless its
             * key may change meanwhile; the key stays, to name the verdict. */
            if (!rt_ahead_fixed(&tasks[i].run->nodes[tasks[i].node])) {
                json_decref(res[i].params);
                json_decref(res[i].sources);
                res[i].params = res[i].sources = NULL;
                json_decref(res[i].probe.basis);
                free(res[i].probe.basis_text);
                res[i].probe.basis = NULL;
                res[i].probe.basis_text = NULL;
            }
        }
    rt_ahead_settle(rt, tasks, m, res);
    if (err) pf_error_free(err);
    free(res), free(keys), free(slots), free(entries), free(exact), free(probed);
}

/* Run documents are read by clients: a module's message names files
 * relative to the data and share directories (DATA/..., SHARE/...), never
 * where they are; the full message goes to the server's log. */
static void hide_server_paths(const pf_runtime *rt, const rt_run *run, const rt_node *n, int attempt, pf_error *err) {
    bool hid = false;
    for (int k = 0; k < 2; k++) {
        char *hidden = pf_path_hide(err->message, k ? rt->cfg.share_dir : rt->cfg.data_dir, k ? "SHARE" : "DATA");
        if (!hidden) continue;
        if (!hid)
            pf_log(PF_LOG_WARN, "node.failed", "run %s node %s attempt %d: %s", run->id, n->id, attempt, err->message);
        hid = true;
        free(err->message);
        err->message = hidden;
    }
}

/* Notes a side effect's claim on the attempt (without its result): who
 * claimed it at which epoch, and how often it was claimed. */
static void note_claim(rt_node *n, const json_t *claim) {
    json_t *attempts = json_object_get(n->state, "attempts");
    json_t *noted = json_deep_copy(claim);
    json_object_del(noted, "result");
    json_object_set_new(json_array_get(attempts, json_array_size(attempts) - 1), "effect", noted);
}

node_result rt_run_node(pf_runtime *rt, rt_run *run, rt_node *n, rt_ahead_result *ahead, pf_sha256_hasher *hasher) {
    node_result r = {0};
    json_t *inputs = collect_inputs(run, n);
    if (!n->module) {
        r.err = pf_error_new(PF_ENOTFOUND, "", "node %s: no module \"%s\" in this build", n->id, str(n->doc, "step"));
        json_decref(inputs);
        return r;
    }
    const char *uncached = uncached_because(n);
    bool cacheable = uncached == NULL;
    pf_cache_probe probe = {0};
    /* A look-ahead that kept its params and probe made this node's look-up
     * already; otherwise the node resolves, and looks up unless the
     * look-ahead's verdict is for the key it works out. */
    bool whole = cacheable && ahead->verdict && ahead->probe.basis;
    if (whole) {
        r.params = ahead->params, r.sources = ahead->sources, r.cache = ahead->verdict, r.outputs = ahead->outputs;
        probe = ahead->probe;
        *ahead = (rt_ahead_result){0};
    } else {
        r.err = pf_params_resolve(n->module, run->workflow, n->doc, json_object_get(run->record, "overrides"),
                                  json_object_get(run->record, "line_overrides"),
                                  json_object_get(run->record, "constraints"), &r.params, &r.sources);
    }
    if (r.err) {
        json_decref(inputs);
        return r;
    }
    const json_t *policy = json_object_get(n->doc, "policy");
    /* Side-effecting modules get the context too: they name what they
     * deliver after the run's subject (publish's {order_line}), and they
     * are never cached, so it need not be part of a key. */
    const json_t *context = n->module->entry || n->module->external ? json_object_get(run->record, "context") : NULL;
    if (cacheable && !whole) {
        make_probe(rt, run, n, inputs, r.params, hasher, &probe);
        if (ahead->verdict && strcmp(ahead->probe.key, probe.key) == 0) { /* else stale: another key */
            r.cache = ahead->verdict, r.outputs = ahead->outputs;
            ahead->verdict = ahead->outputs = NULL;
        } else {
            r.cache = pf_cache_lookup(rt->cfg.store, &probe, &r.outputs);
        }
    } else if (!cacheable) {
        r.cache = json_pack("{s:b, s:s}", "hit", 0, "reason", uncached);
    }
    if (r.outputs) { /* a hit: nothing runs */
        pf_cache_probe_free(&probe);
        json_decref(inputs);
        return r;
    }
    int retries = (int)json_integer_value(json_object_get(policy, "retries"));
    double timeout_s = json_number_value(json_object_get(policy, "timeout_s"));
    progress_sink sink = {rt, run, n};
    for (int attempt = 1;; attempt++) {
        json_t *claim = NULL;
        r.err = rt_effect_claim(rt, run, n, &claim);
        if (r.err) break;
        record_attempt(n, attempt, "running", NULL);
        if (claim) note_claim(n, claim);
        if (json_object_get(claim, "done_at")) { /* done before: its outputs, not a second act */
            r.outputs = json_deep_copy(json_object_get(claim, "result"));
            record_attempt(n, attempt, "succeeded", NULL);
            json_decref(claim);
            break;
        }
        char *work = work_dir(rt->cfg.data_dir, run->id, n->id, attempt);
        const char *cache_parts[] = {rt->cfg.data_dir, "/cache"};
        char *cache = pf_concat(cache_parts, 2);
        pf_module_ctx ctx = {.data_root = rt->cfg.data_dir,
                             .work_dir = work,
                             .cache_dir = cache,
                             .disk_quota_bytes = rt->cfg.disk_quota_bytes,
                             .share_dir = rt->cfg.share_dir,
                             .context = context,
                             .cancel = &run->cancel,
                             .timeout_ms = timeout_s > 0 ? (long)(timeout_s * 1000) : 0,
                             .blender_pool = rt->cfg.blender_pool,
                             .run_id = run->id,
                             .node_id = n->id,
                             .shadow = json_is_true(json_object_get(run->record, "shadow")),
                             .settings = rt->cfg.settings,
                             .progress = on_progress,
                             .progress_user = &sink};
        json_t *process = NULL;
        unsigned long long started_us = pf_monotonic_us();
        pf_error *err = rt_invoke(rt, n->module, &ctx, inputs, r.params, attempt, &r.outputs, &process);
        rt_observe_module(rt, n->module, pf_monotonic_us() - started_us);
        if (err) hide_server_paths(rt, run, n, attempt, err);
        free(work);
        free(cache);
        record_attempt(n, attempt, err ? "failed" : "succeeded", err);
        if (process) {
            json_t *attempts = json_object_get(n->state, "attempts");
            json_object_set_new(json_array_get(attempts, json_array_size(attempts) - 1), "process", process);
        }
        if (!err && claim) rt_effect_done(rt, run, n, r.outputs);
        json_decref(claim);
        if (!err) break;
        if (atomic_load(&run->cancel) || !retryable(err->code) || attempt > retries ||
            !rt_back_off(rt, run, json_number_value(json_object_get(policy, "backoff_s")), attempt)) {
            r.err = err;
            break;
        }
        pf_error_free(err);
    }
    if (!r.err) r.err = keep_artifacts(rt, run, n, r.outputs, inputs, &r.artifacts);
    if (!r.err) r.assets = published_assets(run, n, r.outputs);
    if (!r.err && cacheable) {
        r.cache_text = pf_cache_entry_text(&probe, r.outputs);
        memcpy(r.cache_key, probe.key, sizeof r.cache_key);
        r.cache_slot = pf_strdup(probe.slot);
    }
    pf_cache_probe_free(&probe);
    json_decref(inputs);
    return r;
}
