#include "transport/celery_result.h"

#include "core/json_text.h"
#include "core/mem.h"
#include "transport/celery_message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct exc_entry {
    pf_code code;
    const char *type, *module;
} exc_entry;

/* First match per code is what a failure carries; the rest read back. */
static const exc_entry exc_table[] = {
    {PF_EINVAL, "ValueError", "builtins"},
    {PF_ENOTFOUND, "LookupError", "builtins"},
    {PF_ECONFLICT, "ConflictError", "prodflow"},
    {PF_ETOOLARGE, "TooLargeError", "prodflow"},
    {PF_EIO, "OSError", "builtins"},
    {PF_EUNAVAILABLE, "NotImplementedError", "builtins"},
    {PF_ETIMEOUT, "TimeLimitExceeded", "billiard.exceptions"},
    {PF_ECANCELLED, "TaskRevokedError", "celery.exceptions"},
    {PF_EINTERNAL, "RuntimeError", "builtins"},
    {PF_ELIMIT, "ResourceLimitExceeded", "prodflow"},
    {PF_EUNAUTHORIZED, "PermissionError", "builtins"},
    {PF_EFORBIDDEN, "PermissionError", "builtins"},
    {PF_EUNAVAILABLE, "NotRegistered", "celery.exceptions"},
    {PF_EINVAL, "ContentDisallowed", "kombu.exceptions"},
    {PF_EINVAL, "InvalidTaskError", "celery.exceptions"},
    {PF_ETIMEOUT, "SoftTimeLimitExceeded", "celery.exceptions"},
};

void pf_celery_exc_for_code(pf_code code, const char **exc_type, const char **exc_module) {
    for (size_t i = 0; i < sizeof exc_table / sizeof *exc_table; i++)
        if (exc_table[i].code == code) {
            *exc_type = exc_table[i].type;
            *exc_module = exc_table[i].module;
            return;
        }
    *exc_type = "RuntimeError";
    *exc_module = "builtins";
}

pf_code pf_celery_code_for_exc(const char *exc_type) {
    for (size_t i = 0; exc_type && i < sizeof exc_table / sizeof *exc_table; i++)
        if (strcmp(exc_table[i].type, exc_type) == 0) return exc_table[i].code;
    return PF_EINTERNAL;
}

static json_t *meta(const char *status, const char *task_id, json_t *result, const char *traceback) {
    char done[32];
    pf_celery_date_done(done);
    return json_pack("{s:s, s:o, s:o, s:[], s:s, s:s}", "status", status, "result", result, "traceback",
                     traceback ? json_string(traceback) : json_null(), "children", "date_done", done, "task_id",
                     task_id);
}

json_t *pf_celery_meta_success(const char *task_id, const json_t *result) {
    return meta("SUCCESS", task_id, result ? json_deep_copy(result) : json_null(), NULL);
}

static json_t *exc_value(const char *exc_type, const char *exc_module, const char *message) {
    return json_pack("{s:s, s:[s], s:s}", "exc_type", exc_type, "exc_message", message, "exc_module", exc_module);
}

json_t *pf_celery_meta_failure(const char *task_id, const char *exc_type, const char *exc_module, const char *message,
                               const char *traceback) {
    return meta("FAILURE", task_id, exc_value(exc_type, exc_module, message), traceback);
}

json_t *pf_celery_meta_progress(const char *task_id, json_t *info) {
    json_t *m = meta("PROGRESS", task_id, info, NULL);
    json_object_set_new(m, "date_done", json_null());
    return m;
}

json_t *pf_celery_meta_revoked(const char *task_id, const char *reason) {
    return meta("REVOKED", task_id, exc_value("TaskRevokedError", "celery.exceptions", reason), NULL);
}

