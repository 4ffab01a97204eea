/* What the Celery path costs per node: a 500-node DAG of no-op modules,
 * run once in process (the baseline: the same runtime, the module called
 * on its thread) and once as a server with a broker does it, every
 * non-entry node a task `prodflow.module.bench.noop` through Redis to 1, 2
 * and 4 C workers (this program again, as `--worker`, running the module
 * layer's worker without a child). Prints the overhead per node against
 * the baseline (issue 12's goal: at most 1 ms) and how it scales with
 * workers. Each run has its own labels, so no node is a cache hit. */
#include "noop_dag.h"

#include "core/mem.h"
#include "core/subprocess.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "support/redis.h"
#include "transport/celery_executor.h"
#include "transport/module_worker.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODES 500
#define ROUNDS 3
#define MAX_WORKERS 4

/* `bench_celery_dag --worker URL NAME DIR`: one C worker with the bench's
 * modules, until SIGTERM. */
static int worker_main(const char *url, const char *name, const char *dir) {
    pf_registry *reg = pf_bench_noop_registry(true);
    if (!reg) return 1;
    char *work = pf_asprintf("%s/%s", dir, name);
    pf_module_worker mw = {.registry = reg, .shared_data_dir = dir, .work_dir = work};
    static const char *const queues[] = {"default", NULL};
    pf_celery_worker_opts o = {.broker_url = url,
                               .queues = queues,
                               .concurrency = 1,
                               .hostname = name,
                               .handler = pf_module_worker_handle,
                               .user = &mw,
                               .accepts = pf_module_worker_accepts};
    pf_error *err = pf_celery_worker_run(&o);
    if (err) fprintf(stderr, "worker %s: %s\n", name, err->message);
    pf_error_free(err);
    free(work);
    pf_registry_free(reg);
    return err ? 1 : 0;
}

static pid_t start_worker(const char *url, int i, const char *dir) {
    char name[32];
    snprintf(name, sizeof name, "bench%d@dag", i);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "bench_celery_dag", "--worker", url, name, dir, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Wall time in ms of one run of a DAG with labels prefix, through a
 * runtime that sends process modules to remote (NULL: runs them here). */
static double run_dag(const pf_registry *reg, const char *dir, const pf_remote *remote, int nodes, const char *prefix) {
    char *store_dir = pf_asprintf("%s/store-%s", dir, prefix);
    pf_store *store = NULL;
    double ms = -1;
    if (mkdir(store_dir, 0700) == 0 && !pf_store_open(store_dir, &store)) {
        pf_runtime *rt = NULL;
        /* Enough runtime threads that every worker always has a task waiting. */
        pf_runtime_config cfg = {
            .registry = reg, .store = store, .data_dir = store_dir, .workers = 2 * MAX_WORKERS, .remote = remote};
        json_t *wf = pf_bench_noop_dag(nodes, prefix), *ctx = json_object();
        pf_errors errs;
        pf_errors_init(&errs);
        pf_run_request req = {.workflow = wf, .context = ctx};
        char *id = NULL, *status = NULL;
        long t0 = pf_now_ms();
        pf_error *err = pf_runtime_start(&cfg, &rt);
        if (!err) err = pf_runtime_submit(rt, &req, &errs, &id);
        if (!err) err = pf_runtime_wait(rt, id, 0, &status);
        long t1 = pf_now_ms();
        if (err || strcmp(status, "succeeded") != 0)
            fprintf(stderr, "bench_celery_dag: the run %s\n", err ? err->message : status);
        else
            ms = (double)(t1 - t0);
        pf_error_free(err);
        pf_errors_clear(&errs);
        free(id);
        free(status);
        if (rt) pf_runtime_stop(rt);
        pf_store_close(store);
        json_decref(wf);
        json_decref(ctx);
    }
    free(store_dir);
    return ms;
}

static double best_of(const pf_registry *reg, const char *dir, const pf_remote *remote, const char *what) {
    double best = 1e18;
    for (int round = 0; round < ROUNDS; round++) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "%s-%d", what, round);
        double ms = run_dag(reg, dir, remote, NODES, prefix);
        if (ms < 0) return -1;
        if (ms < best) best = ms;
    }
    return best;
}

int main(int argc, char **argv) {
    pf_heap_for_runs(); /* as the server and workers set their heap up */
    if (argc == 5 && strcmp(argv[1], "--worker") == 0) return worker_main(argv[2], argv[3], argv[4]);
    char dir[] = "/tmp/prodflow-bench-celery-dag-XXXXXX";
    pf_registry *reg = pf_bench_noop_registry(true);
    pf_test_redis redis;
    if (!reg || !mkdtemp(dir) || pf_test_redis_start(&redis, NULL) != 0) return 1;
    double local = best_of(reg, dir, NULL, "local");
    printf("%d-node DAG of no-op modules, best of %d: in process %.1f ms (%.3f ms per node)\n", NODES, ROUNDS, local,
           local / NODES);
    const int counts[] = {1, 2, 4};
    int status = 0;
    for (size_t k = 0; k < sizeof counts / sizeof *counts && local >= 0; k++) {
        pid_t pids[MAX_WORKERS];
        for (int i = 0; i < counts[k]; i++)
            pids[i] = start_worker(redis.url, i, dir);
        pf_celery_client *client = NULL;
        pf_celery_executor *ex = NULL;
        pf_error *err = pf_celery_client_open(redis.url, &client);
        double celery = -1;
        if (!err) {
            ex = pf_celery_executor_new(client, dir);
            char warm[32];
            snprintf(warm, sizeof warm, "warm-%d", counts[k]);
            /* Every worker up and taking tasks before the clock starts. */
            run_dag(reg, dir, pf_celery_executor_remote(ex), 4 * counts[k] + 1, warm);
            char what[32];
            snprintf(what, sizeof what, "celery-%d", counts[k]);
            celery = best_of(reg, dir, pf_celery_executor_remote(ex), what);
        }
        if (celery >= 0)
            printf("  over Celery, %d worker%s: %.1f ms, %.3f ms per node more than in process (goal <= 1 ms)\n",
                   counts[k], counts[k] == 1 ? " " : "s", celery, (celery - local) / NODES);
        else
            status = 1;
        if (err) fprintf(stderr, "bench_celery_dag: %s\n", err->message);
        pf_error_free(err);
        pf_celery_executor_free(ex);
        pf_celery_client_close(client);
        for (int i = 0; i < counts[k]; i++) {
            kill(pids[i], SIGTERM);
            waitpid(pids[i], NULL, 0);
        }
    }
    pf_test_redis_stop(&redis);
    pf_registry_free(reg);
    char *rm = pf_asprintf("rm -rf '%s'", dir);
    if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(rm);
    return status;
}
