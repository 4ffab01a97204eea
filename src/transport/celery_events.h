/* Celery monitoring events (what `celery events` and Flower read). Each is
 * a JSON object with type, hostname, utcoffset, pid, a Lamport clock and a
 * timestamp, wrapped in a kombu envelope and PUBLISHed on the celeryev
 * fanout exchange: kombu's Redis transport names the channel
 * "/<db>.celeryev/<routing key>", the routing key being the type with '.'
 * for '-' ("/0.celeryev/task.received"). */
#ifndef PF_TRANSPORT_CELERY_EVENTS_H
#define PF_TRANSPORT_CELERY_EVENTS_H

#include "core/error.h"
#include "transport/redis_conn.h"

#include <jansson.h>
#include <stdatomic.h>

typedef struct pf_celery_events {
    char *hostname; /* owned, "name@host" */
    int db;
    long pid;
    atomic_llong clock; /* Lamport clock: forwarded per event, adjusted by received clocks */
} pf_celery_events;

void pf_celery_events_init(pf_celery_events *ev, const char *hostname, int db);
void pf_celery_events_clear(pf_celery_events *ev);
/* The next clock value. */
long long pf_celery_clock_forward(pf_celery_events *ev);
/* After receiving a message stamped with other: max(ours, other) + 1. */
void pf_celery_clock_adjust(pf_celery_events *ev, long long other);

/* The event document: fields (stolen, may be NULL) plus the standard
 * fields. New reference. */
json_t *pf_celery_event(pf_celery_events *ev, const char *type, json_t *fields);
/* "/<db>.celeryev/<type with '.' for '-'>"; caller frees. */
char *pf_celery_event_channel(int db, const char *type);
/* Builds, wraps and publishes one event; fields are stolen. */
pf_error *pf_celery_event_send(pf_celery_events *ev, pf_redis *r, const char *type, json_t *fields);
/* The same, added to a pipeline. */
void pf_celery_event_add_to(pf_redis_pipe *p, pf_celery_events *ev, const char *type, json_t *fields);

/* The fields of worker-online/heartbeat/offline: freq (seconds), active,
 * processed, loadavg, sw_ident, sw_ver, sw_sys. New reference. */
json_t *pf_celery_worker_fields(double freq_s, int active, long long processed);
/* Python's repr of an exception, as task-failed's "exception": "Type('msg')". */
char *pf_celery_exception_repr(const char *exc_type, const char *message);

#endif
