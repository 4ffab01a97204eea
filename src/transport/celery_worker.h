/* A Celery worker for Redis (what `prodflow worker` runs): N consumer
 * threads take tasks with BRPOP, register them in kombu's unacked hash and
 * index, run them through a handler, store the result and only then
 * acknowledge (late ack). The calling thread answers the pidbox (ping,
 * revoke, terminate, stats, active), sends worker heartbeats and pushes
 * back tasks whose worker died (visibility timeout), as kombu does. */
#ifndef PF_TRANSPORT_CELERY_WORKER_H
#define PF_TRANSPORT_CELERY_WORKER_H

#include "core/error.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct pf_celery_task {
    const char *id, *name, *queue;
    const json_t *args, *kwargs; /* array, object */
    const json_t *headers;       /* the whole protocol v2 header object */
    int retries;
    const char *root_id, *parent_id;             /* may be NULL */
    double soft_time_limit_s, hard_time_limit_s; /* 0: none; the handler enforces them */
    bool redelivered;                            /* pushed back after a visibility timeout */
    const char *hostname;                        /* the worker's "name@host" */
    struct pf_celery_reporter *reporter;         /* for pf_celery_task_progress */
} pf_celery_task;

/* Stores how far the task is as Celery's custom state PROGRESS, {fraction
 * (when >= 0), message, worker}, where clients waiting on the task (a
 * Prodflow server, AsyncResult.info) see it, thinned as core/throttle.h
 * says; best effort (an error is only logged). Safe from any thread while
 * the handler runs. */
void pf_celery_task_progress(const pf_celery_task *task, double fraction, const char *message);

/* Runs one task. *result: new reference to the JSON result on success. A
 * returned pf_error becomes a FAILURE whose exc_type follows the error
 * code (pf_celery_exc_for_code in celery_result.h: ValueError,
 * TimeLimitExceeded, TaskRevokedError, ...) and whose exc_message is its
 * message. *revoked becomes true when a revoke with terminate for this
 * task arrives: the handler must stop (killing its child process); the
 * task is then stored as REVOKED whatever the handler returns. */
typedef pf_error *(*pf_celery_handler)(void *user, const pf_celery_task *task, const atomic_bool *revoked,
                                       json_t **result);

typedef struct pf_celery_worker_opts {
    const char *broker_url;
    const char *const *queues;  /* NULL-terminated; NULL means {"celery"} */
    int concurrency;            /* consumer threads; <= 0 means 1 */
    const char *hostname;       /* "name@host"; NULL means "celery@<gethostname>" */
    long visibility_timeout_ms; /* <= 0 means 3600000 (kombu's default) */
    long heartbeat_ms;          /* <= 0 means 2000 */
    pf_celery_handler handler;
    void *user;
    /* NULL accepts every name; unknown names get FAILURE NotRegistered. */
    bool (*accepts)(void *user, const char *task_name);
    /* Set from another thread (a signal handler thread): the worker stops
     * taking tasks, finishes those in flight, says worker-offline and
     * returns. NULL: runs until the process ends. */
    const atomic_bool *stop;
} pf_celery_worker_opts;

/* Runs until *o->stop. Errors: a bad URL, or a first connection that
 * fails (wrong password); later outages are reconnected with backoff. */
pf_error *pf_celery_worker_run(const pf_celery_worker_opts *o);

#endif
