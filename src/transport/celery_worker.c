#include "transport/celery_worker.h"

#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/subprocess.h"
#include "core/throttle.h"
#include "transport/celery_events.h"
#include "transport/celery_message.h"
#include "transport/celery_pidbox.h"
#include "transport/celery_result.h"
#include "transport/celery_unacked.h"
#include "transport/redis_conn.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PF_WORKER_DEFAULT_VISIBILITY_MS 3600000L
#define PF_WORKER_DEFAULT_HEARTBEAT_MS 2000L
#define PF_WORKER_REVOKES_MAX 50000 /* Celery's REVOKES_MAX */
#define PF_WORKER_POLL_MS 200

/* One consumer thread's task in flight, for revoke, active and leases. */
typedef struct pf_slot {
    bool busy;
    char *id, *name, *tag; /* owned while busy */
    json_t *args, *kwargs, *delivery_info;
    double started;
    int signum;
    atomic_bool revoked;
} pf_slot;

typedef struct pf_worker {
    const pf_celery_worker_opts *o;
    pf_redis_url url;
    char *hostname;
    char **queues;
    size_t nqueues;
    int concurrency;
    long visibility_ms, heartbeat_ms;
    pf_celery_events ev;
    atomic_bool stopping; /* consumers stop taking tasks */
    atomic_llong processed;
    double started_at;

    pthread_mutex_t lock; /* guards slots, revoked, totals */
    pf_slot *slots;
    json_t *revoked;       /* id -> true */
    json_t *revoked_order; /* ids, oldest first, to bound the set */
    json_t *totals;        /* task name -> count */
} pf_worker;

/* The calling thread's state: the pidbox subscription and the connection
 * for replies, heartbeats and restoring. */
typedef struct pf_control {
    pf_worker *w;
    pf_redis *sub, *cmd;
    pf_celery_pidbox_ops ops;
    long next_heartbeat, next_restore, restore_every;
} pf_control;

typedef struct pf_consumer {
    pf_worker *w;
    int index;
    pthread_t thread;
    pf_redis *r;
} pf_consumer;

/* ---- set-up ---- */

static char *default_hostname(void) {
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    return pf_asprintf("celery@%s", host);
}

static void copy_queues(pf_worker *w, const char *const *queues) {
    static const char *const fallback[] = {"celery", NULL};
    const char *const *q = queues && queues[0] ? queues : fallback;
    while (q[w->nqueues])
        w->nqueues++;
    w->queues = pf_xcalloc(w->nqueues, sizeof *w->queues);
    for (size_t i = 0; i < w->nqueues; i++)
        w->queues[i] = pf_strdup(q[i]);
}

static pf_error *worker_init(pf_worker *w, const pf_celery_worker_opts *o) {
    memset(w, 0, sizeof *w);
    if (!o->handler) return pf_error_new(PF_EINVAL, "", "a worker needs a task handler");
    pf_error *err = pf_redis_url_parse(o->broker_url, &w->url);
    if (err) return err;
    w->o = o;
    w->hostname = o->hostname ? pf_strdup(o->hostname) : default_hostname();
    copy_queues(w, o->queues);
    w->concurrency = o->concurrency > 0 ? o->concurrency : 1;
    w->visibility_ms = o->visibility_timeout_ms > 0 ? o->visibility_timeout_ms : PF_WORKER_DEFAULT_VISIBILITY_MS;
    w->heartbeat_ms = o->heartbeat_ms > 0 ? o->heartbeat_ms : PF_WORKER_DEFAULT_HEARTBEAT_MS;
    pf_celery_events_init(&w->ev, w->hostname, w->url.db);
    atomic_init(&w->stopping, false);
    atomic_init(&w->processed, 0);
    w->started_at = pf_celery_now();
    pthread_mutex_init(&w->lock, NULL);
    w->slots = pf_xcalloc((size_t)w->concurrency, sizeof *w->slots);
    for (int i = 0; i < w->concurrency; i++)
        atomic_init(&w->slots[i].revoked, false);
    w->revoked = json_object();
    w->revoked_order = json_array();
    w->totals = json_object();
    return NULL;
}

