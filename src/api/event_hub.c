#include "api/event_hub.h"

#include "core/clock.h"
#include "core/mem.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

struct pf_event_waiter {
    pf_event_hub *hub;
    char *run_id;
    const pf_stream_parking *parking;
    bool changed, ping, parked;
    pf_event_waiter *next;
};

struct pf_event_hub {
    pthread_mutex_t lock;
    pthread_cond_t tick;
    pf_event_waiter *waiters;
    size_t n;
    long keepalive_ms;
    bool closing, stopped;
    pthread_t pinger;
};

/* Wakes w with the lock held: unparks a parked stream, or marks news for
 * a stream that is busy sending (it looks again before it parks). */
static void wake_locked(pf_event_waiter *w, bool change) {
    if (change)
        w->changed = true;
    else
        w->ping = true;
    if (w->parked) {
        w->parked = false;
        w->parking->unpark(w->parking->conn);
    }
}

static void *pinger(void *arg) {
    pf_event_hub *h = arg;
    pthread_setname_np(pthread_self(), "pf-sse-keepalive");
    pthread_mutex_lock(&h->lock);
    while (!h->stopped) {
        struct timespec at = pf_clock_after_ms(CLOCK_REALTIME, h->keepalive_ms);
        if (pthread_cond_timedwait(&h->tick, &h->lock, &at) != ETIMEDOUT) continue;
        for (pf_event_waiter *w = h->waiters; w; w = w->next)
            wake_locked(w, false);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

pf_event_hub *pf_event_hub_new(long keepalive_ms) {
    pf_event_hub *h = pf_xcalloc(1, sizeof *h);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->tick, NULL);
    h->keepalive_ms = keepalive_ms > 0 ? keepalive_ms : 10000;
    pthread_create(&h->pinger, NULL, pinger, h);
    return h;
}

void pf_event_hub_close(pf_event_hub *h) {
    pthread_mutex_lock(&h->lock);
    h->closing = true;
    for (pf_event_waiter *w = h->waiters; w; w = w->next)
        wake_locked(w, true);
    pthread_mutex_unlock(&h->lock);
}

void pf_event_hub_free(pf_event_hub *h) {
    if (!h) return;
    pf_event_hub_close(h);
    pthread_mutex_lock(&h->lock);
    h->stopped = true;
    pthread_cond_signal(&h->tick);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->pinger, NULL);
    /* The server has stopped, so no stream is left to leave on its own. */
    while (h->waiters)
        pf_event_waiter_leave(h->waiters);
    pthread_cond_destroy(&h->tick);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

void pf_event_hub_changed(void *hub, const char *run_id) {
    pf_event_hub *h = hub;
    pthread_mutex_lock(&h->lock);
    for (pf_event_waiter *w = h->waiters; w; w = w->next)
        if (!run_id || strcmp(w->run_id, run_id) == 0) wake_locked(w, true);
    pthread_mutex_unlock(&h->lock);
}

pf_event_waiter *pf_event_waiter_join(pf_event_hub *h, const char *run_id, const pf_stream_parking *parking) {
    pf_event_waiter *w = pf_xcalloc(1, sizeof *w);
    w->hub = h;
    w->run_id = pf_strdup(run_id);
    w->parking = parking;
    pthread_mutex_lock(&h->lock);
    w->next = h->waiters;
    h->waiters = w;
    h->n++;
    pthread_mutex_unlock(&h->lock);
    return w;
}

void pf_event_waiter_leave(pf_event_waiter *w) {
    if (!w) return;
    pf_event_hub *h = w->hub;
    pthread_mutex_lock(&h->lock);
    for (pf_event_waiter **p = &h->waiters; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            h->n--;
            break;
        }
    pthread_mutex_unlock(&h->lock);
    free(w->run_id);
    free(w);
}

pf_wait_result pf_event_waiter_idle(pf_event_waiter *w) {
    pf_event_hub *h = w->hub;
    pthread_mutex_lock(&h->lock);
    pf_wait_result r;
    if (h->closing) {
        r = PF_WAIT_CLOSING;
    } else if (w->changed) {
        w->changed = w->ping = false;
        r = PF_WAIT_LOOK;
    } else if (w->ping) {
        w->ping = false;
        r = PF_WAIT_PING;
    } else {
        /* Parked under the lock, so a change cannot slip in between
         * deciding to park and being parked. */
        w->parked = true;
        w->parking->park(w->parking->conn);
        r = PF_WAIT_PARKED;
    }
    pthread_mutex_unlock(&h->lock);
    return r;
}

void pf_event_hub_count(pf_event_hub *h, size_t *open, size_t *parked) {
    pthread_mutex_lock(&h->lock);
    *open = h->n;
    *parked = 0;
    for (const pf_event_waiter *w = h->waiters; w; w = w->next)
        *parked += w->parked;
    pthread_mutex_unlock(&h->lock);
}
