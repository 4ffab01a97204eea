/* No-op modules and a DAG of them, for the benches that measure what the
 * runtime costs per node: in process (bench_runtime), on a store
 * (bench_store) and over Celery (bench_celery_dag). */
#ifndef PF_BENCH_NOOP_DAG_H
#define PF_BENCH_NOOP_DAG_H

#include "modules/registry.h"

#include <stdbool.h>

/* The registry with the family bench_flow: bench.entry (inline) and
 * bench.noop, whose contract says "execution": "process" when process is
 * true (a server with a broker sends it as a task; a worker without a
 * module runner runs it without a child). NULL when it does not load. */
pf_registry *pf_bench_noop_registry(bool process);

/* A binary tree of nodes no-op nodes (node i hangs under (i-1)/2), each with
 * the param label "<prefix>.<i>", so a new prefix misses the cache. */
json_t *pf_bench_noop_dag(int nodes, const char *prefix);

#endif
