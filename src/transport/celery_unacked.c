#include "transport/celery_unacked.h"

#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "transport/celery_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* redis-py's Lock release: delete the key only if it still holds our token. */
static const char release_script[] = "local token = redis.call('get', KEYS[1])\n"
                                     "if not token or token ~= ARGV[1] then return 0 end\n"
                                     "redis.call('del', KEYS[1])\n"
                                     "return 1\n";

/* Sends the queued commands of a MULTI block and reads every reply; the
 * EXEC reply (last) is handed back. */
static pf_error *run_block(pf_redis *r, int commands, redisReply **exec_reply) {
    pf_error *err = NULL;
    *exec_reply = NULL;
    for (int i = 0; i < commands; i++) {
        redisReply *reply = NULL;
        pf_error *e = pf_redis_read(r, &reply);
        if (e) {
            pf_error_free(err);
            return e;
        }
        if (!err && reply->type == REDIS_REPLY_ERROR)
            err = pf_error_new(PF_EIO, "", "redis refused a transaction: %.*s", (int)reply->len, reply->str);
        if (i == commands - 1)
            *exec_reply = reply;
        else
            freeReplyObject(reply);
    }
    return err;
}

static pf_error *append(pf_redis *r, const char *const *argv, const size_t *lens) {
    int argc = 0;
    while (argv[argc])
        argc++;
    return pf_redis_append(r, argc, (const char **)argv, lens);
}

void pf_celery_unacked_add_to(pf_redis_pipe *p, const char *tag, const char *raw, size_t len, const char *exchange,
                              const char *routing_key) {
    /* [envelope, exchange, routing key]; the envelope goes in as it came. */
    json_t *ex = json_string(exchange), *rk = json_string(routing_key);
    char *ex_text = pf_json_text(ex, false), *rk_text = pf_json_text(rk, false);
    char *entry = pf_xmalloc(len + strlen(ex_text) + strlen(rk_text) + 8);
    int n = sprintf(entry, "[%.*s, %s, %s]", (int)len, raw, ex_text, rk_text);
    char score[64];
    snprintf(score, sizeof score, "%.7f", pf_celery_now());
    const char *multi[] = {"MULTI", NULL}, *exec[] = {"EXEC", NULL};
    const char *zadd[] = {"ZADD", PF_CELERY_UNACKED_INDEX, score, tag, NULL};
    const char *hset[] = {"HSET", PF_CELERY_UNACKED, tag, entry, NULL};
    size_t hset_lens[] = {4, strlen(PF_CELERY_UNACKED), strlen(tag), (size_t)n};
    pf_redis_pipe_add(p, multi, NULL);
    pf_redis_pipe_add(p, zadd, NULL);
    pf_redis_pipe_add(p, hset, hset_lens);
    pf_redis_pipe_add(p, exec, NULL);
    free(entry);
    free(ex_text);
    free(rk_text);
    json_decref(ex);
    json_decref(rk);
}

pf_error *pf_celery_unacked_add(pf_redis *r, const char *tag, const char *raw, size_t len, const char *exchange,
                                const char *routing_key) {
    pf_redis_pipe p;
    pf_redis_pipe_init(&p, r);
    pf_celery_unacked_add_to(&p, tag, raw, len, exchange, routing_key);
    return pf_redis_pipe_run(&p, NULL);
}

void pf_celery_unacked_ack_to(pf_redis_pipe *p, const char *tag) {
    const char *multi[] = {"MULTI", NULL}, *exec[] = {"EXEC", NULL};
    const char *zrem[] = {"ZREM", PF_CELERY_UNACKED_INDEX, tag, NULL};
    const char *hdel[] = {"HDEL", PF_CELERY_UNACKED, tag, NULL};
    pf_redis_pipe_add(p, multi, NULL);
    pf_redis_pipe_add(p, zrem, NULL);
    pf_redis_pipe_add(p, hdel, NULL);
    pf_redis_pipe_add(p, exec, NULL);
}

pf_error *pf_celery_unacked_ack(pf_redis *r, const char *tag) {
    pf_redis_pipe p;
    pf_redis_pipe_init(&p, r);
    pf_celery_unacked_ack_to(&p, tag);
    return pf_redis_pipe_run(&p, NULL);
}

pf_error *pf_celery_unacked_touch(pf_redis *r, const char *tag) {
    char score[64];
    snprintf(score, sizeof score, "%.7f", pf_celery_now());
    const char *argv[] = {"ZADD", PF_CELERY_UNACKED_INDEX, "XX", score, tag, NULL};
    return pf_redis_run(r, argv);
}

/* ---- restore ---- */

/* Where kombu's _lookup sends a message back: the routing key itself for
 * the default exchange, else the queues bound to it with that key. */
static json_t *lookup_queues(pf_redis *r, const char *exchange, const char *rk) {
    json_t *queues = json_array();
    if (exchange && *exchange) {
        char *key = pf_asprintf("_kombu.binding.%s", exchange);
        const char *argv[] = {"SMEMBERS", key, NULL};
        redisReply *reply = NULL;
        pf_error *err = pf_redis_cmdv(r, &reply, argv);
        pf_error_free(err);
        size_t rk_len = strlen(rk), sep = strlen(PF_CELERY_SEP);
        for (size_t i = 0; reply && reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
            if (reply->element[i]->type != REDIS_REPLY_STRING) continue;
            const char *m = reply->element[i]->str;
            const char *second =
                strstr(m, PF_CELERY_SEP) ? strstr(strstr(m, PF_CELERY_SEP) + sep, PF_CELERY_SEP) : NULL;
            if (second && strncmp(m, rk, rk_len) == 0 && strncmp(m + rk_len, PF_CELERY_SEP, sep) == 0)
                json_array_append_new(queues, json_string(second + sep));
        }
        if (reply) freeReplyObject(reply);
        free(key);
    }
    if (json_array_size(queues) == 0 && rk && *rk) json_array_append_new(queues, json_string(rk));
    return queues;
}

