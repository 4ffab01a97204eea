/* Prometheus-style counters and histograms on atomics: recording is a few
 * relaxed atomic adds, never a lock. There is no global registry: each
 * part owns its instruments (built at start-up, never resized), and the
 * /metrics handler asks each part to write its own families. */
#ifndef PF_CORE_METRICS_H
#define PF_CORE_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct pf_counter {
    _Atomic unsigned long long v;
} pf_counter;

static inline void pf_counter_add(pf_counter *c, unsigned long long n) {
    atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}
static inline unsigned long long pf_counter_get(const pf_counter *c) {
    return atomic_load_explicit(&((pf_counter *)c)->v, memory_order_relaxed);
}

#define PF_HISTOGRAM_MAX_BUCKETS 16

/* Upper bounds in seconds, ascending; +Inf is implied. */
typedef struct pf_histogram {
    const double *bounds;
    size_t n_bounds;
    _Atomic unsigned long long buckets[PF_HISTOGRAM_MAX_BUCKETS + 1]; /* per bucket, not cumulative */
    _Atomic unsigned long long count;
    _Atomic unsigned long long sum_us;
} pf_histogram;

/* Request latencies: 1 ms to 10 s. */
extern const double pf_buckets_http[];
extern const size_t pf_n_buckets_http;
/* Module invocations: 10 ms to 1 h. */
extern const double pf_buckets_module[];
extern const size_t pf_n_buckets_module;

void pf_histogram_init(pf_histogram *h, const double *bounds, size_t n_bounds);
void pf_histogram_observe_us(pf_histogram *h, unsigned long long us);

/* Exposition (text format 0.0.4). labels is "" or `a="x",b="y"` (already
 * escaped with pf_metrics_label). */
void pf_metrics_header(FILE *out, const char *name, const char *type, const char *help);
void pf_metrics_sample(FILE *out, const char *name, const char *labels, double value);
void pf_metrics_histogram(FILE *out, const char *name, const char *labels, const pf_histogram *h);
/* Escapes a label value (\\, \" and \n) into out (size n), truncating. */
void pf_metrics_label(const char *value, char *out, size_t n);

/* Microseconds on the monotonic clock. */
unsigned long long pf_monotonic_us(void);

#endif
