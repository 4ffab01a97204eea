/* One Redis connection over hiredis: AUTH (a password, or an ACL user and
 * password) and SELECT on every (re)connect, commands in argv form, and
 * reconnection with capped exponential backoff. A pf_redis is used by one
 * thread at a time; its owner serialises access. Replies are hiredis
 * redisReply trees owned by the caller (freeReplyObject). */
#ifndef PF_TRANSPORT_REDIS_CONN_H
#define PF_TRANSPORT_REDIS_CONN_H

#include "core/error.h"
#include "transport/redis_url.h"

#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct pf_redis pf_redis;

/* Connects once. name (may be NULL) is set with CLIENT SETNAME, so
 * CLIENT LIST shows which part of Prodflow holds a connection. url is
 * copied. A refused AUTH is PF_EINVAL naming the user; an unreachable
 * server is PF_EUNAVAILABLE. */
pf_error *pf_redis_open(const pf_redis_url *url, const char *name, pf_redis **out);
/* A connection that connects on its first use or pf_redis_reconnect (for
 * threads that must start while Redis is away). */
pf_redis *pf_redis_new(const pf_redis_url *url, const char *name);
void pf_redis_close(pf_redis *r);
const pf_redis_url *pf_redis_url_of(const pf_redis *r);

/* Runs one command. A connection failure marks the connection broken and
 * returns PF_EUNAVAILABLE; the next command reconnects first (one attempt,
 * no wait). An error reply is PF_EIO with Redis's words. */
pf_error *pf_redis_cmd(pf_redis *r, redisReply **reply, int argc, const char **argv, const size_t *lens);
/* The same with NUL-terminated arguments. */
pf_error *pf_redis_cmdv(pf_redis *r, redisReply **reply, const char *const *argv);
/* Runs a command and discards its reply. */
pf_error *pf_redis_run(pf_redis *r, const char *const *argv);

/* Queues commands without waiting (pipelining); pf_redis_read then takes
 * their replies in order. */
pf_error *pf_redis_append(pf_redis *r, int argc, const char **argv, const size_t *lens);
pf_error *pf_redis_read(pf_redis *r, redisReply **reply);
/* Waits up to timeout_ms for a reply (a pub/sub message); *reply is NULL
 * when none came. The connection stays usable after a timeout. */
pf_error *pf_redis_poll(pf_redis *r, long timeout_ms, redisReply **reply);

/* A pipeline: commands added go out together and pf_redis_pipe_run reads
 * all their replies (one round trip). Arguments are copied when added.
 * The first failure (lost connection, or an error reply) is returned;
 * *last (may be NULL) receives the last command's reply. */
typedef struct pf_redis_pipe {
    pf_redis *r;
    int queued;
    pf_error *err;
} pf_redis_pipe;
void pf_redis_pipe_init(pf_redis_pipe *p, pf_redis *r);
/* argv is NULL-terminated; lens may be NULL (then strlen). */
void pf_redis_pipe_add(pf_redis_pipe *p, const char *const *argv, const size_t *lens);
pf_error *pf_redis_pipe_run(pf_redis_pipe *p, redisReply **last);

bool pf_redis_broken(const pf_redis *r);
/* Reconnects until it succeeds or *stop becomes true (stop may be NULL),
 * waiting 100 ms, doubling to at most 5 s between attempts. The outage is
 * logged once when it starts and once when it ends. Returns PF_ECANCELLED
 * when stopped. Does nothing on a healthy connection. */
pf_error *pf_redis_reconnect(pf_redis *r, const atomic_bool *stop);

/* Waits ms milliseconds, waking early when *stop becomes true. */
void pf_redis_pause(long ms, const atomic_bool *stop);

#endif
