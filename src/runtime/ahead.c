/* Look-ahead verdicts: a worker looks up the cache for a batch of queued
 * nodes in one store call (rt_look_ahead, node.c) and leaves each verdict
 * on its node for the worker that runs it. The slots are shared between
 * workers, so every access to them is here, under rt->lock. */
#include "runtime/runtime_internal.h"

#include <string.h>

static void result_free(rt_ahead_result *r) {
    json_decref(r->verdict);
    json_decref(r->outputs);
    json_decref(r->params);
    json_decref(r->sources);
    pf_cache_probe_free(&r->probe);
}

void rt_ahead_clear(rt_node *n) {
    json_decref(n->ahead.verdict);
    json_decref(n->ahead.outputs);
    json_decref(n->ahead.params);
    json_decref(n->ahead.sources);
    pf_cache_probe_free(&n->ahead.probe);
    n->ahead.verdict = n->ahead.outputs = n->ahead.params = n->ahead.sources = NULL;
    n->ahead.state = AHEAD_NONE;
}

void rt_ahead_settle(pf_runtime *rt, const task *tasks, size_t m, rt_ahead_result *results) {
    pthread_mutex_lock(&rt->lock);
    for (size_t i = 0; i < m; i++) {
        rt_node *n = &tasks[i].run->nodes[tasks[i].node];
        rt_ahead_result *r = &results[i];
        if (n->ahead.state != AHEAD_BUSY || !r->verdict) { /* it started, and looked up for itself */
            if (n->ahead.state == AHEAD_BUSY) n->ahead.state = AHEAD_NONE;
            result_free(r);
            continue;
        }
        n->ahead.state = AHEAD_READY;
        n->ahead.verdict = r->verdict;
        n->ahead.outputs = r->outputs;
        memcpy(n->ahead.key, r->probe.key, sizeof n->ahead.key);
        if (r->probe.basis) { /* kept: the key is fixed */
            n->ahead.params = r->params;
            n->ahead.sources = r->sources;
            n->ahead.probe = r->probe;
        } else {
            json_decref(r->params);
            json_decref(r->sources);
            pf_cache_probe_free(&r->probe);
        }
    }
    pthread_mutex_unlock(&rt->lock);
}

json_t *rt_ahead_take(pf_runtime *rt, rt_node *n, const char *key, json_t **outputs) {
    json_t *verdict = NULL;
    pthread_mutex_lock(&rt->lock);
    if (n->ahead.state == AHEAD_READY && strcmp(n->ahead.key, key) == 0) {
        verdict = n->ahead.verdict;
        *outputs = n->ahead.outputs;
        n->ahead.verdict = n->ahead.outputs = NULL;
    }
    rt_ahead_clear(n);
    pthread_mutex_unlock(&rt->lock);
    return verdict;
}

bool rt_ahead_take_whole(pf_runtime *rt, rt_node *n, json_t **params, json_t **sources, pf_cache_probe *probe,
                         json_t **verdict, json_t **outputs) {
    pthread_mutex_lock(&rt->lock);
    bool whole = n->ahead.state == AHEAD_READY && n->ahead.probe.basis;
    if (whole) {
        *params = n->ahead.params, *sources = n->ahead.sources, *probe = n->ahead.probe;
        *verdict = n->ahead.verdict, *outputs = n->ahead.outputs;
        n->ahead.params = n->ahead.sources = n->ahead.verdict = n->ahead.outputs = NULL;
        n->ahead.probe = (pf_cache_probe){0};
        rt_ahead_clear(n);
    }
    pthread_mutex_unlock(&rt->lock);
    return whole;
}
