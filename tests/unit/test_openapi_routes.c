/* The OpenAPI document covers every route the router serves, and nothing else. */
#include "check.h"

#include "api/router.h"
#include "contract/contract.h"

#include <ctype.h>
#include <string.h>

int main(void) {
    json_t *doc = NULL;
    pf_error *err = pf_contract_embedded_json("api/openapi.json", &doc);
    CHECK(err == NULL && doc != NULL);
    pf_error_free(err);
    if (!doc) return pf_check_done("openapi_routes");
    json_t *paths = json_object_get(doc, "paths");
    size_t documented = 0;
    for (size_t i = 0; i < pf_n_routes; i++) {
        char method[8] = {0};
        for (size_t k = 0; k < sizeof method - 1 && pf_routes[i].method[k]; k++)
            method[k] = (char)tolower((unsigned char)pf_routes[i].method[k]);
        json_t *op = json_object_get(json_object_get(paths, pf_routes[i].pattern), method);
        CHECK_MSG(op != NULL, "%s %s is not in openapi.json", pf_routes[i].method, pf_routes[i].pattern);
        CHECK_MSG(json_object_get(op, "operationId") != NULL, "%s %s has no operationId", pf_routes[i].method,
                  pf_routes[i].pattern);
    }
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item) {
        const char *m;
        json_t *op;
        json_object_foreach(item, m, op) {
            if (!strcmp(m, "parameters")) continue;
            documented++;
            bool served = false;
            for (size_t i = 0; i < pf_n_routes; i++)
                if (!strcmp(pf_routes[i].pattern, path) && !strcasecmp(pf_routes[i].method, m)) served = true;
            CHECK_MSG(served, "openapi.json documents %s %s, which no route serves", m, path);
        }
    }
    CHECK_INT(documented, pf_n_routes);
    json_decref(doc);
    return pf_check_done("openapi_routes");
}