static void worker_clear(pf_worker *w) {
    for (size_t i = 0; i < w->nqueues; i++)
        free(w->queues[i]);
    free(w->queues);
    free(w->slots);
    free(w->hostname);
    json_decref(w->revoked);
    json_decref(w->revoked_order);
    json_decref(w->totals);
    pf_celery_events_clear(&w->ev);
    pf_redis_url_clear(&w->url);
    pthread_mutex_destroy(&w->lock);
}

static bool worker_stop_requested(const pf_worker *w) { return w->o->stop && atomic_load(w->o->stop); }

/* ---- revoked ids ---- */

static void remember_revoked(pf_worker *w, const char *id) {
    if (json_object_get(w->revoked, id)) return;
    json_object_set_new(w->revoked, id, json_true());
    json_array_append_new(w->revoked_order, json_string(id));
    if (json_array_size(w->revoked_order) > PF_WORKER_REVOKES_MAX) {
        json_object_del(w->revoked, json_string_value(json_array_get(w->revoked_order, 0)));
        json_array_remove(w->revoked_order, 0);
    }
}

static bool is_revoked(pf_worker *w, const char *id) {
    pthread_mutex_lock(&w->lock);
    bool r = json_object_get(w->revoked, id) != NULL;
    pthread_mutex_unlock(&w->lock);
    return r;
}

static int signal_number(const char *name) {
    static const struct {
        const char *name;
        int num;
    } table[] = {{"TERM", SIGTERM}, {"KILL", SIGKILL}, {"INT", SIGINT},  {"HUP", SIGHUP},
                 {"QUIT", SIGQUIT}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};
    if (!name) return SIGTERM;
    if (strncmp(name, "SIG", 3) == 0) name += 3;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i].name, name) == 0) return table[i].num;
    int n = atoi(name);
    return n > 0 ? n : SIGTERM;
}

static size_t flag_running(pf_worker *w, const char *id, int signum) {
    size_t n = 0;
    for (int i = 0; i < w->concurrency; i++) {
        pf_slot *s = &w->slots[i];
        if (!s->busy || strcmp(s->id, id) != 0) continue;
        s->signum = signum;
        atomic_store(&s->revoked, true);
        n++;
    }
    return n;
}

static json_t *on_revoke(void *user, const json_t *ids, bool terminate, const char *signal) {
    pf_worker *w = ((pf_control *)user)->w;
    int signum = signal_number(signal);
    char *joined = pf_json_text(ids, false);
    size_t terminated = 0, i;
    const json_t *id;
    pthread_mutex_lock(&w->lock);
    json_array_foreach(ids, i, id) {
        if (!json_is_string(id)) continue;
        remember_revoked(w, json_string_value(id));
        if (terminate) terminated += flag_running(w, json_string_value(id), signum);
    }
    pthread_mutex_unlock(&w->lock);
    pf_log(PF_LOG_INFO, "celery.revoke", "tasks %s revoked%s (%zu running here)", joined,
           terminate ? " with terminate" : "", terminated);
    char *text = terminate ? (terminated ? pf_asprintf("terminate: %s", joined) : pf_strdup("terminate: tasks unknown"))
                           : pf_asprintf("tasks %s flagged as revoked", joined);
    json_t *answer = json_pack("{s:s}", "ok", text);
    free(text);
    free(joined);
    return answer;
}

/* ---- inspect ---- */

static int active_count(pf_worker *w) {
    int n = 0;
    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < w->concurrency; i++)
        n += w->slots[i].busy;
    pthread_mutex_unlock(&w->lock);
    return n;
}

static json_t *on_active(void *user) {
    pf_worker *w = ((pf_control *)user)->w;
    json_t *list = json_array();
    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < w->concurrency; i++) {
        pf_slot *s = &w->slots[i];
        if (!s->busy) continue;
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:O, s:O, s:s, s:f, s:b, s:O, s:I}", "id", s->id, "name",
                                              s->name, "type", s->name, "args", s->args, "kwargs", s->kwargs,
                                              "hostname", w->hostname, "time_start", s->started, "acknowledged", 0,
                                              "delivery_info", s->delivery_info, "worker_pid", (json_int_t)w->ev.pid));
    }
    pthread_mutex_unlock(&w->lock);
    return list;
}

