#include "api/router.h"

#include "core/mem.h"

#include <string.h>

const pf_route pf_routes[] = {
    {"GET", "/api/health", pf_handle_health},
    {"GET", "/api/openapi.json", pf_handle_openapi},
    {"GET", "/api/families", pf_handle_families},
    {"GET", "/api/workflows/node-definitions", pf_handle_node_definitions},
    {"GET", "/api/workflows/starters", pf_handle_workflow_starters},
    {"POST", "/api/workflows/validate", pf_handle_workflow_validate},
    {"GET", "/api/workflows", pf_handle_workflow_list},
    {"POST", "/api/workflows", pf_handle_workflow_create},
    {"GET", "/api/workflows/{id}", pf_handle_workflow_get},
    {"PUT", "/api/workflows/{id}", pf_handle_workflow_update},
    {"DELETE", "/api/workflows/{id}", pf_handle_workflow_delete},
    {"GET", "/api/workflows/{id}/versions", pf_handle_workflow_versions},
    {"GET", "/api/workflows/{id}/versions/{version}", pf_handle_workflow_version},
    {"POST", "/api/runs", pf_handle_run_create},
    {"GET", "/api/runs", pf_handle_run_list},
    {"GET", "/api/runs/{id}", pf_handle_run_get},
    {"POST", "/api/runs/{id}/cancel", pf_handle_run_cancel},
    {"POST", "/api/runs/{id}/rerun", pf_handle_run_rerun},
    {"GET", "/api/runs/{id}/parity", pf_handle_run_parity},
    {"GET", "/api/runs/{id}/events", pf_handle_run_events},
    {"GET", "/api/artifacts/{id}", pf_handle_artifact_get},
    {"GET", "/api/assets", pf_handle_asset_list},
    {"GET", "/api/categories", pf_handle_category_list},
    {"POST", "/api/categories", pf_handle_category_create},
    {"GET", "/api/categories/{key}", pf_handle_category_get},
    {"PUT", "/api/categories/{key}", pf_handle_category_replace},
    {"DELETE", "/api/categories/{key}", pf_handle_category_delete},
    {"GET", "/api/pricing-tiers", pf_handle_pricing_tier_list},
    {"POST", "/api/pricing-tiers", pf_handle_pricing_tier_create},
    {"GET", "/api/pricing-tiers/{key}", pf_handle_pricing_tier_get},
    {"PUT", "/api/pricing-tiers/{key}", pf_handle_pricing_tier_replace},
    {"DELETE", "/api/pricing-tiers/{key}", pf_handle_pricing_tier_delete},
    {"GET", "/api/output-types/schema", pf_handle_output_type_schema},
    {"POST", "/api/output-types/draft/validate", pf_handle_output_type_draft},
    {"POST", "/api/output-types/import-legacy", pf_handle_output_type_import_legacy},
    {"GET", "/api/output-types", pf_handle_output_type_list},
    {"POST", "/api/output-types", pf_handle_output_type_create},
    {"GET", "/api/output-types/{key}", pf_handle_output_type_get},
    {"PUT", "/api/output-types/{key}", pf_handle_output_type_replace},
    {"DELETE", "/api/output-types/{key}", pf_handle_output_type_delete},
    {"GET", "/api/material-libraries", pf_handle_material_library_list},
    {"GET", "/api/material-libraries/schema", pf_handle_material_library_schema},
    {"GET", "/api/material-libraries/{name}", pf_handle_material_library_get},
    {"PUT", "/api/material-libraries/{name}", pf_handle_material_library_put},
    {"DELETE", "/api/material-libraries/{name}", pf_handle_material_library_delete},
    {"GET", "/api/templates", pf_handle_template_list},
    {"GET", "/api/templates/schema", pf_handle_template_schema},
    {"GET", "/api/templates/{key}", pf_handle_template_get},
    {"PUT", "/api/templates/{key}", pf_handle_template_put},
    {"DELETE", "/api/templates/{key}", pf_handle_template_delete},
    {"GET", "/api/orders", pf_handle_order_list},
    {"POST", "/api/orders", pf_handle_order_create},
    {"GET", "/api/orders/{id}", pf_handle_order_get},
    {"GET", "/api/order-lines/{id}", pf_handle_order_line_get},
    {"POST", "/api/order-lines/{id}/preflight", pf_handle_order_line_preflight},
    {"POST", "/api/order-lines/{id}/dispatch", pf_handle_order_line_dispatch},
    {"POST", "/api/cad-files", pf_handle_cad_file_upload},
    {"GET", "/api/cad-files", pf_handle_cad_file_list},
    {"GET", "/api/cad-files/{id}", pf_handle_cad_file_get},
    {"GET", "/api/products", pf_handle_product_list},
    {"POST", "/api/products", pf_handle_product_create},
    {"GET", "/api/products/{id}", pf_handle_product_get},
    {"PUT", "/api/products/{id}", pf_handle_product_update},
    {"DELETE", "/api/products/{id}", pf_handle_product_delete},
};
const size_t pf_n_routes = sizeof pf_routes / sizeof *pf_routes;

/* Uploads stream to a temp file beside where they end up, so keeping one is a rename. */
static const struct {
    pf_handler handler;
    const char *dir;
} upload_routes[] = {
    {pf_handle_cad_file_upload, "cad"},
};

const char *pf_route_upload_dir(const pf_route *route) {
    for (size_t i = 0; route && i < sizeof upload_routes / sizeof *upload_routes; i++)
        if (upload_routes[i].handler == route->handler) return upload_routes[i].dir;
    return NULL;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *percent_decode(const char *s, size_t n) {
    char *out = pf_xmalloc(n + 1), *w = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n + 1 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *w++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *w++ = s[i];
        }
    }
    *w = '\0';
    return out;
}

/* Matches segment by segment; {name} captures one non-empty segment. */
static bool match(const char *pattern, const char *path, pf_request *req) {
    req->n_params = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *end = strchr(s, '/');
            if (!end) end = s + strlen(s);
            if (end == s || req->n_params == PF_MAX_PATH_PARAMS) return false;
            static const char *const names[] = {"id", "version", "key", "name"};
            const char *name = NULL;
            for (size_t i = 0; i < sizeof names / sizeof *names; i++)
                if (strlen(names[i]) == (size_t)(close - p - 1) &&
                    strncmp(names[i], p + 1, (size_t)(close - p - 1)) == 0)
                    name = names[i];
            if (!name) return false;
            req->param_names[req->n_params] = name;
            req->param_values[req->n_params++] = percent_decode(s, (size_t)(end - s));
            p = close + 1;
            s = end;
        } else if (*p++ != *s++) {
            return false;
        }
    }
    return *p == '\0' && *s == '\0';
}

void pf_request_free_params(pf_request *req) {
    for (size_t i = 0; i < req->n_params; i++)
        free(req->param_values[i]);
    req->n_params = 0;
}

const pf_route *pf_route_match(const char *method, const char *path, pf_request *req, bool *path_known) {
    *path_known = false;
    for (size_t i = 0; i < pf_n_routes; i++) {
        bool ok = match(pf_routes[i].pattern, path, req);
        if (ok && strcmp(pf_routes[i].method, method) == 0) return &pf_routes[i];
        pf_request_free_params(req);
        if (ok) *path_known = true;
    }
    return NULL;
}
