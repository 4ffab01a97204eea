/* API read throughput on PostgreSQL: GET /api/runs/{id} of a finished run
 * with 50 nodes, from one `prodflow serve` and then from two serving the
 * same database at once, measured in the same run on the same database,
 * with the ratio beside the figures. The load is wrk's (2 threads, 64
 * connections on one server; 1 thread and 32 connections on each of two),
 * for PF_READS_SECONDS (default 5) each after a 2 s warm-up, one server and
 * two alternating for three rounds, the best of each kept; each
 * server's --threads is PF_READS_THREADS when set.
 *
 * On one machine the servers, PostgreSQL and wrk share the same cores, so
 * a second server adds request threads and database readers but no CPU:
 * the ratio says what a second server buys when the cores are the limit,
 * not what it buys on a machine of its own. */
#include "core/json.h"
#include "core/mem.h"
#include "store/store.h"
#include "support/pg.h"
#include "support/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODES 50
#define RUN_ID "run_bench_reads"
#define ROUNDS 3

/* A finished run as the runtime leaves one: a workflow of NODES steps in a
 * chain, each node succeeded with an attempt, params, an output file and
 * a cache verdict. */
static bool make_run(const char *url) {
    pf_store *s = NULL;
    pf_error *err = pf_store_open(url, &s);
    if (err) {
        fprintf(stderr, "pg_reads: %s\n", err->message);
        pf_error_free(err);
        return false;
    }
    json_t *nodes = json_array();
    char ids[NODES][16];
    for (int i = 0; i < NODES; i++) {
        snprintf(ids[i], sizeof ids[i], "n%02d", i);
        json_t *node = json_pack("{s:s, s:s, s:{s:i, s:s}}", "id", ids[i], "step", "render.still", "params", "samples",
                                 64, "label", "a node of the bench");
        if (i) json_object_set_new(node, "after", json_pack("[s]", ids[i - 1]));
        json_array_append_new(nodes, node);
    }
    json_t *run = json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s}, s:{s:{s:s, s:i, s:s, s:o}, s:{}, s:{}}}", "id", RUN_ID,
                            "workflow_id", "bench", "workflow_version", 1, "family", "order_line", "status", "running",
                            "subject", "order_line", "bench-line", "doc", "workflow", "id", "bench", "version", 1,
                            "family", "order_line", "nodes", nodes, "context", "overrides");
    err = pf_store_run_create(s, run);
    json_decref(run);
    pf_store_transition t[NODES + 1];
    json_t *states = json_array();
    for (int i = 0; i < NODES; i++) {
        char sha[65];
        snprintf(sha, sizeof sha, "%064d", i);
        json_t *state =
            json_pack("{s:[{s:i, s:s, s:s, s:s}], s:{s:i, s:s}, s:{s:{s:s, s:s, s:i, s:s}}, s:{s:b, s:s}}", "attempts",
                      "attempt", 1, "status", "succeeded", "started_at", "2026-12-02T10:00:00.000Z", "finished_at",
                      "2026-12-02T10:00:01.000Z", "params", "samples", 64, "label", "a node of the bench", "outputs",
                      "image", "sha256", sha, "media_type", "image/png", "size", 123456, "artifact_id", ids[i], "cache",
                      "hit", 0, "key", sha);
        json_array_append_new(states, state);
        t[i] =
            (pf_store_transition){.run_id = RUN_ID, .node_id = ids[i], .node_status = "succeeded", .node_state = state};
    }
    t[NODES] = (pf_store_transition){.run_id = RUN_ID, .run_status = "succeeded"};
    if (!err) err = pf_store_run_transitions(s, t, NODES + 1);
    json_decref(states);
    pf_store_close(s);
    if (err) fprintf(stderr, "pg_reads: %s\n", err->message);
    bool ok = err == NULL;
    pf_error_free(err);
    return ok;
}

/* Starts wrk against srv (not waiting for it); read its answer with
 * wrk_rate. */
static FILE *wrk_start(const pf_test_server *srv, int threads, int connections, int seconds) {
    char *cmd =
        pf_asprintf("wrk -t%d -c%d -d%ds --timeout 30s -H 'Authorization: Bearer %s' '%s/api/runs/" RUN_ID "' 2>&1",
                    threads, connections, seconds, srv->token, srv->base);
    FILE *f = popen(cmd, "r");
    free(cmd);
    return f;
}