static json_t *on_stats(void *user) {
    pf_worker *w = ((pf_control *)user)->w;
    pthread_mutex_lock(&w->lock);
    json_t *totals = json_deep_copy(w->totals);
    pthread_mutex_unlock(&w->lock);
    char clock[32];
    snprintf(clock, sizeof clock, "%lld", (long long)atomic_load(&w->ev.clock));
    return json_pack("{s:o, s:I, s:s, s:I, s:{s:i, s:s}, s:{s:s, s:i, s:s, s:s}, s:i}", "total", totals, "pid",
                     (json_int_t)w->ev.pid, "clock", clock, "uptime", (json_int_t)(pf_celery_now() - w->started_at),
                     "pool", "max-concurrency", w->concurrency, "implementation", "prodflow threads", "broker",
                     "hostname", w->url.host, "port", w->url.port, "transport", "redis", "virtual_host", "",
                     "prefetch_count", w->concurrency);
}

/* ---- events ---- */

static void send_event(pf_worker *w, pf_redis *r, const char *type, json_t *fields) {
    /* Events are monitoring only: a failure is dropped (the connection
     * logs the outage) and the task goes on. */
    pf_error_free(pf_celery_event_send(&w->ev, r, type, fields));
}

static json_t *repr(const json_t *v) {
    char *text = pf_json_text(v, false);
    json_t *s = json_string(text ? text : "None");
    free(text);
    return s;
}

static json_t *received_fields(const pf_celery_message *m) {
    return json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s?, s:i, s:n, s:n}", "uuid", m->id, "name", m->name, "args",
                     repr(m->args), "kwargs", repr(m->kwargs), "root_id", m->root_id, "parent_id", m->parent_id,
                     "retries", m->retries, "eta", "expires");
}

static json_t *failed_fields(const char *id, const json_t *meta) {
    const json_t *result = json_object_get(meta, "result");
    const char *type = json_string_value(json_object_get(result, "exc_type"));
    const char *msg = json_string_value(json_array_get(json_object_get(result, "exc_message"), 0));
    char *exc = pf_celery_exception_repr(type ? type : "Exception", msg ? msg : "");
    json_t *f =
        json_pack("{s:s, s:s, s:O}", "uuid", id, "exception", exc, "traceback", json_object_get(meta, "traceback"));
    free(exc);
    return f;
}

static json_t *revoked_fields(const char *id, bool terminated, int signum) {
    return json_pack("{s:s, s:b, s:o, s:b}", "uuid", id, "terminated", terminated, "signum",
                     terminated ? json_integer(signum) : json_null(), "expired", 0);
}

static void send_worker_event(pf_worker *w, pf_redis *r, const char *type) {
    json_t *f = pf_celery_worker_fields((double)w->heartbeat_ms / 1000.0, active_count(w), atomic_load(&w->processed));
    send_event(w, r, type, f);
}

static void on_heartbeat(void *user) {
    pf_control *ctl = user;
    send_worker_event(ctl->w, ctl->cmd, "worker-heartbeat");
}

/* ---- storing and acknowledging, through outages ---- */

typedef struct pf_delivery {
    const char *raw, *queue, *tag;
    size_t len;
    pf_celery_message m;
    json_t *stored; /* the result already stored for this id, if any */
} pf_delivery;

/* Retries a Redis step until it succeeds or the worker is stopping. A
 * step that never succeeds leaves the task unacknowledged: the visibility
 * timeout brings it back, so nothing is lost. */
typedef pf_error *(*pf_step_fn)(pf_redis *r, pf_delivery *d, const json_t *meta);

static bool persist(pf_worker *w, pf_redis *r, const char *what, pf_step_fn fn, pf_delivery *d, const json_t *meta) {
    for (;;) {
        pf_error *err = fn(r, d, meta);
        if (!err) return true;
        bool retry = err->code == PF_EUNAVAILABLE && !atomic_load(&w->stopping);
        if (!retry)
            pf_log(PF_LOG_ERROR, "celery.worker", "%s failed: %s; the task will come back after the visibility timeout",
                   what, err->message);
        pf_error_free(err);
        if (!retry) return false;
        pf_error_free(pf_redis_reconnect(r, &w->stopping));
    }
}

/* Late acknowledgement: the result, then the ack, in one pipeline (Redis
 * runs them in order); retried as a whole, which is harmless (the same
 * result stored twice, an ack of nothing). */
