/* Celery's remote control ("pidbox"): broadcast commands PUBLISHed on the
 * fanout channel "/<db>.celery.pidbox" as kombu envelopes whose body is
 * {method, arguments, destination, pattern, matcher[, ticket, reply_to]}.
 * A reply {"<hostname>": <answer>} is LPUSHed, with the header ticket,
 * onto the queue bound in _kombu.binding.reply.celery.pidbox to
 * reply_to.routing_key ("<routing key>.reply.celery.pidbox"). */
#ifndef PF_TRANSPORT_CELERY_PIDBOX_H
#define PF_TRANSPORT_CELERY_PIDBOX_H

#include "core/error.h"
#include "transport/celery_events.h"
#include "transport/redis_conn.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PF_CELERY_PIDBOX_EXCHANGE "celery.pidbox"
#define PF_CELERY_REPLY_EXCHANGE "reply.celery.pidbox"

/* What a worker answers with; each returns a new reference. */
typedef struct pf_celery_pidbox_ops {
    void *user;
    /* Records task_ids (array of strings) as revoked; with terminate, also
     * raises the revoked flag of those running here. Returns the answer,
     * e.g. {"ok": "terminate: <ids>"}. */
    json_t *(*revoke)(void *user, const json_t *task_ids, bool terminate, const char *signal);
    json_t *(*stats)(void *user);  /* may be NULL: then unsupported */
    json_t *(*active)(void *user); /* may be NULL */
    /* `heartbeat` (what `celery events` broadcasts to wake workers up):
     * send a worker-heartbeat now. May be NULL. */
    void (*heartbeat)(void *user);
} pf_celery_pidbox_ops;

/* "/<db>.celery.pidbox"; caller frees. */
char *pf_celery_pidbox_channel(int db);

/* Handles one message received on the pidbox channel (raw envelope text):
 * skips it when it is for other workers or expired, adjusts the clock,
 * runs ping, revoke, terminate, stats, active or heartbeat, and sends the reply when
 * one is asked for. Unknown commands get {"error": ...}. */
pf_error *pf_celery_pidbox_handle(pf_redis *r, pf_celery_events *ev, const pf_celery_pidbox_ops *ops, const char *raw,
                                  size_t len);

/* Client side: the envelope of a broadcast. arguments is stolen; ticket
 * and reply_rk are NULL for a command without reply. timeout_s > 0 sets
 * the expires header. New reference. */
json_t *pf_celery_pidbox_request(const char *method, json_t *arguments, const char *ticket, const char *reply_rk,
                                 long long clock, double timeout_s);
/* "<reply_rk>.reply.celery.pidbox"; caller frees. */
char *pf_celery_pidbox_reply_queue(const char *reply_rk);

#endif