/* Requests per second from wrk's report; -1 when it has none (and what it
 * said goes to stderr). Non-2xx answers would make the figure meaningless:
 * they are counted as a failure. */
static double wrk_rate(FILE *f) {
    double rate = -1;
    bool bad = false;
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strstr(line, "Non-2xx") || strstr(line, "Socket errors")) {
            bad = true;
            fprintf(stderr, "pg_reads: wrk: %s", line);
        }
        sscanf(line, " Requests/sec: %lf", &rate);
    }
    if (f) pclose(f);
    return bad ? -1 : rate;
}

int main(void) {
    if (system("command -v wrk >/dev/null 2>&1") != 0) {
        printf("pg_reads: skipped: wrk is not installed\n");
        return 0;
    }
    const char *env = getenv("PF_READS_SECONDS");
    int seconds = env && atoi(env) > 0 ? atoi(env) : 5;
    pf_test_pg *pg = pf_test_pg_start();
    if (!pg) {
        printf("pg_reads: skipped: PostgreSQL did not start\n");
        return 0;
    }
    const char *url = pf_test_pg_url(pg);
    pf_test_server a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int rc = 1;
    /* --threads: each server's HTTP threads, the number of cores unless
     * PF_READS_THREADS says otherwise */
    const char *threads = getenv("PF_READS_THREADS");
    if (threads && !*threads) threads = NULL;
    const char *args_a[] = {
        "--store", url, "--no-demo-data", "--lease-seconds", "30", "--server-id", "a", threads ? "--threads" : NULL,
        threads,   NULL};
    const char *args_b[] = {
        "--store", url, "--no-demo-data", "--lease-seconds", "30", "--server-id", "b", threads ? "--threads" : NULL,
        threads,   NULL};
    if (!make_run(url) || pf_test_server_start(&a, args_a) != 0) goto done;
    json_t *doc = pf_http_expect(&a, "GET", "/api/runs/" RUN_ID, NULL, 200);
    char *text = json_dumps(doc, JSON_COMPACT);
    printf("GET /api/runs/{id}: %zu nodes, %zu bytes\n", json_object_size(json_object_get(doc, "nodes")),
           text ? strlen(text) : 0);
    free(text);
    json_decref(doc);

    if (pf_test_server_start(&b, args_b) != 0) goto done;
    wrk_rate(wrk_start(&a, 2, 64, 2)); /* warm-up: sessions, prepared statements, caches */
    wrk_rate(wrk_start(&b, 2, 64, 2));
    /* The machine's load varies (other work shares its cores): one server
     * and two alternate, ROUNDS times, and the best of each counts. b
     * stays up, idle, while a serves alone. */
    double one = 0, two = 0, best_a = 0, best_b = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double alone = wrk_rate(wrk_start(&a, 2, 64, seconds));
        FILE *fa = wrk_start(&a, 1, 32, seconds), *fb = wrk_start(&b, 1, 32, seconds);
        double on_a = wrk_rate(fa), on_b = wrk_rate(fb);
        if (alone <= 0 || on_a <= 0 || on_b <= 0) {
            fprintf(stderr, "pg_reads: a measurement failed (see above)\n");
            goto done;
        }
        printf("  round %d: one server %.0f requests/s, two servers %.0f (%.0f + %.0f)\n", round + 1, alone,
               on_a + on_b, on_a, on_b);
        if (alone > one) one = alone;
        if (on_a + on_b > two) two = on_a + on_b, best_a = on_a, best_b = on_b;
    }
    printf("one server:  %.0f requests/s (best of %d; wrk 2 threads, 64 connections, %d s)\n", one, ROUNDS, seconds);
    printf("two servers: %.0f requests/s (best of %d; %.0f on a + %.0f on b, 1 thread and 32 connections each)\n", two,
           ROUNDS, best_a, best_b);
    printf("two against one: %.2fx\n", two / one);
    rc = 0;
done:
    pf_test_server_stop(&b);
    pf_test_server_stop(&a);
    pf_test_pg_stop(pg);
    return rc;
}
