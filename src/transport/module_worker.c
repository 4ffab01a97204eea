#include "transport/module_worker.h"

#include "core/json.h"
#include "core/mem.h"
#include "core/path.h"
#include "modules/invoke.h"
#include "render/scene.h"
#include "runtime/artifact_store.h"
#include "runtime/isolate.h"
#include "transport/celery_executor.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const pf_module *module_of(const pf_registry *reg, const char *task_name) {
    size_t n = strlen(PF_TASK_PREFIX);
    if (!task_name || strncmp(task_name, PF_TASK_PREFIX, n) != 0) return NULL;
    return pf_registry_find(reg, task_name + n);
}

bool pf_module_worker_accepts(void *user, const char *task_name) {
    const pf_module_worker *w = user;
    const pf_module *m = module_of(w->registry, task_name);
    return m && pf_module_available(m);
}

static bool is_file(const json_t *v) { return json_is_object(v) && pf_json_str(v, "sha256"); }

/* Gives each file input a local path: the shared store's, or a copy
 * fetched into this worker's cache (kept for the next task that needs it). */
/* The file with digest, fetched into the worker's store unless there (or
 * in the shared data directory); *path is where it is. what names it in
 * errors, pointer points at it in the task. */
static pf_error *fetch_digest(const pf_module_worker *w, const char *digest, const char *pointer, const char *what,
                              char **path) {
    *path = NULL;
    if (!pf_artifact_is_digest(digest))
        return pf_error_new(PF_EINVAL, pointer, "%s names \"%s\", not a sha256 digest", what,
                            digest ? digest : "nothing");
    char *at = pf_artifact_store_path(w->shared_data_dir ? w->shared_data_dir : w->work_dir, digest);
    struct stat st;
    pf_error *err = NULL;
    if (stat(at, &st) != 0) {
        if (w->shared_data_dir) {
            err = pf_error_new(PF_ENOTFOUND, "", "%s (%.12s) is not in the shared data directory", what, digest);
        } else {
            char *dir = pf_strndup(at, strlen(at) - 65);
            err = pf_mkdirs(dir, 0755);
            free(dir);
            if (!err) err = pf_artifact_fetch(&w->remote, digest, at);
        }
    }
    if (err)
        free(at);
    else
        *path = at;
    return err;
}

static pf_error *fetch_inputs(const pf_module_worker *w, json_t *inputs) {
    const char *port;
    json_t *v;
    json_object_foreach(inputs, port, v) {
        if (!is_file(v)) continue;
        char *ptr = pf_ptr_join("/inputs", port), *what = pf_asprintf("input %s", port), *path = NULL;
        pf_error *err = fetch_digest(w, pf_json_str(v, "sha256"), ptr, what, &path);
        free(ptr);
        free(what);
        if (err) return err;
        json_object_set_new(v, "path", json_string(path));
        free(path);
    }
    return NULL;
}

/* The scene a blend_scene template names, sent by key and digest
 * (celery_executor.c): fetched like an input and linked where the module
 * looks for scenes, under its data root, the task's directory. */
static pf_error *place_scene(const pf_module_worker *w, const json_t *scene, const char *work) {
    if (!scene) return NULL;
    char *stored = NULL, *at = NULL, *dir = pf_asprintf("%s/scenes", work);
    pf_error *err = fetch_digest(w, pf_json_str(scene, "sha256"), "/scene/sha256", "the scene", &stored);
    if (!err) err = pf_scene_data_path(work, pf_json_str(scene, "key"), "/scene/key", &at);
    if (!err) err = pf_mkdirs(dir, 0755);
    if (!err && link(stored, at) != 0) err = pf_copy_file_atomic(stored, at); /* another file system */
    free(stored);
    free(at);
    free(dir);
    return err;
}

/* Sends each file output to the store and keeps only its digest, size and
 * type in the answer. */
