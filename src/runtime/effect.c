/* Side effects (publish, notify, any module with side_effects "external"):
 * each is claimed in the store before its module runs, fenced by the
 * run's lease in the same statement, and marked done with the module's
 * outputs after. Of two servers that both believe they hold a run (one
 * paused past its lease), only the lease holder's claim goes in, so the
 * other never acts. A claim never marked done (the server died or lost
 * the lease between acting and recording) is taken again by whoever runs
 * the node next, who acts again with the same outputs' keys: at least
 * once, the repeat deduplicable by its Idempotency-Key (notify) or
 * without effect (publish writes the same file to the same place, and
 * skips it when it is there). One marked done is not repeated: its
 * recorded outputs are the node's. */
#include "runtime/runtime_internal.h"

#include "core/log.h"

pf_error *rt_effect_claim(pf_runtime *rt, rt_run *run, const rt_node *n, json_t **claim_out) {
    *claim_out = NULL;
    if (!n->module->external || json_is_true(json_object_get(run->record, "shadow"))) return NULL;
    pf_store_fence fence;
    const pf_store_fence *f = rt_fence(rt, run, &fence);
    pf_log(PF_LOG_INFO, "effect.claiming", "run %s node %s: claiming its side effect (%s) at lease epoch %lld", run->id,
           n->id, n->module->key, run->epoch);
    pf_error *err = pf_store_effect_claim(rt->cfg.store, run->id, n->id, n->module->key, f, claim_out);
    if (err && err->code == PF_ECONFLICT && f) {
        pf_error_free(err);
        rt_lease_lost(rt, run, "its side effect was about to be claimed");
        return pf_error_new(PF_ECANCELLED, "", "node %s did not act: another server holds the run's lease now", n->id);
    }
    if (err) return err;
    const json_t *claim = *claim_out;
    if (json_object_get(claim, "done_at"))
        pf_log(PF_LOG_INFO, "effect.reused",
               "run %s node %s: its side effect (%s) was done already (%s); its recorded outputs are used", run->id,
               n->id, n->module->key, str(claim, "done_at"));
    else if (json_integer_value(json_object_get(claim, "claims")) > 1)
        pf_log(PF_LOG_WARN, "effect.repeated",
               "run %s node %s: its side effect (%s) was claimed before and never recorded done, so it is "
               "performed again, the same way (claim %lld)",
               run->id, n->id, n->module->key, (long long)json_integer_value(json_object_get(claim, "claims")));
    return NULL;
}

void rt_effect_done(pf_runtime *rt, const rt_run *run, const rt_node *n, const json_t *outputs) {
    pf_error *err = pf_store_effect_done(rt->cfg.store, run->id, n->id, n->module->key, outputs);
    if (!err) return;
    /* It happened all the same; whoever runs the node again acts again. */
    pf_log(PF_LOG_WARN, "effect.unrecorded", "run %s node %s: its side effect (%s) was performed but not recorded: %s",
           run->id, n->id, n->module->key, err->message);
    pf_error_free(err);
}