static pf_error *step_finish(pf_redis *r, pf_delivery *d, const json_t *meta) {
    pf_redis_pipe p;
    pf_redis_pipe_init(&p, r);
    if (meta && d->m.id) pf_celery_meta_store_to(&p, d->m.id, meta, PF_CELERY_RESULT_TTL_S);
    pf_celery_unacked_ack_to(&p, d->tag);
    return pf_redis_pipe_run(&p, NULL);
}

/* Registers the delivery as unacknowledged and reads any stored result,
 * in one round trip. */
static pf_error *step_register(pf_redis *r, pf_delivery *d, const json_t *unused) {
    (void)unused;
    pf_redis_pipe p;
    pf_redis_pipe_init(&p, r);
    pf_celery_unacked_add_to(&p, d->tag, d->raw, d->len, d->m.exchange ? d->m.exchange : "",
                             d->m.routing_key ? d->m.routing_key : d->queue);
    char *key = d->m.id ? pf_celery_meta_key(d->m.id) : NULL;
    const char *get[] = {"GET", key, NULL};
    if (key) pf_redis_pipe_add(&p, get, NULL);
    redisReply *last = NULL;
    pf_error *err = pf_redis_pipe_run(&p, key ? &last : NULL);
    json_decref(d->stored);
    d->stored = !err && last && last->type == REDIS_REPLY_STRING ? json_loadb(last->str, last->len, 0, NULL) : NULL;
    if (last) freeReplyObject(last);
    free(key);
    return err;
}

/* Stores meta (may be NULL), publishes the event (fields stolen; event
 * may be NULL) and acknowledges. */
static void finish(pf_worker *w, pf_redis *r, pf_delivery *d, const json_t *meta, const char *event, json_t *fields) {
    /* One round trip; the event rides in the first attempt only (it is
     * monitoring), the retries go through persist. */
    pf_redis_pipe p;
    pf_redis_pipe_init(&p, r);
    if (event) pf_celery_event_add_to(&p, &w->ev, event, fields);
    if (meta && d->m.id) pf_celery_meta_store_to(&p, d->m.id, meta, PF_CELERY_RESULT_TTL_S);
    pf_celery_unacked_ack_to(&p, d->tag);
    pf_error *err = pf_redis_pipe_run(&p, NULL);
    if (!err) return;
    pf_error_free(err);
    persist(w, r, "storing the result and acknowledging", step_finish, d, meta);
}

/* ---- one delivery ---- */

static void count_processed(pf_worker *w, const char *name) {
    atomic_fetch_add(&w->processed, 1);
    pthread_mutex_lock(&w->lock);
    json_t *n = json_object_get(w->totals, name);
    json_object_set_new(w->totals, name, json_integer(n ? json_integer_value(n) + 1 : 1));
    pthread_mutex_unlock(&w->lock);
}

static void refuse(pf_worker *w, pf_redis *r, pf_delivery *d, const pf_error *why) {
    json_t *fields = json_pack("{s:s?, s:s?, s:s}", "task_id", d->m.id, "task", d->m.name, "queue", d->queue);
    pf_log_fields(PF_LOG_WARN, "celery.refused", fields, "refused task message %s: %s", d->m.id ? d->m.id : "(no id)",
                  why->message);
    json_decref(fields);
    json_t *meta =
        d->m.id ? pf_celery_meta_failure(d->m.id, d->m.refused_exc_type, d->m.refused_exc_module, why->message, NULL)
                : NULL;
    finish(w, r, d, meta, meta ? "task-failed" : NULL, meta ? failed_fields(d->m.id, meta) : NULL);
    json_decref(meta);
}

/* A result is already stored (a redelivery or a duplicate): never run twice. */
static bool already_done(const pf_delivery *d) {
    if (!pf_celery_meta_is_ready(d->stored)) return false;
    pf_log(PF_LOG_INFO, "celery.duplicate", "task %s already has a %s result; acknowledged without running", d->m.id,
           json_string_value(json_object_get(d->stored, "status")));
    return true;
}

static void answer_without_running(pf_worker *w, pf_redis *r, pf_delivery *d, bool revoked) {
    json_t *meta;
    if (revoked) {
        meta = pf_celery_meta_revoked(d->m.id, "revoked");
        finish(w, r, d, meta, "task-revoked", revoked_fields(d->m.id, false, 0));
    } else {
        meta = pf_celery_meta_failure(d->m.id, "NotRegistered", "celery.exceptions", d->m.name, NULL);
        pf_log(PF_LOG_WARN, "celery.unknown_task", "received unregistered task of type '%s' (id %s)", d->m.name,
               d->m.id);
        finish(w, r, d, meta, "task-failed", failed_fields(d->m.id, meta));
    }
    json_decref(meta);
}

