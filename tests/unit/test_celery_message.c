/* Celery protocol v2 messages, result metas, events and broker URLs,
 * without a broker: envelopes as Celery 5.2 builds them, a real envelope
 * captured from python3-celery 5.2.6, and every refusal. */
#include "check.h"

#include "core/mem.h"
#include "transport/celery_events.h"
#include "transport/celery_message.h"
#include "transport/celery_pidbox.h"
#include "transport/celery_result.h"
#include "transport/redis_url.h"

#include <stdlib.h>
#include <string.h>

/* ---- broker URLs ---- */

typedef struct url_case {
    const char *url;
    const char *host; /* NULL: refused */
    int port, db;
    const char *user, *password;
    const char *phrase; /* in the error when refused */
} url_case;

static const url_case url_cases[] = {
    {"redis://127.0.0.1", "127.0.0.1", 6379, 0, NULL, NULL, NULL},
    {"redis://localhost:6380/2", "localhost", 6380, 2, NULL, NULL, NULL},
    {"redis://h:1/", "h", 1, 0, NULL, NULL, NULL},
    {"redis://:secret@h:7000/0", "h", 7000, 0, NULL, "secret", NULL},
    {"redis://secret@h", "h", 6379, 0, NULL, "secret", NULL},
    {"redis://worker:pw@h:7000/3", "h", 7000, 3, "worker", "pw", NULL},
    {"redis://worker:p@ss@w0rd@h/1", "h", 6379, 1, "worker", "p@ss@w0rd", NULL},
    {"redis://us%40er:p%3Aw%2F%25@h", "h", 6379, 0, "us@er", "p:w/%", NULL},
    {"redis://[::1]:6390/4", "::1", 6390, 4, NULL, NULL, NULL},
    {"redis://h:65535", "h", 65535, 0, NULL, NULL, NULL},
    {"amqp://guest@h//", NULL, 0, 0, NULL, NULL, "scheme 'amqp'"},
    {"rediss://h:6379", NULL, 0, 0, NULL, NULL, "TLS"},
    {"unix:///tmp/redis.sock", NULL, 0, 0, NULL, NULL, "scheme 'unix'"},
    {"redis://h:0", NULL, 0, 0, NULL, NULL, "port"},
    {"redis://h:65536", NULL, 0, 0, NULL, NULL, "port"},
    {"redis://h:12ab", NULL, 0, 0, NULL, NULL, "port"},
    {"redis://h/db1", NULL, 0, 0, NULL, NULL, "database"},
    {"redis://h/1?ssl=true", NULL, 0, 0, NULL, NULL, "query"},
    {"redis://:%zz@h", NULL, 0, 0, NULL, NULL, "%-escape"},
    {"redis://u:%00@h", NULL, 0, 0, NULL, NULL, "%-escape"},
    {"redis://", NULL, 0, 0, NULL, NULL, "no host"},
    {"redis://[::1", NULL, 0, 0, NULL, NULL, "']'"},
    {"", NULL, 0, 0, NULL, NULL, "empty"},
};

static bool same(const char *a, const char *b) { return (!a && !b) || (a && b && strcmp(a, b) == 0); }

static void test_urls(void) {
    for (size_t i = 0; i < sizeof url_cases / sizeof *url_cases; i++) {
        const url_case *t = &url_cases[i];
        pf_redis_url u;
        pf_error *err = pf_redis_url_parse(t->url, &u);
        if (t->host) {
            CHECK_MSG(!err, "%s: %s", t->url, err ? err->message : "");
            if (err) continue;
            CHECK_MSG(same(u.host, t->host) && u.port == t->port && u.db == t->db, "%s: %s %d %d", t->url, u.host,
                      u.port, u.db);
            CHECK_MSG(same(u.user, t->user) && same(u.password, t->password), "%s: user %s password %s", t->url,
                      u.user ? u.user : "-", u.password ? u.password : "-");
            pf_redis_url_clear(&u);
        } else {
            CHECK_MSG(err && err->code == PF_EINVAL && strstr(err->message, t->phrase), "%s: %s", t->url,
                      err ? err->message : "accepted");
            CHECK(u.host == NULL);
        }
        pf_error_free(err);
    }
    pf_redis_url u;
    CHECK(pf_redis_url_parse("redis://bob:secret@[::1]:7/3", &u) == NULL);
    char *shown = pf_redis_url_redacted(&u);
    CHECK_STR(shown, "redis://bob@[::1]:7/3");
    free(shown);
    pf_redis_url_clear(&u);
}

/* ---- base64 and small helpers ---- */

