#include "transport/redis_conn.h"

#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PF_REDIS_CONNECT_TIMEOUT_MS 3000
/* Longer than any blocking command we issue (BRPOP blocks 1 s), so only a
 * hung server trips it. */
#define PF_REDIS_IO_TIMEOUT_MS 15000
#define PF_REDIS_BACKOFF_FIRST_MS 100
#define PF_REDIS_BACKOFF_MAX_MS 5000

struct pf_redis {
    pf_redis_url url;
    char *name;
    char *where; /* redacted URL for messages */
    redisContext *ctx;
    bool broken;
    bool outage_logged;
};

static struct timeval tv_ms(long ms) { return (struct timeval){ms / 1000, (ms % 1000) * 1000}; }

static void copy_url(pf_redis_url *dst, const pf_redis_url *src) {
    dst->host = pf_strdup(src->host);
    dst->port = src->port;
    dst->db = src->db;
    dst->user = src->user ? pf_strdup(src->user) : NULL;
    dst->password = src->password ? pf_strdup(src->password) : NULL;
}

static pf_error *reply_error(const pf_redis *r, const char *cmd, const redisReply *reply) {
    return pf_error_new(PF_EIO, "", "redis at %s refused %s: %.*s", r->where, cmd, (int)reply->len, reply->str);
}

static pf_error *auth(pf_redis *r) {
    if (!r->url.password) return NULL;
    redisReply *reply = r->url.user ? redisCommand(r->ctx, "AUTH %s %s", r->url.user, r->url.password)
                                    : redisCommand(r->ctx, "AUTH %s", r->url.password);
    if (!reply) return pf_error_new(PF_EUNAVAILABLE, "", "redis at %s: AUTH failed: %s", r->where, r->ctx->errstr);
    pf_error *err = NULL;
    if (reply->type == REDIS_REPLY_ERROR)
        err = pf_error_new(PF_EINVAL, "", "redis at %s refused the credentials of user '%s': %.*s", r->where,
                           r->url.user ? r->url.user : "default", (int)reply->len, reply->str);
    freeReplyObject(reply);
    return err;
}

/* Proves the session usable now (a server with requirepass answers NOAUTH
 * here when the URL has no password), not at the first real command. */
static pf_error *ping(pf_redis *r) {
    redisReply *reply = redisCommand(r->ctx, "PING");
    if (!reply) return pf_error_new(PF_EUNAVAILABLE, "", "redis at %s: PING failed: %s", r->where, r->ctx->errstr);
    pf_error *err = reply->type == REDIS_REPLY_ERROR
                        ? pf_error_new(PF_EINVAL, "", "redis at %s refused the connection: %.*s", r->where,
                                       (int)reply->len, reply->str)
                        : NULL;
    freeReplyObject(reply);
    return err;
}

static pf_error *select_db(pf_redis *r) {
    if (r->url.db == 0) return NULL;
    redisReply *reply = redisCommand(r->ctx, "SELECT %d", r->url.db);
    if (!reply) return pf_error_new(PF_EUNAVAILABLE, "", "redis at %s: SELECT failed: %s", r->where, r->ctx->errstr);
    pf_error *err = reply->type == REDIS_REPLY_ERROR ? reply_error(r, "SELECT", reply) : NULL;
    freeReplyObject(reply);
    return err;
}

/* Best effort: a restricted ACL user may not be allowed CLIENT SETNAME. */
static void set_name(pf_redis *r) {
    if (!r->name) return;
    redisReply *reply = redisCommand(r->ctx, "CLIENT SETNAME %s", r->name);
    if (reply) freeReplyObject(reply);
}

