/* Sending Celery tasks and waiting for their results (what `prodflow
 * serve --broker` uses). One client serves many threads: commands share
 * one connection behind a lock; waiters share ONE listener connection
 * (PSUBSCRIBE celery-task-meta-*) that wakes them through a condition
 * variable. Every function is safe to call from any thread. */
#ifndef PF_TRANSPORT_CELERY_CLIENT_H
#define PF_TRANSPORT_CELERY_CLIENT_H

#include "core/error.h"
#include "transport/celery_message.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct pf_celery_client pf_celery_client;

/* Connects now, so a bad URL or wrong password is an error here. */
pf_error *pf_celery_client_open(const char *broker_url, pf_celery_client **out);
void pf_celery_client_close(pf_celery_client *c);

/* LPUSHes the task (declaring its queue's kombu binding). task_id is
 * chosen by the caller (deterministic ids per run/node/attempt); args
 * (array) and kwargs (object) are borrowed and may be NULL. opts may be
 * NULL. A lost connection is retried a few times with backoff; then
 * PF_EUNAVAILABLE. */
pf_error *pf_celery_send(pf_celery_client *c, const char *task_name, const char *task_id, const json_t *args,
                         const json_t *kwargs, const pf_celery_send_opts *opts);

/* What a waiter hears while the task runs: the info of its latest
 * PROGRESS state ({fraction?, message, worker}; borrowed). Called on the
 * waiting thread, outside the client's locks. */
typedef void (*pf_celery_progress_fn)(void *user, const json_t *info);

/* Blocks until the task's result meta is stored as SUCCESS, FAILURE or
 * REVOKED, or *cancel becomes true (PF_ECANCELLED; cancel may be NULL).
 * Checks with GET once the listener is subscribed, so a result stored
 * before the wait is not missed, and again after each reconnection of the
 * listener. Progress the worker stores meanwhile goes to on_progress (may
 * be NULL). *meta: new reference to the stored document ({status, result,
 * traceback, ...}); pf_celery_meta_error turns a failure into a pf_error. */
pf_error *pf_celery_await(pf_celery_client *c, const char *task_id, const atomic_bool *cancel,
                          pf_celery_progress_fn on_progress, void *user, json_t **meta);

/* Reads a stored result without waiting; *meta is NULL when none. */
pf_error *pf_celery_result_get(pf_celery_client *c, const char *task_id, json_t **meta);

/* Broadcasts revoke (Celery's semantics: every worker online records the
 * id and will not run it; with terminate, the worker running it raises the
 * task's revoked flag and stores REVOKED). Workers that are offline now
 * never hear of it. */
pf_error *pf_celery_revoke(pf_celery_client *c, const char *task_id, bool terminate);

/* Broadcasts ping and collects the replies that arrive within wait_ms:
 * *replies = {"name@host": {"ok": "pong"}, ...} (new reference). */
pf_error *pf_celery_ping(pf_celery_client *c, long wait_ms, json_t **replies);

#endif
