/* Every route of the HTTP API against a real `prodflow serve` on 127.0.0.1. */
#include "check.h"

#include "core/json.h"
#include "core/mem.h"
#include "support/server.h"

#include <stdlib.h>
#include <string.h>

static pf_test_server srv;

static pf_http_reply call(const char *method, const char *path, const char *body) {
    pf_http_reply r;
    if (pf_http(&srv, method, path, body, body ? strlen(body) : 0, NULL, &r) != 0) r.status = -1;
    return r;
}

static bool is_problem(const pf_http_reply *r) {
    return r->content_type && strncmp(r->content_type, "application/problem+json", 24) == 0 && r->json &&
           json_integer_value(json_object_get(r->json, "status")) == r->status;
}

static bool has_error_at(const pf_http_reply *r, const char *pointer) {
    return pf_problems_have(json_object_get(r->json, "errors"), pointer);
}

static char *fixture(void) {
    char *path = pf_asprintf("%s/tests/fixtures/intake_valid.json", PF_SOURCE_DIR);
    json_t *doc = json_load_file(path, 0, NULL);
    free(path);
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    return text;
}

static void test_meta(void) {
    pf_http_reply r = call("GET", "/api/health", NULL);
    CHECK_INT(r.status, 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "status")), "ok");
    CHECK_STR(json_string_value(json_object_get(r.json, "store")), srv.store ? "postgresql" : "sqlite");
    /* one warm Blender slot, not started until a render needs it */
    const json_t *workers = json_object_get(json_object_get(r.json, "blender_workers"), "workers");
    CHECK_INT(json_array_size(workers), 1);
    CHECK_INT(json_integer_value(json_object_get(json_array_get(workers, 0), "pid")), 0);
    pf_http_reply_free(&r);

    r = call("GET", "/api/openapi.json", NULL);
    CHECK_INT(r.status, 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "openapi")), "3.1.0");
    pf_http_reply_free(&r);

    r = call("GET", "/api/families", NULL);
    CHECK_INT(r.status, 200);
    CHECK_INT(json_array_size(json_object_get(r.json, "families")), 2);
    CHECK(json_object_get(json_object_get(r.json, "vocabulary"), "port_types") != NULL);
    pf_http_reply_free(&r);
}

static const json_t *definition(const json_t *defs, const char *step) {
    size_t i;
    const json_t *d;
    json_array_foreach(json_object_get(defs, "node_definitions"), i, d) {
        if (!strcmp(json_string_value(json_object_get(d, "step")), step)) return d;
    }
    return NULL;
}

static void test_node_definitions(void) {
    pf_http_reply r = call("GET", "/api/workflows/node-definitions", NULL);
    CHECK_INT(r.status, 200);
    CHECK_INT(json_array_size(json_object_get(r.json, "node_definitions")), 14);
    const json_t *resolve = definition(r.json, "cad.resolve_step_path");
    CHECK(json_is_true(json_object_get(resolve, "available")));
    const json_t *still = definition(r.json, "render.blender_still");
    CHECK(json_is_true(json_object_get(still, "available")));
    CHECK(json_object_get(json_object_get(still, "ui"), "label") != NULL);
    size_t k;
    const json_t *def;
    json_array_foreach(json_object_get(r.json, "node_definitions"), k, def)
        CHECK_MSG(json_is_true(json_object_get(def, "available")), "%s has no body",
                  json_string_value(json_object_get(def, "module_key")));
    CHECK(json_object_get(still, "param_schema") != NULL);
    pf_http_reply_free(&r);

    r = call("GET", "/api/workflows/node-definitions?family=cad_file", NULL);
    CHECK_INT(r.status, 200);
    CHECK(definition(r.json, "cad.resolve_step_path") != NULL);
    CHECK(definition(r.json, "order.resolve_line") == NULL);
    pf_http_reply_free(&r);

    r = call("GET", "/api/workflows/node-definitions?family=order_line", NULL);
    CHECK(definition(r.json, "order.resolve_line") != NULL);
    CHECK(definition(r.json, "cad.resolve_step_path") == NULL);
    pf_http_reply_free(&r);

    r = call("GET", "/api/workflows/node-definitions?family=video", NULL);
    CHECK_INT(r.status, 400);
    CHECK(is_problem(&r));
    CHECK(has_error_at(&r, "/query/family"));
    pf_http_reply_free(&r);
}

static void test_starters(void) {
    pf_http_reply r = call("GET", "/api/workflows/starters", NULL);
    CHECK_INT(r.status, 200);
    CHECK_INT(json_array_size(json_object_get(r.json, "starters")),
              5); /* cad intake, cad GLB, still, turntable, .blend */
    pf_http_reply_free(&r);
    r = call("GET", "/api/workflows/starters?family=order_line", NULL);
    CHECK_INT(json_array_size(json_object_get(r.json, "starters")), 3);
    /* Every starter passes the server's own validation. */
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r.json, "starters"), i, s) {
        char *text = json_dumps(s, 0);
        pf_http_reply v = call("POST", "/api/workflows/validate", text);
        CHECK_MSG(json_is_true(json_object_get(v.json, "valid")), "starter %s: %s",
                  json_string_value(json_object_get(s, "id")), v.body);
        pf_http_reply_free(&v);
        free(text);
    }
    pf_http_reply_free(&r);
}

