/* Look-ahead verdicts: a worker looks up the cache for a batch of queued
 * nodes in one store call (rt_look_ahead, node.c) and leaves each verdict
 * on its node for the worker that runs it. The slots are shared between
 * workers, so every access to them is here, under rt->lock. */
#include "runtime/runtime_internal.h"

void rt_ahead_result_free(rt_ahead_result *r) {
    json_decref(r->verdict);
    json_decref(r->outputs);
    json_decref(r->params);
    json_decref(r->sources);
    pf_cache_probe_free(&r->probe);
    *r = (rt_ahead_result){0};
}

void rt_ahead_clear(rt_node *n) {
    rt_ahead_result_free(&n->ahead.r);
    n->ahead.state = AHEAD_NONE;
}

void rt_ahead_settle(pf_runtime *rt, const task *tasks, size_t m, rt_ahead_result *results) {
    pthread_mutex_lock(&rt->lock);
    for (size_t i = 0; i < m; i++) {
        rt_node *n = &tasks[i].run->nodes[tasks[i].node];
        if (n->ahead.state != AHEAD_BUSY || !results[i].verdict) { /* it started, and looked up for itself */
            if (n->ahead.state == AHEAD_BUSY) n->ahead.state = AHEAD_NONE;
            rt_ahead_result_free(&results[i]);
            continue;
        }
        n->ahead.state = AHEAD_READY;
        n->ahead.r = results[i];
    }
    pthread_mutex_unlock(&rt->lock);
}

void rt_ahead_take_locked(rt_node *n, rt_ahead_result *r) {
    *r = (rt_ahead_result){0};
    if (n->ahead.state == AHEAD_READY) {
        *r = n->ahead.r;
        n->ahead.r = (rt_ahead_result){0};
    }
    rt_ahead_clear(n);
}