static pf_error *ship_outputs(const pf_module_worker *w, json_t *outputs) {
    const char *port;
    json_t *v;
    json_object_foreach(outputs, port, v) {
        const char *path = pf_json_str(v, "path"), *digest = pf_json_str(v, "sha256");
        if (!path || !digest) continue;
        pf_error *err;
        if (w->shared_data_dir) {
            char *stored = NULL;
            err = pf_artifact_store_put(w->shared_data_dir, path, digest, &stored);
            free(stored);
        } else {
            err = pf_artifact_upload(&w->remote, path, digest);
        }
        if (err) return err;
        json_object_del(v, "path");
    }
    return NULL;
}

static pf_error *run_module(const pf_module_worker *w, const pf_module *m, pf_module_ctx *ctx, const json_t *inputs,
                            const json_t *params, json_t **outputs, unsigned long long *peak) {
    ctx->limits = pf_isolate_limits(m, w->limits, w->n_limits);
    if (m->execution == PF_EXEC_PROCESS && !m->desc->isolates_itself && w->module_runner)
        return pf_isolate_invoke_via(w->zygote, w->module_runner, m, ctx, inputs, params, outputs, peak);
    return pf_module_invoke(w->registry, m->key, ctx, inputs, params, outputs);
}

/* What the module says reaches the server waiting on the task. */
static void report(void *task, double fraction, const char *message) {
    pf_celery_task_progress(task, fraction, message);
}

pf_error *pf_module_worker_handle(void *user, const pf_celery_task *task, const atomic_bool *revoked, json_t **result) {
    const pf_module_worker *w = user;
    *result = NULL;
    const pf_module *m = module_of(w->registry, task->name);
    if (!m) return pf_error_new(PF_EUNAVAILABLE, "", "this worker has no module for task %s", task->name);
    const json_t *kw = task->kwargs;
    const char *version = pf_json_str(kw, "module_version");
    if (version && strcmp(version, m->version) != 0)
        return pf_error_new(PF_ECONFLICT, "/module_version",
                            "this worker has %s %s, and the task was made for %s: run the same prodflow version on "
                            "servers and workers",
                            m->key, m->version, version);
    json_t *inputs =
        json_is_object(json_object_get(kw, "inputs")) ? json_deep_copy(json_object_get(kw, "inputs")) : json_object();
    const json_t *params = json_object_get(kw, "params");
    json_t *empty = json_is_object(params) ? NULL : json_object();
    pf_error *err = fetch_inputs(w, inputs);
    char *work = pf_asprintf("%s/tasks/%s", w->work_dir, task->id);
    if (!err) err = place_scene(w, json_object_get(kw, "scene"), work);
    /* kept across tasks, as the server keeps DATA/cache: a render imports
     * a product once per worker, not once per task */
    char *cache = pf_asprintf("%s/cache", w->work_dir);
    pf_module_ctx ctx = {.data_root = work,
                         .work_dir = work,
                         .cache_dir = cache,
                         .share_dir = w->share_dir,
                         .context = json_object_get(kw, "context"),
                         .cancel = revoked,
                         .timeout_ms = task->hard_time_limit_s > 0 ? (long)(task->hard_time_limit_s * 1000) : 0,
                         .blender_pool = w->blender_pool,
                         .run_id = pf_json_str(kw, "run"),
                         .node_id = pf_json_str(kw, "node"),
                         .progress = report,
                         .progress_user = (void *)task};
    json_t *outputs = NULL;
    if (!err) {
        char *where = pf_asprintf("running on %s", task->hostname ? task->hostname : "a worker");
        report((void *)task, -1, where);
        free(where);
    }
    unsigned long long peak = 0;
    if (!err) err = run_module(w, m, &ctx, inputs, empty ? empty : params, &outputs, &peak);
    if (!err) err = ship_outputs(w, outputs);
    if (!err)
        *result = json_pack("{s:O, s:s, s:s, s:I}", "outputs", outputs, "worker", task->hostname ? task->hostname : "",
                            "module_version", m->version, "peak_rss", (json_int_t)peak);
    pf_error_free(pf_remove_tree(work));
    free(work);
    free(cache);
    json_decref(outputs);
    json_decref(inputs);
    json_decref(empty);
    return err;
}
