#include "transport/celery_events.h"

#include "core/json_text.h"
#include "core/mem.h"
#include "transport/celery_message.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef PF_VERSION
#define PF_VERSION "0.0.0"
#endif

void pf_celery_events_init(pf_celery_events *ev, const char *hostname, int db) {
    ev->hostname = pf_strdup(hostname);
    ev->db = db;
    ev->pid = (long)getpid();
    atomic_init(&ev->clock, 0);
}

void pf_celery_events_clear(pf_celery_events *ev) {
    free(ev->hostname);
    ev->hostname = NULL;
}

long long pf_celery_clock_forward(pf_celery_events *ev) { return atomic_fetch_add(&ev->clock, 1) + 1; }

void pf_celery_clock_adjust(pf_celery_events *ev, long long other) {
    long long cur = atomic_load(&ev->clock);
    long long next;
    do
        next = (cur > other ? cur : other) + 1;
    while (!atomic_compare_exchange_weak(&ev->clock, &cur, next));
}

/* Hours west of UTC, as Celery's utcoffset() (time.timezone // 3600). */
static long utcoffset_hours(void) {
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    return (long)floor(-(double)local.tm_gmtoff / 3600.0);
}

json_t *pf_celery_event(pf_celery_events *ev, const char *type, json_t *fields) {
    json_t *e = fields ? fields : json_object();
    json_object_set_new(e, "hostname", json_string(ev->hostname));
    json_object_set_new(e, "utcoffset", json_integer(utcoffset_hours()));
    json_object_set_new(e, "pid", json_integer(ev->pid));
    json_object_set_new(e, "clock", json_integer(pf_celery_clock_forward(ev)));
    json_object_set_new(e, "timestamp", json_real(pf_celery_now()));
    json_object_set_new(e, "type", json_string(type));
    return e;
}

static char *routing_key(const char *type) {
    char *rk = pf_strdup(type);
    for (char *p = rk; *p; p++)
        if (*p == '-') *p = '.';
    return rk;
}

char *pf_celery_event_channel(int db, const char *type) {
    char *rk = routing_key(type);
    char *channel = pf_asprintf("/%d.celeryev/%s", db, rk);
    free(rk);
    return channel;
}

void pf_celery_event_add_to(pf_redis_pipe *p, pf_celery_events *ev, const char *type, json_t *fields) {
    json_t *e = pf_celery_event(ev, type, fields);
    char *rk = routing_key(type);
    json_t *env = pf_celery_envelope_wrap(e, json_pack("{s:s}", "hostname", ev->hostname), "celeryev", rk, 1);
    char *text = pf_json_text(env, false);
    char *channel = pf_celery_event_channel(ev->db, type);
    const char *argv[] = {"PUBLISH", channel, text, NULL};
    pf_redis_pipe_add(p, argv, NULL);
    free(channel);
    free(text);
    free(rk);
    json_decref(env);
    json_decref(e);
}

pf_error *pf_celery_event_send(pf_celery_events *ev, pf_redis *r, const char *type, json_t *fields) {
    pf_redis_pipe p;
    pf_redis_pipe_init(&p, r);
    pf_celery_event_add_to(&p, ev, type, fields);
    return pf_redis_pipe_run(&p, NULL);
}

static json_t *loadavg(void) {
    double l[3] = {0, 0, 0};
    if (getloadavg(l, 3) != 3) l[0] = l[1] = l[2] = 0;
    json_t *a = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(a, json_real(round(l[i] * 100) / 100));
    return a;
}

json_t *pf_celery_worker_fields(double freq_s, int active, long long processed) {
    struct utsname u;
    const char *sys = uname(&u) == 0 ? u.sysname : "Linux";
    return json_pack("{s:f, s:i, s:I, s:o, s:s, s:s, s:s}", "freq", freq_s, "active", active, "processed",
                     (json_int_t)processed, "loadavg", loadavg(), "sw_ident", "prodflow-worker", "sw_ver", PF_VERSION,
                     "sw_sys", sys);
}

char *pf_celery_exception_repr(const char *exc_type, const char *message) {
    /* repr() quotes with ' and escapes \ and '; enough for display. */
    size_t n = strlen(message);
    char *quoted = pf_xmalloc(2 * n + 1), *w = quoted;
    for (size_t i = 0; i < n; i++) {
        if (message[i] == '\'' || message[i] == '\\') *w++ = '\\';
        *w++ = message[i];
    }
    *w = '\0';
    char *out = pf_asprintf("%s('%s')", exc_type, quoted);
    free(quoted);
    return out;
}
