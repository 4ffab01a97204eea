/* kombu's acknowledgement emulation on Redis, which Celery workers share:
 * a taken message is kept in the hash "unacked" (delivery tag ->
 * [envelope, exchange, routing key]) and the sorted set "unacked_index"
 * (tag scored by the time it was taken) until it is acknowledged. Any
 * worker holding the lock "unacked_mutex" pushes back entries older than
 * its visibility timeout, so a task whose worker died runs again. */
#ifndef PF_TRANSPORT_CELERY_UNACKED_H
#define PF_TRANSPORT_CELERY_UNACKED_H

#include "core/error.h"
#include "transport/redis_conn.h"

#include <stddef.h>

#define PF_CELERY_UNACKED "unacked"
#define PF_CELERY_UNACKED_INDEX "unacked_index"
#define PF_CELERY_UNACKED_MUTEX "unacked_mutex"
#define PF_CELERY_UNACKED_MUTEX_EXPIRE_MS 300000 /* kombu's unacked_mutex_expire: 5 minutes */

/* ZADD + HSET in one MULTI, as kombu's QoS.append. raw is the envelope
 * text as taken from the queue. */
pf_error *pf_celery_unacked_add(pf_redis *r, const char *tag, const char *raw, size_t len, const char *exchange,
                                const char *routing_key);
/* ZREM + HDEL in one MULTI. */
pf_error *pf_celery_unacked_ack(pf_redis *r, const char *tag);
/* The same two, added to a pipeline. */
void pf_celery_unacked_add_to(pf_redis_pipe *p, const char *tag, const char *raw, size_t len, const char *exchange,
                              const char *routing_key);
void pf_celery_unacked_ack_to(pf_redis_pipe *p, const char *tag);
/* Re-scores a tag still being worked on to now (ZADD XX), so only the
 * tasks of dead workers age past the visibility timeout. */
pf_error *pf_celery_unacked_touch(pf_redis *r, const char *tag);
/* kombu's restore_visible: under unacked_mutex (SET NX PX, released by
 * the same compare-and-delete script as redis-py's lock), every entry
 * older than visibility_ms is removed and RPUSHed back onto its queue
 * with redelivered set, each in a WATCH/MULTI transaction. *restored
 * counts them; 0 when another worker holds the mutex. */
pf_error *pf_celery_unacked_restore(pf_redis *r, long visibility_ms, size_t *restored);

#endif