static void slot_take(pf_worker *w, pf_slot *s, const pf_delivery *d) {
    pthread_mutex_lock(&w->lock);
    s->busy = true;
    s->id = pf_strdup(d->m.id);
    s->name = pf_strdup(d->m.name);
    s->tag = pf_strdup(d->tag);
    s->args = json_incref((json_t *)d->m.args);
    s->kwargs = json_incref((json_t *)d->m.kwargs);
    s->delivery_info =
        json_pack("{s:s, s:s, s:i, s:b}", "exchange", d->m.exchange ? d->m.exchange : "", "routing_key",
                  d->m.routing_key ? d->m.routing_key : d->queue, "priority", 0, "redelivered", d->m.redelivered);
    s->started = pf_celery_now();
    s->signum = 0;
    atomic_store(&s->revoked, false);
    pthread_mutex_unlock(&w->lock);
}

/* Frees the slot; returns the signal when the task was terminated, else 0. */
static int slot_release(pf_worker *w, pf_slot *s) {
    pthread_mutex_lock(&w->lock);
    int signum = atomic_load(&s->revoked) ? (s->signum ? s->signum : SIGTERM) : 0;
    s->busy = false;
    free(s->id);
    free(s->name);
    free(s->tag);
    json_decref(s->args);
    json_decref(s->kwargs);
    json_decref(s->delivery_info);
    s->id = s->name = s->tag = NULL;
    s->args = s->kwargs = s->delivery_info = NULL;
    pthread_mutex_unlock(&w->lock);
    return signum;
}

/* task-received and task-started in one round trip (best effort). */
static void announce(pf_worker *w, pf_redis *r, const pf_delivery *d) {
    pf_redis_pipe p;
    pf_redis_pipe_init(&p, r);
    pf_celery_event_add_to(&p, &w->ev, "task-received", received_fields(&d->m));
    pf_celery_event_add_to(&p, &w->ev, "task-started", json_pack("{s:s}", "uuid", d->m.id));
    pf_error_free(pf_redis_pipe_run(&p, NULL));
}

static void conclude(pf_worker *w, pf_redis *r, pf_delivery *d, int signum, pf_error *err, json_t *result,
                     double runtime) {
    json_t *meta;
    if (signum) {
        meta = pf_celery_meta_revoked(d->m.id, "terminated");
        finish(w, r, d, meta, "task-revoked", revoked_fields(d->m.id, true, signum));
    } else if (err) {
        char *where = pf_asprintf("prodflow worker %s, task %s", w->hostname, d->m.name);
        meta = pf_celery_meta_from_error(d->m.id, err, where);
        free(where);
        finish(w, r, d, meta, "task-failed", failed_fields(d->m.id, meta));
    } else {
        meta = pf_celery_meta_success(d->m.id, result);
        finish(w, r, d, meta, "task-succeeded",
               json_pack("{s:s, s:o, s:f}", "uuid", d->m.id, "result", repr(result), "runtime", runtime));
    }
    json_decref(meta);
}

/* Progress goes out on the consumer's own connection, idle while its
 * handler runs; the lock orders reports from the handler's threads. */
#define PF_PROGRESS_EVERY_MS 250

struct pf_celery_reporter {
    pthread_mutex_t lock;
    pf_redis *r;
    pf_throttle throttle;
};

void pf_celery_task_progress(const pf_celery_task *task, double fraction, const char *message) {
    struct pf_celery_reporter *rep = task->reporter;
    if (!rep) return;
    pthread_mutex_lock(&rep->lock);
    if (!pf_throttle_pass(&rep->throttle, pf_now_ms(), fraction, message)) {
        pthread_mutex_unlock(&rep->lock);
        return;
    }
    json_t *info =
        json_pack("{s:s, s:s}", "message", message ? message : "", "worker", task->hostname ? task->hostname : "");
    if (fraction >= 0) json_object_set_new(info, "fraction", json_real(fraction > 1 ? 1 : fraction));
    json_t *meta = pf_celery_meta_progress(task->id, info);
    pf_error *err = pf_celery_meta_store(rep->r, task->id, meta, PF_CELERY_RESULT_TTL_S);
    pthread_mutex_unlock(&rep->lock);
    if (err) pf_log(PF_LOG_WARN, "celery.progress", "task %s: progress not stored: %s", task->id, err->message);
    pf_error_free(err);
    json_decref(meta);
}

