#include "transport/celery_pidbox.h"

#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "transport/celery_message.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

char *pf_celery_pidbox_channel(int db) { return pf_asprintf("/%d." PF_CELERY_PIDBOX_EXCHANGE, db); }

char *pf_celery_pidbox_reply_queue(const char *reply_rk) {
    return pf_asprintf("%s." PF_CELERY_REPLY_EXCHANGE, reply_rk);
}

/* kombu's Node.handle_message: a destination list names hostnames; else a
 * glob pattern; else everyone. */
static bool for_us(const json_t *body, const char *hostname) {
    const json_t *dest = json_object_get(body, "destination");
    if (json_is_array(dest) && json_array_size(dest) > 0) {
        size_t i;
        const json_t *d;
        json_array_foreach(dest, i,
                           d) if (json_is_string(d) && strcmp(json_string_value(d), hostname) == 0) return true;
        return false;
    }
    const char *pattern = json_string_value(json_object_get(body, "pattern"));
    const char *matcher = json_string_value(json_object_get(body, "matcher"));
    if (pattern && matcher) return strcmp(matcher, "glob") == 0 && fnmatch(pattern, hostname, 0) == 0;
    return true;
}

static json_t *ok(const char *text) { return json_pack("{s:s}", "ok", text); }

static json_t *task_id_list(const json_t *arguments) {
    const json_t *ids = json_object_get(arguments, "task_id");
    if (json_is_array(ids)) return json_deep_copy(ids);
    json_t *list = json_array();
    if (json_is_string(ids)) json_array_append(list, (json_t *)ids);
    return list;
}

static json_t *run_revoke(const pf_celery_pidbox_ops *ops, const json_t *arguments, bool force_terminate) {
    json_t *ids = task_id_list(arguments);
    bool terminate = force_terminate || json_is_true(json_object_get(arguments, "terminate"));
    const char *signal = json_string_value(json_object_get(arguments, "signal"));
    json_t *answer = ops->revoke(ops->user, ids, terminate, signal ? signal : "SIGTERM");
    json_decref(ids);
    return answer;
}

static json_t *dispatch(const pf_celery_pidbox_ops *ops, const char *method, const json_t *arguments) {
    if (strcmp(method, "ping") == 0) return ok("pong");
    if (strcmp(method, "revoke") == 0) return run_revoke(ops, arguments, false);
    if (strcmp(method, "terminate") == 0) return run_revoke(ops, arguments, true);
    if (strcmp(method, "stats") == 0 && ops->stats) return ops->stats(ops->user);
    if (strcmp(method, "active") == 0 && ops->active) return ops->active(ops->user);
    if (strcmp(method, "heartbeat") == 0 && ops->heartbeat) {
        ops->heartbeat(ops->user);
        return ok("heartbeat sent");
    }
    char *msg = pf_asprintf(
        "unknown command '%s': this worker answers ping, revoke, terminate, stats, active and heartbeat", method);
    json_t *answer = json_pack("{s:s}", "error", msg);
    free(msg);
    return answer;
}

/* The reply queues bound to the reply exchange with this routing key, as
 * kombu's direct exchange lookup finds them. */
static pf_error *reply_queues(pf_redis *r, const char *rk, json_t *queues) {
    redisReply *reply = NULL;
    const char *argv[] = {"SMEMBERS", "_kombu.binding." PF_CELERY_REPLY_EXCHANGE, NULL};
    pf_error *err = pf_redis_cmdv(r, &reply, argv);
    if (err) return err;
    size_t rk_len = strlen(rk), sep_len = strlen(PF_CELERY_SEP);
    for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const redisReply *m = reply->element[i];
        /* "<rk>\x06\x16<pattern>\x06\x16<queue>" */
        if (m->type != REDIS_REPLY_STRING || m->len < rk_len + sep_len || memcmp(m->str, rk, rk_len) != 0 ||
            memcmp(m->str + rk_len, PF_CELERY_SEP, sep_len) != 0)
            continue;
        const char *last = NULL;
        for (const char *p = m->str; (p = strstr(p, PF_CELERY_SEP)); p += sep_len)
            last = p + sep_len;
        if (last) json_array_append_new(queues, json_string(last));
    }
    freeReplyObject(reply);
    return NULL;
}