static void test_base64(void) {
    static const struct {
        const char *plain, *coded;
    } cases[] = {{"", ""},        {"f", "Zg=="},        {"fo", "Zm8="},
                 {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"[[2, 3], {}]", "W1syLCAzXSwge31d"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *coded = pf_celery_base64_encode(cases[i].plain, strlen(cases[i].plain));
        CHECK_STR(coded, cases[i].coded);
        size_t n = 0;
        unsigned char *plain = pf_celery_base64_decode(coded, &n);
        CHECK(plain && n == strlen(cases[i].plain) && memcmp(plain, cases[i].plain, n) == 0);
        free(plain);
        free(coded);
    }
    static const char *const bad[] = {"Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "Zm 9v", "=Zm9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n;
        unsigned char *p = pf_celery_base64_decode(bad[i], &n);
        CHECK_MSG(p == NULL, "accepted %s", bad[i]);
        free(p);
    }
    char u[PF_CELERY_UUID_LEN], v[PF_CELERY_UUID_LEN];
    pf_celery_uuid(u);
    pf_celery_uuid(v);
    CHECK(strlen(u) == 36 && u[8] == '-' && u[14] == '4' && strcmp(u, v) != 0);
    char done[32];
    pf_celery_date_done(done);
    CHECK_INT(strlen(done), 26);
    CHECK(done[10] == 'T' && done[19] == '.');

    static const struct {
        int priority;
        const char *list;
    } lists[] = {{0, "q"},
                 {2, "q"},
                 {3, "q\x06\x16"
                     "3"},
                 {5, "q\x06\x16"
                     "3"},
                 {6, "q\x06\x16"
                     "6"},
                 {9, "q\x06\x16"
                     "9"},
                 {12, "q\x06\x16"
                      "9"}};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        char *list = pf_celery_queue_for_priority("q", lists[i].priority);
        CHECK_STR(list, lists[i].list);
        free(list);
    }
}

/* ---- task envelopes ---- */

static const char *const header_fields[] = {
    "lang",    "task",      "id",      "shadow",    "eta",      "expires",    "group",  "group_index",
    "retries", "timelimit", "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result"};

static void test_envelope(void) {
    json_t *args = json_pack("[i,i]", 2, 3), *kwargs = json_pack("{s:s}", "mode", "fast");
    pf_celery_send_opts o = {.queue = "render",
                             .soft_time_limit_s = 50,
                             .hard_time_limit_s = 60,
                             .priority = 0,
                             .retries = 2,
                             .parent_id = "p-1"};
    json_t *env = pf_celery_task_message("test.add", "t-1", args, kwargs, &o, "gen1@host", "reply-1");
    const json_t *h = json_object_get(env, "headers"), *p = json_object_get(env, "properties");
    for (size_t i = 0; i < sizeof header_fields / sizeof *header_fields; i++)
        CHECK_MSG(json_object_get(h, header_fields[i]) != NULL, "header %s", header_fields[i]);
    CHECK_INT(json_object_size(h), sizeof header_fields / sizeof *header_fields);
    CHECK_STR(json_string_value(json_object_get(h, "task")), "test.add");
    CHECK_STR(json_string_value(json_object_get(h, "root_id")), "t-1");
    CHECK_STR(json_string_value(json_object_get(h, "parent_id")), "p-1");
    CHECK_INT(json_integer_value(json_array_get(json_object_get(h, "timelimit"), 0)), 60);
    CHECK_INT(json_integer_value(json_array_get(json_object_get(h, "timelimit"), 1)), 50);
    CHECK_STR(json_string_value(json_object_get(env, "content-type")), "application/json");
    CHECK_STR(json_string_value(json_object_get(env, "content-encoding")), "utf-8");
    CHECK_STR(json_string_value(json_object_get(p, "correlation_id")), "t-1");
    CHECK_STR(json_string_value(json_object_get(p, "reply_to")), "reply-1");
    CHECK_INT(json_integer_value(json_object_get(p, "delivery_mode")), 2);
    CHECK_STR(json_string_value(json_object_get(p, "body_encoding")), "base64");
    CHECK_INT(strlen(json_string_value(json_object_get(p, "delivery_tag"))), 36);
    const json_t *info = json_object_get(p, "delivery_info");
    CHECK_STR(json_string_value(json_object_get(info, "exchange")), "");
    CHECK_STR(json_string_value(json_object_get(info, "routing_key")), "render");

    /* The body round trip, through the parser a worker uses. */
    char *text = json_dumps(env, JSON_COMPACT);
    pf_celery_message m;
    pf_error *err = pf_celery_message_parse(text, strlen(text), &m);
    CHECK(err == NULL);
    CHECK_STR(m.id, "t-1");
    CHECK_STR(m.name, "test.add");
    CHECK_STR(m.routing_key, "render");
    CHECK(json_equal((json_t *)m.args, args) && json_equal((json_t *)m.kwargs, kwargs));
    CHECK(json_is_null(json_object_get(m.embed, "chord")) && json_object_size(m.embed) == 4);
    CHECK_INT(m.retries, 2);
    CHECK(m.hard_time_limit_s == 60 && m.soft_time_limit_s == 50 && !m.redelivered);
    pf_celery_message_clear(&m);
    free(text);
    json_decref(env);

    /* No limits: [null, null]; no args: [] and {}. */
    env = pf_celery_task_message("x", "t-2", NULL, NULL, NULL, NULL, NULL);
    h = json_object_get(env, "headers");
    CHECK(json_is_null(json_array_get(json_object_get(h, "timelimit"), 0)));
    CHECK_STR(json_string_value(
                  json_object_get(json_object_get(json_object_get(env, "properties"), "delivery_info"), "routing_key")),
              "celery");
    json_decref(env);
    json_decref(args);
    json_decref(kwargs);
}

