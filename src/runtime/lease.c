/* Leases of runs shared between servers (PostgreSQL): renewed three
 * times per lease time for the runs this runtime is running, and the runs
 * whose lease ran out (a server died or was paused too long) claimed and
 * revived here. */
#include "runtime/runtime_internal.h"

#include "core/clock.h"
#include "core/log.h"

#include <string.h>

/* Runs claimed at once: servers that claim together share what is left. */
#define CLAIM_BATCH 32

pf_error *rt_claim_and_revive(pf_runtime *rt, bool own_too, size_t *n) {
    /* A cancel asked for before this claim is in the doc that revive
     * reads; only those that come while the claimed runs are revived
     * count, so older ones (of runs re-run since) are forgotten here. */
    pthread_mutex_lock(&rt->lock);
    for (size_t i = 0; i < sizeof rt->cancel_asked / sizeof *rt->cancel_asked; i++) {
        free(rt->cancel_asked[i]);
        rt->cancel_asked[i] = NULL;
    }
    /* Never one it is running (or still stopping after losing it): a
     * lease of its own that lapsed while this server was starved is
     * renewed, not claimed from itself, which would stop the run here
     * for nothing. */
    json_t *running = json_array();
    for (const rt_run *r = rt->runs; r; r = r->next)
        json_array_append_new(running, json_string(r->id));
    pthread_mutex_unlock(&rt->lock);
    json_t *ids = NULL;
    pf_error *err = pf_store_run_claim(rt->cfg.store, rt->cfg.lease_owner, rt->cfg.lease_seconds, own_too, running,
                                       CLAIM_BATCH, &ids);
    json_decref(running);
    size_t i;
    const json_t *claimed_run;
    json_array_foreach(ids, i, claimed_run) {
        const char *id = str(claimed_run, "id");
        pf_error *failed = rt_revive(rt, id, true, json_integer_value(json_object_get(claimed_run, "epoch")),
                                     json_is_true(json_object_get(claimed_run, "holder_alive")));
        if (failed)
            rt_log_store_error(failed, id);
        else
            (*n)++;
    }
    size_t claimed = json_array_size(ids);
    json_decref(ids);
    if (!err && claimed == CLAIM_BATCH) return rt_claim_and_revive(rt, own_too, n);
    return err;
}

/* Renews the leases of the runs this runtime is running, each at the
 * epoch it holds it under. */
static void renew_leases(pf_runtime *rt) {
    json_t *runs = json_array();
    pthread_mutex_lock(&rt->lock);
    for (const rt_run *r = rt->runs; r; r = r->next)
        if (!r->lost) json_array_append_new(runs, json_pack("{s:s, s:I}", "id", r->id, "epoch", (json_int_t)r->epoch));
    pthread_mutex_unlock(&rt->lock);
    json_t *held = NULL;
    pf_error *err = pf_store_run_renew(rt->cfg.store, rt->cfg.lease_owner, rt->cfg.lease_seconds, runs, &held);
    if (err) {
        rt_log_store_error(err, "(renewing leases)");
    } else if (json_array_size(held) < json_array_size(runs)) {
        /* Paused longer than the lease (or the database was away), and
         * another server claimed these meanwhile: they are that server's
         * now, so they stop here (the operator may want a longer
         * --lease-seconds). */
        size_t i, k;
        const json_t *run, *h;
        json_array_foreach(runs, i, run) {
            bool kept = false;
            json_array_foreach(held, k, h) kept = kept || json_equal(json_object_get(run, "id"), h);
            if (kept) continue;
            pthread_mutex_lock(&rt->lock);
            rt_run *r = rt->runs; /* unless it finished since the list was made */
            while (r && (strcmp(r->id, str(run, "id")) != 0 ||
                         r->epoch != json_integer_value(json_object_get(run, "epoch"))))
                r = r->next;
            if (r)
                rt_lease_lost_locked(rt, r,
                                     "its lease ran out before it was renewed (is --lease-seconds long enough?)");
            rt_free_retired_locked(rt);
            pthread_mutex_unlock(&rt->lock);
        }
    }
    json_decref(held);
    json_decref(runs);
}

void *rt_leaser(void *arg) {
    pf_runtime *rt = arg;
    pthread_setname_np(pthread_self(), "pf-run-lease");
    long period_ms = rt->cfg.lease_seconds * 1000L / 3;
    pthread_mutex_lock(&rt->lock);
    while (!rt->lease_stop) {
        struct timespec at = pf_clock_after_ms(CLOCK_REALTIME, period_ms);
        pthread_cond_timedwait(&rt->lease_tick, &rt->lock, &at);
        if (rt->lease_stop) break;
        pthread_mutex_unlock(&rt->lock);
        renew_leases(rt);
        size_t n = 0;
        rt_log_store_error(rt_claim_and_revive(rt, false, &n), "(claiming runs)");
        if (n)
            pf_log(PF_LOG_INFO, "runtime.took_over", "took over %zu run%s whose server stopped renewing its lease", n,
                   n == 1 ? "" : "s");
        pthread_mutex_lock(&rt->lock);
    }
    pthread_mutex_unlock(&rt->lock);
    return NULL;
}
