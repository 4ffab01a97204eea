#include "support/redis.h"

#include "core/mem.h"
#include "core/path.h"
#include "support/tmpdir.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* redis-server cannot bind port 0 and say which it took: ask the kernel
 * for a free one, release it and hope nobody takes it first (start()
 * retries with another when redis exits). */
static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static pid_t spawn(const pf_test_redis *r) {
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    char *log = pf_asprintf("%s/redis.log", r->dir);
    const char *argv[16] = {"redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "",
                            "--appendonly", "no",     "--dir",     r->dir};
    int n = 11;
    if (r->password) argv[n++] = "--requirepass", argv[n++] = r->password;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    free(log);
    return pid;
}

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Any reply to PING (NOAUTH included) means the server is up. */
static bool answers(int port) {
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    bool up = false;
    if (c && !c->err) {
        redisReply *reply = redisCommand(c, "PING");
        up = reply != NULL;
        if (reply) freeReplyObject(reply);
    }
    if (c) redisFree(c);
    return up;
}

/* Polls the server's state: up, or its process ended. */
static int wait_up(pf_test_redis *r) {
    for (;;) {
        if (answers(r->port)) return 0;
        int status;
        if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
            r->pid = 0;
            return -1;
        }
        pause_ms(10);
    }
}

static void set_url(pf_test_redis *r) {
    if (r->password)
        snprintf(r->url, sizeof r->url, "redis://:%s@127.0.0.1:%d/0", r->password, r->port);
    else
        snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d/0", r->port);
}

int pf_test_redis_start(pf_test_redis *r, const char *password) {
    memset(r, 0, sizeof *r);
    r->dir = pf_test_tmpdir("redis");
    r->password = password ? pf_strdup(password) : NULL;
    for (int attempt = 0; attempt < 10; attempt++) {
        r->port = free_port();
        if (r->port <= 0) continue;
        r->pid = spawn(r);
        if (wait_up(r) == 0) {
            set_url(r);
            return 0;
        }
    }
    fprintf(stderr, "redis-server did not start (see %s/redis.log)\n", r->dir);
    return -1;
}

void pf_test_redis_kill(pf_test_redis *r) {
    if (r->pid <= 0) return;
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
}

int pf_test_redis_restart(pf_test_redis *r) {
    pf_test_redis_kill(r);
    /* The old socket may linger briefly; redis exits when it cannot bind. */
    for (int attempt = 0; attempt < 50; attempt++) {
        r->pid = spawn(r);
        if (wait_up(r) == 0) return 0;
        pause_ms(100);
    }
    return -1;
}

void pf_test_redis_stop(pf_test_redis *r) {
    pf_test_redis_kill(r);
    if (r->dir) pf_error_free(pf_remove_tree(r->dir));
    free(r->dir);
    free(r->password);
    memset(r, 0, sizeof *r);
}

redisContext *pf_test_redis_connect(const pf_test_redis *r) {
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
    if (c && !c->err && r->password) {
        redisReply *reply = redisCommand(c, "AUTH %s", r->password);
        if (reply) freeReplyObject(reply);
    }
    return c;
}

long long pf_test_redis_int(const pf_test_redis *r, const char *fmt, ...) {
    redisContext *c = pf_test_redis_connect(r);
    long long v = -1;
    if (c && !c->err) {
        va_list ap;
        va_start(ap, fmt);
        redisReply *reply = redisvCommand(c, fmt, ap);
        va_end(ap);
        if (reply && reply->type == REDIS_REPLY_INTEGER) v = reply->integer;
        if (reply) freeReplyObject(reply);
    }
    if (c) redisFree(c);
    return v;
}
