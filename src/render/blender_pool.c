#include "render/blender_pool.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/subprocess.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#define DEFAULT_STALL_MS 120000L

typedef struct {
    pf_blender_worker *worker; /* NULL until started, and after a crash */
    bool busy;
    char *last_model; /* the GLB digest it rendered last: jobs for it go here first */
    long jobs;
    long imports; /* jobs that imported their GLB; the others found it cached */
} slot;

struct pf_blender_pool {
    pf_blender_setup setup;
    long stall_ms;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    slot *slots;
    int n;
    long jobs, fallbacks;
};

pf_blender_pool *pf_blender_pool_new(const pf_blender_pool_opts *o) {
    pf_blender_pool *p = pf_xcalloc(1, sizeof *p);
    p->setup.blender = o->setup.blender ? pf_strdup(o->setup.blender) : NULL;
    p->setup.script = pf_strdup(o->setup.script);
    p->setup.models = o->setup.models;
    p->stall_ms = o->stall_ms > 0 ? o->stall_ms : DEFAULT_STALL_MS;
    p->n = o->workers > 0 ? o->workers : 1;
    p->slots = pf_xcalloc((size_t)p->n, sizeof *p->slots);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    return p;
}

void pf_blender_pool_free(pf_blender_pool *p) {
    if (!p) return;
    for (int i = 0; i < p->n; i++) {
        pf_blender_worker_free(p->slots[i].worker);
        free(p->slots[i].last_model);
    }
    free(p->slots);
    free((char *)p->setup.blender);
    free((char *)p->setup.script);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

json_t *pf_blender_pool_status(pf_blender_pool *p) {
    json_t *workers = json_array();
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < p->n; i++) {
        const slot *s = &p->slots[i];
        json_array_append_new(workers,
                              json_pack("{s:I, s:b, s:I, s:I}", "pid",
                                        (json_int_t)(s->worker ? pf_blender_worker_pid(s->worker) : 0), "busy", s->busy,
                                        "jobs", (json_int_t)s->jobs, "imports", (json_int_t)s->imports));
    }
    json_t *status = json_pack("{s:o, s:I, s:I}", "workers", workers, "jobs", (json_int_t)p->jobs, "fallbacks",
                               (json_int_t)p->fallbacks);
    pthread_mutex_unlock(&p->lock);
    return status;
}

/* An idle slot, preferring one that last rendered this model; -1 when the
 * wait was cancelled or ran past the deadline. */
static int acquire(pf_blender_pool *p, const char *model, const pf_blender_call *call) {
    pthread_mutex_lock(&p->lock);
    int chosen = -1;
    for (;;) {
        for (int i = 0; i < p->n; i++) {
            if (p->slots[i].busy) continue;
            bool same = model && p->slots[i].last_model && strcmp(p->slots[i].last_model, model) == 0;
            if (chosen < 0 || same) chosen = i;
            if (same) break;
        }
        if (chosen >= 0) break;
        if ((call->cancel && atomic_load(call->cancel)) || (call->deadline_ms > 0 && pf_now_ms() >= call->deadline_ms))
            break;
        struct timespec until = pf_clock_after_ms(CLOCK_REALTIME, 100);
        pthread_cond_timedwait(&p->freed, &p->lock, &until);
    }
    if (chosen >= 0) p->slots[chosen].busy = true;
    pthread_mutex_unlock(&p->lock);
    return chosen;
}

static void release(pf_blender_pool *p, int i, const char *model, bool fell_back, bool imported) {
    pthread_mutex_lock(&p->lock);
    slot *s = &p->slots[i];
    s->busy = false;
    s->jobs++;
    if (imported && !fell_back) s->imports++;
    p->jobs++;
    if (fell_back) p->fallbacks++;
    free(s->last_model);
    s->last_model = model && s->worker ? pf_strdup(model) : NULL;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

static pf_error *render_cold(const pf_blender_setup *setup, const json_t *job, const pf_blender_call *call,
                             json_t **result) {
    pf_blender_worker *w = NULL;
    pf_error *err = pf_blender_worker_start(setup, call, &w);
    if (err) return err;
    pf_blender_outcome o;
    err = pf_blender_worker_run(w, job, call, result, &o);
    pf_blender_worker_free(w);
    return err;
}

static pf_error *render_warm(pf_blender_pool *p, const json_t *job, const pf_blender_call *call, json_t **result) {
    const char *model = json_string_value(json_object_get(json_object_get(job, "glb"), "sha256"));
    int i = acquire(p, model, call);
    if (i < 0)
        return pf_blender_outcome_error(
            call->cancel && atomic_load(call->cancel) ? PF_BLENDER_CANCELLED : PF_BLENDER_TIMEOUT, call, NULL);
    slot *s = &p->slots[i];
    pf_error *err = NULL;
    if (!s->worker) err = pf_blender_worker_start(&p->setup, call, &s->worker);
    if (err) {
        release(p, i, NULL, false, false);
        return err;
    }
    pf_blender_call warm = *call;
    warm.stall_ms = p->stall_ms;
    pf_blender_outcome o;
    err = pf_blender_worker_run(s->worker, job, &warm, result, &o);
    /* A crash or hang may be the warm process's own trouble: render again
     * cold. A limit is the job's: the cold process would hit it too. */
    bool fall_back = (o == PF_BLENDER_CRASHED || o == PF_BLENDER_HUNG) && err->code != PF_ELIMIT;
    if (o != PF_BLENDER_DONE && o != PF_BLENDER_FAILED) {
        pf_blender_worker_free(s->worker);
        s->worker = NULL;
    }
    if (fall_back) {
        pf_log(PF_LOG_WARN, "blender_worker_lost", "%s; rendering again in a fresh process", err->message);
        pf_error_free(err);
        err = render_cold(&p->setup, job, call, result);
    }
    release(p, i, model, fall_back, json_object_get(json_object_get(*result, "timing"), "import_s") != NULL);
    return err;
}

pf_error *pf_blender_render(pf_blender_pool *pool, const pf_blender_setup *cold, const json_t *job,
                            const pf_blender_call *call, json_t **result) {
    *result = NULL;
    return pool ? render_warm(pool, job, call, result) : render_cold(cold, job, call, result);
}
