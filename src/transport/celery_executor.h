/* The server's side of scale-out: "execution": "process" modules become
 * Celery tasks `prodflow.module.<key>` on their contract's queue, run by
 * `prodflow worker`s on any machine. The task carries what the module may
 * know and nothing of the server's: {run, node, attempt, module_version,
 * context, inputs, params}, its file inputs as content digests. Workers
 * fetch them from the server's artifact store and upload their outputs to
 * it, checked against their digest, so a result names files the server
 * has. Task ids are deterministic per run, node and attempt, so a task
 * sent twice (a server restarted mid-wait) is one task, and a finished one
 * answers again with its stored result. docs/scale-out.md. */
#ifndef PF_TRANSPORT_CELERY_EXECUTOR_H
#define PF_TRANSPORT_CELERY_EXECUTOR_H

#include "runtime/runtime.h"
#include "transport/celery_client.h"

#define PF_TASK_PREFIX "prodflow.module."

typedef struct pf_celery_executor pf_celery_executor;

/* client and registry are borrowed. data_dir is the server's, where the
 * workers' outputs arrive. */
pf_celery_executor *pf_celery_executor_new(pf_celery_client *client, const char *data_dir);
void pf_celery_executor_free(pf_celery_executor *ex);
/* The runtime's remote (pf_runtime_config.remote); borrowed from ex. */
const pf_remote *pf_celery_executor_remote(const pf_celery_executor *ex);

/* The task id of a node's attempt: a UUID made from "run/node/attempt". */
void pf_celery_task_id(const char *run_id, const char *node_id, int attempt, char out[37]);

#endif
