/* The route table: method, path pattern ("/api/workflows/{id}") and handler.
 * Literal segments win over parameters because routes are tried in order. */
#ifndef PF_API_ROUTER_H
#define PF_API_ROUTER_H

#include "api/app.h"
#include "api/http.h"

typedef void (*pf_handler)(const pf_app *app, const pf_request *req, pf_response *res);

typedef struct pf_route {
    const char *method;
    const char *pattern;
    pf_handler handler;
} pf_route;

extern const pf_route pf_routes[];
extern const size_t pf_n_routes;

/* Finds the route for method and path and fills req's path params (the
 * values are malloc'd; free with pf_request_free_params). NULL when none
 * matches; *path_known tells a wrong method (405) from a wrong path (404). */
const pf_route *pf_route_match(const char *method, const char *path, pf_request *req, bool *path_known);
void pf_request_free_params(pf_request *req);
/* Where the route's body streams instead of memory: a file under
 * DATA/<dir>/tmp handed over as req->upload. NULL for buffered routes. */
const char *pf_route_upload_dir(const pf_route *route);

/* Reads ?family=; responds 400 and returns false when it names no family.
 * *family is NULL when the query leaves it out. */
bool pf_check_family_query(const pf_app *app, const pf_request *req, pf_response *res, const char **family);

/* Handlers, one file per resource. */
void pf_handle_health(const pf_app *, const pf_request *, pf_response *);
void pf_handle_openapi(const pf_app *, const pf_request *, pf_response *);
void pf_handle_families(const pf_app *, const pf_request *, pf_response *);
void pf_handle_node_definitions(const pf_app *, const pf_request *, pf_response *);
void pf_handle_workflow_starters(const pf_app *, const pf_request *, pf_response *);
void pf_handle_workflow_validate(const pf_app *, const pf_request *, pf_response *);
void pf_handle_workflow_list(const pf_app *, const pf_request *, pf_response *);
void pf_handle_workflow_create(const pf_app *, const pf_request *, pf_response *);
void pf_handle_workflow_get(const pf_app *, const pf_request *, pf_response *);
void pf_handle_workflow_update(const pf_app *, const pf_request *, pf_response *);
void pf_handle_workflow_delete(const pf_app *, const pf_request *, pf_response *);
void pf_handle_workflow_versions(const pf_app *, const pf_request *, pf_response *);
void pf_handle_workflow_version(const pf_app *, const pf_request *, pf_response *);
void pf_handle_run_create(const pf_app *, const pf_request *, pf_response *);
void pf_handle_run_list(const pf_app *, const pf_request *, pf_response *);
void pf_handle_run_get(const pf_app *, const pf_request *, pf_response *);
void pf_handle_run_cancel(const pf_app *, const pf_request *, pf_response *);
void pf_handle_run_rerun(const pf_app *, const pf_request *, pf_response *);
void pf_handle_asset_list(const pf_app *, const pf_request *, pf_response *);
void pf_handle_run_parity(const pf_app *, const pf_request *, pf_response *);
void pf_handle_run_events(const pf_app *, const pf_request *, pf_response *);
void pf_handle_artifact_get(const pf_app *, const pf_request *, pf_response *);
#define PF_ITEM_HANDLER_DECLS(NAME)                                                                                    \
    void pf_handle_##NAME##_list(const pf_app *, const pf_request *, pf_response *);                                   \
    void pf_handle_##NAME##_create(const pf_app *, const pf_request *, pf_response *);                                 \
    void pf_handle_##NAME##_get(const pf_app *, const pf_request *, pf_response *);                                    \
    void pf_handle_##NAME##_replace(const pf_app *, const pf_request *, pf_response *);                                \
    void pf_handle_##NAME##_delete(const pf_app *, const pf_request *, pf_response *);
PF_ITEM_HANDLER_DECLS(category)
PF_ITEM_HANDLER_DECLS(pricing_tier)
PF_ITEM_HANDLER_DECLS(output_type)
void pf_handle_output_type_schema(const pf_app *, const pf_request *, pf_response *);
void pf_handle_output_type_draft(const pf_app *, const pf_request *, pf_response *);
void pf_handle_output_type_import_legacy(const pf_app *, const pf_request *, pf_response *);
void pf_handle_material_library_list(const pf_app *, const pf_request *, pf_response *);
void pf_handle_material_library_get(const pf_app *, const pf_request *, pf_response *);
void pf_handle_material_library_schema(const pf_app *, const pf_request *, pf_response *);
void pf_handle_material_library_put(const pf_app *, const pf_request *, pf_response *);
void pf_handle_material_library_delete(const pf_app *, const pf_request *, pf_response *);
void pf_handle_template_list(const pf_app *, const pf_request *, pf_response *);
void pf_handle_template_get(const pf_app *, const pf_request *, pf_response *);
void pf_handle_template_schema(const pf_app *, const pf_request *, pf_response *);
void pf_handle_template_put(const pf_app *, const pf_request *, pf_response *);
void pf_handle_template_delete(const pf_app *, const pf_request *, pf_response *);
void pf_handle_order_list(const pf_app *, const pf_request *, pf_response *);
void pf_handle_order_create(const pf_app *, const pf_request *, pf_response *);
void pf_handle_order_get(const pf_app *, const pf_request *, pf_response *);
void pf_handle_order_line_get(const pf_app *, const pf_request *, pf_response *);
void pf_handle_order_line_preflight(const pf_app *, const pf_request *, pf_response *);
void pf_handle_order_line_dispatch(const pf_app *, const pf_request *, pf_response *);
void pf_handle_cad_file_upload(const pf_app *, const pf_request *, pf_response *);
void pf_handle_cad_file_list(const pf_app *, const pf_request *, pf_response *);
void pf_handle_cad_file_get(const pf_app *, const pf_request *, pf_response *);
void pf_handle_product_list(const pf_app *, const pf_request *, pf_response *);
void pf_handle_product_create(const pf_app *, const pf_request *, pf_response *);
void pf_handle_product_get(const pf_app *, const pf_request *, pf_response *);
void pf_handle_product_update(const pf_app *, const pf_request *, pf_response *);
void pf_handle_product_delete(const pf_app *, const pf_request *, pf_response *);

#endif