/* Captured with `redis-cli monitor` from python3-celery 5.2.6 sending
 * test.add(2, 3) (`add.delay(2, 3)`), written here by hand. */
static const char captured[] =
    "{\"body\": \"W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjog"
    "bnVsbH1d\", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", \"headers\": {\"lang\": "
    "\"py\", \"task\": \"test.add\", \"id\": \"88ff7a74-5efc-4b2b-b706-68043ff2b7ee\", \"shadow\": null, \"eta\": "
    "null, \"expires\": null, \"group\": null, \"group_index\": null, \"retries\": 0, \"timelimit\": [null, null], "
    "\"root_id\": \"88ff7a74-5efc-4b2b-b706-68043ff2b7ee\", \"parent_id\": null, \"argsrepr\": \"(2, 3)\", "
    "\"kwargsrepr\": \"{}\", \"origin\": \"gen14558@vm\", \"ignore_result\": false}, \"properties\": "
    "{\"correlation_id\": \"88ff7a74-5efc-4b2b-b706-68043ff2b7ee\", \"reply_to\": "
    "\"af7a2e62-5284-3f63-8364-2d59537f4ea6\", \"delivery_mode\": 2, \"delivery_info\": {\"exchange\": \"\", "
    "\"routing_key\": \"celery\"}, \"priority\": 0, \"body_encoding\": \"base64\", \"delivery_tag\": "
    "\"4d6bd59f-cfb0-4b9e-8ce5-17fb60bea7e4\"}}";

static void test_captured(void) {
    pf_celery_message m;
    pf_error *err = pf_celery_message_parse(captured, strlen(captured), &m);
    CHECK(err == NULL);
    CHECK_STR(m.id, "88ff7a74-5efc-4b2b-b706-68043ff2b7ee");
    CHECK_STR(m.name, "test.add");
    CHECK_STR(m.delivery_tag, "4d6bd59f-cfb0-4b9e-8ce5-17fb60bea7e4");
    CHECK_STR(m.exchange, "");
    CHECK_STR(m.routing_key, "celery");
    CHECK_INT(json_array_size(m.args), 2);
    CHECK_INT(json_integer_value(json_array_get(m.args, 1)), 3);
    CHECK_INT(json_object_size(m.kwargs), 0);
    CHECK(m.parent_id == NULL && m.hard_time_limit_s == 0);
    /* The C builder gives the same shape: the same keys at each level. */
    json_t *ours = pf_celery_task_message("test.add", m.id, m.args, m.kwargs, NULL, "gen1@h", "r");
    const char *const levels[] = {NULL, "headers", "properties"};
    for (size_t l = 0; l < 3; l++) {
        const json_t *a = levels[l] ? json_object_get(m.envelope, levels[l]) : m.envelope;
        const json_t *b = levels[l] ? json_object_get(ours, levels[l]) : ours;
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)a, key, v) CHECK_MSG(json_object_get(b, key) != NULL, "missing %s", key);
        CHECK_INT(json_object_size(a), json_object_size(b));
    }
    json_decref(ours);
    pf_celery_message_clear(&m);
}

/* ---- refusals ---- */

typedef struct refusal {
    const char *what, *envelope, *phrase, *exc_type, *id;
} refusal;

#define V2_HEADERS "\"headers\": {\"task\": \"test.add\", \"id\": \"r-1\"}"
#define PROPS "\"properties\": {\"body_encoding\": \"base64\", \"delivery_tag\": \"tag-1\"}"

