#include "api/app.h"

#include "api/auth.h"
#include "api/event_hub.h"
#include "api/http_metrics.h"
#include "catalog/seed.h"
#include "core/id.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/secret.h"
#include "render/scene.h"
#include "workflow/node_registry.h"

#include <stdlib.h>
#include <string.h>

json_t *pf_starters_load(const char *share_dir, pf_errors *errs) {
    char *dir = pf_asprintf("%s/workflows", share_dir);
    size_t n;
    char **names = pf_json_file_names(dir, &n);
    if (!names) {
        pf_errors_add(errs, PF_EIO, "", "cannot open the starter workflows in %s", dir);
        free(dir);
        return NULL;
    }
    json_t *starters = json_array();
    for (size_t i = 0; i < n; i++) {
        char *path = pf_asprintf("%s/%s", dir, names[i]);
        json_error_t jerr;
        json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (doc)
            json_array_append_new(starters, doc);
        else
            pf_errors_add(errs, PF_EINVAL, "", "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        free(path);
    }
    pf_names_free(names, n);
    free(dir);
    return starters;
}

static void prebuild(pf_prebuilt *slot, const pf_registry *reg, const char *family) {
    json_t *doc = pf_node_definitions(reg, family);
    slot->family = family;
    slot->body = pf_json_text(doc, false);
    slot->len = strlen(slot->body);
    json_decref(doc);
}

/* Notices from other servers on the database (PostgreSQL): a run changed,
 * so event streams here wake; a cancel was asked for, which the runtime
 * carries out if it runs that run. The listener starts before the runtime
 * does, and stops before it stops. */
static void notice_changed(void *user, const char *run_id) {
    pf_app *app = user;
    pf_event_hub_changed(app->events, run_id);
}

static void notice_cancel(void *user, const char *run_id) {
    pf_app *app = user;
    pf_runtime_cancel_requested(__atomic_load_n(&app->runtime, __ATOMIC_ACQUIRE), run_id);
}

pf_app *pf_app_open(const pf_app_config *cfg, pf_errors *errs) {
    pf_app *app = pf_xcalloc(1, sizeof *app);
    app->data_dir = pf_strdup(cfg->data_dir);
    app->share_dir = pf_strdup(cfg->share_dir);
    app->web_dir = cfg->web_dir ? pf_strdup(cfg->web_dir) : NULL;
    app->max_body_bytes = cfg->max_body_bytes ? cfg->max_body_bytes : 8u << 20;
    app->max_upload_bytes = cfg->max_upload_bytes ? cfg->max_upload_bytes : (size_t)512 << 20;
    app->disk_quota_bytes = cfg->disk_quota_bytes;
    app->min_free_disk = cfg->min_free_disk;
    app->http_metrics = pf_http_metrics_new();
    app->scene_checks = pf_xcalloc(1, sizeof *app->scene_checks);
    size_t before = errs->len;
    pf_registry_extra extra = {0};
    if ((app->external = pf_external_modules_load(app->data_dir, errs)))
        extra.modules = pf_external_modules_descs(app->external, &extra.n_modules);
    app->registry = errs->len > before ? NULL : pf_registry_load_with(&extra, errs);
    app->starters = pf_starters_load(app->share_dir, errs);
    pf_error *err = pf_contract_embedded_json("api/openapi.json", &app->openapi);
    if (err) pf_errors_take(errs, err);
    if (errs->len > before) {
        pf_app_close(app);
        return NULL;
    }
    if ((err = pf_mkdirs(app->data_dir, 0755)) ||
        (err = pf_store_open(cfg->store_url ? cfg->store_url : app->data_dir, &app->store))) {
        pf_errors_take(errs, err);
        pf_app_close(app);
        return NULL;
    }
    char *key_path = pf_asprintf("%s/secrets/links.key", app->data_dir);
    err = pf_secret_load_or_create(key_path, &app->link_key);
    free(key_path);
    if (err) {
        pf_errors_take(errs, err);
        pf_app_close(app);
        return NULL;
    }
    size_t swept = pf_cad_files_sweep(app->data_dir);
    if (swept) pf_log(PF_LOG_INFO, "cad.swept", "deleted %zu unfinished upload%s", swept, swept == 1 ? "" : "s");
    if ((swept = pf_scene_uploads_sweep(app->data_dir)))
        pf_log(PF_LOG_INFO, "scenes.swept", "deleted %zu unfinished scene upload%s", swept, swept == 1 ? "" : "s");
    size_t collected = pf_cad_files_collect_failed(app->store, app->data_dir);
    if (collected)
        pf_log(PF_LOG_INFO, "cad.collected", "deleted %zu CAD file%s whose intake failed and that no product uses",
               collected, collected == 1 ? "" : "s");
    const pf_contract *c = &app->registry->contract;
    app->n_node_definitions = c->n_families + 1;
    app->node_definitions = pf_xcalloc(app->n_node_definitions, sizeof *app->node_definitions);
    prebuild(&app->node_definitions[0], app->registry, NULL);
    for (size_t i = 0; i < c->n_families; i++)
        prebuild(&app->node_definitions[i + 1], app->registry, c->families[i].key);
    pf_runtime_config rc = {.registry = app->registry,
                            .store = app->store,
                            .data_dir = app->data_dir,
                            .share_dir = app->share_dir,
                            .workers = cfg->run_workers,
                            .blender_pool = NULL,
                            .module_runner = cfg->module_runner,
                            .limits = cfg->limits,
                            .n_limits = cfg->n_limits,
                            .remote = cfg->remote,
                            .disk_quota_bytes = cfg->disk_quota_bytes};
    if (cfg->blender_workers > 0) {
        char *script = pf_asprintf("%s/blender/prodflow_render.py", app->share_dir);
        pf_blender_pool_opts po = {.setup = {.blender = getenv("PRODFLOW_BLENDER"),
                                             .script = script,
                                             .memory_bytes = pf_runtime_pool_memory(&rc)},
                                   .workers = cfg->blender_workers};
        app->blender_pool = pf_blender_pool_new(&po);
        free(script);
    }
    app->settings = cfg->settings ? json_deep_copy(cfg->settings) : json_object();
    app->login = pf_login_new();
    app->secure_cookies = cfg->secure_cookies;
    rc.blender_pool = app->blender_pool;
    rc.settings = app->settings;
    rc.on_change = pf_event_hub_changed;
    rc.on_change_user = app->events = pf_event_hub_new(0);
    if (strcmp(pf_store_backend(app->store), "postgresql") == 0) {
        /* Other servers may share the database: lease runs, and hear of
         * the changes they commit so event streams here follow their runs. */
        char id[PF_ID_MAX];
        pf_id_new("srv", id);
        app->server_id = pf_strdup(cfg->server_id ? cfg->server_id : id);
        rc.lease_owner = app->server_id;
        rc.lease_seconds = cfg->lease_seconds > 0 ? cfg->lease_seconds : 30;
        if ((err = pf_store_listen(app->store, app->server_id, notice_changed, notice_cancel, app))) {
            pf_errors_take(errs, err);
            pf_app_close(app);
            return NULL;
        }
    }
    size_t resumed = 0;
    if ((err = pf_runtime_start(&rc, &app->runtime)) ||
        (cfg->resume_runs && (err = pf_runtime_resume(app->runtime, &resumed)))) {
        pf_errors_take(errs, err);
        pf_app_close(app);
        return NULL;
    }
    if (cfg->demo_data) {
        pf_catalog c = {.registry = app->registry,
                        .store = app->store,
                        .starters = app->starters,
                        .share_dir = app->share_dir,
                        .data_dir = app->data_dir};
        pf_cad_env env = {
            .store = app->store, .runtime = app->runtime, .starters = app->starters, .data_dir = app->data_dir};
        pf_catalog_seed(&c, cfg->demo_product ? &env : NULL, errs);
    }
    if (errs->len > before) {
        pf_app_close(app);
        return NULL;
    }
    return app;
}

void pf_app_close(pf_app *app) {
    if (!app) return;
    if (app->store) pf_store_unlisten(app->store); /* it calls into the hub and the runtime */
    pf_runtime_stop(app->runtime);                 /* before the store and the workers it uses */
    pf_event_hub_free(app->events);
    pf_blender_pool_free(app->blender_pool);
    json_decref(app->settings);
    pf_login_free(app->login);
    for (size_t i = 0; i < app->n_node_definitions; i++)
        free(app->node_definitions[i].body);
    free(app->node_definitions);
    if (app->store) pf_store_close(app->store);
    json_decref(app->openapi);
    json_decref(app->starters);
    free(app->link_key);
    pf_registry_free(app->registry);
    pf_external_modules_free(app->external);
    free(app->share_dir);
    free(app->web_dir);
    free(app->data_dir);
    free(app->server_id);
    pf_http_metrics_free(app->http_metrics);
    free(app->scene_checks);
    free(app);
}
