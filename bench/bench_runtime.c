/* Orchestration overhead per node: a 10,000-node DAG of no-op modules
 * through the graph runtime (validation, scheduling, parameter resolution,
 * cache look-up, durable transitions), in microseconds per node. The goal
 * is at most 20 us, and the five rounds within 1.5x of each other (the
 * machine is shared: its load moves the wall time). The CPU time the
 * process spent per node is printed beside it, as the part the load does
 * not stretch. The baseline is the same modules called in a loop through
 * pf_module_invoke, measured in the same run. */
#include "core/mem.h"
#include "core/subprocess.h"
#include "modules/invoke.h"
#include "noop_dag.h"
#include "runtime/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef NODES
#define NODES 10000
#endif
#define ROUNDS 5

/* CPU time of every thread of the process, in ms. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    pf_registry *reg = pf_bench_noop_registry(false);
    char dir[] = "/tmp/prodflow-bench-runtime-XXXXXX";
    if (!reg || !mkdtemp(dir)) return 1;
    json_t *wf = pf_bench_noop_dag(NODES, "l");
    pf_errors errs;
    pf_errors_init(&errs);
    /* Each round on a fresh store, so each is a first run (all cache misses). */
    double per_node[ROUNDS], submit_ms[ROUNDS], cpu_per_node[ROUNDS], in_order[ROUNDS];
    json_t *ctx = json_object();
    for (int round = 0; round < ROUNDS; round++) {
        char *store_dir = pf_asprintf("%s/round%d", dir, round);
        pf_store *store = NULL;
        if (mkdir(store_dir, 0700) != 0 || pf_store_open(store_dir, &store)) return 1;
        pf_runtime *rt = NULL;
        pf_runtime_config cfg = {.registry = reg, .store = store, .data_dir = store_dir, .workers = 2};
        pf_runtime_start(&cfg, &rt);
        pf_run_request req = {.workflow = wf, .context = ctx};
        double c0 = cpu_ms();
        long t0 = pf_now_ms();
        char *id = NULL, *status = NULL;
        pf_error *err = pf_runtime_submit(rt, &req, &errs, &id);
        long t_submitted = pf_now_ms();
        if (!err) err = pf_runtime_wait(rt, id, 0, &status);
        long t1 = pf_now_ms();
        cpu_per_node[round] = (cpu_ms() - c0) * 1000.0 / NODES;
        if (err || strcmp(status, "succeeded") != 0) {
            fprintf(stderr, "%s\n", err ? err->message : status);
            return 1;
        }
        per_node[round] = in_order[round] = (double)(t1 - t0) * 1000.0 / NODES;
        submit_ms[round] = (double)(t_submitted - t0);
        free(id);
        free(status);
        pf_runtime_stop(rt);
        pf_store_close(store);
        free(store_dir);
    }
    /* Baseline: the same module calls, straight through the module layer. */
    atomic_bool cancel = false;
    pf_module_ctx mctx = {.data_root = dir, .work_dir = dir, .cancel = &cancel};
    long t2 = pf_now_ms();
    for (int i = 0; i < NODES; i++) {
        json_t *params = json_pack("{s:s}", "label", "l"), *out = NULL;
        pf_error_free(pf_module_invoke(reg, "bench.noop", &mctx, NULL, params, &out));
        json_decref(out);
        json_decref(params);
    }
    long t3 = pf_now_ms();
    double direct = (double)(t3 - t2) * 1000.0 / NODES;
    qsort(per_node, ROUNDS, sizeof *per_node, by_value);
    qsort(submit_ms, ROUNDS, sizeof *submit_ms, by_value);
    qsort(cpu_per_node, ROUNDS, sizeof *cpu_per_node, by_value);
    printf("%d-node DAG of no-op modules, %d rounds: best %.1f us per node, median %.1f (goal <= 20 us); "
           "module calls alone %.1f us\n",
           NODES, ROUNDS, per_node[0], per_node[ROUNDS / 2], direct);
    printf("  the %d rounds in order:", ROUNDS);
    for (int r = 0; r < ROUNDS; r++)
        printf(" %.1f", in_order[r]);
    printf(" us per node; spread (slowest / fastest) %.2fx (goal <= 1.5x)\n", per_node[ROUNDS - 1] / per_node[0]);
    printf("  CPU time of all threads: median %.1f us per node\n", cpu_per_node[ROUNDS / 2]);
    printf("  of the best run: validating, canonicalising and recording the run %.1f us per node\n",
           submit_ms[0] * 1000.0 / NODES);
    json_decref(ctx);
    json_decref(wf);
    pf_registry_free(reg);
    char *rm = pf_asprintf("rm -rf '%s'", dir);
    if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(rm);
    return 0;
}
