/* Store operations per second on the runtime's hot path: committing
 * finished nodes, each a pf_store_run_transitions entry with the node's
 * state (as compact text, as the runtime hands it over) and one artifact
 * row, in groups as the runtime's group commit makes them. PostgreSQL (a
 * throwaway cluster started with the tests' code, fsync off) against
 * SQLite (WAL, synchronous=NORMAL: no fsync per commit either) on the same
 * machine; best of three rounds each. */
#include "core/mem.h"
#include "store/store.h"
#include "support/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef NODES
#define NODES 4000
#endif
#define ROUNDS 3

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A run whose workflow has NODES nodes, as the runtime records it. */
static json_t *run_doc(const char *id) {
    json_t *nodes = json_array();
    for (int i = 0; i < NODES; i++) {
        char node[16];
        snprintf(node, sizeof node, "n%d", i);
        json_array_append_new(
            nodes, json_pack("{s:s, s:s, s:{s:s}}", "id", node, "step", "bench.noop", "params", "label", node));
    }
    return json_pack("{s:s, s:s, s:i, s:s, s:s, s:n, s:{s:{s:o}}}", "id", id, "workflow_id", "bench",
                     "workflow_version", 1, "family", "bench_flow", "status", "running", "subject", "doc", "workflow",
                     "nodes", nodes);
}

/* A finished node's state, about the size of a real one. */
static char *state_text(int i) {
    return pf_asprintf("{\"attempt\":1,\"cache\":{\"hit\":false,\"reason\":\"no entry for this key\"},"
                       "\"finished_at\":\"2026-12-02T10:00:00.%03dZ\",\"inputs_digest\":\"%064d\","
                       "\"outputs\":{\"out\":{\"artifact\":\"a%d\",\"media_type\":\"text/plain\",\"sha256\":\"%064d\","
                       "\"size\":12}},\"started_at\":\"2026-12-02T10:00:00.000Z\"}",
                       i % 1000, i, i, i);
}

static json_t *artifact_row(const char *run, const char *node, int i) {
    char *id = pf_asprintf("%s.%s.out", run, node), sha[65];
    snprintf(sha, sizeof sha, "%064d", i);
    json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:[s]}", "id", id, "sha256", sha, "run_id", run,
                            "node_id", node, "role", "text", "media_type", "text/plain", "size", 12, "parents", sha);
    free(id);
    return row;
}

/* Commits NODES finished nodes of a new run in groups of `group`; nodes/s. */
static double commit_rate(pf_store *s, const char *run, int group) {
    json_t *doc = run_doc(run);
    pf_error *err = pf_store_run_create(s, doc);
    json_decref(doc);
    char(*ids)[16] = pf_xcalloc(NODES, sizeof *ids);
    char **states = pf_xcalloc(NODES, sizeof *states);
    json_t **arts = pf_xcalloc(NODES, sizeof *arts);
    pf_store_node_extras *extras = pf_xcalloc(NODES, sizeof *extras);
    pf_store_transition *items = pf_xcalloc(NODES, sizeof *items);
    for (int i = 0; i < NODES; i++) {
        snprintf(ids[i], sizeof ids[i], "n%d", i);
        states[i] = state_text(i);
        arts[i] = json_pack("[o]", artifact_row(run, ids[i], i));
        extras[i] = (pf_store_node_extras){.artifacts = arts[i]};
        items[i] = (pf_store_transition){.run_id = run,
                                         .node_id = ids[i],
                                         .node_status = "succeeded",
                                         .node_state_text = states[i],
                                         .extras = &extras[i]};
    }
    double t0 = now_s();
    for (int i = 0; i < NODES && !err; i += group)
        err = pf_store_run_transitions(s, &items[i], (size_t)(NODES - i < group ? NODES - i : group));
    double elapsed = now_s() - t0;
    if (err) fprintf(stderr, "bench_store: %s\n", err->message);
    pf_error_free(err);
    for (int i = 0; i < NODES; i++) {
        free(states[i]);
        json_decref(arts[i]);
    }
    free(ids), free(states), free(arts), free(extras), free(items);
    return NODES / elapsed;
}

static double best_rate(pf_store *s, const char *backend, int group) {
    double best = 0;
    for (int round = 0; round < ROUNDS; round++) {
        char run[64];
        snprintf(run, sizeof run, "%s-g%d-r%d", backend, group, round);
        double rate = commit_rate(s, run, group);
        if (rate > best) best = rate;
    }
    return best;
}

int main(void) {
    pf_test_pg *pg = pf_test_pg_start();
    char dir[] = "/tmp/prodflow-bench-store-XXXXXX";
    if (!pg || !mkdtemp(dir)) return 1;
    pf_store *lite = NULL, *pgs = NULL;
    pf_error *err = pf_store_open(dir, &lite);
    if (!err) err = pf_store_open(pf_test_pg_url(pg), &pgs);
    if (err) {
        fprintf(stderr, "bench_store: %s\n", err->message);
        return 1;
    }
    static const int groups[] = {1, 8, 64};
    printf("committing finished nodes (state + one artifact row each), %d per round, best of %d; PostgreSQL "
           "over TCP on 127.0.0.1 (fsync off), SQLite in WAL mode:\n",
           NODES, ROUNDS);
    for (size_t i = 0; i < sizeof groups / sizeof *groups; i++) {
        double l = best_rate(lite, "sqlite", groups[i]), p = best_rate(pgs, "pg", groups[i]);
        printf("  groups of %2d: PostgreSQL %7.0f nodes/s, SQLite %7.0f nodes/s, PostgreSQL/SQLite %.2f\n", groups[i],
               p, l, p / l);
    }
    pf_store_close(pgs);
    pf_store_close(lite);
    pf_test_pg_stop(pg);
    char *rm = pf_asprintf("rm -rf '%s'", dir);
    if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(rm);
    return 0;
}