static pf_error *connect_once(pf_redis *r) {
    if (r->ctx) redisFree(r->ctx);
    r->ctx = redisConnectWithTimeout(r->url.host, r->url.port, tv_ms(PF_REDIS_CONNECT_TIMEOUT_MS));
    if (!r->ctx) return pf_error_new(PF_EUNAVAILABLE, "", "redis at %s: cannot allocate a connection", r->where);
    if (r->ctx->err)
        return pf_error_new(PF_EUNAVAILABLE, "", "redis at %s is unreachable: %s", r->where, r->ctx->errstr);
    redisSetTimeout(r->ctx, tv_ms(PF_REDIS_IO_TIMEOUT_MS));
    redisEnableKeepAlive(r->ctx);
    pf_error *err = auth(r);
    if (!err) err = ping(r);
    if (!err) err = select_db(r);
    if (!err) set_name(r);
    r->broken = err != NULL;
    return err;
}

pf_redis *pf_redis_new(const pf_redis_url *url, const char *name) {
    pf_redis *r = pf_xcalloc(1, sizeof *r);
    copy_url(&r->url, url);
    r->name = name ? pf_strdup(name) : NULL;
    r->where = pf_redis_url_redacted(&r->url);
    r->broken = true;
    return r;
}

pf_error *pf_redis_open(const pf_redis_url *url, const char *name, pf_redis **out) {
    *out = NULL;
    pf_redis *r = pf_redis_new(url, name);
    pf_error *err = connect_once(r);
    if (err) {
        pf_redis_close(r);
        return err;
    }
    *out = r;
    return NULL;
}

void pf_redis_close(pf_redis *r) {
    if (!r) return;
    if (r->ctx) redisFree(r->ctx);
    pf_redis_url_clear(&r->url);
    free(r->name);
    free(r->where);
    free(r);
}

const pf_redis_url *pf_redis_url_of(const pf_redis *r) { return &r->url; }
bool pf_redis_broken(const pf_redis *r) { return r->broken; }

static pf_error *io_failure(pf_redis *r, const char *what) {
    r->broken = true;
    if (!r->outage_logged) {
        pf_log(PF_LOG_WARN, "redis.disconnected", "lost the connection to redis at %s (%s): %s", r->where,
               r->name ? r->name : "connection", r->ctx && r->ctx->err ? r->ctx->errstr : what);
        r->outage_logged = true;
    }
    return pf_error_new(PF_EUNAVAILABLE, "", "redis at %s: %s: %s", r->where, what,
                        r->ctx && r->ctx->err ? r->ctx->errstr : "connection lost");
}

/* One attempt to get a healthy connection before a command. */
static pf_error *ensure(pf_redis *r) {
    if (!r->broken && r->ctx && !r->ctx->err) return NULL;
    pf_error *err = connect_once(r);
    if (err) {
        pf_error_free(err);
        return io_failure(r, "reconnect failed");
    }
    if (r->outage_logged)
        pf_log(PF_LOG_INFO, "redis.reconnected", "reconnected to redis at %s (%s)", r->where,
               r->name ? r->name : "connection");
    r->outage_logged = false;
    return NULL;
}

pf_error *pf_redis_cmd(pf_redis *r, redisReply **reply, int argc, const char **argv, const size_t *lens) {
    if (reply) *reply = NULL;
    pf_error *err = ensure(r);
    if (err) return err;
    redisReply *rep = redisCommandArgv(r->ctx, argc, argv, lens);
    if (!rep) return io_failure(r, argv[0]);
    if (rep->type == REDIS_REPLY_ERROR) {
        err = reply_error(r, argv[0], rep);
        freeReplyObject(rep);
        return err;
    }
    if (reply)
        *reply = rep;
    else
        freeReplyObject(rep);
    return NULL;
}

pf_error *pf_redis_cmdv(pf_redis *r, redisReply **reply, const char *const *argv) {
    int argc = 0;
    while (argv[argc])
        argc++;
    return pf_redis_cmd(r, reply, argc, (const char **)argv, NULL);
}

pf_error *pf_redis_run(pf_redis *r, const char *const *argv) { return pf_redis_cmdv(r, NULL, argv); }

pf_error *pf_redis_append(pf_redis *r, int argc, const char **argv, const size_t *lens) {
    pf_error *err = ensure(r);
    if (err) return err;
    if (redisAppendCommandArgv(r->ctx, argc, argv, lens) != REDIS_OK) return io_failure(r, argv[0]);
    return NULL;
}

