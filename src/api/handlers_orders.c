/* Orders and order lines: create an order, inspect it, preflight a line and
 * dispatch it by its output type's rollout. */
#include "api/items.h"
#include "api/links.h"
#include "api/quota.h"
#include "core/json.h"

#include "catalog/order.h"
#include "core/id.h"
#include "core/mem.h"
#include "legacy/rollout.h"

#include <string.h>
#include <time.h>

void pf_handle_order_create(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *body = pf_request_json(req, res);
    if (!body) return;
    pf_catalog c = pf_app_catalog(app);
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *order = NULL;
    pf_error *err = pf_order_create(&c, body, &errs, &order);
    if (err && errs.len) {
        pf_respond_problem(res, 422, "Invalid order", err->message, req->path, &errs);
        pf_error_free(err);
    } else if (err) {
        pf_respond_error_take(res, req, err);
    } else {
        res->location = pf_asprintf("/api/orders/%s", pf_json_str(order, "id"));
        pf_respond_json(res, 201, order);
    }
    pf_errors_clear(&errs);
    json_decref(body);
}

/* Which orders a listing shows by ?test=: real ones (the default, so test
 * orders stay out of every page and sum built on the list), all, or only
 * test orders. -1 after responding 400. */
enum { REAL_ONLY, WITH_TEST, TEST_ONLY };
static int test_filter(const pf_request *req, pf_response *res) {
    const char *q = req->query(req, "test");
    if (!q || !*q || strcmp(q, "exclude") == 0) return REAL_ONLY;
    if (strcmp(q, "include") == 0) return WITH_TEST;
    if (strcmp(q, "only") == 0) return TEST_ONLY;
    pf_error *err = pf_error_new(PF_EINVAL, "/query/test", "test is exclude, include or only, not \"%s\"", q);
    pf_respond_problem(res, 400, NULL, err->message, req->path, &(pf_errors){err, 1, 1});
    pf_error_free(err);
    return -1;
}

/* Newest first, each with its lines and their status; test orders only
 * when asked for. */
void pf_handle_order_list(const pf_app *app, const pf_request *req, pf_response *res) {
    int which = test_filter(req, res);
    if (which < 0) return;
    json_t *list = NULL;
    pf_error *err = pf_store_item_list(app->store, "order", &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_catalog c = pf_app_catalog(app);
    json_t *orders = json_array();
    for (size_t i = json_array_size(list); i-- > 0;) {
        json_t *order = NULL;
        pf_error *missing = pf_order_get(&c, pf_json_str(json_array_get(list, i), "id"), &order);
        bool test = json_is_true(json_object_get(order, "test"));
        if (order && (which == WITH_TEST || test == (which == TEST_ONLY)))
            json_array_append_new(orders, order);
        else
            json_decref(order);
        pf_error_free(missing);
    }
    json_decref(list);
    pf_respond_json(res, 200, json_pack("{s:o}", "orders", orders));
}

void pf_handle_order_get(const pf_app *app, const pf_request *req, pf_response *res) {
    pf_catalog c = pf_app_catalog(app);
    json_t *order = NULL;
    pf_error *err = pf_order_get(&c, pf_request_param(req, "id"), &order);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, order);
}

void pf_handle_order_line_get(const pf_app *app, const pf_request *req, pf_response *res) {
    pf_catalog c = pf_app_catalog(app);
    json_t *line = NULL;
    pf_error *err = pf_order_line_load(&c, pf_request_param(req, "id"), &line);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    /* What the line's latest run published, with the signed links that
     * customers, who hold no token, can fetch it through (api/links.h). */
    const json_t *runs = json_object_get(line, "runs");
    const char *run_id = json_string_value(json_object_get(json_array_get(runs, json_array_size(runs) - 1), "run_id"));
    json_t *assets = NULL;
    pf_error *listed = run_id ? pf_store_asset_list(app->store, run_id, &assets) : NULL;
    pf_error_free(listed);
    if (!assets) assets = json_array();
    size_t i;
    json_t *asset;
    json_array_foreach(assets, i, asset) json_object_del(asset, "published_path"); /* a server path */
    pf_link_assets(app->link_key, assets, (long long)time(NULL));
    json_object_set_new(line, "assets", assets);
    pf_respond_json(res, 200, line);
}