static void run_task(pf_worker *w, pf_redis *r, pf_slot *s, pf_delivery *d) {
    slot_take(w, s, d);
    announce(w, r, d);
    pf_celery_task task = {.id = d->m.id,
                           .name = d->m.name,
                           .queue = d->m.routing_key ? d->m.routing_key : d->queue,
                           .args = d->m.args,
                           .kwargs = d->m.kwargs,
                           .headers = d->m.headers,
                           .retries = d->m.retries,
                           .root_id = d->m.root_id,
                           .parent_id = d->m.parent_id,
                           .soft_time_limit_s = d->m.soft_time_limit_s,
                           .hard_time_limit_s = d->m.hard_time_limit_s,
                           .redelivered = d->m.redelivered,
                           .hostname = w->hostname};
    struct pf_celery_reporter rep = {.r = r, .throttle = {.interval_ms = PF_PROGRESS_EVERY_MS}};
    pthread_mutex_init(&rep.lock, NULL);
    task.reporter = &rep;
    json_t *result = NULL;
    double t0 = pf_celery_now();
    pf_error *err = w->o->handler(w->o->user, &task, &s->revoked, &result);
    pthread_mutex_destroy(&rep.lock);
    double runtime = pf_celery_now() - t0;
    int signum = slot_release(w, s);
    conclude(w, r, d, signum, err, result, runtime);
    count_processed(w, d->m.name);
    json_decref(result);
    pf_error_free(err);
}

static void handle_delivery(pf_worker *w, pf_redis *r, pf_slot *s, pf_delivery *d) {
    pf_error *why = pf_celery_message_parse(d->raw, d->len, &d->m);
    if (!d->m.envelope) {
        pf_log(PF_LOG_ERROR, "celery.refused", "dropped a message on %s that is not a task envelope: %s", d->queue,
               why->message);
        pf_error_free(why);
        return;
    }
    char tag[PF_CELERY_UUID_LEN];
    if (!d->m.delivery_tag) pf_celery_uuid(tag);
    d->tag = d->m.delivery_tag ? d->m.delivery_tag : tag;
    if (!persist(w, r, "registering the task as unacknowledged", step_register, d, NULL)) {
        pf_error_free(why);
        return;
    }
    if (why)
        refuse(w, r, d, why);
    else if (is_revoked(w, d->m.id))
        answer_without_running(w, r, d, true);
    else if (already_done(d))
        finish(w, r, d, NULL, NULL, NULL);
    else if (w->o->accepts && !w->o->accepts(w->o->user, d->m.name))
        answer_without_running(w, r, d, false);
    else
        run_task(w, r, s, d);
    pf_error_free(why);
}

/* ---- consumers ---- */

/* kombu's order: every queue at priority 0, then each at 3, 6 and 9,
 * starting from a queue that rotates after each delivery (fair cycle). */
static const char **brpop_argv(const pf_worker *w, size_t start, char **owned, int *argc) {
    static const int steps[] = {0, 3, 6, 9};
    const char **argv = pf_xcalloc(w->nqueues * 4 + 3, sizeof *argv);
    int n = 0, k = 0;
    argv[n++] = "BRPOP";
    for (int p = 0; p < 4; p++)
        for (size_t i = 0; i < w->nqueues; i++) {
            owned[k] = pf_celery_queue_for_priority(w->queues[(start + i) % w->nqueues], steps[p]);
            argv[n++] = owned[k++];
        }
    argv[n++] = "1"; /* block 1 s, so a stop is noticed */
    *argc = n;
    return argv;
}

static size_t queue_index(const pf_worker *w, const char *list) {
    size_t n = strcspn(list, PF_CELERY_SEP);
    for (size_t i = 0; i < w->nqueues; i++)
        if (strlen(w->queues[i]) == n && strncmp(w->queues[i], list, n) == 0) return i;
    return 0;
}

