#include "api/http_metrics.h"

#include "api/router.h"
#include "core/mem.h"
#include "core/metrics.h"

#include <stdlib.h>

/* Status codes 100 to 599 by index, and 0 (no answer) at index 0. */
#define N_STATUS 600

typedef struct {
    pf_counter by_status[N_STATUS];
    pf_histogram latency;
} route_slot;

struct pf_http_metrics {
    size_t n; /* pf_n_routes + static + unmatched */
    route_slot *slots;
};

pf_http_metrics *pf_http_metrics_new(void) {
    pf_http_metrics *m = pf_xcalloc(1, sizeof *m);
    m->n = pf_n_routes + 2;
    m->slots = pf_xcalloc(m->n, sizeof *m->slots);
    for (size_t i = 0; i < m->n; i++)
        pf_histogram_init(&m->slots[i].latency, pf_buckets_http, pf_n_buckets_http);
    return m;
}

void pf_http_metrics_free(pf_http_metrics *m) {
    if (!m) return;
    free(m->slots);
    free(m);
}

static size_t slot_of(const pf_route *route, pf_route_kind kind) {
    if (kind == PF_ROUTE_API && route) return (size_t)(route - pf_routes);
    return kind == PF_ROUTE_STATIC ? pf_n_routes : pf_n_routes + 1;
}

const char *pf_http_route_name(const pf_route *route, pf_route_kind kind) {
    if (kind == PF_ROUTE_API && route) return route->pattern;
    return kind == PF_ROUTE_STATIC ? "static" : "unmatched";
}

void pf_http_metrics_record(pf_http_metrics *m, const pf_route *route, pf_route_kind kind, int status,
                            unsigned long long duration_us) {
    if (!m) return;
    route_slot *s = &m->slots[slot_of(route, kind)];
    pf_counter_add(&s->by_status[status > 0 && status < N_STATUS ? status : 0], 1);
    pf_histogram_observe_us(&s->latency, duration_us);
}

static void labels(size_t i, char *out, size_t n) {
    char pattern[256];
    const char *method = i < pf_n_routes ? pf_routes[i].method : "";
    pf_metrics_label(i < pf_n_routes    ? pf_routes[i].pattern
                     : i == pf_n_routes ? "static"
                                        : "unmatched",
                     pattern, sizeof pattern);
    snprintf(out, n, "method=\"%s\",route=\"%s\"", method, pattern);
}

void pf_http_metrics_write(const pf_http_metrics *m, FILE *out) {
    char l[384], ls[400];
    pf_metrics_header(out, "prodflow_http_requests_total", "counter",
                      "HTTP requests by route pattern and status (status 0: no answer was sent)");
    for (size_t i = 0; i < m->n; i++) {
        labels(i, l, sizeof l);
        for (int st = 0; st < N_STATUS; st++) {
            unsigned long long v = pf_counter_get(&m->slots[i].by_status[st]);
            if (!v) continue;
            snprintf(ls, sizeof ls, "%s,status=\"%d\"", l, st);
            pf_metrics_sample(out, "prodflow_http_requests_total", ls, (double)v);
        }
    }
    pf_metrics_header(out, "prodflow_http_request_duration_seconds", "histogram",
                      "Time from a request's first byte to its answer's end, by route pattern");
    for (size_t i = 0; i < m->n; i++) {
        if (!atomic_load_explicit(&m->slots[i].latency.count, memory_order_relaxed)) continue;
        labels(i, l, sizeof l);
        pf_metrics_histogram(out, "prodflow_http_request_duration_seconds", l, &m->slots[i].latency);
    }
}