/* The loaded line and its preflight; NULL after responding 404. */
static json_t *preflight(const pf_app *app, const pf_request *req, pf_response *res, pf_errors *errs,
                         json_t **warnings) {
    pf_catalog c = pf_app_catalog(app);
    json_t *line = NULL;
    pf_error *err = pf_order_line_load(&c, pf_request_param(req, "id"), &line);
    if (err) {
        pf_respond_error_take(res, req, err);
        return NULL;
    }
    *warnings = json_array();
    pf_order_line_preflight(&c, line, errs, *warnings);
    return line;
}

void pf_handle_order_line_preflight(const pf_app *app, const pf_request *req, pf_response *res) {
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *warnings = NULL, *line = preflight(app, req, res, &errs, &warnings);
    if (!line) return;
    pf_respond_json(res, 200,
                    json_pack("{s:O, s:b, s:o, s:o}", "line_id", json_object_get(line, "id"), "ok", errs.len == 0,
                              "problems", pf_errors_to_json(&errs), "warnings", warnings));
    pf_errors_clear(&errs);
    json_decref(line);
}

/* Preflight, then the rollout: legacy, graph, or shadow beside legacy. A
 * line in production or delivered is not dispatched again; a failed or
 * cancelled one may be. */
void pf_handle_order_line_dispatch(const pf_app *app, const pf_request *req, pf_response *res) {
    if (!pf_quota_admit(app, req, res)) return;
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *warnings = NULL, *line = preflight(app, req, res, &errs, &warnings);
    if (!line) return;
    const char *status = pf_json_str(line, "status");
    if (strcmp(status, "in_production") == 0 || strcmp(status, "delivered") == 0) {
        const json_t *runs = json_object_get(line, "runs");
        pf_respond_error_take(res, req,
                              pf_error_new(PF_ECONFLICT, "", "order line %s is already %s (run %s)",
                                           pf_json_str(line, "id"), status,
                                           pf_json_str(json_array_get(runs, json_array_size(runs) - 1), "run_id")));
    } else if (errs.len) {
        pf_respond_problem(res, 422, "The order line does not pass preflight",
                           errs.len == 1 ? errs.items[0].message : "the line has several problems", req->path, &errs);
    } else {
        /* The runs' ids are recorded on the line before they start: a crash
         * in between leaves ids of runs that never ran (the line reads as
         * failed and may be dispatched again), never runs the line does not
         * know, which a second dispatch would publish twice. */
        json_t *context = pf_order_line_context(line);
        const json_t *type = json_object_get(line, "output_type");
        char id[PF_ID_MAX], shadow_id[PF_ID_MAX];
        pf_id_new("run", id);
        pf_id_new("run", shadow_id);
        bool shadow = pf_json_str(type, "rollout") && strcmp(pf_json_str(type, "rollout"), "shadow") == 0;
        pf_dispatched d = {.run_id = pf_strdup(id), .shadow_run_id = shadow ? pf_strdup(shadow_id) : NULL};
        pf_catalog c = pf_app_catalog(app);
        pf_error *err =
            pf_order_line_dispatched(&c, pf_json_str(line, "id"), json_integer_value(json_object_get(line, "revision")),
                                     d.run_id, d.shadow_run_id);
        bool recorded = !err;
        if (recorded)
            err = pf_rollout_dispatch(app->runtime, app->store, app->starters, &app->registry->contract, type, context,
                                      &errs, &d);
        if (err && recorded) pf_error_free(pf_order_line_forget(&c, pf_json_str(line, "id"), id));
        if (err && errs.len)
            pf_respond_problem(res, 422, "The order line cannot be dispatched", err->message, req->path, &errs);
        else if (err)
            pf_respond_error(res, req, err);
        else
            pf_respond_json(res, 202,
                            json_pack("{s:O, s:s, s:s?, s:s, s:O}", "line_id", json_object_get(line, "id"), "run_id",
                                      d.run_id, "shadow_run_id", d.shadow_run_id, "rollout",
                                      pf_json_str(type, "rollout"), "warnings", warnings));
        pf_dispatched_free(&d);
        pf_error_free(err);
        json_decref(context);
    }
    json_decref(warnings);
    pf_errors_clear(&errs);
    json_decref(line);
}
