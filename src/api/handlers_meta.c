/* Health, the OpenAPI document, families and node definitions. */
#include "api/event_hub.h"
#include "api/router.h"

#include "core/mem.h"
#include "workflow/node_registry.h"

#include <string.h>

void pf_handle_health(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)req;
    size_t open, parked;
    pf_event_hub_count(app->events, &open, &parked);
    json_t *health = json_pack("{s:s, s:s, s:s, s:i, s:i, s:{s:I, s:I}}", "status", "ok", "version", PF_VERSION,
                               "store", pf_store_backend(app->store), "schema_version",
                               pf_store_schema_version(app->store), "modules", (int)app->registry->n_modules,
                               "event_streams", "open", (json_int_t)open, "waiting", (json_int_t)parked);
    if (app->blender_pool) json_object_set_new(health, "blender_workers", pf_blender_pool_status(app->blender_pool));
    pf_respond_json(res, 200, health);
}

void pf_handle_openapi(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)req;
    pf_respond_json(res, 200, json_incref(app->openapi));
}

void pf_handle_families(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)req;
    pf_respond_json(res, 200, pf_families_document(app->registry));
}

/* Responds 400 naming the query parameter; returns false when family is
 * given and unknown. */
bool pf_check_family_query(const pf_app *app, const pf_request *req, pf_response *res, const char **family) {
    *family = req->query(req, "family");
    if (!*family || !**family) {
        *family = NULL;
        return true;
    }
    if (pf_contract_family(&app->registry->contract, *family)) return true;
    pf_error *err = pf_error_new(PF_EINVAL, "/query/family", "unknown family \"%s\"", *family);
    pf_respond_problem(res, 400, NULL, err->message, req->path, &(pf_errors){err, 1, 1});
    pf_error_free(err);
    return false;
}

void pf_handle_node_definitions(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *family;
    if (!pf_check_family_query(app, req, res, &family)) return;
    for (size_t i = 0; i < app->n_node_definitions; i++) {
        const pf_prebuilt *p = &app->node_definitions[i];
        if ((!family && !p->family) || (family && p->family && strcmp(family, p->family) == 0)) {
            pf_respond_static(res, 200, "application/json", p->body, p->len);
            return;
        }
    }
}
