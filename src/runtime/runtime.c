/* The graph runtime's scheduler: the task queue, worker threads, the
 * writer thread that commits finished nodes in groups and releases their
 * dependents, and the public calls (start, stop, wait, cancel, live
 * status). Submitting is in submit.c, one node in node.c, resuming and
 * re-running stored runs in revive.c, leases in lease.c. */
#include "runtime/runtime_internal.h"

#include "core/clock.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "core/subprocess.h"
#include "runtime/zygote.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

pf_error *rt_write_run(pf_runtime *rt, const rt_run *run, pf_store_transition t, bool *refused) {
    pf_store_fence fence;
    t.run_id = run->id;
    t.fence = rt_fence(rt, run, &fence);
    return pf_store_run_commit(rt->cfg.store, &t, 1, refused);
}

pf_error *rt_persist_node(pf_runtime *rt, rt_run *run, const rt_node *n, const pf_store_node_extras *extras) {
    if (run->lost) return NULL;
    bool refused = false;
    pf_error *err = rt_write_run(
        rt, run,
        (pf_store_transition){
            .node_id = n->id, .node_status = node_status_name[n->status], .node_state = n->state, .extras = extras},
        &refused);
    if (refused) {
        run->lost = true;
        atomic_store(&run->cancel, true);
        pthread_cond_broadcast(&rt->backoff); /* a retry waiting out its backoff stops now */
        pf_log(PF_LOG_WARN, "run.lease_lost",
               "run %s: settling node %s was refused: another server holds its lease now (this server held it at "
               "epoch %lld); the run stops here and records nothing more",
               run->id, n->id, run->epoch);
    }
    return err;
}

