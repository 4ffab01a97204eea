/* No-op Celery tasks per second through one local Redis: the C worker
 * (concurrency 1 and 2) against Python Celery 5.2's worker (--pool=solo
 * and --pool=prefork -c 2), on the same queue and message count. Each
 * round preloads N task messages, starts the worker and counts the result
 * PUBLISHes; the rate is taken from the first result to the last, so
 * start-up time is left out. The goal is the C worker at least 5x Python.
 * Usage: bench_celery [N] (default 4000). The C worker sends its task
 * events (Python's does not without -E), so it carries more work. */
#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"
#include "transport/celery_client.h"
#include "transport/celery_worker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define QUEUE "bench"

typedef struct bench {
    int port;
    char url[64], dir[64];
    pid_t redis;
    long n;
} bench;

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static redisContext *connect_redis(const bench *b) {
    struct timeval tv = {5, 0};
    return redisConnectWithTimeout("127.0.0.1", b->port, tv);
}

static bool redis_up(const bench *b) {
    redisContext *c = connect_redis(b);
    redisReply *r = c && !c->err ? redisCommand(c, "PING") : NULL;
    bool up = r != NULL;
    if (r) freeReplyObject(r);
    if (c) redisFree(c);
    return up;
}

static int start_redis(bench *b) {
    snprintf(b->dir, sizeof b->dir, "/tmp/prodflow-bench-celery-XXXXXX");
    if (!mkdtemp(b->dir)) return -1;
    b->port = free_port();
    char port[16];
    snprintf(port, sizeof port, "%d", b->port);
    b->redis = fork();
    if (b->redis == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1), dup2(null, 2);
        execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly",
               "no", "--dir", b->dir, (char *)NULL);
        _exit(127);
    }
    while (!redis_up(b)) {
        if (waitpid(b->redis, NULL, WNOHANG) == b->redis) return -1;
        usleep(10000);
    }
    snprintf(b->url, sizeof b->url, "redis://127.0.0.1:%d/0", b->port);
    return 0;
}

static void command(const bench *b, const char *cmd) {
    redisContext *c = connect_redis(b);
    redisReply *r = redisCommand(c, cmd);
    if (r) freeReplyObject(r);
    redisFree(c);
}

static int preload(const bench *b) {
    pf_celery_client *c = NULL;
    pf_error *err = pf_celery_client_open(b->url, &c);
    pf_celery_send_opts o = {.queue = QUEUE};
    for (long i = 0; !err && i < b->n; i++) {
        char id[64];
        snprintf(id, sizeof id, "noop-%ld", i);
        err = pf_celery_send(c, "bench.noop", id, NULL, NULL, &o);
    }
    pf_celery_client_close(c);
    if (err) fprintf(stderr, "preload: %s\n", err->message);
    int rc = err ? -1 : 0;
    pf_error_free(err);
    return rc;
}

/* Counts result PUBLISHes; returns tasks per second between the first and
 * the last of n, or a negative number when the connection failed. */
static double count_results(redisContext *sub, long n) {
    long seen = 0, first_ms = 0, last_ms = 0;
    while (seen < n) {
        void *reply = NULL;
        if (redisGetReply(sub, &reply) != REDIS_OK) return -1;
        redisReply *r = reply;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 && strcmp(r->element[0]->str, "pmessage") == 0) {
            last_ms = pf_now_ms();
            if (seen++ == 0) first_ms = last_ms;
        }
        freeReplyObject(r);
    }
    return n > 1 && last_ms > first_ms ? (double)(n - 1) * 1000.0 / (double)(last_ms - first_ms) : 0;
}

static redisContext *subscribe(const bench *b) {
    redisContext *sub = connect_redis(b);
    struct timeval none = {0, 0};
    redisSetTimeout(sub, none);
    redisReply *r = redisCommand(sub, "PSUBSCRIBE celery-task-meta-*");
    if (r) freeReplyObject(r);
    return sub;
}

/* ---- the C worker ---- */

