/* A real redis-server for one test: a free port on 127.0.0.1, a fresh
 * temporary directory, no persistence; stopped by PID and restartable on
 * the same port (for tests of Redis going away). */
#ifndef PF_TESTS_REDIS_H
#define PF_TESTS_REDIS_H

#include <hiredis/hiredis.h>
#include <sys/types.h>

typedef struct pf_test_redis {
    pid_t pid;
    int port;
    char *dir;      /* owned */
    char *password; /* owned; --requirepass, or NULL */
    char url[160];  /* "redis://[:password@]127.0.0.1:PORT/0" */
} pf_test_redis;

/* Starts redis-server (with --requirepass when password is not NULL) and
 * returns 0 once it answers PING. */
int pf_test_redis_start(pf_test_redis *r, const char *password);
/* SIGKILL and waitpid; the port and directory are kept for a restart. */
void pf_test_redis_kill(pf_test_redis *r);
/* Starts it again on the same port (empty: nothing is saved); 0 when up. */
int pf_test_redis_restart(pf_test_redis *r);
/* Stops it and removes its directory. */
void pf_test_redis_stop(pf_test_redis *r);
/* A plain hiredis connection, authenticated with the password. */
redisContext *pf_test_redis_connect(const pf_test_redis *r);
/* Runs a command (printf-style, hiredis format) and returns its integer
 * reply, or -1 (an error, or not an integer). */
long long pf_test_redis_int(const pf_test_redis *r, const char *fmt, ...);

#endif
