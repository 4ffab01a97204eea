/* Counters and histograms on atomics, and their Prometheus text: buckets
 * are cumulative and end at +Inf, the count equals the +Inf bucket, label
 * values are escaped, and many threads recording at once lose nothing. */
#include "check.h"

#include "core/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const double bounds[] = {0.001, 0.01, 0.1};

static char *text_of(const pf_histogram *h, const char *labels) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    pf_metrics_histogram(out, "t_seconds", labels, h);
    fclose(out);
    return text;
}

static pf_histogram shared;
static pf_counter shared_counter;

static void *hammer(void *arg) {
    (void)arg;
    for (int i = 0; i < 10000; i++) {
        pf_histogram_observe_us(&shared, (unsigned long long)(i % 3) * 5000); /* 0, 5 ms, 10 ms */
        pf_counter_add(&shared_counter, 1);
    }
    return NULL;
}

int main(void) {
    pf_histogram h;
    pf_histogram_init(&h, bounds, 3);
    pf_histogram_observe_us(&h, 500);     /* 0.5 ms: first bucket */
    pf_histogram_observe_us(&h, 1000);    /* exactly 1 ms: le is inclusive */
    pf_histogram_observe_us(&h, 50000);   /* 50 ms */
    pf_histogram_observe_us(&h, 2000000); /* 2 s: only +Inf */
    char *text = text_of(&h, "route=\"/x\"");
    CHECK(strstr(text, "t_seconds_bucket{route=\"/x\",le=\"0.001\"} 2\n") != NULL);
    CHECK(strstr(text, "t_seconds_bucket{route=\"/x\",le=\"0.01\"} 2\n") != NULL);
    CHECK(strstr(text, "t_seconds_bucket{route=\"/x\",le=\"0.1\"} 3\n") != NULL);
    CHECK(strstr(text, "t_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n") != NULL);
    CHECK(strstr(text, "t_seconds_count{route=\"/x\"} 4\n") != NULL);
    CHECK(strstr(text, "t_seconds_sum{route=\"/x\"} 2.0515\n") != NULL);
    free(text);
    text = text_of(&h, "");
    CHECK(strstr(text, "t_seconds_bucket{le=\"+Inf\"} 4\n") != NULL);
    CHECK(strstr(text, "t_seconds_count 4\n") != NULL);
    free(text);

    char esc[64];
    pf_metrics_label("a\"b\\c\nd", esc, sizeof esc);
    CHECK_STR(esc, "a\\\"b\\\\c\\nd");
    pf_metrics_label("a very long value that does not fit", esc, 8);
    CHECK(strlen(esc) < 8);

    pf_histogram_init(&shared, bounds, 3);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK(pf_counter_get(&shared_counter) == 40000);
    text = text_of(&shared, "");
    CHECK(strstr(text, "t_seconds_count 40000\n") != NULL);
    CHECK(strstr(text, "t_seconds_bucket{le=\"0.001\"} 13336\n") != NULL); /* i % 3 == 0: 3334 per thread */
    free(text);
    return pf_check_done("core_metrics");
}
