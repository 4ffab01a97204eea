/* Health, the OpenAPI document, families and node definitions. */
#include "api/event_hub.h"
#include "api/router.h"

#include "core/bytes.h"
#include "core/mem.h"
#include "workflow/node_registry.h"

#include <string.h>
#include <sys/statvfs.h>

void pf_handle_health(const pf_app *app, const pf_request *req, pf_response *res) {
    size_t open, parked;
    pf_event_hub_count(app->events, &open, &parked);
    json_t *health = json_pack("{s:s, s:s, s:s, s:i, s:i, s:{s:I, s:I}}", "status", "ok", "version", PF_VERSION,
                               "store", pf_store_backend(app->store), "schema_version",
                               pf_store_schema_version(app->store), "modules", (int)app->registry->n_modules,
                               "event_streams", "open", (json_int_t)open, "waiting", (json_int_t)parked);
    if (app->blender_pool) json_object_set_new(health, "blender_workers", pf_blender_pool_status(app->blender_pool));
    /* Unhealthy while the store cannot take a write or the data directory's
     * disk is nearly full: a load balancer stops sending work here. */
    pf_errors problems;
    pf_errors_init(&problems);
    pf_error *err = pf_store_probe_write(app->store);
    json_object_set_new(health, "store_writable", json_boolean(!err));
    if (err) pf_errors_add(&problems, err->code, "/store", "the store cannot take writes: %s", err->message);
    pf_error_free(err);
    struct statvfs fs;
    if (statvfs(app->data_dir, &fs) == 0) {
        unsigned long long avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
        json_object_set_new(health, "disk",
                            json_pack("{s:I, s:I, s:I}", "free_bytes", (json_int_t)avail, "total_bytes",
                                      (json_int_t)((unsigned long long)fs.f_blocks * fs.f_frsize), "min_free_bytes",
                                      (json_int_t)app->min_free_disk));
        if (app->min_free_disk && avail < app->min_free_disk) {
            char have[24], want[24];
            pf_bytes_text(avail, have);
            pf_bytes_text(app->min_free_disk, want);
            pf_errors_add(&problems, PF_ELIMIT, "/disk",
                          "the data directory's disk has %s free, below the %s of --min-free-disk", have, want);
        }
    } else {
        pf_errors_add(&problems, PF_EIO, "/disk", "cannot read the data directory's disk space");
    }
    if (!problems.len) {
        pf_respond_json(res, 200, health);
        return;
    }
    /* A problem document (with the request id, and logged as a 5xx), whose
     * "health" member is the health document. */
    json_object_set_new(health, "status", json_string("unhealthy"));
    char *detail = pf_strdup(problems.items[0].message);
    for (size_t i = 1; i < problems.len; i++) {
        char *more = pf_asprintf("%s; %s", detail, problems.items[i].message);
        free(detail);
        detail = more;
    }
    pf_respond_problem(res, 503, "Service Unavailable", detail, req->path, &problems);
    free(detail);
    pf_errors_clear(&problems);
    json_t *doc = json_loadb(res->body, res->body_len, 0, NULL);
    json_object_set_new(doc, "health", health);
    pf_respond_problem_doc(res, 503, doc);
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
