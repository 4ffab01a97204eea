#include "transport/celery_message.h"

#include "core/clock.h"
#include "core/json_text.h"
#include "core/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void pf_celery_uuid(char out[PF_CELERY_UUID_LEN]) {
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        /* getrandom only fails before the pool is seeded; time keeps ids distinct. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)((uint64_t)ts.tv_nsec >> (i % 8 * 8) ^ (uint64_t)ts.tv_sec >> (i % 4 * 8));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, PF_CELERY_UUID_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

double pf_celery_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
}

void pf_celery_date_done(char out[32]) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char iso[PF_ISO_LEN];
    pf_iso_format(ts.tv_sec, 0, iso); /* "YYYY-MM-DDTHH:MM:SS.000Z" */
    snprintf(out, 32, "%.19s.%06d", iso, (int)(ts.tv_nsec / 1000 % 1000000));
}

/* ---- base64 ---- */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *pf_celery_base64_encode(const void *data, size_t n) {
    const unsigned char *in = data;
    char *out = pf_xmalloc((n + 2) / 3 * 4 + 1), *w = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        *w++ = b64_alphabet[v >> 18 & 63];
        *w++ = b64_alphabet[v >> 12 & 63];
        *w++ = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
        *w++ = i + 2 < n ? b64_alphabet[v & 63] : '=';
    }
    *w = '\0';
    return out;
}

static int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

unsigned char *pf_celery_base64_decode(const char *text, size_t *n_out) {
    size_t len = strlen(text);
    if (len % 4 != 0) return NULL;
    unsigned char *out = pf_xmalloc(len / 4 * 3 + 1);
    size_t w = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        bool last = i + 4 == len;
        for (int k = 0; k < 4; k++) {
            v[k] = b64_value(text[i + k]);
            /* '=' only as the last one or two characters. */
            bool pad_ok = last && text[i + k] == '=' && (k == 3 || (k == 2 && text[i + 3] == '='));
            if (v[k] < 0 && !pad_ok) {
                free(out);
                return NULL;
            }
        }
        uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)(v[2] < 0 ? 0 : v[2]) << 6 |
                        (uint32_t)(v[3] < 0 ? 0 : v[3]);
        out[w++] = (unsigned char)(bits >> 16);
        if (v[2] >= 0) out[w++] = (unsigned char)(bits >> 8);
        if (v[3] >= 0) out[w++] = (unsigned char)bits;
    }
    out[w] = '\0';
    *n_out = w;
    return out;
}

char *pf_celery_queue_for_priority(const char *queue, int priority) {
    /* kombu: the largest of the steps 0, 3, 6, 9 not above the priority. */
    int step = priority >= 9 ? 9 : priority >= 6 ? 6 : priority >= 3 ? 3 : 0;
    if (step == 0) return pf_strdup(queue);
    return pf_asprintf("%s" PF_CELERY_SEP "%d", queue, step);
}

/* ---- envelopes ---- */

json_t *pf_celery_envelope_wrap(const json_t *body, json_t *headers, const char *exchange, const char *routing_key,
                                int delivery_mode) {
    char *text = pf_json_text(body, false);
    char *b64 = pf_celery_base64_encode(text, strlen(text));
    free(text);
    char tag[PF_CELERY_UUID_LEN];
    pf_celery_uuid(tag);
    json_t *env =
        json_pack("{s:s, s:s, s:s, s:o, s:{s:i, s:{s:s, s:s}, s:i, s:s, s:s}}", "body", b64, "content-encoding",
                  "utf-8", "content-type", "application/json", "headers", headers ? headers : json_object(),
                  "properties", "delivery_mode", delivery_mode, "delivery_info", "exchange", exchange, "routing_key",
                  routing_key, "priority", 0, "body_encoding", "base64", "delivery_tag", tag);
    free(b64);
    return env;
}

static const char *str_field(const json_t *obj, const char *key) {
    return json_string_value(json_object_get(obj, key));
}

/* Why a content type is refused, or NULL when it is JSON. */
static const char *refused_content(const char *content_type) {
    if (!content_type || strcmp(content_type, "application/json") == 0) return NULL;
    if (strcmp(content_type, "application/x-python-serialize") == 0) return "pickle";
    if (strcmp(content_type, "application/x-yaml") == 0) return "yaml";
    if (strcmp(content_type, "application/x-msgpack") == 0) return "msgpack";
    return content_type;
}

