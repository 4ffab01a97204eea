/* What issue 14 found in the API, through a real `prodflow serve`: run
 * requests whose fields have the wrong type, bodies that only look like
 * JSON, and version pins that are not whole numbers. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "support/server.h"

#include <stdlib.h>
#include <string.h>

static pf_test_server srv;

/* A request answered with want_status and a problem at pointer. */
static void expect_problem(const char *method, const char *path, const char *body, const char *content_type,
                           long want_status, const char *pointer) {
    pf_http_reply r;
    if (pf_http(&srv, method, path, body, body ? strlen(body) : 0, content_type, &r) != 0) {
        CHECK_MSG(0, "%s %s %s: no answer", method, path, body ? body : "");
        return;
    }
    CHECK_MSG(r.status == want_status, "%s %s %s: status %ld, not %ld: %s", method, path, body ? body : "", r.status,
              want_status, r.body);
    CHECK_MSG(pf_problems_have(json_object_get(r.json, "errors"), pointer), "%s %s %s: no problem at %s: %s", method,
              path, body ? body : "", pointer, r.body);
    pf_http_reply_free(&r);
}

/* Overrides of the wrong type, a body type that only starts like JSON and
 * version pins that are not whole numbers are refused, each at its pointer,
 * before any run starts. */
static void test_strict_run_requests(void) {
    static const char *const wrong[] = {"null", "true", "0", "\"x\"", "[]"};
    static const char *const fields[] = {"overrides", "line_overrides"};
    for (size_t f = 0; f < 2; f++)
        for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
            char *body = pf_asprintf("{\"workflow\":{\"id\":\"starter-cad-intake\"},\"%s\":%s}", fields[f], wrong[i]);
            char *pointer = pf_asprintf("/%s", fields[f]);
            expect_problem("POST", "/api/runs", body, NULL, 422, pointer);
            free(pointer);
            free(body);
        }
    static const char *const versions[] = {"1e308", "2.0", "0", "-1", "\"1\"", "null", "4294967297"};
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
        char *body = pf_asprintf("{\"workflow\":{\"id\":\"starter-cad-intake\",\"version\":%s}}", versions[i]);
        expect_problem("POST", "/api/runs", body, NULL, 422, "/workflow/version");
        free(body);
    }
    /* a whole version passes the shape check and is looked up */
    expect_problem("POST", "/api/runs", "{\"workflow\":{\"id\":\"no-such-workflow\",\"version\":1}}", NULL, 404,
                   "/workflow/id");

    /* only application/json itself is JSON; its parameters are allowed */
    const char *body = "{\"workflow\":{\"id\":\"no-such-workflow\"}}";
    static const char *const not_json[] = {"application/jsonx", "application/json-patch+json", "text/json",
                                           "application/x-json", "application/json5; charset=utf-8"};
    for (size_t i = 0; i < sizeof not_json / sizeof *not_json; i++)
        expect_problem("POST", "/api/runs", body, not_json[i], 415, "/headers/Content-Type");
    expect_problem("POST", "/api/runs", body, "application/json; charset=utf-8", 404, "/workflow/id");
    expect_problem("POST", "/api/runs", body, "Application/JSON", 404, "/workflow/id");
}

int main(void) {
    const char *const args[] = {"--no-demo-data", NULL};
    if (pf_test_server_start(&srv, args) != 0) {
        CHECK_MSG(0, "server start");
        return pf_check_done("api_hardening");
    }
    test_strict_run_requests();
    pf_test_server_stop(&srv);
    return pf_check_done("api_hardening");
}