static void test_validate(void) {
    char *doc = fixture();
    pf_http_reply r = call("POST", "/api/workflows/validate", doc);
    CHECK_INT(r.status, 200);
    CHECK(json_is_true(json_object_get(r.json, "valid")));
    CHECK(json_object_get(r.json, "canonical") != NULL);
    pf_http_reply_free(&r);

    r = call("POST", "/api/workflows/validate",
             "{\"schema\":\"prodflow.workflow/v1\",\"nodes\":[{\"id\":\"a\",\"step\":\"x.y\"}]}");
    CHECK_INT(r.status, 200);
    CHECK(json_is_false(json_object_get(r.json, "valid")));
    CHECK(has_error_at(&r, "/nodes/0/step"));
    pf_http_reply_free(&r);

    r = call("POST", "/api/workflows/validate", "{\"nodes\": [1, 2,");
    CHECK_INT(r.status, 400);
    CHECK(is_problem(&r));
    CHECK(strstr(r.body, "line 1") != NULL);
    pf_http_reply_free(&r);

    r = call("POST", "/api/workflows/validate", NULL);
    CHECK_INT(r.status, 400);
    CHECK(is_problem(&r));
    pf_http_reply_free(&r);

    pf_http_reply t;
    pf_http(&srv, "POST", "/api/workflows/validate", "a=b", 3, "application/x-www-form-urlencoded", &t);
    CHECK_INT(t.status, 415);
    CHECK(is_problem(&t));
    pf_http_reply_free(&t);

    /* Over the body limit: a clear 413, and the server lives on. */
    size_t big = 9u << 20;
    char *huge = pf_xmalloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '[';
    huge[big - 1] = ']';
    huge[big] = '\0';
    pf_http(&srv, "POST", "/api/workflows/validate", huge, big, NULL, &t);
    CHECK_INT(t.status, 413);
    CHECK(is_problem(&t));
    pf_http_reply_free(&t);
    free(huge);

    /* Deeply nested garbage is refused, not a crash. */
    char nested[40001];
    memset(nested, '[', 40000);
    nested[40000] = '\0';
    r = call("POST", "/api/workflows/validate", nested);
    CHECK_INT(r.status, 400);
    pf_http_reply_free(&r);
    free(doc);

    r = call("GET", "/api/health", NULL);
    CHECK_INT(r.status, 200);
    pf_http_reply_free(&r);
}

static void test_crud(void) {
    pf_http_reply r = call("GET", "/api/workflows", NULL);
    CHECK_INT(r.status, 200);
    CHECK_INT(json_array_size(json_object_get(r.json, "workflows")), 0);
    pf_http_reply_free(&r);

    char *doc = fixture();
    r = call("POST", "/api/workflows", doc);
    CHECK_INT(r.status, 201);
    CHECK_STR(r.location, "/api/workflows/test-intake");
    CHECK_INT(json_integer_value(json_object_get(r.json, "version")), 1);
    pf_http_reply_free(&r);

    r = call("POST", "/api/workflows", doc);
    CHECK_INT(r.status, 409);
    CHECK(is_problem(&r));
    pf_http_reply_free(&r);

    r = call("POST", "/api/workflows",
             "{\"schema\":\"prodflow.workflow/v1\",\"id\":\"x\",\"name\":\"X\","
             "\"family\":\"cad_file\",\"nodes\":[{\"id\":\"a\",\"step\":\"order.resolve_line\"}],"
             "\"edges\":[]}");
    CHECK_INT(r.status, 422);
    CHECK(is_problem(&r));
    CHECK(has_error_at(&r, "/nodes/0/step"));
    pf_http_reply_free(&r);

    /* PUT makes version 2; the body names the version it edited. */
    json_t *edited = json_loads(doc, 0, NULL);
    json_object_set_new(edited, "name", json_string("Test intake, edited"));
    char *text = json_dumps(edited, 0);
    r = call("PUT", "/api/workflows/test-intake", text);
    CHECK_INT(r.status, 200);
    CHECK_INT(json_integer_value(json_object_get(r.json, "version")), 2);
    pf_http_reply_free(&r);
    /* A second save based on version 1 lost the race: 409, nothing overwritten. */
    r = call("PUT", "/api/workflows/test-intake", text);
    CHECK_INT(r.status, 409);
    pf_http_reply_free(&r);
    free(text);

    json_object_set_new(edited, "id", json_string("other"));
    text = json_dumps(edited, 0);
    r = call("PUT", "/api/workflows/test-intake", text);
    CHECK_INT(r.status, 422);
    CHECK(has_error_at(&r, "/id"));
    pf_http_reply_free(&r);
    free(text);
    json_decref(edited);

    r = call("GET", "/api/workflows/test-intake", NULL);
    CHECK_INT(r.status, 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "name")), "Test intake, edited");
    pf_http_reply_free(&r);

    r = call("GET", "/api/workflows?family=cad_file", NULL);
    CHECK_INT(json_array_size(json_object_get(r.json, "workflows")), 1);
    pf_http_reply_free(&r);
    r = call("GET", "/api/workflows?family=order_line", NULL);
    CHECK_INT(json_array_size(json_object_get(r.json, "workflows")), 0);
    pf_http_reply_free(&r);

    r = call("GET", "/api/workflows/test-intake/versions", NULL);
    CHECK_INT(r.status, 200);
    CHECK_INT(json_array_size(json_object_get(r.json, "versions")), 2);
    pf_http_reply_free(&r);

    r = call("GET", "/api/workflows/test-intake/versions/1", NULL);
    CHECK_INT(r.status, 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "name")), "Test intake");
    pf_http_reply_free(&r);

    r = call("GET", "/api/workflows/test-intake/versions/9", NULL);
    CHECK_INT(r.status, 404);
    CHECK(is_problem(&r));
    pf_http_reply_free(&r);

    r = call("GET", "/api/workflows/test-intake/versions/abc", NULL);
    CHECK_INT(r.status, 400); /* a malformed path parameter, as the document says */
    CHECK(has_error_at(&r, "/path/version"));
    pf_http_reply_free(&r);

    r = call("DELETE", "/api/workflows/test-intake", NULL);
    CHECK_INT(r.status, 204);
    pf_http_reply_free(&r);
    r = call("GET", "/api/workflows/test-intake", NULL);
    CHECK_INT(r.status, 404);
    pf_http_reply_free(&r);
    /* Runs may reference old versions, so they stay readable. */
    r = call("GET", "/api/workflows/test-intake/versions/2", NULL);
    CHECK_INT(r.status, 200);
    pf_http_reply_free(&r);
    r = call("DELETE", "/api/workflows/test-intake", NULL);
    CHECK_INT(r.status, 404);
    pf_http_reply_free(&r);
    free(doc);
}