static pf_error *check_content(const json_t *env) {
    const char *type = str_field(env, "content-type");
    const char *why = refused_content(type);
    if (why)
        return pf_error_new(PF_EINVAL, "/content-type",
                            "refusing to deserialize content of type %s (%s): only JSON is accepted", why, type);
    const json_t *headers = json_object_get(env, "headers");
    const char *compression = str_field(headers, "compression");
    if (compression)
        return pf_error_new(PF_EINVAL, "/headers/compression",
                            "refusing a compressed body (%s): compression is not supported", compression);
    return NULL;
}

pf_error *pf_celery_envelope_body(const json_t *env, json_t **body) {
    *body = NULL;
    pf_error *err = check_content(env);
    if (err) return err;
    const char *text = str_field(env, "body");
    if (!text) return pf_error_new(PF_EINVAL, "/body", "the message has no body string");
    const char *encoding = str_field(json_object_get(env, "properties"), "body_encoding");
    unsigned char *decoded = NULL;
    size_t n = strlen(text);
    if (encoding && strcmp(encoding, "base64") == 0) {
        decoded = pf_celery_base64_decode(text, &n);
        if (!decoded) return pf_error_new(PF_EINVAL, "/body", "the body is not valid base64");
    } else if (encoding) {
        return pf_error_new(PF_EINVAL, "/properties/body_encoding", "body encoding '%s' is not supported", encoding);
    }
    json_error_t jerr;
    *body = json_loadb(decoded ? (const char *)decoded : text, n, JSON_DECODE_ANY, &jerr);
    free(decoded);
    if (!*body) return pf_error_new(PF_EINVAL, "/body", "the body is not JSON: %s", jerr.text);
    return NULL;
}

/* ---- task messages ---- */

static json_t *limit_value(long seconds) { return seconds > 0 ? json_integer(seconds) : json_null(); }

static json_t *task_headers(const char *name, const char *id, const json_t *args, const json_t *kwargs,
                            const pf_celery_send_opts *o, const char *origin) {
    char *argsrepr = pf_json_text(args, false), *kwargsrepr = pf_json_text(kwargs, false);
    /* lang "py": Celery's workers and monitors only know that value. */
    json_t *h = json_pack("{s:s, s:s, s:s, s:n, s:n, s:n, s:n, s:n, s:i, s:[o,o], s:s, s:o, s:s, s:s, s:o, s:b}",
                          "lang", "py", "task", name, "id", id, "shadow", "eta", "expires", "group", "group_index",
                          "retries", o->retries, "timelimit", limit_value(o->hard_time_limit_s),
                          limit_value(o->soft_time_limit_s), "root_id", o->root_id ? o->root_id : id, "parent_id",
                          o->parent_id ? json_string(o->parent_id) : json_null(), "argsrepr", argsrepr, "kwargsrepr",
                          kwargsrepr, "origin", origin ? json_string(origin) : json_null(), "ignore_result", 0);
    free(argsrepr);
    free(kwargsrepr);
    return h;
}

json_t *pf_celery_task_message(const char *task_name, const char *task_id, const json_t *args, const json_t *kwargs,
                               const pf_celery_send_opts *opts, const char *origin, const char *reply_to) {
    static const pf_celery_send_opts defaults = {0};
    const pf_celery_send_opts *o = opts ? opts : &defaults;
    json_t *no_args = json_array(), *no_kwargs = json_object();
    const json_t *a = args ? args : no_args, *k = kwargs ? kwargs : no_kwargs;
    json_t *body = json_pack("[O,O,{s:n,s:n,s:n,s:n}]", a, k, "callbacks", "errbacks", "chain", "chord");
    const char *queue = o->queue ? o->queue : "celery";
    json_t *env = pf_celery_envelope_wrap(body, task_headers(task_name, task_id, a, k, o, origin), "", queue, 2);
    json_decref(body);
    json_decref(no_args);
    json_decref(no_kwargs);
    json_t *props = json_object_get(env, "properties");
    json_object_set_new(props, "correlation_id", json_string(task_id));
    json_object_set_new(props, "reply_to", reply_to ? json_string(reply_to) : json_null());
    int priority = o->priority < 0 ? 0 : o->priority > 9 ? 9 : o->priority;
    json_object_set_new(props, "priority", json_integer(priority));
    return env;
}

