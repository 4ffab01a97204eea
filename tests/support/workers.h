/* Workers for the scale-out tests, started on the test's own Redis and
 * server and stopped by PID: `prodflow worker`s, and a Python Celery
 * worker of the test's own (Debian's celery, as python_peer.h runs it). */
#ifndef PF_TESTS_WORKERS_H
#define PF_TESTS_WORKERS_H

#include "support/redis.h"
#include "support/server.h"

#include <sys/types.h>

typedef struct pf_test_worker {
    pid_t pid;
    char name[32]; /* its Celery hostname, "NAME@test" */
} pf_test_worker;

/* A C worker on the default queues, fetching and uploading artifacts
 * through srv as a worker (the token in token_file), its scratch in
 * dir/NAME; a short visibility timeout, no warm Blender. */
void pf_test_worker_start(pf_test_worker *w, const char *name, const pf_test_redis *redis, const pf_test_server *srv,
                          const char *token_file, const char *dir);
/* A Python Celery worker (--pool=solo) for module (in tests/celery) on
 * queue, with env (NAME=VALUE strings, NULL-terminated, may be NULL). */
void pf_test_python_worker_start(pf_test_worker *w, const char *name, const pf_test_redis *redis, const char *module,
                                 const char *queue, const char *const *env);
/* SIGTERM, then waits for it to end. */
void pf_test_worker_stop(pf_test_worker *w);

#endif
