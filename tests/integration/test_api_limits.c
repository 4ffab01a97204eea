/* Limits on what a request can make the server do, through a real
 * `prodflow serve`: regular expressions a request supplies in a workflow's
 * invocation schemas are refused or bounded, and the server answers on. */
#include "check.h"

#include "core/mem.h"
#include "support/server.h"

#include <stdlib.h>
#include <string.h>

static pf_test_server srv;

/* The valid intake workflow with two invocation params whose schemas a
 * request controls: one with a pattern refused at check time, one with a
 * pattern whose default backtracks catastrophically. */
static char *workflow_with_patterns(void) {
    char *path = pf_asprintf("%s/tests/fixtures/intake_valid.json", PF_SOURCE_DIR);
    json_t *doc = json_load_file(path, 0, NULL);
    free(path);
    CHECK_MSG(doc != NULL, "cannot read tests/fixtures/intake_valid.json");
    if (!doc) return NULL;
    json_object_set_new(doc, "id", json_string("limits-intake"));
    char costly_default[64];
    memset(costly_default, 'a', 40);
    strcpy(costly_default + 40, "b");
    json_t *params = json_object_get(json_object_get(doc, "invocation"), "params");
    json_object_set_new(params, "library",
                        json_pack("{s:{s:s, s:s}, s:[s]}", "schema", "type", "string", "pattern", "(a{1,32767}){1,10}",
                                  "targets", "materials.library"));
    json_object_set_new(params, "category",
                        json_pack("{s:{s:s, s:s, s:s}, s:[s]}", "schema", "type", "string", "pattern", "^(a+)+$",
                                  "default", costly_default, "targets", "materials.category_default"));
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    return text;
}

/* The message of the problem at pointer, or "". */
static const char *message_at(const json_t *problems, const char *pointer) {
    size_t i;
    const json_t *e;
    json_array_foreach(problems, i, e) {
        const char *at = json_string_value(json_object_get(e, "pointer"));
        if (at && !strcmp(at, pointer)) return json_string_value(json_object_get(e, "message"));
    }
    return "";
}

static void test_patterns(void) {
    char *body = workflow_with_patterns();
    if (!body) return;
    const char *pattern_at = "/invocation/params/library/schema/pattern";
    const char *default_at = "/invocation/params/category/schema/default";

    /* Validation answers 200 with every problem (docs/api.md). */
    long status = 0;
    json_t *r = pf_http_json(&srv, "POST", "/api/workflows/validate", body, &status);
    CHECK_INT(status, 200);
    CHECK(json_is_false(json_object_get(r, "valid")));
    const json_t *errors = json_object_get(r, "errors");
    CHECK(pf_problems_have(errors, pattern_at));
    CHECK_MSG(strstr(message_at(errors, pattern_at), "repeats up to 32767 times at offset 2") != NULL, "%s",
              message_at(errors, pattern_at));
    CHECK(pf_problems_have(errors, default_at));
    CHECK_MSG(strstr(message_at(errors, default_at), "is too costly to match against this value") != NULL, "%s",
              message_at(errors, default_at));
    json_decref(r);

    /* Saving it is refused with 422 and the same pointers. */
    r = pf_http_json(&srv, "POST", "/api/workflows", body, &status);
    CHECK_INT(status, 422);
    CHECK_INT(json_integer_value(json_object_get(r, "status")), 422);
    errors = json_object_get(r, "errors");
    CHECK(pf_problems_have(errors, pattern_at));
    CHECK(pf_problems_have(errors, default_at));
    json_decref(r);
    free(body);

    /* Nothing was saved, and the server still answers. */
    r = pf_http_json(&srv, "GET", "/api/workflows/limits-intake", NULL, &status);
    CHECK_INT(status, 404);
    json_decref(r);
    r = pf_http_json(&srv, "GET", "/api/health", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_STR(json_string_value(json_object_get(r, "status")), "ok");
    json_decref(r);
}

int main(void) {
    const char *const args[] = {"--no-demo-data", NULL};
    if (pf_test_server_start(&srv, args) != 0) {
        CHECK_MSG(0, "server start");
        return pf_check_done("api_limits");
    }
    test_patterns();
    pf_test_server_stop(&srv);
    return pf_check_done("api_limits");
}
