/* What a running node is doing now, for the views that watch it (the run
 * page, the order and product pages, `prodflow run`): how long it has
 * run, what its module last said, how far along it is and, from that, a
 * straight-line estimate of what is left. Kept in memory under rt->lock
 * while the node runs; the store records the node when it finishes. */
#include "runtime/runtime_internal.h"

#include "core/mem.h"
#include "core/subprocess.h"

#include <stdlib.h>

/* The latest progress entries a live view shows; the node's full log
 * (NODE_LOG_MAX) is recorded when it finishes. */
#define LIVE_LOG_MAX 20
/* Observers hear of a run of like progress at most this often
 * (core/throttle.h); the node's end always reaches them. */
#define NOTICE_MS 250

void rt_live_start(rt_node *n) {
    rt_live_clear(n);
    n->live.started_ms = pf_now_ms();
    pf_iso_now(n->live.started_at);
    n->live.fraction = -1;
    n->live.notice = (pf_throttle){.interval_ms = NOTICE_MS};
}

void rt_live_clear(rt_node *n) {
    free(n->live.message);
    json_decref(n->live.log);
    memset(&n->live, 0, sizeof n->live);
}

static bool report_locked(rt_node *n, double fraction, const char *message, const json_t *entry) {
    if (!n->live.started_ms) return false; /* not running (any more) */
    if (fraction >= 0) n->live.fraction = fraction > 1 ? 1 : fraction;
    if (message && *message) {
        free(n->live.message);
        n->live.message = pf_strdup(message);
    }
    if (!n->live.log) n->live.log = json_array();
    if (json_array_size(n->live.log) >= LIVE_LOG_MAX) json_array_remove(n->live.log, 0);
    json_array_append_new(n->live.log, json_deep_copy(entry));
    return pf_throttle_pass(&n->live.notice, pf_now_ms(), fraction, message);
}

void rt_live_report(pf_runtime *rt, rt_run *run, rt_node *n, double fraction, const char *message,
                    const json_t *entry) {
    pthread_mutex_lock(&rt->lock);
    bool tell = report_locked(n, fraction, message, entry);
    pthread_mutex_unlock(&rt->lock);
    if (tell) rt_changed(rt, run->id);
}

json_t *rt_live_json(const rt_node *n) {
    double elapsed = (double)(pf_now_ms() - n->live.started_ms) / 1000.0, f = n->live.fraction;
    json_t *o =
        json_pack("{s:s, s:s, s:f}", "status", "running", "started_at", n->live.started_at, "elapsed_s", elapsed);
    if (f >= 0) json_object_set_new(o, "fraction", json_real(f));
    /* An estimate only once there is something to go by. */
    if (f >= 0.02 && f < 1 && elapsed >= 1) json_object_set_new(o, "eta_s", json_real(elapsed * (1 - f) / f));
    if (n->live.message) json_object_set_new(o, "message", json_string(n->live.message));
    json_object_set_new(o, "log", n->live.log ? json_deep_copy(n->live.log) : json_array());
    return o;
}
