/* The route table: method, path pattern ("/api/workflows/{id}"), handler
 * and the roles that may call it, generated from the OpenAPI document
 * (tools/gen_routes.c). Literal segments win over parameters because the
 * generator orders the routes so and they are tried in order. */
#ifndef PF_API_ROUTER_H
#define PF_API_ROUTER_H

#include "api/app.h"
#include "api/http.h"

typedef void (*pf_handler)(const pf_app *app, const pf_request *req, pf_response *res);

/* Who may call a route: a token holding any of the roles (admin always
 * may; editor and operator include viewer). 0: everybody. */
enum {
    PF_ROLE_VIEWER = 1 << 0,
    PF_ROLE_EDITOR = 1 << 1,
    PF_ROLE_OPERATOR = 1 << 2,
    PF_ROLE_ADMIN = 1 << 3,
    PF_ROLE_WORKER = 1 << 4,
    PF_ROLE_METRICS = 1 << 5, /* GET /metrics only: what Prometheus scrapes with */
};

typedef struct pf_route {
    const char *method;
    const char *pattern;
    pf_handler handler;
    unsigned roles;
    const char *upload_dir;                 /* the body streams to DATA/<dir>/tmp (api/upload.h); NULL: buffered */
    const char *upload_types;               /* its media types, comma-separated (the requestBody's content) */
    const char *params[PF_MAX_PATH_PARAMS]; /* the {names} of pattern, in order */
} pf_route;

extern const pf_route pf_routes[];
extern const size_t pf_n_routes;

/* Finds the route for method and path and fills req's path params (the
 * values are malloc'd; free with pf_request_free_params). NULL when none
 * matches; *path_known tells a wrong method (405) from a wrong path (404). */
const pf_route *pf_route_match(const char *method, const char *path, pf_request *req, bool *path_known);
void pf_request_free_params(pf_request *req);
/* Reads ?family=; responds 400 and returns false when it names no family.
 * *family is NULL when the query leaves it out. */
bool pf_check_family_query(const pf_app *app, const pf_request *req, pf_response *res, const char **family);

/* Handlers, one file per resource; the generated header declares those
 * the OpenAPI document names. */
#include "api/routes.h"

#endif