void rt_log_store_error(pf_error *err, const char *run_id) {
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

void rt_changed(const pf_runtime *rt, const char *run_id) {
    if (rt->cfg.on_change) rt->cfg.on_change(rt->cfg.on_change_user, run_id);
}

static void finish_run_locked(pf_runtime *rt, rt_run *run) {
    const char *status = atomic_load(&run->cancel) ? "cancelled" : run->hard_failure ? "failed" : "succeeded";
    bool refused = false;
    if (!run->lost)
        rt_log_store_error(rt_write_run(rt, run, (pf_store_transition){.run_status = status}, &refused), run->id);
    if (refused || run->lost) {
        /* Its record is the other server's: this one only forgets it. */
        pf_log(PF_LOG_WARN, "run.lease_lost",
               "run %s: stopped here without recording its end: another server holds its lease now (this server "
               "held it at epoch %lld)",
               run->id, run->epoch);
    } else {
        pf_counter_add(&rt->runs_finished[status[0] == 'c' ? 2 : status[0] == 'f' ? 1 : 0], 1);
        pf_log(PF_LOG_INFO, "run.finished", "run %s %s", run->id, status);
    }
    rt_changed(rt, run->id);
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
void rt_free_retired_locked(pf_runtime *rt) {
    rt_run *list = rt->retired;
    rt->retired = NULL;
    if (!list) return;
    pthread_mutex_unlock(&rt->lock);
    while (list) {
        rt_run *next = list->next;
        rt_run_free(list);
        list = next;
    }
    pthread_mutex_lock(&rt->lock);
}

/* Gives a pending node a final status without running it. */
static void settle_locked(pf_runtime *rt, rt_run *run, size_t i, node_status status, const char *why) {
    rt_node *n = &run->nodes[i];
    if (n->status != N_PENDING) return;
    n->status = status;
    pf_counter_add(&rt->nodes_finished[status], 1);
    json_object_set_new(n->state, "reason", json_string(why));
    rt_log_store_error(rt_persist_node(rt, run, n, NULL), run->id);
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

static bool any_running(const rt_run *run) {
    for (size_t i = 0; i < run->n; i++)
        if (run->nodes[i].status == N_RUNNING) return true;
    return false;
}

void rt_lease_lost_locked(pf_runtime *rt, rt_run *run, const char *how) {
    if (!run->lost)
        pf_log(PF_LOG_WARN, "run.lease_lost",
               "run %s: %s: another server holds its lease now (this server held it at epoch %lld); the run stops "
               "here, its running nodes are cancelled and nothing more of it is recorded",
               run->id, how, run->epoch);
    run->lost = true;
    atomic_store(&run->cancel, true);
    pthread_cond_broadcast(&rt->backoff);
    stop_run_locked(rt, run, N_CANCELLED, "the run's lease passed to another server");
    if (!any_running(run) && run->unfinished == 0) finish_run_locked(rt, run);
}

void rt_lease_lost(pf_runtime *rt, rt_run *run, const char *how) {
    pthread_mutex_lock(&rt->lock);
    rt_lease_lost_locked(rt, run, how);
    pthread_mutex_unlock(&rt->lock);
}

static void complete_locked(pf_runtime *rt, rt_run *run, size_t i) {
    rt_node *n = &run->nodes[i];
    run->unfinished--;
    if (run->lost) { /* nothing it finished counts: the run is another server's now */
        stop_run_locked(rt, run, N_CANCELLED, "the run's lease passed to another server");
        if (run->unfinished == 0) finish_run_locked(rt, run);
        return;
    }
    /* Read only for a failure: the writer holds the lock here, for every
     * node of its batch. */
    const char *on_failure = n->status == N_FAILED ? str(json_object_get(n->doc, "policy"), "on_failure") : NULL;
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

/* Finished nodes the writer lets gather, and for how long at most, while
 * the workers have queued nodes enough to go on without what the batch
 * would release. A commit writes every index page its rows touch, and
 * cache keys land all over their index: a commit of 1,000 nodes writes
 * hardly more pages than one of 300. A narrow graph, whose next nodes wait
 * for the commit, is committed at once. */
#define WRITE_BATCH 1024
#define WRITE_GATHER_MS 2

static bool gathering_locked(const pf_runtime *rt) {
    return !rt->stopping && !rt->writer_stop && rt->n_done < WRITE_BATCH && rt->len >= (size_t)rt->n_threads;
}

/* Runs node i and hands its finish to the writer; returns with rt->lock
 * held, which the worker keeps to take its next node. */
static void execute_locked_after(pf_runtime *rt, rt_run *run, size_t i, rt_ahead_result *ahead,
                                 pf_sha256_hasher *hasher) {
    rt_node *n = &run->nodes[i];
    node_result r = {0};
    if (run->stalled)
        r.err = pf_error_new(PF_EINTERNAL, "", "%s", run->stalled);
    else
        r = rt_run_node(rt, run, n, ahead, hasher);
    rt_ahead_result_free(ahead); /* what the node did not use */
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
    char *state_text = pf_json_text(n->state, false);
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
                      .cache_text = r.cache_text,
                      .cache_slot = r.cache_slot};
    memcpy(c->cache_key, r.cache_key, sizeof c->cache_key);
    if (rt->n_done == 1 || !gathering_locked(rt)) pthread_cond_signal(&rt->to_write);
}

/* Commits finished nodes in batches, then schedules what they release. */
static void *writer(void *arg) {
    pf_runtime *rt = arg;
    pthread_setname_np(pthread_self(), "pf-run-writer"); /* for top -H and perf */
    completion *batch = NULL;
    pf_store_transition *items = NULL;
    pf_store_node_extras *extras = NULL;
    pf_store_fence *fences = NULL;
    size_t *of = NULL; /* items[k] is batch[of[k]] */
    bool *refused = NULL;
    size_t cap = 0;
    pthread_mutex_lock(&rt->lock);
    for (;;) {
        while (rt->n_done == 0 && !rt->writer_stop)
            pthread_cond_wait(&rt->to_write, &rt->lock);
        if (rt->n_done == 0) break;
        if (gathering_locked(rt)) { /* workers wake it when it has gathered enough */
            struct timespec until = pf_clock_after_ms(CLOCK_REALTIME, WRITE_GATHER_MS);
            while (gathering_locked(rt))
                if (pthread_cond_timedwait(&rt->to_write, &rt->lock, &until) == ETIMEDOUT) break;
        }
        size_t n = rt->n_done;
        if (n > cap) {
            cap = n;
            batch = pf_xrealloc(batch, cap * sizeof *batch);
            items = pf_xrealloc(items, cap * sizeof *items);
            extras = pf_xrealloc(extras, cap * sizeof *extras);
            fences = pf_xrealloc(fences, cap * sizeof *fences);
            of = pf_xrealloc(of, cap * sizeof *of);
            refused = pf_xrealloc(refused, cap * sizeof *refused);
        }
        memcpy(batch, rt->done, n * sizeof *batch);
        rt->n_done = 0;
        size_t m = 0; /* transitions to write: none for a run whose lease was lost */
        for (size_t k = 0; k < n; k++) {
            completion *c = &batch[k];
            rt_node *node = &c->run->nodes[c->node];
            node->status = c->status;
            pf_counter_add(&rt->nodes_finished[c->status], 1);
            atomic_fetch_sub(&rt->nodes_running, 1);
            rt_live_clear(node);
            if (c->run->lost) continue;
            extras[m] = (pf_store_node_extras){.artifacts = c->artifacts,
                                               .assets = c->assets,
                                               .cache_key = c->cache_text ? c->cache_key : NULL,
                                               .cache_slot = c->cache_slot,
                                               .cache_entry_text = c->cache_text};
            items[m] = (pf_store_transition){.run_id = c->run->id,
                                             .node_id = node->id,
                                             .node_status = node_status_name[c->status],
                                             .node_state_text = c->state_text,
                                             .extras = c->status == N_SUCCEEDED ? &extras[m] : NULL,
                                             .fence = rt_fence(rt, c->run, &fences[m])};
            of[m++] = k;
        }
        pthread_mutex_unlock(&rt->lock);
        /* Each node is committed under its run's fence: a run whose lease
         * another server claimed meanwhile (this one was paused past it)
         * has its transitions refused, the other runs' commit. */
        pf_error *err = m ? pf_store_run_commit(rt->cfg.store, items, m, refused) : NULL;
        if (err) rt_log_store_error(err, "(batch)");
        /* Written: observers may read it, and what was written is freed,
         * before the lock, which workers wait for. Runs cannot go away
         * meanwhile: a run with nodes in the batch is unfinished. */
        for (size_t k = 0; k < n; k++) {
            rt_changed(rt, batch[k].run->id);
            json_decref(batch[k].artifacts);
            json_decref(batch[k].assets);
            free(batch[k].state_text);
            free(batch[k].cache_text);
            free(batch[k].cache_slot);
        }
        pthread_mutex_lock(&rt->lock);
        for (size_t k = 0; k < m && !err; k++)
            if (refused[k] && !batch[of[k]].run->lost)
                rt_lease_lost_locked(rt, batch[of[k]].run, "committing a finished node was refused");
        /* A stopping runtime records what finished and decides nothing
         * more: the next start resumes the run as after a crash. */
        for (size_t k = 0; k < n && !rt->stopping; k++)
            complete_locked(rt, batch[k].run, batch[k].node);
        rt_free_retired_locked(rt);
    }
    pthread_mutex_unlock(&rt->lock);
    free(batch);
    free(items);
    free(extras);
    free(fences);
    free(of);
    free(refused);
    return NULL;
}

/* Queued nodes a worker looks up in the cache at once, its own included. */
#define LOOK_AHEAD 32
/* Queue entries a worker reads past, at most, to fill a look-ahead. */
#define LOOK_AHEAD_SCAN (4 * LOOK_AHEAD)

/* Marks the node of t and, when the queue holds more of its run, the next
 * queued nodes of that run that want a cache look-up, for one batched
 * look-up (rt_look_ahead); how many went into ahead. Only when there is
 * something to batch: a lone node looks up for itself. Only t's run: it
 * cannot finish (and be freed) while t runs.
 *
 * Only a node that no batch covered yet starts one (the caller checks):
 * a node some batch took (or is taking) in was queued with the next ones,
 * which that batch took in too. So each batch reads the queue once, from
 * its head, and never more than LOOK_AHEAD_SCAN entries: this runs under
 * rt->lock, and reading the whole queue at every start made each start
 * cost as much as the queue is long (10,000 nodes: a quarter of a
 * worker's time). */
static size_t gather_ahead_locked(pf_runtime *rt, task t, task *ahead) {
    size_t m = 0;
    if (!t.run->nodes[t.node].module) return 0;
    ahead[m++] = t;
    for (size_t j = 0; j < rt->len && j < LOOK_AHEAD_SCAN && m < LOOK_AHEAD; j++) {
        task q = rt->queue[(rt->head + j) % rt->cap];
        if (q.run == t.run && rt_ahead_wanted(&q.run->nodes[q.node])) ahead[m++] = q;
    }
    if (m < 2) return 0;
    for (size_t i = 0; i < m; i++)
        ahead[i].run->nodes[ahead[i].node].ahead.state = AHEAD_BUSY;
    return m;
}

/* Brings to the queue's head the first of its next LOOK_AHEAD_SCAN tasks
 * whose node no look-ahead is working on. Another worker is looking those
 * up right now: a worker that took one would look it up again for itself,
 * and the batch's work on it would be lost (with 2 workers, about half of
 * every batch was). Ready nodes may start in any order; the skipped ones
 * stay next in line, and run once their look-ups are in. */
static void skip_busy_locked(pf_runtime *rt) {
    for (size_t j = 0; j < rt->len && j < LOOK_AHEAD_SCAN; j++) {
        task *q = &rt->queue[(rt->head + j) % rt->cap];
        if (q->run->nodes[q->node].ahead.state == AHEAD_BUSY) continue;
        if (j) {
            task first = rt->queue[rt->head];
            rt->queue[rt->head] = *q;
            *q = first;
        }
        return;
    }
}

static void *worker(void *arg) {
    pf_runtime *rt = arg;
    pthread_setname_np(pthread_self(), "pf-run-worker");
    pf_sha256_hasher *hasher = pf_sha256_hasher_new(); /* this thread's, for cache keys */
    task ahead[LOOK_AHEAD];
    pthread_mutex_lock(&rt->lock);
    for (;;) {
        while (!rt->stopping && rt->len == 0)
            pthread_cond_wait(&rt->work, &rt->lock);
        if (rt->stopping) break;
        skip_busy_locked(rt);
        task t = rt->queue[rt->head];
        rt->head = (rt->head + 1) % rt->cap;
        rt->len--;
        rt_node *n = &t.run->nodes[t.node];
        if (n->status != N_PENDING) continue;
        n->status = N_RUNNING;
        atomic_fetch_add(&rt->nodes_running, 1);
        rt_live_start(n);
        /* Its look-ahead comes with it, under this one hold of the lock. */
        bool covered = n->ahead.state != AHEAD_NONE;
        rt_ahead_result own;
        rt_ahead_take_locked(n, &own);
        size_t m = covered ? 0 : gather_ahead_locked(rt, t, ahead);
        pthread_mutex_unlock(&rt->lock);
        rt_changed(rt, t.run->id);
        if (m) rt_look_ahead(rt, ahead, m, hasher);
        execute_locked_after(rt, t.run, t.node, &own, hasher);
    }
    pthread_mutex_unlock(&rt->lock);
    pf_sha256_hasher_free(hasher);
    return NULL;
}

/* Counts unfinished nodes and waiting edges, and queues what can start. */
void rt_schedule_locked(pf_runtime *rt, rt_run *run) {
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
    pthread_cond_init(&rt->backoff, NULL);
    rt->n_threads = cfg->workers > 0 ? cfg->workers : 2;
    rt->threads = pf_xcalloc((size_t)rt->n_threads, sizeof *rt->threads);
    size_t n_modules = cfg->registry ? cfg->registry->n_modules : 0;
    rt->module_durations = pf_xcalloc(n_modules + 1, sizeof *rt->module_durations);
    for (size_t i = 0; i <= n_modules; i++)
        pf_histogram_init(&rt->module_durations[i], pf_buckets_module, pf_n_buckets_module);
    pthread_cond_init(&rt->to_write, NULL);
    if (cfg->module_runner && !cfg->remote) rt->zygote = pf_zygote_new(cfg->module_runner);
    for (int i = 0; i < rt->n_threads; i++)
        pthread_create(&rt->threads[i], NULL, worker, rt);
    pthread_create(&rt->writer, NULL, writer, rt);
    if (cfg->lease_seconds > 0 && cfg->lease_owner) {
        pthread_cond_init(&rt->lease_tick, NULL);
        rt->leasing = true;
        pthread_create(&rt->leaser, NULL, rt_leaser, rt);
    }
    *out = rt;
    return NULL;
}

void pf_runtime_stop(pf_runtime *rt) {
    if (!rt) return;
    if (rt->leasing) { /* first, so that no run is claimed while stopping */
        pthread_mutex_lock(&rt->lock);
        rt->lease_stop = true;
        pthread_cond_signal(&rt->lease_tick);
        pthread_mutex_unlock(&rt->lock);
        pthread_join(rt->leaser, NULL);
        pthread_cond_destroy(&rt->lease_tick);
    }
    pthread_mutex_lock(&rt->lock);
    rt->stopping = true;
    /* Running modules stop now (their subprocesses are killed). Since a
     * stopping runtime decides nothing, their runs stay running in the store
     * and those nodes run again on resume. */
    for (rt_run *r = rt->runs; r; r = r->next)
        atomic_store(&r->cancel, true);
    pthread_cond_broadcast(&rt->work);
    pthread_cond_broadcast(&rt->backoff);
    pthread_mutex_unlock(&rt->lock);
    for (int i = 0; i < rt->n_threads; i++)
        pthread_join(rt->threads[i], NULL);
    pthread_mutex_lock(&rt->lock);
    rt->writer_stop = true; /* it commits what the workers finished, then ends */
    pthread_cond_signal(&rt->to_write);
    pthread_mutex_unlock(&rt->lock);
    pthread_join(rt->writer, NULL);
    pf_zygote_stop(rt->zygote);
    /* What finished is committed: another server may take the rest now
     * rather than after the lease time. */
    if (rt->leasing) rt_log_store_error(pf_store_run_release(rt->cfg.store, rt->cfg.lease_owner), "(releasing leases)");
    free(rt->done);
    for (size_t i = 0; i < sizeof rt->cancel_asked / sizeof *rt->cancel_asked; i++)
        free(rt->cancel_asked[i]);
    pthread_cond_destroy(&rt->to_write);
    for (rt_run *lists[] = {rt->runs, rt->retired}, **l = lists; l < lists + 2; l++)
        while (*l) {
            rt_run *next = (*l)->next;
            rt_run_free(*l);
            *l = next;
        }
    free(rt->threads);
    free(rt->queue);
    free(rt->module_durations);
    pthread_cond_destroy(&rt->finished);
    pthread_cond_destroy(&rt->backoff);
    pthread_cond_destroy(&rt->work);
    pthread_mutex_destroy(&rt->lock);
    free(rt);
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
        struct timespec at = pf_clock_after_ms(CLOCK_REALTIME, 50);
        pthread_cond_timedwait(&rt->finished, &rt->lock, &at);
    }
    pthread_mutex_unlock(&rt->lock);
    json_t *run = NULL;
    pf_error *err = pf_store_run_get(rt->cfg.store, run_id, false, &run);
    if (!err && status) *status = pf_strdup(str(run, "status"));
    json_decref(run);
    return err;
}

bool rt_back_off(pf_runtime *rt, rt_run *run, double base_s, int attempt) {
    pthread_mutex_lock(&rt->lock);
    double jitter = 0.5 + (double)rand_r(&rt->jitter_seed) / RAND_MAX / 2;
    long wait_ms = (long)(base_s * 1000 * (double)(1L << (attempt - 1 < 10 ? attempt - 1 : 10)) * jitter);
    struct timespec until = pf_clock_after_ms(CLOCK_REALTIME, wait_ms);
    while (!atomic_load(&run->cancel) && !rt->stopping) /* a spurious wake-up waits on */
        if (pthread_cond_timedwait(&rt->backoff, &rt->lock, &until) == ETIMEDOUT) break;
    bool waited = !atomic_load(&run->cancel) && !rt->stopping;
    pthread_mutex_unlock(&rt->lock);
    return waited;
}

pf_error *pf_runtime_cancel(pf_runtime *rt, const char *run_id) {
    pthread_mutex_lock(&rt->lock);
    rt_run *run = rt->runs;
    while (run && strcmp(run->id, run_id) != 0)
        run = run->next;
    json_t *marked = NULL;
    long long epoch = run ? run->epoch : 0;
    if (run) {
        /* The cancel is recorded at once, so a crash before the running
         * nodes return does not bring the run back at the next start. A
         * copy: workers read the record without the lock. */
        char stamp[PF_ISO_LEN];
        pf_iso_now(stamp);
        marked = json_deep_copy(run->record);
        json_object_set_new(marked, "cancel_requested_at", json_string(stamp));
        atomic_store(&run->cancel, true);
        pthread_cond_broadcast(&rt->backoff);
        stop_run_locked(rt, run, N_CANCELLED, "the run was cancelled");
        bool running = false;
        for (size_t i = 0; i < run->n; i++)
            running = running || run->nodes[i].status == N_RUNNING;
        if (!running && run->unfinished == 0) finish_run_locked(rt, run);
    }
    bool found = run != NULL;
    rt_free_retired_locked(rt);
    pthread_mutex_unlock(&rt->lock);
    if (marked) {
        pf_store_fence fence = {rt->cfg.lease_owner, epoch};
        pf_store_transition t = {.run_id = run_id, .run_doc = marked, .fence = rt->leasing ? &fence : NULL};
        bool refused = false;
        rt_log_store_error(pf_store_run_commit(rt->cfg.store, &t, 1, &refused), run_id);
        if (refused) /* another server runs it now: the request goes to that one */
            found = false;
    }
    json_decref(marked);
    if (found) return NULL;
    /* Another server runs it (or will, once it claims it): the request is
     * recorded for that server, which cancels it when it hears of it. */
    if (rt->leasing) return pf_store_run_request_cancel(rt->cfg.store, run_id);
    json_t *stored = NULL;
    pf_error *err = pf_store_run_get(rt->cfg.store, run_id, false, &stored);
    if (!err) err = pf_error_new(PF_ECONFLICT, "", "run %s is already %s", run_id, str(stored, "status"));
    json_decref(stored);
    return err;
}

void pf_runtime_cancel_requested(pf_runtime *rt, const char *run_id) {
    if (!rt || !run_id) return;
    pthread_mutex_lock(&rt->lock);
    bool here = false;
    for (const rt_run *r = rt->runs; r && !here; r = r->next)
        here = strcmp(r->id, run_id) == 0;
    if (!here) { /* not ours, finished, or being claimed here right now: kept for revive */
        size_t k = rt->cancel_asked_next++ % (sizeof rt->cancel_asked / sizeof *rt->cancel_asked);
        free(rt->cancel_asked[k]);
        rt->cancel_asked[k] = pf_strdup(run_id);
    }
    pthread_mutex_unlock(&rt->lock);
    if (!here) return; /* a server that claims it later finds the request in its doc */
    pf_log(PF_LOG_INFO, "run.cancel_requested", "run %s: another server asked for its cancel", run_id);
    pf_error *err = pf_runtime_cancel(rt, run_id);
    if (err && err->code != PF_ECONFLICT)
        rt_log_store_error(err, run_id);
    else
        pf_error_free(err);
}

json_t *pf_runtime_live(pf_runtime *rt, const char *run_id) {
    json_t *live = NULL;
    pthread_mutex_lock(&rt->lock);
    for (const rt_run *r = rt->runs; r && !live; r = r->next) {
        if (strcmp(r->id, run_id) != 0) continue;
        live = json_object();
        for (size_t i = 0; i < r->n; i++)
            if (r->nodes[i].status == N_RUNNING) json_object_set_new(live, r->nodes[i].id, rt_live_json(&r->nodes[i]));
    }
    pthread_mutex_unlock(&rt->lock);
    return live;
}

void rt_observe_module(pf_runtime *rt, const pf_module *m, unsigned long long us) {
    const pf_registry *reg = rt->cfg.registry;
    size_t n = reg ? reg->n_modules : 0, i = n;
    if (reg && m >= reg->modules && m < reg->modules + n) i = (size_t)(m - reg->modules);
    pf_histogram_observe_us(&rt->module_durations[i], us);
}

void pf_runtime_metrics_write(pf_runtime *rt, FILE *out) {
    if (!rt) return;
    static const char *const run_status[] = {"succeeded", "failed", "cancelled"};
    pf_metrics_header(out, "prodflow_runs_finished_total", "counter", "Runs this server finished, by final status");
    for (size_t i = 0; i < 3; i++) {
        char l[64];
        snprintf(l, sizeof l, "status=\"%s\"", run_status[i]);
        pf_metrics_sample(out, "prodflow_runs_finished_total", l, (double)pf_counter_get(&rt->runs_finished[i]));
    }
    pf_metrics_header(out, "prodflow_nodes_finished_total", "counter",
                      "Workflow nodes this server settled, by final status");
    for (size_t i = N_SUCCEEDED; i <= N_CANCELLED; i++) {
        char l[64];
        snprintf(l, sizeof l, "status=\"%s\"", node_status_name[i]);
        pf_metrics_sample(out, "prodflow_nodes_finished_total", l, (double)pf_counter_get(&rt->nodes_finished[i]));
    }
    pthread_mutex_lock(&rt->lock);
    size_t queued = rt->len, active = 0, pending_writes = rt->n_done;
    for (const rt_run *r = rt->runs; r; r = r->next)
        active++;
    pthread_mutex_unlock(&rt->lock);
    pf_metrics_header(out, "prodflow_runs_active", "gauge", "Runs this server is executing");
    pf_metrics_sample(out, "prodflow_runs_active", "", (double)active);
    pf_metrics_header(out, "prodflow_nodes_running", "gauge", "Workflow nodes running or waiting to commit");
    pf_metrics_sample(out, "prodflow_nodes_running", "", (double)atomic_load(&rt->nodes_running));
    pf_metrics_header(out, "prodflow_runtime_queue_depth", "gauge", "Nodes ready to run and waiting for a worker");
    pf_metrics_sample(out, "prodflow_runtime_queue_depth", "", (double)queued);
    pf_metrics_header(out, "prodflow_runtime_commit_queue_depth", "gauge",
                      "Finished nodes waiting for the writer to commit them");
    pf_metrics_sample(out, "prodflow_runtime_commit_queue_depth", "", (double)pending_writes);
    pf_metrics_header(out, "prodflow_runtime_workers", "gauge", "Threads that run workflow nodes");
    pf_metrics_sample(out, "prodflow_runtime_workers", "", (double)rt->n_threads);
    pf_metrics_header(out, "prodflow_module_duration_seconds", "histogram",
                      "Wall time of module invocations (each attempt), by module key");
    const pf_registry *reg = rt->cfg.registry;
    size_t n = reg ? reg->n_modules : 0;
    for (size_t i = 0; i <= n; i++) {
        if (!atomic_load_explicit(&rt->module_durations[i].count, memory_order_relaxed)) continue;
        char key[160], l[180];
        pf_metrics_label(i < n ? reg->modules[i].key : "other", key, sizeof key);
        snprintf(l, sizeof l, "module=\"%s\"", key);
        pf_metrics_histogram(out, "prodflow_module_duration_seconds", l, &rt->module_durations[i]);
    }
}
