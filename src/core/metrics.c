#include "core/metrics.h"

#include <math.h>
#include <time.h>

const double pf_buckets_http[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const size_t pf_n_buckets_http = sizeof pf_buckets_http / sizeof *pf_buckets_http;
const double pf_buckets_module[] = {0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
const size_t pf_n_buckets_module = sizeof pf_buckets_module / sizeof *pf_buckets_module;

void pf_histogram_init(pf_histogram *h, const double *bounds, size_t n_bounds) {
    h->bounds = bounds;
    h->n_bounds = n_bounds > PF_HISTOGRAM_MAX_BUCKETS ? PF_HISTOGRAM_MAX_BUCKETS : n_bounds;
    for (size_t i = 0; i <= PF_HISTOGRAM_MAX_BUCKETS; i++)
        atomic_init(&h->buckets[i], 0);
    atomic_init(&h->count, 0);
    atomic_init(&h->sum_us, 0);
}

void pf_histogram_observe_us(pf_histogram *h, unsigned long long us) {
    double s = (double)us / 1e6;
    size_t i = 0;
    while (i < h->n_bounds && s > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

void pf_metrics_header(FILE *out, const char *name, const char *type, const char *help) {
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void value_text(FILE *out, double v) {
    if (isinf(v))
        fputs(v > 0 ? "+Inf" : "-Inf", out);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(out, "%.0f", v);
    else
        fprintf(out, "%.15g", v);
}

void pf_metrics_sample(FILE *out, const char *name, const char *labels, double value) {
    if (labels && *labels)
        fprintf(out, "%s{%s} ", name, labels);
    else
        fprintf(out, "%s ", name);
    value_text(out, value);
    fputc('\n', out);
}

void pf_metrics_histogram(FILE *out, const char *name, const char *labels, const pf_histogram *h) {
    pf_histogram *m = (pf_histogram *)h;
    const char *sep = labels && *labels ? "," : "";
    const char *l = labels ? labels : "";
    /* Read the buckets first and derive the count from them, so a scrape
     * racing an observation still shows a consistent histogram. */
    unsigned long long cumulative = 0;
    for (size_t i = 0; i < h->n_bounds; i++) {
        cumulative += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
        fprintf(out, "%s_bucket{%s%sle=\"", name, l, sep);
        value_text(out, h->bounds[i]);
        fprintf(out, "\"} %llu\n", cumulative);
    }
    cumulative += atomic_load_explicit(&m->buckets[h->n_bounds], memory_order_relaxed);
    fprintf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, l, sep, cumulative);
    char sum[256];
    snprintf(sum, sizeof sum, "%s_sum", name);
    pf_metrics_sample(out, sum, l, (double)atomic_load_explicit(&m->sum_us, memory_order_relaxed) / 1e6);
    snprintf(sum, sizeof sum, "%s_count", name);
    pf_metrics_sample(out, sum, l, (double)cumulative);
}

void pf_metrics_label(const char *value, char *out, size_t n) {
    size_t w = 0;
    for (const char *p = value ? value : ""; *p && w + 3 < n; p++) {
        if (*p == '\\' || *p == '"') {
            out[w++] = '\\';
            out[w++] = *p;
        } else if (*p == '\n') {
            out[w++] = '\\';
            out[w++] = 'n';
        } else {
            out[w++] = *p;
        }
    }
    out[w] = '\0';
}

unsigned long long pf_monotonic_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000;
}
