#include "transport/celery_client.h"

#include "core/clock.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/subprocess.h"
#include "transport/celery_events.h"
#include "transport/celery_pidbox.h"
#include "transport/celery_result.h"
#include "transport/redis_conn.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PF_CLIENT_SEND_ATTEMPTS 6 /* 0.1 + 0.2 + ... + 1.6 s of backoff before giving up */
#define PF_CLIENT_WAKE_MS 100     /* how often waiters look at *cancel */
#define PF_CLIENT_LISTEN_POLL_MS 200

typedef struct pf_waiter {
    const char *task_id;
    json_t *meta;     /* set by the listener or the waiter's own GET */
    json_t *progress; /* the latest PROGRESS meta not yet reported */
    struct pf_waiter *next;
} pf_waiter;

struct pf_celery_client {
    pf_redis_url url;
    char reply_to[PF_CELERY_UUID_LEN]; /* this client's id, as Celery's producer sets reply_to */
    char *origin;                      /* "gen<pid>@<host>" */
    pf_celery_events clock;            /* only its Lamport clock is used */

    pthread_mutex_t cmd_lock; /* guards cmd */
    pf_redis *cmd;

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t changed;
    bool listening;           /* the listener thread runs */
    bool subscribed;          /* its PSUBSCRIBE is in force */
    unsigned long generation; /* raised on every (re)subscription */
    pf_waiter *waiters;
    atomic_bool stop;
    pthread_t listener;
};

/* ---- open / close ---- */

static char *make_origin(void) {
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    return pf_asprintf("gen%ld@%s", (long)getpid(), host);
}

static void init_sync(pf_celery_client *c) {
    pthread_mutex_init(&c->cmd_lock, NULL);
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->changed, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&c->stop, false);
}

pf_error *pf_celery_client_open(const char *broker_url, pf_celery_client **out) {
    *out = NULL;
    pf_celery_client *c = pf_xcalloc(1, sizeof *c);
    pf_error *err = pf_redis_url_parse(broker_url, &c->url);
    if (!err) err = pf_redis_open(&c->url, "prodflow-client", &c->cmd);
    if (err) {
        pf_redis_url_clear(&c->url);
        free(c);
        return err;
    }
    pf_celery_uuid(c->reply_to);
    c->origin = make_origin();
    pf_celery_events_init(&c->clock, c->origin, c->url.db);
    init_sync(c);
    *out = c;
    return NULL;
}

void pf_celery_client_close(pf_celery_client *c) {
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    bool listening = c->listening;
    pthread_mutex_unlock(&c->lock);
    atomic_store(&c->stop, true);
    if (listening) pthread_join(c->listener, NULL);
    pf_redis_close(c->cmd);
    pthread_mutex_destroy(&c->cmd_lock);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->changed);
    pf_celery_events_clear(&c->clock);
    pf_redis_url_clear(&c->url);
    free(c->origin);
    free(c);
}

/* ---- commands with retry ---- */

typedef pf_error *(*pf_cmd_fn)(pf_redis *r, void *arg);

/* Runs fn on the command connection; a lost connection is retried with
 * backoff a few times (the next command reconnects). */
static pf_error *with_retry(pf_celery_client *c, pf_cmd_fn fn, void *arg) {
    pf_error *err = NULL;
    long wait_ms = 100;
    for (int attempt = 0; attempt < PF_CLIENT_SEND_ATTEMPTS; attempt++) {
        if (attempt > 0) pf_redis_pause(wait_ms, &c->stop), wait_ms *= 2;
        pf_error_free(err);
        pthread_mutex_lock(&c->cmd_lock);
        err = fn(c->cmd, arg);
        pthread_mutex_unlock(&c->cmd_lock);
        if (!err || err->code != PF_EUNAVAILABLE) break;
    }
    return err;
}

typedef struct push_args {
    const char *queue, *list, *text;
} push_args;

/* SADD the kombu binding (as a Celery producer declares its queue) and
 * LPUSH, pipelined. */
