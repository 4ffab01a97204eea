#include "api/router.h"

#include "core/hex.h"

#include <stdlib.h>
#include <string.h>

/* Matches segment by segment; {name} captures one non-empty segment,
 * %-decoded. A broken escape or an encoded NUL matches no route. */
static bool match(const pf_route *route, const char *path, pf_request *req) {
    req->n_params = 0;
    const char *p = route->pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *end = strchr(s, '/');
            if (!end) end = s + strlen(s);
            if (end == s || req->n_params == PF_MAX_PATH_PARAMS) return false;
            char *value = pf_percent_decode(s, (size_t)(end - s));
            if (!value) return false;
            req->param_names[req->n_params] = route->params[req->n_params];
            req->param_values[req->n_params++] = value;
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
        bool ok = match(&pf_routes[i], path, req);
        if (ok && strcmp(pf_routes[i].method, method) == 0) return &pf_routes[i];
        pf_request_free_params(req);
        if (ok) *path_known = true;
    }
    return NULL;
}