static pf_error *noop(void *user, const pf_celery_task *task, const atomic_bool *revoked, json_t **result) {
    (void)user, (void)task, (void)revoked;
    *result = json_null();
    return NULL;
}

typedef struct c_worker {
    pf_celery_worker_opts o;
    atomic_bool stop;
} c_worker;

static void *c_worker_main(void *arg) {
    c_worker *w = arg;
    pf_error_free(pf_celery_worker_run(&w->o));
    return NULL;
}

static double run_c(const bench *b, int concurrency) {
    command(b, "FLUSHALL");
    if (preload(b)) return -1;
    redisContext *sub = subscribe(b);
    static const char *const queues[] = {QUEUE, NULL};
    c_worker w = {.o = {.broker_url = b->url,
                        .queues = queues,
                        .concurrency = concurrency,
                        .hostname = "c@bench",
                        .handler = noop}};
    atomic_init(&w.stop, false);
    w.o.stop = &w.stop;
    pthread_t t;
    pthread_create(&t, NULL, c_worker_main, &w);
    double rate = count_results(sub, b->n);
    atomic_store(&w.stop, true);
    pthread_join(t, NULL);
    redisFree(sub);
    return rate;
}

/* ---- the Python worker ---- */

static double run_python(const bench *b, const char *pool, const char *concurrency) {
    command(b, "FLUSHALL");
    if (preload(b)) return -1;
    redisContext *sub = subscribe(b);
    char broker[96];
    snprintf(broker, sizeof broker, "PF_BROKER=%s", b->url);
    const char *argv[] = {"env",
                          "-i",
                          "PATH=/usr/bin:/bin",
                          "LANG=C.UTF-8",
                          "PYTHONDONTWRITEBYTECODE=1",
                          broker,
                          "/usr/bin/python3",
                          "-m",
                          "celery",
                          "-A",
                          "celery_app",
                          "worker",
                          pool,
                          "-c",
                          concurrency,
                          "-n",
                          "py@bench",
                          "-Q",
                          QUEUE,
                          "--without-mingle",
                          "--without-gossip",
                          "-l",
                          "WARNING",
                          NULL};
    pf_subprocess_opts o = {.argv = argv, .cwd = PF_SOURCE_DIR "/tests/celery"};
    pf_child *child = NULL;
    pf_error *err = pf_child_spawn(&o, false, &child);
    if (err) {
        fprintf(stderr, "python worker: %s\n", err->message);
        pf_error_free(err);
        redisFree(sub);
        return -1;
    }
    double rate = count_results(sub, b->n);
    pf_child_kill(child);
    redisFree(sub);
    return rate;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    pf_log_init(stderr, PF_LOG_WARN);
    bench b = {.n = argc > 1 ? atol(argv[1]) : 4000};
    if (b.n < 2 || start_redis(&b) != 0) {
        fprintf(stderr, "bench_celery: cannot start redis-server\n");
        return 1;
    }
    double c1 = run_c(&b, 1), c2 = run_c(&b, 2);
    double solo = run_python(&b, "--pool=solo", "1"), prefork = run_python(&b, "--pool=prefork", "2");
    printf("celery no-op tasks/s over redis, %ld messages:\n", b.n);
    printf("  C worker, concurrency 1:         %8.0f/s\n", c1);
    printf("  C worker, concurrency 2:         %8.0f/s\n", c2);
    printf("  Python worker, --pool=solo:      %8.0f/s\n", solo);
    printf("  Python worker, prefork -c 2:     %8.0f/s\n", prefork);
    double best_py = solo > prefork ? solo : prefork, best_c = c1 > c2 ? c1 : c2;
    printf("C/Python: %.1fx (concurrency 1 vs solo: %.1fx, 2 vs prefork -c 2: %.1fx; goal >= 5x)\n",
           best_py > 0 ? best_c / best_py : 0, solo > 0 ? c1 / solo : 0, prefork > 0 ? c2 / prefork : 0);
    kill(b.redis, SIGKILL);
    waitpid(b.redis, NULL, 0);
    pf_error_free(pf_remove_tree(b.dir));
    return 0;
}
