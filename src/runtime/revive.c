/* Stored runs brought back: resumed after a restart or a claim (what did
 * not finish runs again, a recorded cancel ends the run unrun, a run that
 * keeps taking the server down stops being retried), and re-run on
 * request (a failed or cancelled run, afresh). */
#include "runtime/runtime_internal.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static bool final_run_status(const char *s) {
    return s && (strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 || strcmp(s, "cancelled") == 0);
}

/* A run that takes the server down (a node exhausting memory, say) would do
 * so again at every start. Each resume is noted in the run's doc with how
 * many nodes had finished; after this many resumes in a row with none
 * finishing in between, the run's next nodes fail instead of running.
 * A run taken from a server that still lives (starved past its lease,
 * which a busy machine does) is noted as such and counts neither way:
 * no server stopped. */
#define MAX_IDLE_RESUMES 2

/* Notes this resume in doc.resumes; the message to fail with when the run
 * has stalled, else NULL. */
static char *note_resume(json_t *doc, const json_t *nodes, bool holder_alive) {
    json_int_t finished = 0;
    const char *id;
    const json_t *node;
    json_object_foreach((json_t *)nodes, id, node) {
        const char *s = str(node, "status");
        if (s && strcmp(s, "pending") != 0 && strcmp(s, "running") != 0) finished++;
    }
    json_t *resumes = json_object_get(doc, "resumes");
    if (!json_is_array(resumes)) json_object_set_new(doc, "resumes", resumes = json_array());
    size_t idle = 0;
    for (size_t k = json_array_size(resumes); k > 0; k--) {
        const json_t *before = json_array_get(resumes, k - 1);
        if (json_integer_value(json_object_get(before, "finished")) != finished) break;
        if (!json_is_true(json_object_get(before, "holder_alive"))) idle++;
    }
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    json_t *entry = json_pack("{s:s, s:I}", "at", stamp, "finished", finished);
    if (holder_alive) json_object_set_new(entry, "holder_alive", json_true());
    json_array_append_new(resumes, entry);
    if (holder_alive || idle < MAX_IDLE_RESUMES) return NULL;
    return pf_asprintf("the server stopped %zu times while this run made no progress, so its next nodes fail "
                       "instead of running (one may be exhausting memory); re-run it to try again",
                       idle + 1);
}

/* Ends a stored run whose cancel was recorded: its unfinished nodes and
 * the run become cancelled, in one transaction. */
static pf_error *cancel_stored(pf_runtime *rt, const char *run_id, const json_t *doc, const json_t *nodes,
                               const pf_store_fence *fence) {
    const json_t *graph = json_object_get(json_object_get(doc, "workflow"), "nodes");
    size_t n = json_array_size(graph), k = 0, i;
    pf_store_transition *items = pf_xcalloc(n + 1, sizeof *items);
    json_t *states = json_array();
    const json_t *wnode;
    json_array_foreach(graph, i, wnode) {
        const char *id = str(wnode, "id");
        const json_t *node = json_object_get(nodes, id ? id : "");
        const char *s = node ? str(node, "status") : "pending";
        if (!id || !s || (strcmp(s, "pending") && strcmp(s, "running"))) continue;
        json_t *state = json_deep_copy(json_object_get(node, "state"));
        if (!state) state = json_object();
        json_object_set_new(state, "error",
                            json_pack("{s:s, s:s, s:s}", "code", "cancelled", "pointer", "", "message",
                                      "the run was cancelled before the server stopped"));
        json_array_append_new(states, state);
        items[k++] = (pf_store_transition){
            .run_id = run_id, .node_id = id, .node_status = "cancelled", .node_state = state, .fence = fence};
    }
    items[k++] = (pf_store_transition){.run_id = run_id, .run_status = "cancelled", .fence = fence};
    pf_error *err = pf_store_run_transitions(rt->cfg.store, items, k);
    json_decref(states);
    free(items);
    if (!err)
        pf_log(PF_LOG_INFO, "run.finished", "run %s cancelled (its cancel came before the server stopped)", run_id);
    rt_changed(rt, run_id);
    return err;
}