json_t *pf_celery_meta_from_error(const char *task_id, const pf_error *err, const char *where) {
    const char *type, *module;
    pf_celery_exc_for_code(err->code, &type, &module);
    /* Python tools print the traceback; the pointer says where in the input. */
    char *tb = pf_asprintf("Traceback (most recent call last):\n  %s\n%s: %s%s%s\n", where, type, err->message,
                           err->pointer[0] ? " at " : "", err->pointer);
    json_t *m = pf_celery_meta_failure(task_id, type, module, err->message, tb);
    /* Where in the task's input the problem is, for a prodflow server;
     * Python's result reader ignores keys it does not know. */
    json_object_set_new(json_object_get(m, "result"), "prodflow_pointer", json_string(err->pointer));
    free(tb);
    return m;
}

static const char *status_of(const json_t *m) { return json_string_value(json_object_get(m, "status")); }

const json_t *pf_celery_meta_progress_info(const json_t *m) {
    const char *s = status_of(m);
    return s && strcmp(s, "PROGRESS") == 0 ? json_object_get(m, "result") : NULL;
}

bool pf_celery_meta_is_ready(const json_t *m) {
    const char *s = status_of(m);
    return s && (strcmp(s, "SUCCESS") == 0 || strcmp(s, "FAILURE") == 0 || strcmp(s, "REVOKED") == 0);
}

pf_error *pf_celery_meta_error(const json_t *m) {
    const char *status = status_of(m);
    if (status && strcmp(status, "SUCCESS") == 0) return NULL;
    const json_t *result = json_object_get(m, "result");
    const char *type = json_string_value(json_object_get(result, "exc_type"));
    const json_t *msgs = json_object_get(result, "exc_message");
    const char *msg = json_is_array(msgs) ? json_string_value(json_array_get(msgs, 0)) : json_string_value(msgs);
    pf_code code = status && strcmp(status, "REVOKED") == 0 ? PF_ECANCELLED : pf_celery_code_for_exc(type);
    const char *pointer = json_string_value(json_object_get(result, "prodflow_pointer"));
    if (pointer) /* a prodflow worker's own error: its words, where it pointed */
        return pf_error_new(code, pointer, "%s", msg ? msg : "(no message)");
    return pf_error_new(code, "", "task %s: %s: %s", status ? status : "in an unknown state", type ? type : "error",
                        msg ? msg : "(no message)");
}

char *pf_celery_meta_key(const char *task_id) { return pf_asprintf(PF_CELERY_META_PREFIX "%s", task_id); }

void pf_celery_meta_store_to(pf_redis_pipe *p, const char *task_id, const json_t *m, long ttl_s) {
    char *key = pf_celery_meta_key(task_id);
    char *text = pf_json_text(m, false);
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%ld", ttl_s > 0 ? ttl_s : (long)PF_CELERY_RESULT_TTL_S);
    const char *multi[] = {"MULTI", NULL}, *exec[] = {"EXEC", NULL};
    const char *setex[] = {"SETEX", key, ttl, text, NULL}, *publish[] = {"PUBLISH", key, text, NULL};
    pf_redis_pipe_add(p, multi, NULL);
    pf_redis_pipe_add(p, setex, NULL);
    pf_redis_pipe_add(p, publish, NULL);
    pf_redis_pipe_add(p, exec, NULL);
    free(key);
    free(text);
}

pf_error *pf_celery_meta_store(pf_redis *r, const char *task_id, const json_t *m, long ttl_s) {
    pf_redis_pipe p;
    pf_redis_pipe_init(&p, r);
    pf_celery_meta_store_to(&p, task_id, m, ttl_s);
    return pf_redis_pipe_run(&p, NULL);
}

pf_error *pf_celery_meta_fetch(pf_redis *r, const char *task_id, json_t **out) {
    *out = NULL;
    char *key = pf_celery_meta_key(task_id);
    redisReply *reply = NULL;
    const char *argv[] = {"GET", key, NULL};
    pf_error *err = pf_redis_cmdv(r, &reply, argv);
    free(key);
    if (err) return err;
    if (reply->type == REDIS_REPLY_STRING) {
        json_error_t jerr;
        *out = json_loadb(reply->str, reply->len, 0, &jerr);
        if (!*out) err = pf_error_new(PF_EIO, "", "the stored result of task %s is not JSON: %s", task_id, jerr.text);
    }
    freeReplyObject(reply);
    return err;
}