static const refusal refusals[] = {
    {"pickle",
     "{\"body\": \"gASVAAAAAAAAAAB9lC4=\", \"content-type\": \"application/x-python-serialize\", "
     "\"content-encoding\": \"binary\", " V2_HEADERS ", " PROPS "}",
     "pickle", "ContentDisallowed", "r-1"},
    {"yaml", "{\"body\": \"W10=\", \"content-type\": \"application/x-yaml\", " V2_HEADERS ", " PROPS "}", "yaml",
     "ContentDisallowed", "r-1"},
    {"compressed",
     "{\"body\": \"eJyLjgUAARUAuQ==\", \"content-type\": \"application/json\", \"headers\": {\"task\": \"test.add\", "
     "\"id\": \"r-1\", \"compression\": \"application/x-gzip\"}, " PROPS "}",
     "compress", "ContentDisallowed", "r-1"},
    /* v1: the task and id live in the body ({"task":"test.add","id":"v1-1","args":[],"kwargs":{}}). */
    {"protocol v1",
     "{\"body\": \"eyJ0YXNrIjogInRlc3QuYWRkIiwgImlkIjogInYxLTEiLCAiYXJncyI6IFtdLCAia3dhcmdzIjoge319\", "
     "\"content-type\": \"application/json\", \"headers\": {}, " PROPS "}",
     "protocol v1", "InvalidTaskError", "v1-1"},
    {"bad base64", "{\"body\": \"W1tdLCB7fS@@\", \"content-type\": \"application/json\", " V2_HEADERS ", " PROPS "}",
     "base64", "InvalidTaskError", "r-1"},
    {"not json body", "{\"body\": \"bm90IGpzb24=\", \"content-type\": \"application/json\", " V2_HEADERS ", " PROPS "}",
     "not JSON", "InvalidTaskError", "r-1"},
    /* [1, 2] and {"args": []} are JSON but not [args, kwargs, embed]. */
    {"two items", "{\"body\": \"WzEsIDJd\", \"content-type\": \"application/json\", " V2_HEADERS ", " PROPS "}",
     "[args, kwargs, embed]", "InvalidTaskError", "r-1"},
    {"object body",
     "{\"body\": \"eyJhcmdzIjogW119\", \"content-type\": \"application/json\", " V2_HEADERS ", " PROPS "}",
     "[args, kwargs, embed]", "InvalidTaskError", "r-1"},
    {"no id", "{\"body\": \"W10=\", \"content-type\": \"application/json\", \"headers\": {\"task\": \"x\"}, " PROPS "}",
     "no task id", "InvalidTaskError", NULL},
    {"not an object", "[1, 2, 3]", "not a JSON object", "InvalidTaskError", NULL},
    {"not json", "{\"body\":", "not a JSON object", "InvalidTaskError", NULL},
};

static void test_refusals(void) {
    for (size_t i = 0; i < sizeof refusals / sizeof *refusals; i++) {
        const refusal *t = &refusals[i];
        pf_celery_message m;
        pf_error *err = pf_celery_message_parse(t->envelope, strlen(t->envelope), &m);
        CHECK_MSG(err && err->code == PF_EINVAL && strstr(err->message, t->phrase), "%s: %s", t->what,
                  err ? err->message : "accepted");
        CHECK_MSG(same(m.refused_exc_type, t->exc_type), "%s: %s", t->what, m.refused_exc_type);
        CHECK_MSG(same(m.id, t->id), "%s: id %s", t->what, m.id ? m.id : "-");
        pf_error_free(err);
        pf_celery_message_clear(&m);
    }
}

/* ---- results ---- */