static void test_unknown_routes(void) {
    pf_http_reply r = call("GET", "/api/nothing-here", NULL);
    CHECK_INT(r.status, 404);
    CHECK(is_problem(&r));
    CHECK(strstr(r.body, "\"not_found\"") != NULL);
    pf_http_reply_free(&r);
    /* Without a built editor, "/" still tells a visitor what is running. */
    r = call("GET", "/", NULL);
    CHECK_INT(r.status, 200);
    CHECK(r.content_type && strncmp(r.content_type, "text/html", 9) == 0);
    CHECK(strstr(r.body, "/api/openapi.json") != NULL);
    pf_http_reply_free(&r);
    /* The API reference is a page, under /api/ but no API 404; public like the document. */
    r = call("GET", "/api/docs", NULL);
    CHECK_INT(r.status, 200);
    CHECK(r.content_type && strncmp(r.content_type, "text/html", 9) == 0);
    CHECK(strstr(r.body, "/api/openapi.json") != NULL);
    pf_http_reply_free(&r);
    r = call("GET", "/api/docs/more", NULL);
    CHECK_INT(r.status, 404);
    pf_http_reply_free(&r);
    r = call("PATCH", "/api/workflows", "{}");
    CHECK_INT(r.status, 405);
    CHECK(is_problem(&r));
    pf_http_reply_free(&r);
}

/* libmicrohttpd hands the server the path percent-decoded, so a path may
 * hold bytes that are not UTF-8; quoted in a problem they aborted the
 * server (fuzz/fuzz_api.c found it). They are answered, shown as U+FFFD. */
static void test_not_utf8(void) {
    static const struct {
        const char *method, *path;
    } cases[] = {
        {"DELETE", "/api/categories/%FF"}, {"GET", "/api/workflows/a%C3%28b"}, {"GET", "/api/nothing%ED%A0%80"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pf_http_reply r = call(cases[i].method, cases[i].path, NULL);
        CHECK_MSG(r.status == 404, "%s %s: %ld", cases[i].method, cases[i].path, r.status);
        CHECK(is_problem(&r));
        CHECK(strstr(pf_json_str(r.json, "detail") ? pf_json_str(r.json, "detail") : "", "\xEF\xBF\xBD") != NULL);
        pf_http_reply_free(&r);
    }
    pf_http_reply r = call("GET", "/api/health", NULL);
    CHECK_INT(r.status, 200);
    pf_http_reply_free(&r);
}

int main(void) {
    /* an empty catalog: these tests count workflows from zero */
    const char *const args[] = {"--no-demo-data", NULL};
    if (pf_test_server_start(&srv, args) != 0) {
        CHECK_MSG(0, "server start");
        return pf_check_done("api");
    }
    test_meta();
    test_node_definitions();
    test_starters();
    test_validate();
    test_crud();
    test_unknown_routes();
    test_not_utf8();
    pf_test_server_stop(&srv);
    return pf_check_done("api");
}