pf_error *pf_redis_read(pf_redis *r, redisReply **reply) {
    *reply = NULL;
    if (r->broken || !r->ctx) return io_failure(r, "read");
    void *rep = NULL;
    if (redisGetReply(r->ctx, &rep) != REDIS_OK || !rep) return io_failure(r, "read");
    *reply = rep;
    return NULL;
}

void pf_redis_pipe_init(pf_redis_pipe *p, pf_redis *r) { *p = (pf_redis_pipe){.r = r}; }

void pf_redis_pipe_add(pf_redis_pipe *p, const char *const *argv, const size_t *lens) {
    if (p->err) return;
    int argc = 0;
    while (argv[argc])
        argc++;
    p->err = pf_redis_append(p->r, argc, (const char **)argv, lens);
    if (!p->err) p->queued++;
}

pf_error *pf_redis_pipe_run(pf_redis_pipe *p, redisReply **last) {
    if (last) *last = NULL;
    pf_error *err = p->err;
    for (int i = 0; i < p->queued; i++) {
        redisReply *reply = NULL;
        pf_error *e = pf_redis_read(p->r, &reply);
        if (e) { /* the connection is gone: the rest will not come */
            pf_error_free(err);
            err = e;
            break;
        }
        if (!err && reply->type == REDIS_REPLY_ERROR) err = reply_error(p->r, "a pipelined command", reply);
        if (last && i == p->queued - 1)
            *last = reply;
        else
            freeReplyObject(reply);
    }
    *p = (pf_redis_pipe){.r = p->r};
    return err;
}

/* Flushes queued commands so a subscriber's SUBSCRIBE reaches the server. */
static pf_error *flush(pf_redis *r) {
    int done = 0;
    while (!done)
        if (redisBufferWrite(r->ctx, &done) != REDIS_OK) return io_failure(r, "write");
    return NULL;
}

pf_error *pf_redis_poll(pf_redis *r, long timeout_ms, redisReply **reply) {
    *reply = NULL;
    if (r->broken || !r->ctx) return io_failure(r, "read");
    pf_error *err = flush(r);
    if (err) return err;
    void *rep = NULL;
    if (redisGetReplyFromReader(r->ctx, &rep) != REDIS_OK) return io_failure(r, "read");
    if (rep) {
        *reply = rep;
        return NULL;
    }
    struct pollfd p = {.fd = r->ctx->fd, .events = POLLIN};
    int n = poll(&p, 1, (int)timeout_ms);
    if (n < 0 && errno != EINTR) return io_failure(r, "poll");
    if (n <= 0) return NULL;
    if (redisBufferRead(r->ctx) != REDIS_OK) return io_failure(r, "read");
    if (redisGetReplyFromReader(r->ctx, &rep) != REDIS_OK) return io_failure(r, "read");
    *reply = rep;
    return NULL;
}

void pf_redis_pause(long ms, const atomic_bool *stop) {
    /* Slices of at most 50 ms, so a stop is noticed quickly. */
    while (ms > 0 && !(stop && atomic_load(stop))) {
        long step = ms < 50 ? ms : 50;
        struct timespec ts = {0, step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

pf_error *pf_redis_reconnect(pf_redis *r, const atomic_bool *stop) {
    long wait_ms = PF_REDIS_BACKOFF_FIRST_MS;
    for (;;) {
        pf_error *err = ensure(r);
        if (!err) return NULL;
        pf_error_free(err);
        if (stop && atomic_load(stop)) break;
        pf_redis_pause(wait_ms, stop);
        wait_ms = wait_ms * 2 > PF_REDIS_BACKOFF_MAX_MS ? PF_REDIS_BACKOFF_MAX_MS : wait_ms * 2;
    }
    return pf_error_new(PF_ECANCELLED, "", "stopped while reconnecting to redis at %s", r->where);
}