static void test_results(void) {
    json_t *five = json_integer(5);
    json_t *ok = pf_celery_meta_success("t-1", five);
    CHECK_STR(json_string_value(json_object_get(ok, "status")), "SUCCESS");
    CHECK_INT(json_integer_value(json_object_get(ok, "result")), 5);
    CHECK(json_is_null(json_object_get(ok, "traceback")) && json_array_size(json_object_get(ok, "children")) == 0);
    CHECK_STR(json_string_value(json_object_get(ok, "task_id")), "t-1");
    CHECK(json_is_string(json_object_get(ok, "date_done")));
    CHECK(pf_celery_meta_is_ready(ok) && pf_celery_meta_error(ok) == NULL);
    json_decref(ok);
    json_decref(five);

    pf_error *e = pf_error_new(PF_ETIMEOUT, "/params/x", "render took longer than 60 s");
    json_t *fail = pf_celery_meta_from_error("t-2", e, "prodflow worker w@h, task render");
    const json_t *res = json_object_get(fail, "result");
    CHECK_STR(json_string_value(json_object_get(fail, "status")), "FAILURE");
    CHECK_STR(json_string_value(json_object_get(res, "exc_type")), "TimeLimitExceeded");
    CHECK_STR(json_string_value(json_object_get(res, "exc_module")), "billiard.exceptions");
    CHECK_STR(json_string_value(json_array_get(json_object_get(res, "exc_message"), 0)),
              "render took longer than 60 s");
    CHECK(strstr(json_string_value(json_object_get(fail, "traceback")), "at /params/x") != NULL);
    pf_error *back = pf_celery_meta_error(fail);
    CHECK(back && back->code == PF_ETIMEOUT && strstr(back->message, "render took longer"));
    pf_error_free(back);
    pf_error_free(e);
    json_decref(fail);

    json_t *rev = pf_celery_meta_revoked("t-3", "terminated");
    CHECK_STR(json_string_value(json_object_get(rev, "status")), "REVOKED");
    CHECK_STR(json_string_value(json_object_get(json_object_get(rev, "result"), "exc_type")), "TaskRevokedError");
    back = pf_celery_meta_error(rev);
    CHECK(back && back->code == PF_ECANCELLED);
    pf_error_free(back);
    json_decref(rev);

    /* Every code survives the trip through a Python exception name. */
    for (pf_code c = PF_EINVAL; c <= PF_EINTERNAL; c++) {
        const char *type, *module;
        pf_celery_exc_for_code(c, &type, &module);
        CHECK_MSG(pf_celery_code_for_exc(type) == c, "%s", pf_code_name(c));
    }
    CHECK(pf_celery_code_for_exc("NotRegistered") == PF_EUNAVAILABLE);
    CHECK(pf_celery_code_for_exc("KeyError") == PF_EINTERNAL);
    json_t *pending = json_pack("{s:s}", "status", "STARTED");
    CHECK(!pf_celery_meta_is_ready(pending));
    json_decref(pending);
}

/* ---- events and pidbox documents ---- */

static void test_events(void) {
    pf_celery_events ev;
    pf_celery_events_init(&ev, "w1@host", 3);
    json_t *e = pf_celery_event(&ev, "worker-heartbeat", pf_celery_worker_fields(2.0, 1, 7));
    static const char *const fields[] = {"hostname", "utcoffset", "pid",     "clock",    "timestamp", "type",  "freq",
                                         "active",   "processed", "loadavg", "sw_ident", "sw_ver",    "sw_sys"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        CHECK_MSG(json_object_get(e, fields[i]) != NULL, "event field %s", fields[i]);
    CHECK_INT(json_integer_value(json_object_get(e, "clock")), 1);
    CHECK(json_real_value(json_object_get(e, "freq")) == 2.0);
    CHECK_INT(json_array_size(json_object_get(e, "loadavg")), 3);
    json_decref(e);
    pf_celery_clock_adjust(&ev, 41);
    CHECK_INT(pf_celery_clock_forward(&ev), 43);
    char *channel = pf_celery_event_channel(3, "task-received");
    CHECK_STR(channel, "/3.celeryev/task.received");
    free(channel);
    channel = pf_celery_pidbox_channel(0);
    CHECK_STR(channel, "/0.celery.pidbox");
    free(channel);
    char *exc = pf_celery_exception_repr("ValueError", "it's bad");
    CHECK_STR(exc, "ValueError('it\\'s bad')");
    free(exc);
    pf_celery_events_clear(&ev);

    json_t *req = pf_celery_pidbox_request("ping", NULL, "tick-1", "rk-1", 5, 1.0);
    json_t *body = NULL;
    CHECK(pf_celery_envelope_body(req, &body) == NULL);
    CHECK_STR(json_string_value(json_object_get(body, "method")), "ping");
    CHECK_STR(json_string_value(json_object_get(json_object_get(body, "reply_to"), "routing_key")), "rk-1");
    CHECK_STR(json_string_value(json_object_get(json_object_get(body, "reply_to"), "exchange")), "reply.celery.pidbox");
    CHECK(json_is_null(json_object_get(body, "destination")));
    CHECK_STR(json_string_value(
                  json_object_get(json_object_get(json_object_get(req, "properties"), "delivery_info"), "exchange")),
              "celery.pidbox");
    json_decref(body);
    json_decref(req);
    char *q = pf_celery_pidbox_reply_queue("rk-1");
    CHECK_STR(q, "rk-1.reply.celery.pidbox");
    free(q);
}

int main(void) {
    test_urls();
    test_base64();
    test_envelope();
    test_captured();
    test_refusals();
    test_results();
    test_events();
    return pf_check_done("test_celery_message");
}
