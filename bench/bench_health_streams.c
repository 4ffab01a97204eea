/* Health while 1,000 event streams sit idle: the streams are parked by the
 * server (libmicrohttpd suspends them), so they hold no thread and
 * /api/health should answer as fast as with none open. Goal: under 10 ms.
 * The baseline is the same health request with no stream open, measured
 * in the same run against the same server.
 *
 * A run is held at a gate (its thumbnail render waits), so every stream
 * stays open and idle for as long as the bench needs. */
#include "cad/fixture.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/path.h"
#include "support/gate.h"
#include "support/procs.h"
#include "support/server.h"
#include "support/stream.h"
#include "support/tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STREAMS 1000
#define SAMPLES 200
#define GOAL_MS 10.0

/* A stream the server took: its status line has come. */
static int open_stream(const pf_test_server *srv, const char *run_id) {
    int fd = pf_test_stream_open(srv, run_id);
    char first[256];
    if (fd >= 0 && read(fd, first, sizeof first) <= 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median and the 99th percentile of SAMPLES health requests, in ms. */
static void time_health(const pf_test_server *srv, double *median, double *p99) {
    double ms[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
        long status;
        long long t0 = pf_monotonic_us();
        json_decref(pf_http_json(srv, "GET", "/api/health", NULL, &status));
        ms[i] = (double)(pf_monotonic_us() - t0) / 1000.0;
        if (status != 200) fprintf(stderr, "health answered %ld\n", status);
    }
    qsort(ms, SAMPLES, sizeof *ms, by_value);
    *median = ms[SAMPLES / 2];
    *p99 = ms[SAMPLES * 99 / 100];
}

int main(void) {
    char *dir = pf_test_tmpdir("bench-health");
    pf_test_gate gate;
    pf_test_gate_make(&gate, dir);
    pf_test_gate_close(&gate);
    setenv("PRODFLOW_BLENDER", gate.blender, 1);
    pf_test_server srv;
    const char *args[] = {"--no-demo-data", "--blender-workers", "0",    "--max-connections",
                          "2048",           "--max-per-client",  "2048", NULL};
    if (pf_test_server_start(&srv, args) != 0) return 1;
    unsetenv("PRODFLOW_BLENDER");
    char *step = pf_asprintf("%s/data/gearbox.step", srv.data_dir);
    pf_fixture_opts fo = {.bolts = 2};
    pf_error_free(pf_cad_make_fixture(step, &fo));
    long status;
    json_t *r = pf_http_json(&srv, "POST", "/api/runs",
                             "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {\"step_path\": "
                             "\"gearbox.step\"}}",
                             &status);
    char *run = pf_json_str(r, "id") ? pf_strdup(pf_json_str(r, "id")) : NULL;
    json_decref(r);
    if (!run) return 1;
    pf_test_gate_wait(&gate, 1); /* the run is held running: its streams stay open */

    double base_median, base_p99;
    time_health(&srv, &base_median, &base_p99);
    long threads_before = pf_test_threads_of(srv.pid);
    int *fds = pf_xcalloc(STREAMS, sizeof *fds);
    int open = 0;
    for (int i = 0; i < STREAMS; i++)
        if ((fds[i] = open_stream(&srv, run)) >= 0) open++;
    double median, p99;
    time_health(&srv, &median, &p99);
    long threads_after = pf_test_threads_of(srv.pid);

    printf("health, %d requests each:   median %.2f ms, p99 %.2f ms with no stream open\n", SAMPLES, base_median,
           base_p99);
    printf("with %4d idle event streams: median %.2f ms, p99 %.2f ms (%.2fx the baseline's median; goal < %.0f ms)\n",
           open, median, p99, median / base_median, GOAL_MS);
    printf("server threads: %ld before the streams, %ld with them open\n", threads_before, threads_after);

    for (int i = 0; i < STREAMS; i++)
        if (fds[i] >= 0) close(fds[i]);
    free(fds);
    pf_test_gate_open(&gate);
    json_decref(pf_test_run_wait(&srv, run));
    pf_test_server_stop(&srv);
    pf_test_gate_free(&gate);
    free(run);
    free(step);
    pf_error_free(pf_remove_tree(dir));
    free(dir);
    return open == STREAMS && median < GOAL_MS ? 0 : 1;
}