/* The payload to push back, with redelivered set as kombu does; NULL when
 * the entry is not [envelope, exchange, routing key]. */
static char *restored_payload(const redisReply *entry, json_t **queues, pf_redis *r) {
    json_t *e = json_loadb(entry->str, entry->len, 0, NULL);
    json_t *env = json_array_get(e, 0);
    char *text = NULL;
    if (json_is_object(env)) {
        json_t *headers = json_object_get(env, "headers");
        json_t *info = json_object_get(json_object_get(env, "properties"), "delivery_info");
        if (json_is_object(headers)) json_object_set_new(headers, "redelivered", json_true());
        if (json_is_object(info)) json_object_set_new(info, "redelivered", json_true());
        *queues = lookup_queues(r, json_string_value(json_array_get(e, 1)), json_string_value(json_array_get(e, 2)));
        text = pf_json_text(env, false);
    }
    json_decref(e);
    return text;
}

/* One WATCH/HGET/MULTI/EXEC round; *retry when the hash changed under us. */
static pf_error *restore_round(pf_redis *r, const char *tag, bool *retry) {
    *retry = false;
    const char *watch[] = {"WATCH", PF_CELERY_UNACKED, NULL}, *hget[] = {"HGET", PF_CELERY_UNACKED, tag, NULL};
    redisReply *entry = NULL;
    pf_error *err = pf_redis_run(r, watch);
    if (!err) err = pf_redis_cmdv(r, &entry, hget);
    if (err) return err;
    json_t *queues = NULL;
    char *payload = entry->type == REDIS_REPLY_STRING ? restored_payload(entry, &queues, r) : NULL;
    freeReplyObject(entry);
    const char *multi[] = {"MULTI", NULL}, *exec[] = {"EXEC", NULL};
    const char *zrem[] = {"ZREM", PF_CELERY_UNACKED_INDEX, tag, NULL}, *hdel[] = {"HDEL", PF_CELERY_UNACKED, tag, NULL};
    int commands = 4;
    err = append(r, multi, NULL);
    if (!err) err = append(r, zrem, NULL);
    if (!err) err = append(r, hdel, NULL);
    size_t i;
    json_t *q;
    json_array_foreach(queues, i, q) {
        const char *rpush[] = {"RPUSH", json_string_value(q), payload, NULL};
        if (!err) err = append(r, rpush, NULL), commands++;
    }
    if (!err) err = append(r, exec, NULL);
    redisReply *exec_reply = NULL;
    if (!err) err = run_block(r, commands, &exec_reply);
    *retry = !err && exec_reply && exec_reply->type == REDIS_REPLY_NIL;
    if (exec_reply) freeReplyObject(exec_reply);
    json_decref(queues);
    free(payload);
    return err;
}

static pf_error *restore_tag(pf_redis *r, const char *tag) {
    bool retry = true;
    pf_error *err = NULL;
    for (int attempt = 0; attempt < 32 && retry && !err; attempt++)
        err = restore_round(r, tag, &retry);
    return err;
}

static pf_error *restore_older(pf_redis *r, long visibility_ms, size_t *restored) {
    char ceil[64];
    snprintf(ceil, sizeof ceil, "%.7f", pf_celery_now() - (double)visibility_ms / 1000.0);
    const char *argv[] = {"ZREVRANGEBYSCORE", PF_CELERY_UNACKED_INDEX, ceil, "0", NULL};
    redisReply *tags = NULL;
    pf_error *err = pf_redis_cmdv(r, &tags, argv);
    for (size_t i = 0; !err && tags->type == REDIS_REPLY_ARRAY && i < tags->elements; i++) {
        err = restore_tag(r, tags->element[i]->str);
        if (!err) {
            (*restored)++;
            pf_log(PF_LOG_WARN, "celery.restored",
                   "pushed back task message %s: its worker held it past the "
                   "visibility timeout",
                   tags->element[i]->str);
        }
    }
    if (tags) freeReplyObject(tags);
    return err;
}

pf_error *pf_celery_unacked_restore(pf_redis *r, long visibility_ms, size_t *restored) {
    *restored = 0;
    char token[PF_CELERY_UUID_LEN], expire[32];
    pf_celery_uuid(token);
    snprintf(expire, sizeof expire, "%d", PF_CELERY_UNACKED_MUTEX_EXPIRE_MS);
    const char *lock[] = {"SET", PF_CELERY_UNACKED_MUTEX, token, "PX", expire, "NX", NULL};
    redisReply *got = NULL;
    pf_error *err = pf_redis_cmdv(r, &got, lock);
    if (err) return err;
    bool held = got->type == REDIS_REPLY_STATUS;
    freeReplyObject(got);
    if (!held) return NULL; /* another worker is restoring */
    err = restore_older(r, visibility_ms, restored);
    const char *release[] = {"EVAL", release_script, "1", PF_CELERY_UNACKED_MUTEX, token, NULL};
    pf_error *rel = pf_redis_run(r, release);
    if (err) {
        pf_error_free(rel);
        return err;
    }
    return rel;
}