static pf_error *push_task(pf_redis *r, void *arg) {
    const push_args *p = arg;
    char *binding_key = pf_asprintf("_kombu.binding.%s", p->queue);
    char *member = pf_asprintf("%s" PF_CELERY_SEP PF_CELERY_SEP "%s", p->queue, p->queue);
    const char *sadd[] = {"SADD", binding_key, member}, *lpush[] = {"LPUSH", p->list, p->text};
    pf_error *err = pf_redis_append(r, 3, sadd, NULL);
    if (!err) err = pf_redis_append(r, 3, lpush, NULL);
    for (int i = 0; i < 2 && !err; i++) {
        redisReply *reply = NULL;
        err = pf_redis_read(r, &reply);
        if (!err && reply->type == REDIS_REPLY_ERROR)
            err = pf_error_new(PF_EIO, "", "redis refused a task: %.*s", (int)reply->len, reply->str);
        if (reply) freeReplyObject(reply);
    }
    free(binding_key);
    free(member);
    return err;
}

pf_error *pf_celery_send(pf_celery_client *c, const char *task_name, const char *task_id, const json_t *args,
                         const json_t *kwargs, const pf_celery_send_opts *opts) {
    if (!task_name || !*task_name || !task_id || !*task_id)
        return pf_error_new(PF_EINVAL, "", "a task needs a name and an id");
    if ((args && !json_is_array(args)) || (kwargs && !json_is_object(kwargs)))
        return pf_error_new(PF_EINVAL, "", "task args must be an array and kwargs an object");
    json_t *env = pf_celery_task_message(task_name, task_id, args, kwargs, opts, c->origin, c->reply_to);
    char *text = pf_json_text(env, false);
    const char *queue = opts && opts->queue ? opts->queue : "celery";
    char *list = pf_celery_queue_for_priority(queue, opts ? opts->priority : 0);
    push_args p = {queue, list, text};
    pf_error *err = with_retry(c, push_task, &p);
    free(list);
    free(text);
    json_decref(env);
    return err;
}

typedef struct fetch_args {
    const char *task_id;
    json_t *meta;
} fetch_args;

static pf_error *fetch(pf_redis *r, void *arg) {
    fetch_args *f = arg;
    json_decref(f->meta);
    return pf_celery_meta_fetch(r, f->task_id, &f->meta);
}

pf_error *pf_celery_result_get(pf_celery_client *c, const char *task_id, json_t **meta) {
    fetch_args f = {task_id, NULL};
    pf_error *err = with_retry(c, fetch, &f);
    *meta = err ? NULL : f.meta;
    if (err) json_decref(f.meta);
    return err;
}

typedef struct publish_args {
    const char *channel, *text;
} publish_args;

static pf_error *publish(pf_redis *r, void *arg) {
    const publish_args *p = arg;
    const char *argv[] = {"PUBLISH", p->channel, p->text, NULL};
    return pf_redis_run(r, argv);
}

static pf_error *broadcast(pf_celery_client *c, json_t *env) {
    char *text = pf_json_text(env, false);
    char *channel = pf_celery_pidbox_channel(c->url.db);
    publish_args p = {channel, text};
    pf_error *err = with_retry(c, publish, &p);
    free(channel);
    free(text);
    return err;
}

pf_error *pf_celery_revoke(pf_celery_client *c, const char *task_id, bool terminate) {
    json_t *args = json_pack("{s:s, s:b, s:s}", "task_id", task_id, "terminate", terminate, "signal", "SIGTERM");
    json_t *env = pf_celery_pidbox_request("revoke", args, NULL, NULL, pf_celery_clock_forward(&c->clock), 0);
    pf_error *err = broadcast(c, env);
    json_decref(env);
    return err;
}

/* ---- the result listener ---- */

