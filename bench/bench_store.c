/* The store under the runtime, PostgreSQL against SQLite on the same
 * machine. First a 500-node DAG of no-op modules through the graph runtime
 * on each (the goal: PostgreSQL at most 3x SQLite's wall time); then store
 * operations per second on the runtime's hot path: committing
 * finished nodes, each a pf_store_run_transitions entry with the node's
 * state (as compact text, as the runtime hands it over) and one artifact
 * row, in groups as the runtime's group commit makes them. PostgreSQL (a
 * throwaway cluster started with the tests' code, fsync off) against
 * SQLite (WAL, synchronous=NORMAL: no fsync per commit either) on the same
 * machine; best of three rounds each. */
#include "core/mem.h"
#include "core/subprocess.h"
#include "noop_dag.h"
#include "runtime/runtime.h"
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
#define DAG_ROUNDS 12 /* the machine's load varies: the best of more rounds */
#ifndef DAG_NODES
#define DAG_NODES 500
#endif

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

/* The DAG with labels of its own round, so every node misses the cache. */
static json_t *dag_workflow(int round) {
    char prefix[16];
    snprintf(prefix, sizeof prefix, "r%d", round);
    return pf_bench_noop_dag(DAG_NODES, prefix);
}

/* Wall time in ms of one run of the DAG through a runtime on store (each
 * round a first run: its labels differ from other rounds', so every node
 * misses the cache). leased: as a server on PostgreSQL runs it. */
static double dag_ms(const pf_registry *reg, pf_store *store, const char *data_dir, json_t *wf, bool leased) {
    pf_runtime *rt = NULL;
    pf_runtime_config cfg = {.registry = reg,
                             .store = store,
                             .data_dir = data_dir,
                             .workers = 2,
                             .lease_owner = leased ? "bench" : NULL,
                             .lease_seconds = leased ? 30 : 0};
    if (pf_runtime_start(&cfg, &rt)) return -1;
    json_t *ctx = json_object();
    pf_run_request req = {.workflow = wf, .context = ctx};
    pf_errors errs;
    pf_errors_init(&errs);
    long t0 = pf_now_ms();
    char *id = NULL, *status = NULL;
    pf_error *err = pf_runtime_submit(rt, &req, &errs, &id);
    if (!err) err = pf_runtime_wait(rt, id, 0, &status);
    long t1 = pf_now_ms();
    double ms = (double)(t1 - t0);
    if (err || strcmp(status, "succeeded") != 0) {
        fprintf(stderr, "bench_store: the DAG did not succeed: %s\n", err ? err->message : status);
        ms = -1;
    }
    pf_error_free(err);
    pf_errors_clear(&errs);
    free(id);
    free(status);
    json_decref(ctx);
    pf_runtime_stop(rt);
    return ms;
}

/* The DAG on both stores, best of ROUNDS each, rounds interleaved. */
static void dag_both(pf_store *lite, pf_store *pgs, const char *dir) {
    pf_registry *reg = pf_bench_noop_registry(false);
    if (!reg) return;
    double best_l = 1e18, best_p = 1e18;
    for (int round = 0; round < DAG_ROUNDS + 1; round++) {
        json_t *wf = dag_workflow(round);
        char name[32];
        snprintf(name, sizeof name, "bench-%d", round);
        json_object_set_new(wf, "id", json_string(name));
        double l = dag_ms(reg, lite, dir, wf, false), p = dag_ms(reg, pgs, dir, wf, true);
        json_decref(wf);
        if (round == 0) continue; /* warm-up: connections, caches, the first migration's pages */
        if (l >= 0 && l < best_l) best_l = l;
        if (p >= 0 && p < best_p) best_p = p;
    }
    if (best_p == 1e18 || best_l == 1e18)
        printf("%d-node DAG of no-op modules through the runtime: no round succeeded on %s\n", DAG_NODES,
               best_p == 1e18 ? "PostgreSQL" : "SQLite");
    else
        printf("%d-node DAG of no-op modules through the runtime, best of %d: PostgreSQL %.0f ms, SQLite %.0f ms, "
               "PostgreSQL/SQLite %.2f (goal <= 3)\n",
               DAG_NODES, DAG_ROUNDS, best_p, best_l, best_p / best_l);
    pf_registry_free(reg);
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
    pf_heap_for_runs(); /* as the server and workers set their heap up */
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
    dag_both(lite, pgs, dir);
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