static pf_error *send_reply(pf_redis *r, pf_celery_events *ev, const json_t *reply_to, const char *ticket,
                            json_t *answer) {
    const char *exchange = json_string_value(json_object_get(reply_to, "exchange"));
    const char *rk = json_string_value(json_object_get(reply_to, "routing_key"));
    if (!rk || !ticket) return NULL;
    json_t *body = json_pack("{s:O}", ev->hostname, answer);
    json_t *headers = json_pack("{s:s, s:I}", "ticket", ticket, "clock", (json_int_t)pf_celery_clock_forward(ev));
    json_t *env =
        pf_celery_envelope_wrap(body, headers, exchange ? exchange : PF_CELERY_REPLY_EXCHANGE, rk, 1 /* transient */);
    char *text = pf_json_text(env, false);
    json_t *queues = json_array();
    pf_error *err = reply_queues(r, rk, queues);
    size_t i;
    json_t *q;
    json_array_foreach(queues, i, q) {
        const char *argv[] = {"LPUSH", json_string_value(q), text, NULL};
        if (!err) err = pf_redis_run(r, argv);
    }
    json_decref(queues);
    free(text);
    json_decref(env);
    json_decref(body);
    return err;
}

static bool expired(const json_t *env) {
    const json_t *exp = json_object_get(json_object_get(env, "headers"), "expires");
    return json_is_number(exp) && json_number_value(exp) > 0 && pf_celery_now() > json_number_value(exp);
}

pf_error *pf_celery_pidbox_handle(pf_redis *r, pf_celery_events *ev, const pf_celery_pidbox_ops *ops, const char *raw,
                                  size_t len) {
    json_t *env = json_loadb(raw, len, 0, NULL), *body = NULL;
    pf_error *err = env ? pf_celery_envelope_body(env, &body)
                        : pf_error_new(PF_EINVAL, "", "a pidbox message that is not JSON was ignored");
    const char *method = json_string_value(json_object_get(body, "method"));
    if (!err && !method) err = pf_error_new(PF_EINVAL, "/body/method", "a pidbox message without a method was ignored");
    if (!err) {
        const json_t *clock = json_object_get(json_object_get(env, "headers"), "clock");
        if (json_is_integer(clock)) pf_celery_clock_adjust(ev, json_integer_value(clock));
    }
    if (!err && for_us(body, ev->hostname) && !expired(env)) {
        pf_log(PF_LOG_DEBUG, "celery.pidbox", "pidbox command %s", method);
        json_t *answer = dispatch(ops, method, json_object_get(body, "arguments"));
        const json_t *reply_to = json_object_get(body, "reply_to");
        if (json_is_object(reply_to))
            err = send_reply(r, ev, reply_to, json_string_value(json_object_get(body, "ticket")), answer);
        json_decref(answer);
    }
    json_decref(body);
    json_decref(env);
    return err;
}

json_t *pf_celery_pidbox_request(const char *method, json_t *arguments, const char *ticket, const char *reply_rk,
                                 long long clock, double timeout_s) {
    json_t *body = json_pack("{s:s, s:o, s:n, s:n, s:n}", "method", method, "arguments",
                             arguments ? arguments : json_object(), "destination", "pattern", "matcher");
    if (ticket && reply_rk) {
        json_object_set_new(body, "ticket", json_string(ticket));
        json_object_set_new(body, "reply_to",
                            json_pack("{s:s, s:s}", "exchange", PF_CELERY_REPLY_EXCHANGE, "routing_key", reply_rk));
    }
    json_t *headers = json_pack("{s:I, s:f}", "clock", (json_int_t)clock, "expires",
                                timeout_s > 0 ? pf_celery_now() + timeout_s : 0.0);
    json_t *env = pf_celery_envelope_wrap(body, headers, PF_CELERY_PIDBOX_EXCHANGE, "", 2);
    json_decref(body);
    return env;
}
