/* Products: CRUD with every problem reported at once (catalog/product.c);
 * a product shows its CAD file's intake status. */
#include "api/router.h"

#include "catalog/cad_file.h"
#include "catalog/product.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

/* The stored product with "cad_intake": {run_id, href, status, progress,
 * errors} of its CAD file, or null. Takes doc. */
static json_t *product_view(const pf_app *app, json_t *doc) {
    const char *cad = json_string_value(json_object_get(doc, "cad_file"));
    json_t *file = NULL, *intake = json_null();
    pf_error *err = cad ? pf_store_item_get(app->store, "cad_file", cad, &file) : NULL;
    const char *run_id = json_string_value(json_object_get(file, "intake_run_id"));
    if (run_id) {
        pf_cad_env env = {app->store, app->runtime, app->starters, app->data_dir};
        json_decref(intake);
        intake = pf_cad_file_intake_view(&env, run_id, false);
    }
    pf_error_free(err);
    json_decref(file);
    json_object_set_new(doc, "cad_intake", intake);
    return doc;
}

/* Saves (create when id is NULL) and answers 201/200, or every problem. */
static void save(const pf_app *app, const pf_request *req, pf_response *res, const char *id) {
    json_t *body = pf_request_json(req, res);
    if (!body) return;
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *stored = NULL;
    pf_error *err = pf_product_save(app->store, body, id, &errs, &stored);
    if (err && errs.len) {
        int status = pf_product_problem_status(&errs);
        pf_respond_problem(res, status, status == 409 ? NULL : "Invalid product", err->message, req->path, &errs);
    } else if (err) {
        pf_respond_error(res, req, err);
    } else {
        if (!id) res->location = pf_asprintf("/api/products/%s", json_string_value(json_object_get(stored, "id")));
        pf_respond_json(res, id ? 200 : 201, product_view(app, stored));
        stored = NULL;
    }
    pf_error_free(err);
    pf_errors_clear(&errs);
    json_decref(stored);
    json_decref(body);
}

void pf_handle_product_create(const pf_app *app, const pf_request *req, pf_response *res) { save(app, req, res, NULL); }

void pf_handle_product_update(const pf_app *app, const pf_request *req, pf_response *res) {
    save(app, req, res, pf_request_param(req, "id"));
}

void pf_handle_product_list(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *list = NULL;
    pf_error *err = pf_store_item_list(app->store, "product", &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    const char *category = req->query(req, "category"), *cad_file = req->query(req, "cad_file");
    json_t *kept = json_array();
    size_t i;
    json_t *doc;
    json_array_foreach(list, i, doc) {
        const char *c = json_string_value(json_object_get(doc, "category"));
        const char *f = json_string_value(json_object_get(doc, "cad_file"));
        if (category && (!c || strcmp(c, category) != 0)) continue;
        if (cad_file && (!f || strcmp(f, cad_file) != 0)) continue;
        json_array_append(kept, doc);
    }
    json_decref(list);
    pf_respond_json(res, 200, json_pack("{s:o}", "products", kept));
}

void pf_handle_product_get(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = NULL;
    pf_error *err = pf_store_item_get(app->store, "product", pf_request_param(req, "id"), &doc);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, product_view(app, doc));
}

void pf_handle_product_delete(const pf_app *app, const pf_request *req, pf_response *res) {
    pf_error *err = pf_product_delete(app->store, pf_request_param(req, "id"));
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_text(res, 204, "application/json", NULL, 0);
}