/* One BRPOP; *reply NULL when nothing came within the block time. */
static pf_error *take(pf_consumer *c, size_t start, redisReply **reply) {
    pf_worker *w = c->w;
    char **owned = pf_xcalloc(w->nqueues * 4, sizeof *owned);
    int argc = 0;
    const char **argv = brpop_argv(w, start, owned, &argc);
    pf_error *err = pf_redis_cmd(c->r, reply, argc, argv, NULL);
    for (size_t i = 0; i < w->nqueues * 4; i++)
        free(owned[i]);
    free(owned);
    free(argv);
    if (!err && (*reply)->type != REDIS_REPLY_ARRAY) freeReplyObject(*reply), *reply = NULL;
    return err;
}

static void *consume_main(void *arg) {
    pf_consumer *c = arg;
    pf_worker *w = c->w;
    size_t start = (size_t)c->index % w->nqueues;
    while (!atomic_load(&w->stopping)) {
        if (pf_redis_broken(c->r)) {
            pf_error *gone = pf_redis_reconnect(c->r, &w->stopping);
            pf_error_free(gone);
            if (gone) break;
        }
        redisReply *reply = NULL;
        pf_error_free(take(c, start, &reply));
        if (!reply) continue;
        if (reply->elements != 2 || reply->element[1]->type != REDIS_REPLY_STRING) {
            freeReplyObject(reply);
            continue;
        }
        const redisReply *list = reply->element[0], *item = reply->element[1];
        size_t q = queue_index(w, list->str);
        start = (q + 1) % w->nqueues;
        pf_delivery d = {.raw = item->str, .len = item->len, .queue = w->queues[q]};
        handle_delivery(w, c->r, &w->slots[c->index], &d);
        pf_celery_message_clear(&d.m);
        json_decref(d.stored);
        freeReplyObject(reply);
    }
    return NULL;
}

/* ---- the control loop: pidbox, heartbeats, restoring ---- */

static pf_error *declare_bindings(pf_worker *w, pf_redis *r) {
    pf_error *err = NULL;
    for (size_t i = 0; i < w->nqueues && !err; i++) {
        char *key = pf_asprintf("_kombu.binding.%s", w->queues[i]);
        char *member = pf_asprintf("%s" PF_CELERY_SEP PF_CELERY_SEP "%s", w->queues[i], w->queues[i]);
        const char *argv[] = {"SADD", key, member, NULL};
        err = pf_redis_run(r, argv);
        free(key);
        free(member);
    }
    char *member = pf_asprintf(PF_CELERY_SEP PF_CELERY_SEP "%s." PF_CELERY_PIDBOX_EXCHANGE, w->hostname);
    const char *argv[] = {"SADD", "_kombu.binding." PF_CELERY_PIDBOX_EXCHANGE, member, NULL};
    if (!err) err = pf_redis_run(r, argv);
    free(member);
    return err;
}

static pf_error *subscribe_pidbox(pf_control *ctl) {
    pf_error *err = pf_redis_reconnect(ctl->sub, ctl->w->o->stop);
    char *channel = pf_celery_pidbox_channel(ctl->w->url.db);
    const char *argv[] = {"PSUBSCRIBE", channel, NULL};
    if (!err) err = pf_redis_run(ctl->sub, argv);
    free(channel);
    return err;
}

static void on_pidbox(pf_control *ctl, const redisReply *m) {
    /* ["pmessage", pattern, channel, data] */
    if (m->type != REDIS_REPLY_ARRAY || m->elements != 4 || m->element[3]->type != REDIS_REPLY_STRING) return;
    pf_error *err = pf_celery_pidbox_handle(ctl->cmd, &ctl->w->ev, &ctl->ops, m->element[3]->str, m->element[3]->len);
    if (err) pf_log(PF_LOG_WARN, "celery.pidbox", "%s", err->message);
    pf_error_free(err);
}

/* Renews the lease of every task in flight (see pf_celery_unacked_touch). */
static void touch_running(pf_control *ctl) {
    pf_worker *w = ctl->w;
    for (int i = 0; i < w->concurrency; i++) {
        pthread_mutex_lock(&w->lock);
        char *tag = w->slots[i].busy ? pf_strdup(w->slots[i].tag) : NULL;
        pthread_mutex_unlock(&w->lock);
        if (tag) pf_error_free(pf_celery_unacked_touch(ctl->cmd, tag));
        free(tag);
    }
}