static void deliver(pf_celery_client *c, const char *task_id, const char *data, size_t len) {
    pthread_mutex_lock(&c->lock);
    json_t *meta = NULL;
    for (pf_waiter *w = c->waiters; w; w = w->next) {
        if (w->meta || strcmp(w->task_id, task_id) != 0) continue;
        if (!meta) meta = json_loadb(data, len, 0, NULL);
        /* STARTED, RETRY and PROGRESS states are published too; only a final one ends a wait. */
        if (pf_celery_meta_progress_info(meta)) {
            json_decref(w->progress);
            w->progress = json_incref(meta);
        }
        if (!pf_celery_meta_is_ready(meta)) break;
        w->meta = json_incref(meta);
    }
    json_decref(meta);
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static void on_pubsub(pf_celery_client *c, const redisReply *m) {
    /* ["pmessage", pattern, channel, data] */
    if (m->type != REDIS_REPLY_ARRAY || m->elements != 4 || m->element[0]->type != REDIS_REPLY_STRING ||
        strcmp(m->element[0]->str, "pmessage") != 0)
        return;
    const redisReply *channel = m->element[2], *data = m->element[3];
    size_t prefix = strlen(PF_CELERY_META_PREFIX);
    if (channel->len <= prefix || data->type != REDIS_REPLY_STRING) return;
    deliver(c, channel->str + prefix, data->str, data->len);
}

static void set_subscribed(pf_celery_client *c, bool on) {
    pthread_mutex_lock(&c->lock);
    c->subscribed = on;
    if (on) c->generation++;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static pf_error *subscribe(pf_celery_client *c, pf_redis *r) {
    pf_error *err = pf_redis_reconnect(r, &c->stop);
    const char *argv[] = {"PSUBSCRIBE", PF_CELERY_META_PREFIX "*", NULL};
    if (!err) err = pf_redis_run(r, argv);
    if (!err) set_subscribed(c, true);
    return err;
}

static void *listen_main(void *arg) {
    pf_celery_client *c = arg;
    pf_redis *r = pf_redis_new(&c->url, "prodflow-results");
    while (!atomic_load(&c->stop)) {
        pf_error *err = NULL;
        if (pf_redis_broken(r)) err = subscribe(c, r);
        redisReply *m = NULL;
        if (!err) err = pf_redis_poll(r, PF_CLIENT_LISTEN_POLL_MS, &m);
        if (m) on_pubsub(c, m), freeReplyObject(m);
        if (err) {
            set_subscribed(c, false);
            pf_error_free(err);
        }
    }
    pf_redis_close(r);
    return NULL;
}

static void start_listener(pf_celery_client *c) {
    if (c->listening) return;
    c->listening = pthread_create(&c->listener, NULL, listen_main, c) == 0;
    if (!c->listening) pf_log(PF_LOG_ERROR, "celery.client", "cannot start the result listener thread");
}

/* ---- waiting ---- */

static void wait_a_little(pf_celery_client *c) {
    struct timespec ts = pf_clock_after_ms(CLOCK_MONOTONIC, PF_CLIENT_WAKE_MS);
    pthread_cond_timedwait(&c->changed, &c->lock, &ts);
}

static void unlink_waiter(pf_celery_client *c, pf_waiter *w) {
    for (pf_waiter **p = &c->waiters; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            return;
        }
}

/* GET once the subscription is in force (called with c->lock held);
 * false when Redis did not answer. */
static bool check_stored(pf_celery_client *c, pf_waiter *w, unsigned long *checked) {
    unsigned long gen = c->generation;
    pthread_mutex_unlock(&c->lock);
    json_t *meta = NULL;
    pthread_mutex_lock(&c->cmd_lock);
    pf_error *err = pf_celery_meta_fetch(c->cmd, w->task_id, &meta);
    pthread_mutex_unlock(&c->cmd_lock);
    pthread_mutex_lock(&c->lock);
    if (err) {
        pf_error_free(err); /* Redis is away: check again after the next wake-up */
        return false;
    }
    *checked = gen;
    if (pf_celery_meta_is_ready(meta) && !w->meta) {
        w->meta = meta;
    } else if (pf_celery_meta_progress_info(meta) && !w->progress) {
        w->progress = meta; /* progress stored before the wait began */
    } else {
        json_decref(meta);
    }
    return true;
}

pf_error *pf_celery_await(pf_celery_client *c, const char *task_id, const atomic_bool *cancel,
                          pf_celery_progress_fn on_progress, void *user, json_t **meta) {
    *meta = NULL;
    pf_waiter w = {.task_id = task_id};
    unsigned long checked = 0;
    pf_error *err = NULL;
    pthread_mutex_lock(&c->lock);
    start_listener(c);
    w.next = c->waiters;
    c->waiters = &w;
    while (!w.meta) {
        if (cancel && atomic_load(cancel)) {
            err = pf_error_new(PF_ECANCELLED, "", "stopped waiting for task %s", task_id);
            break;
        }
        if (!c->listening) {
            err = pf_error_new(PF_EINTERNAL, "", "the result listener is not running");
            break;
        }
        if (c->subscribed && c->generation != checked && check_stored(c, &w, &checked)) continue;
        if (w.progress) {
            json_t *said = w.progress;
            w.progress = NULL;
            pthread_mutex_unlock(&c->lock);
            if (on_progress) on_progress(user, pf_celery_meta_progress_info(said));
            json_decref(said);
            pthread_mutex_lock(&c->lock);
            continue;
        }
        wait_a_little(c);
    }
    unlink_waiter(c, &w);
    json_decref(w.progress);
    pthread_mutex_unlock(&c->lock);
    *meta = w.meta;
    return err;
}

/* ---- ping ---- */

typedef struct ping_state {
    char rk[PF_CELERY_UUID_LEN], ticket[PF_CELERY_UUID_LEN];
    char *queue, *member;
} ping_state;

static pf_error *ping_bind(pf_redis *r, ping_state *p, bool bind) {
    const char *argv[] = {bind ? "SADD" : "SREM", "_kombu.binding." PF_CELERY_REPLY_EXCHANGE, p->member, NULL};
    return pf_redis_run(r, argv);
}

static void collect_reply(const ping_state *p, const redisReply *item, json_t *replies) {
    json_t *env = json_loadb(item->str, item->len, 0, NULL), *body = NULL;
    const char *ticket = json_string_value(json_object_get(json_object_get(env, "headers"), "ticket"));
    pf_error *err = env ? pf_celery_envelope_body(env, &body) : NULL;
    if (!err && ticket && strcmp(ticket, p->ticket) == 0 && json_is_object(body)) json_object_update(replies, body);
    pf_error_free(err);
    json_decref(body);
    json_decref(env);
}

static pf_error *ping_collect(pf_redis *r, const ping_state *p, long wait_ms, json_t *replies) {
    long deadline = pf_now_ms() + wait_ms;
    for (long left; (left = deadline - pf_now_ms()) > 0;) {
        char block[32];
        snprintf(block, sizeof block, "%.3f", (double)left / 1000.0); /* Redis 6+ takes fractions */
        const char *argv[] = {"BRPOP", p->queue, block, NULL};
        redisReply *reply = NULL;
        pf_error *err = pf_redis_cmdv(r, &reply, argv);
        if (err) return err;
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) collect_reply(p, reply->element[1], replies);
        freeReplyObject(reply);
    }
    return NULL;
}

pf_error *pf_celery_ping(pf_celery_client *c, long wait_ms, json_t **replies) {
    *replies = NULL;
    pf_redis *r = NULL;
    pf_error *err = pf_redis_open(&c->url, "prodflow-ping", &r);
    if (err) return err;
    ping_state p;
    pf_celery_uuid(p.rk);
    pf_celery_uuid(p.ticket);
    p.queue = pf_celery_pidbox_reply_queue(p.rk);
    p.member = pf_asprintf("%s" PF_CELERY_SEP PF_CELERY_SEP "%s", p.rk, p.queue);
    json_t *env = pf_celery_pidbox_request("ping", NULL, p.ticket, p.rk, pf_celery_clock_forward(&c->clock),
                                           (double)wait_ms / 1000.0);
    char *text = pf_json_text(env, false), *channel = pf_celery_pidbox_channel(c->url.db);
    const char *pub[] = {"PUBLISH", channel, text, NULL}, *del[] = {"DEL", p.queue, NULL};
    json_t *out = json_object();
    err = ping_bind(r, &p, true);
    if (!err) err = pf_redis_run(r, pub);
    if (!err) err = ping_collect(r, &p, wait_ms, out);
    pf_error_free(ping_bind(r, &p, false));
    pf_error_free(pf_redis_run(r, del));
    if (!err) *replies = json_incref(out);
    json_decref(out);
    free(text);
    free(channel);
    free(p.queue);
    free(p.member);
    json_decref(env);
    pf_redis_close(r);
    return err;
}
