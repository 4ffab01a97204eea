#include "transport/celery_executor.h"

#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "core/subprocess.h"
#include "modules/module_files.h"
#include "render/scene.h"
#include "runtime/artifact_store.h"
#include "transport/celery_result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct pf_celery_executor {
    pf_celery_client *client;
    char *data_dir;
    pf_remote remote;
};

void pf_celery_task_id(const char *run_id, const char *node_id, int attempt, char out[37]) {
    char *seed = pf_asprintf("prodflow:%s/%s/%d", run_id ? run_id : "", node_id ? node_id : "", attempt), hex[65];
    pf_sha256_hex(seed, strlen(seed), hex);
    free(seed);
    /* A name-based UUID (version 5's layout, SHA-256 instead of SHA-1). */
    hex[12] = '5';
    hex[16] = "89ab"[hex[16] % 4];
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static bool is_file(const json_t *v) { return json_is_object(v) && pf_json_str(v, "sha256"); }

/* The inputs as a worker sees them: files by digest, without this
 * server's paths. */
static json_t *portable(const json_t *inputs) {
    json_t *out = json_deep_copy(inputs);
    const char *port;
    json_t *v;
    json_object_foreach(out, port, v) if (is_file(v)) json_object_del(v, "path");
    return out;
}

/* Outputs whose files the worker uploaded get their path in this server's
 * store; a file that did not arrive is an error (retried by the policy). */
static pf_error *localize(const pf_celery_executor *ex, const char *key, json_t *outputs) {
    const char *port;
    json_t *v;
    json_object_foreach(outputs, port, v) {
        if (!is_file(v)) continue;
        const char *digest = pf_json_str(v, "sha256");
        if (!pf_artifact_is_digest(digest))
            return pf_error_new(PF_EIO, "", "%s: the worker named output %s by \"%s\", not a digest", key, port,
                                digest);
        char *path = pf_artifact_store_path(ex->data_dir, digest);
        struct stat st;
        if (stat(path, &st) != 0) {
            free(path);
            return pf_error_new(PF_EIO, "", "%s: the worker reported output %s (%.12s), but the file never arrived",
                                key, port, digest);
        }
        json_object_set_new(v, "path", json_string(path));
        free(path);
    }
    return NULL;
}

/* A blend_scene template names its scene by key, and scenes are kept in
 * this server's data directory, which a worker does not have: the scene
 * goes into the artifact store, and the task names it by key and digest
 * for the worker to fetch (module_worker.c). A template naming no scene
 * this server has goes as it is, for the module to refuse on the worker. */
static pf_error *attach_scene(const pf_celery_executor *ex, const pf_module_ctx *ctx, const json_t *inputs,
                              json_t *kwargs) {
    const json_t *value = json_object_get(inputs, "template");
    json_t *tmpl = NULL;
    char *path = NULL;
    pf_error *left = value ? pf_module_read_json_input(value, "/inputs/template", &tmpl) : NULL;
    const char *kind = pf_json_str(tmpl, "kind"), *key = pf_json_str(tmpl, "blend");
    if (!left && kind && strcmp(kind, "blend_scene") == 0)
        left = pf_scene_find(ctx->share_dir, ctx->data_root, key, "/inputs/template", &path);
    pf_error_free(left);
    pf_error *err = NULL;
    if (path) {
        char digest[65], *stored = NULL;
        err = pf_sha256_file(path, digest, NULL);
        if (!err) err = pf_artifact_store_put(ex->data_dir, path, digest, &stored);
        if (!err) json_object_set_new(kwargs, "scene", json_pack("{s:s, s:s}", "key", key, "sha256", digest));
        free(stored);
        free(path);
    }
    json_decref(tmpl);
    return err;
}

/* Sends, waiting out a broker that is away (it comes back: the run goes
 * on) unless the run is cancelled meanwhile. */
static pf_error *send_until_sent(const pf_celery_executor *ex, const char *name, const char *id, const json_t *kwargs,
                                 const pf_celery_send_opts *opts, const atomic_bool *cancel) {
    for (long wait_ms = 200;; wait_ms = wait_ms < 5000 ? wait_ms * 2 : 5000) {
        pf_error *err = pf_celery_send(ex->client, name, id, NULL, kwargs, opts);
        if (!err || err->code != PF_EUNAVAILABLE) return err;
        pf_log(PF_LOG_WARN, "celery.send_waiting", "cannot send %s yet: %s; trying again", name, err->message);
        pf_error_free(err);
        for (long until = pf_now_ms() + wait_ms; pf_now_ms() < until;) {
            if (cancel && atomic_load(cancel)) return pf_error_new(PF_ECANCELLED, "", "the run was cancelled");
            nanosleep(&(struct timespec){0, 50000000L}, NULL);
        }
    }
}

/* What the worker says of the task is the module's progress here. */
static void relay(void *user, const json_t *info) {
    const pf_module_ctx *ctx = user;
    const json_t *f = json_object_get(info, "fraction");
    if (ctx->progress)
        ctx->progress(ctx->progress_user, json_is_number(f) ? json_number_value(f) : -1, pf_json_str(info, "message"));
}

static pf_error *invoke(void *self, const pf_remote_call *call, json_t **outputs) {
    const pf_celery_executor *ex = self;
    const pf_module *m = call->module;
    const pf_module_ctx *ctx = call->ctx;
    *outputs = NULL;
    char id[37];
    pf_celery_task_id(ctx->run_id, ctx->node_id, call->attempt, id);
    /* An external module is sent as the task its contract names. */
    char *name = m->desc->celery_task ? pf_strdup(m->desc->celery_task) : pf_asprintf(PF_TASK_PREFIX "%s", m->key);
    json_t *kwargs = json_pack("{s:s?, s:s?, s:i, s:s, s:O?, s:o, s:O}", "run", ctx->run_id, "node", ctx->node_id,
                               "attempt", call->attempt, "module_version", m->version, "context", ctx->context,
                               "inputs", portable(call->inputs), "params", call->params);
    pf_celery_send_opts opts = {.queue = m->queue,
                                .hard_time_limit_s = ctx->timeout_ms > 0 ? (ctx->timeout_ms + 999) / 1000 : 0,
                                .retries = call->attempt > 0 ? call->attempt - 1 : 0};
    json_t *meta = NULL;
    pf_error *err = attach_scene(ex, ctx, call->inputs, kwargs);
    /* A server that restarted mid-wait sends the same task id again: a
     * result already stored answers it without a second run. */
    if (!err) err = pf_celery_result_get(ex->client, id, &meta);
    if (!err && !(meta && pf_celery_meta_is_ready(meta))) {
        json_decref(meta);
        meta = NULL;
        err = send_until_sent(ex, name, id, kwargs, &opts, ctx->cancel);
        if (!err) err = pf_celery_await(ex->client, id, ctx->cancel, relay, (void *)ctx, &meta);
    }
    json_decref(kwargs);
    if (err && err->code == PF_ECANCELLED) {
        /* The worker running it kills the module's process. */
        pf_error_free(pf_celery_revoke(ex->client, id, true));
        pf_error_free(err);
        err = pf_error_new(PF_ECANCELLED, "", "the run was cancelled; task %s (%s) was revoked", id, name);
    }
    if (!err) err = pf_celery_meta_error(meta);
    if (!err) {
        const json_t *result = json_object_get(meta, "result");
        *outputs = json_deep_copy(json_object_get(result, "outputs"));
        if (!json_is_object(*outputs)) {
            json_decref(*outputs);
            *outputs = NULL;
            err = pf_error_new(PF_EIO, "", "task %s (%s) answered without outputs", id, name);
        } else if ((err = localize(ex, m->key, *outputs))) {
            json_decref(*outputs);
            *outputs = NULL;
        } else if (ctx->progress) {
            char *said =
                pf_asprintf("ran on %s", pf_json_str(result, "worker") ? pf_json_str(result, "worker") : "a worker");
            ctx->progress(ctx->progress_user, 1.0, said);
            free(said);
        }
    }
    json_decref(meta);
    free(name);
    return err;
}

pf_celery_executor *pf_celery_executor_new(pf_celery_client *client, const char *data_dir) {
    pf_celery_executor *ex = pf_xcalloc(1, sizeof *ex);
    ex->client = client;
    ex->data_dir = pf_strdup(data_dir);
    ex->remote = (pf_remote){.invoke = invoke, .self = ex};
    return ex;
}

void pf_celery_executor_free(pf_celery_executor *ex) {
    if (!ex) return;
    free(ex->data_dir);
    free(ex);
}

const pf_remote *pf_celery_executor_remote(const pf_celery_executor *ex) { return &ex->remote; }