static void on_timers(pf_control *ctl) {
    long now = pf_now_ms();
    if (now >= ctl->next_heartbeat) {
        touch_running(ctl);
        send_worker_event(ctl->w, ctl->cmd, "worker-heartbeat");
        ctl->next_heartbeat = now + ctl->w->heartbeat_ms;
    }
    if (now >= ctl->next_restore) {
        size_t restored = 0;
        pf_error_free(pf_celery_unacked_restore(ctl->cmd, ctl->w->visibility_ms, &restored));
        ctl->next_restore = now + ctl->restore_every;
    }
}

static void control_loop(pf_control *ctl) {
    while (!worker_stop_requested(ctl->w)) {
        pf_error *err = pf_redis_broken(ctl->sub) ? subscribe_pidbox(ctl) : NULL;
        redisReply *m = NULL;
        if (!err) err = pf_redis_poll(ctl->sub, PF_WORKER_POLL_MS, &m);
        if (m) on_pidbox(ctl, m), freeReplyObject(m);
        pf_error_free(err);
        on_timers(ctl);
    }
}

static long restore_period(long visibility_ms) {
    /* Often enough that a dead worker's task waits about one visibility
     * timeout, at most every 10 s (kombu's restore tick). */
    long p = visibility_ms / 2;
    return p < 100 ? 100 : p > 10000 ? 10000 : p;
}

static pf_error *start_consumers(pf_worker *w, pf_consumer *cs) {
    for (int i = 0; i < w->concurrency; i++) {
        cs[i] = (pf_consumer){.w = w, .index = i};
        pf_error *err = pf_redis_open(&w->url, "prodflow-worker", &cs[i].r);
        if (!err && pthread_create(&cs[i].thread, NULL, consume_main, &cs[i]) != 0)
            err = pf_error_new(PF_EINTERNAL, "", "cannot start a worker thread");
        if (err) {
            pf_redis_close(cs[i].r);
            cs[i].r = NULL;
            return err;
        }
    }
    return NULL;
}

static void stop_consumers(pf_worker *w, pf_consumer *cs) {
    atomic_store(&w->stopping, true);
    for (int i = 0; i < w->concurrency; i++) {
        if (!cs[i].r) break;
        pthread_join(cs[i].thread, NULL);
        pf_redis_close(cs[i].r);
    }
}

static pf_error *run(pf_worker *w) {
    pf_control ctl = {.w = w};
    ctl.ops = (pf_celery_pidbox_ops){
        .user = &ctl, .revoke = on_revoke, .stats = on_stats, .active = on_active, .heartbeat = on_heartbeat};
    pf_error *err = pf_redis_open(&w->url, "prodflow-control", &ctl.cmd);
    if (!err) err = declare_bindings(w, ctl.cmd);
    if (err) {
        pf_redis_close(ctl.cmd);
        return err;
    }
    ctl.sub = pf_redis_new(&w->url, "prodflow-pidbox");
    pf_consumer *cs = pf_xcalloc((size_t)w->concurrency, sizeof *cs);
    err = start_consumers(w, cs);
    if (!err) {
        pf_log(PF_LOG_INFO, "celery.worker", "worker %s ready: %d threads, %zu queues", w->hostname, w->concurrency,
               w->nqueues);
        send_worker_event(w, ctl.cmd, "worker-online");
        ctl.restore_every = restore_period(w->visibility_ms);
        ctl.next_heartbeat = pf_now_ms() + w->heartbeat_ms;
        ctl.next_restore = pf_now_ms(); /* kombu restores once at start too */
        control_loop(&ctl);
    }
    stop_consumers(w, cs);
    if (!err) send_worker_event(w, ctl.cmd, "worker-offline");
    free(cs);
    pf_redis_close(ctl.sub);
    pf_redis_close(ctl.cmd);
    return err;
}

pf_error *pf_celery_worker_run(const pf_celery_worker_opts *o) {
    pf_worker w;
    pf_error *err = worker_init(&w, o);
    if (err) return err;
    err = run(&w);
    pf_log(PF_LOG_INFO, "celery.worker", "worker %s stopped after %lld tasks", w.hostname,
           (long long)atomic_load(&w.processed));
    worker_clear(&w);
    return err;
}
