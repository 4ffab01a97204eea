/* Where run events meet the streams that wait for them. Each open event
 * stream (GET /api/runs/{id}/events) registers here and parks its
 * connection when it has nothing to send; the runtime's change notices
 * (pf_runtime_config.on_change) unpark the streams of that run. One thread
 * sends keep-alive comments to all of them, so a thousand idle streams
 * cost no thread each and no polling. */
#ifndef PF_API_EVENT_HUB_H
#define PF_API_EVENT_HUB_H

#include "api/http.h"

#include <stdbool.h>

typedef struct pf_event_hub pf_event_hub;
typedef struct pf_event_waiter pf_event_waiter;

/* keepalive_ms: how often an idle stream is woken to send a comment
 * (proxies close silent connections); <= 0 means 10 s, under the
 * server's default idle timeout of 15 s. */
pf_event_hub *pf_event_hub_new(long keepalive_ms);
/* Ends every stream (they answer their end at their next call) and frees
 * the hub once they are gone: call after the server stopped. */
void pf_event_hub_free(pf_event_hub *hub);
/* Wakes every stream still open (ending them): before the server stops. */
void pf_event_hub_close(pf_event_hub *hub);

/* The runtime's change notice, and the store's of changes other servers
 * committed; user is the hub. run_id NULL wakes every stream (notices
 * were interrupted: anything may have changed). */
void pf_event_hub_changed(void *hub, const char *run_id);

/* A stream's place in the hub, for run_id; parking is borrowed. */
pf_event_waiter *pf_event_waiter_join(pf_event_hub *hub, const char *run_id, const pf_stream_parking *parking);
void pf_event_waiter_leave(pf_event_waiter *w);

typedef enum {
    PF_WAIT_LOOK,    /* something may have changed: look again */
    PF_WAIT_PING,    /* nothing changed for a while: send a keep-alive */
    PF_WAIT_PARKED,  /* parked until news comes: return PF_STREAM_PARKED */
    PF_WAIT_CLOSING, /* the server is stopping: end the stream */
} pf_wait_result;

/* Called by a stream with nothing to send: consumes a pending change or
 * ping, or parks the stream's connection. */
pf_wait_result pf_event_waiter_idle(pf_event_waiter *w);
/* How many streams are open, and how many of those are parked, holding
 * no thread (for /api/health and the tests). */
void pf_event_hub_count(pf_event_hub *hub, size_t *open, size_t *parked);

#endif