static double number_or_zero(const json_t *v) { return json_is_number(v) ? json_number_value(v) : 0; }

/* Fills the identifying fields, which a refusal keeps. */
static void read_identity(pf_celery_message *m) {
    const json_t *props = json_object_get(m->envelope, "properties");
    const json_t *info = json_object_get(props, "delivery_info");
    m->headers = json_object_get(m->envelope, "headers");
    m->id = str_field(m->headers, "id");
    m->name = str_field(m->headers, "task");
    m->delivery_tag = str_field(props, "delivery_tag");
    m->exchange = str_field(info, "exchange");
    m->routing_key = str_field(info, "routing_key");
    m->root_id = str_field(m->headers, "root_id");
    m->parent_id = str_field(m->headers, "parent_id");
    m->retries = (int)json_integer_value(json_object_get(m->headers, "retries"));
    const json_t *limits = json_object_get(m->headers, "timelimit");
    m->hard_time_limit_s = number_or_zero(json_array_get(limits, 0));
    m->soft_time_limit_s = number_or_zero(json_array_get(limits, 1));
    m->redelivered =
        json_is_true(json_object_get(info, "redelivered")) || json_is_true(json_object_get(m->headers, "redelivered"));
}

static void refuse_as(pf_celery_message *m, const char *type, const char *module) {
    m->refused_exc_type = type;
    m->refused_exc_module = module;
}

/* Protocol v1 kept everything in the body: {"task", "id", "args", ...}. */
static pf_error *refuse_v1(pf_celery_message *m) {
    json_t *body = NULL;
    pf_error *err = pf_celery_envelope_body(m->envelope, &body);
    if (!err && json_is_object(body)) {
        /* Keep the id and name for the FAILURE; the body owns them. */
        m->body = body;
        m->id = str_field(body, "id");
        m->name = str_field(body, "task");
        body = NULL;
    }
    json_decref(body);
    pf_error_free(err);
    refuse_as(m, "InvalidTaskError", "celery.exceptions");
    return pf_error_new(PF_EINVAL, "/headers/task",
                        "refusing a Celery protocol v1 message (no task header): only protocol v2 is supported");
}

static pf_error *read_body(pf_celery_message *m) {
    json_t *body = NULL;
    pf_error *err = pf_celery_envelope_body(m->envelope, &body);
    if (err) {
        bool content = strcmp(err->pointer, "/content-type") == 0 || strcmp(err->pointer, "/headers/compression") == 0;
        refuse_as(m, content ? "ContentDisallowed" : "InvalidTaskError",
                  content ? "kombu.exceptions" : "celery.exceptions");
        return err;
    }
    if (!json_is_array(body) || json_array_size(body) != 3 || !json_is_array(json_array_get(body, 0)) ||
        !json_is_object(json_array_get(body, 1)) ||
        !(json_is_object(json_array_get(body, 2)) || json_is_null(json_array_get(body, 2)))) {
        json_decref(body);
        refuse_as(m, "InvalidTaskError", "celery.exceptions");
        return pf_error_new(PF_EINVAL, "/body", "the body is not [args, kwargs, embed]");
    }
    m->body = body;
    m->args = json_array_get(body, 0);
    m->kwargs = json_array_get(body, 1);
    m->embed = json_array_get(body, 2);
    return NULL;
}

pf_error *pf_celery_message_parse(const char *raw, size_t len, pf_celery_message *out) {
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *env = json_loadb(raw, len, 0, &jerr);
    if (!json_is_object(env)) {
        json_decref(env);
        refuse_as(out, "InvalidTaskError", "celery.exceptions");
        return pf_error_new(PF_EINVAL, "", "the message is not a JSON object: %s", env ? "not an object" : jerr.text);
    }
    out->envelope = env;
    read_identity(out);
    if (!out->name) return refuse_v1(out);
    if (!out->id) {
        refuse_as(out, "InvalidTaskError", "celery.exceptions");
        return pf_error_new(PF_EINVAL, "/headers/id", "the message has no task id");
    }
    return read_body(out);
}

void pf_celery_message_clear(pf_celery_message *m) {
    json_decref(m->envelope);
    json_decref(m->body);
    memset(m, 0, sizeof *m);
}