pf_error *rt_revive(pf_runtime *rt, const char *run_id, bool only_unfinished, long long epoch, bool holder_alive) {
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
    json_t *nodes = json_object_get(stored, "nodes"), *doc = json_object_get(stored, "doc");
    pf_store_fence fence = {rt->cfg.lease_owner, epoch};
    if (only_unfinished && json_object_get(doc, "cancel_requested_at")) {
        /* Cancelled before the server stopped: it ends cancelled, unrun. */
        err = cancel_stored(rt, run_id, doc, nodes, rt->leasing ? &fence : NULL);
        json_decref(stored);
        return err;
    }
    if (!only_unfinished && rt->leasing) {
        /* A re-run: its lease first, at a new epoch, while the run is still
         * final and so claimed by no other server. */
        err = pf_store_run_lease(rt->cfg.store, rt->cfg.lease_owner, rt->cfg.lease_seconds, run_id, &epoch);
        if (err) {
            json_decref(stored);
            return err;
        }
    }
    char *stalled = only_unfinished ? note_resume(doc, nodes, holder_alive) : NULL;
    if (!only_unfinished) { /* a re-run starts afresh */
        json_object_del(doc, "resumes");
        json_object_del(doc, "cancel_requested_at");
    }
    const char *id;
    json_t *node;
    json_object_foreach(nodes, id, node) { /* what did not succeed runs again */
        if (strcmp(str(node, "status"), "succeeded") != 0) json_object_set_new(node, "status", json_string("pending"));
    }
    rt_run *run = rt_run_build(rt->cfg.registry, run_id, json_incref(doc), nodes);
    run->stalled = stalled;
    run->epoch = epoch;
    json_decref(stored);
    if (stalled) pf_log(PF_LOG_WARN, "run.stalled", "run %s: %s", run_id, stalled);
    bool refused = false;
    err = rt_write_run(rt, run, (pf_store_transition){.run_status = "running", .run_doc = run->record}, &refused);
    for (size_t i = 0; !err && !refused && i < run->n; i++)
        if (run->nodes[i].status == N_PENDING) err = rt_persist_node(rt, run, &run->nodes[i], NULL);
    if (!err && (refused || run->lost))
        err =
            pf_error_new(PF_ECONFLICT, "", "run %s: another server claimed it while it was being resumed here", run_id);
    if (err) {
        rt_run_free(run);
        return err;
    }
    pthread_mutex_lock(&rt->lock);
    rt_schedule_locked(rt, run);
    /* A cancel asked for while the run was being claimed: its notice came
     * before the run was here, and the doc read above may predate it. */
    bool asked = false;
    for (size_t i = 0; i < sizeof rt->cancel_asked / sizeof *rt->cancel_asked; i++)
        if (rt->cancel_asked[i] && strcmp(rt->cancel_asked[i], run_id) == 0) {
            free(rt->cancel_asked[i]);
            rt->cancel_asked[i] = NULL;
            asked = true;
        }
    rt_free_retired_locked(rt);
    pthread_mutex_unlock(&rt->lock);
    if (asked && only_unfinished) pf_error_free(pf_runtime_cancel(rt, run_id));
    return NULL;
}

pf_error *pf_runtime_rerun(pf_runtime *rt, const char *run_id) { return rt_revive(rt, run_id, false, 0, false); }

pf_error *pf_runtime_resume(pf_runtime *rt, size_t *resumed) {
    if (rt->leasing) {
        size_t n = 0;
        pf_error *err = rt_claim_and_revive(rt, true, &n);
        if (resumed) *resumed = n;
        if (n) pf_log(PF_LOG_INFO, "runtime.resumed", "resumed %zu unfinished run%s", n, n == 1 ? "" : "s");
        return err;
    }
    json_t *list = NULL;
    pf_error *err = pf_store_run_list(rt->cfg.store, "running", &list);
    size_t i, n = 0;
    const json_t *run;
    json_array_foreach(list, i, run) {
        if (err) break;
        err = rt_revive(rt, str(run, "id"), true, 0, false);
        if (!err) n++;
    }
    json_decref(list);
    if (resumed) *resumed = n;
    if (n) pf_log(PF_LOG_INFO, "runtime.resumed", "resumed %zu unfinished run%s", n, n == 1 ? "" : "s");
    return err;
}
