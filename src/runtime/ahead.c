/* Look-ahead verdicts: a worker looks up the cache for a batch of queued
 * nodes in one store call (rt_look_ahead, node.c) and leaves each verdict
 * on its node for the worker that runs it. The slots are shared between
 * workers, so every access to them is here, under rt->lock. */
#include "runtime/runtime_internal.h"

#include <string.h>

void rt_ahead_clear(rt_node *n) {
    json_decref(n->ahead.verdict);
    json_decref(n->ahead.outputs);
    n->ahead.verdict = n->ahead.outputs = NULL;
    n->ahead.state = AHEAD_NONE;
}

void rt_ahead_settle(pf_runtime *rt, const task *tasks, size_t m, json_t **verdicts, json_t **outputs,
                     const char *const *keys) {
    pthread_mutex_lock(&rt->lock);
    for (size_t i = 0; i < m; i++) {
        rt_node *n = &tasks[i].run->nodes[tasks[i].node];
        if (n->ahead.state != AHEAD_BUSY) { /* it started, and looked up for itself */
            json_decref(verdicts[i]);
            json_decref(outputs[i]);
            continue;
        }
        n->ahead.state = verdicts[i] ? AHEAD_READY : AHEAD_NONE;
        n->ahead.verdict = verdicts[i];
        n->ahead.outputs = outputs[i];
        if (verdicts[i]) memcpy(n->ahead.key, keys[i], sizeof n->ahead.key);
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
