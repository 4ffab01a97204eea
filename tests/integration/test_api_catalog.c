/* The catalog through the HTTP API of a real `prodflow serve` with its demo
 * data: categories and pricing tiers, material libraries and render
 * templates, output types (schema, CRUD, the wizard's draft steps, legacy
 * import) and malformed orders with their exact pointers. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "support/server.h"

#include <stdlib.h>
#include <string.h>

static void expect_problem(const pf_test_server *srv, const char *method, const char *path, const char *body,
                           long want_status, const char *pointer) {
    long status;
    json_t *doc = pf_http_json(srv, method, path, body, &status);
    CHECK_MSG(status == want_status, "%s %s %s: status %ld, not %ld", method, path, body, status, want_status);
    CHECK_MSG(pf_problems_have(json_object_get(doc, "errors"), pointer), "%s %s %s: no problem at %s", method, path,
              body, pointer);
    json_decref(doc);
}

static void test_reference_data(const pf_test_server *srv) {
    long status;
    json_t *doc = pf_http_json(srv, "GET", "/api/categories", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_INT(json_array_size(json_object_get(doc, "categories")), 2);
    json_decref(doc);
    doc = pf_http_json(srv, "POST", "/api/categories", "{\"key\":\"lamps\",\"name\":\"Lamps\"}", &status);
    CHECK_INT(status, 201);
    json_decref(doc);
    expect_problem(srv, "POST", "/api/categories", "{\"key\":\"lamps\",\"name\":\"Again\"}", 409, "/key");
    expect_problem(srv, "POST", "/api/categories", "{\"key\":\"Lamps!\",\"name\":\"L\"}", 422, "/key");
    expect_problem(srv, "POST", "/api/categories", "{\"key\":\"x\",\"colour\":1}", 422, "/colour");
    expect_problem(srv, "PUT", "/api/categories/lamps", "{\"key\":\"other\",\"name\":\"L\"}", 422, "/key");
    doc = pf_http_json(srv, "PUT", "/api/categories/lamps", "{\"name\":\"Lamps and lights\",\"revision\":1}", &status);
    CHECK_INT(status, 200);
    CHECK_STR(pf_json_str(doc, "name"), "Lamps and lights");
    CHECK_INT(json_integer_value(json_object_get(doc, "revision")), 2);
    json_decref(doc);
    /* an edit of revision 1 after that would lose it: refused */
    expect_problem(srv, "PUT", "/api/categories/lamps", "{\"name\":\"Lamps\",\"revision\":1}", 409, "/revision");
    doc = pf_http_json(srv, "DELETE", "/api/categories/lamps", NULL, &status);
    CHECK_INT(status, 204);
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/categories/lamps", NULL, &status);
    CHECK_INT(status, 404);
    json_decref(doc);

    expect_problem(srv, "POST", "/api/pricing-tiers",
                   "{\"key\":\"gold\",\"name\":\"Gold\",\"currency\":\"euro\",\"prices\":{\"still_image\":10}}", 422,
                   "/currency");
    expect_problem(srv, "POST", "/api/pricing-tiers",
                   "{\"key\":\"gold\",\"name\":\"Gold\",\"currency\":\"EUR\",\"prices\":{\"hologram\":10}}", 422,
                   "/prices/hologram");
    expect_problem(srv, "POST", "/api/pricing-tiers",
                   "{\"key\":\"gold\",\"name\":\"Gold\",\"currency\":\"EUR\",\"prices\":{\"still_image\":-1}}", 422,
                   "/prices/still_image");
    /* in use by the demo output types: refused */
    doc = pf_http_json(srv, "DELETE", "/api/pricing-tiers/standard", NULL, &status);
    CHECK_INT(status, 409);
    CHECK(strstr(pf_json_str(doc, "detail") ? pf_json_str(doc, "detail") : "", "output_type") != NULL);
    json_decref(doc);
    /* a category the sample product is in: the refusal names the product by its SKU */
    doc = pf_http_json(srv, "DELETE", "/api/categories/machinery", NULL, &status);
    CHECK_INT(status, 409);
    CHECK_MSG(strstr(pf_json_str(doc, "detail") ? pf_json_str(doc, "detail") : "", "product GB-100") != NULL, "%s",
              pf_json_str(doc, "detail"));
    json_decref(doc);
}

static void test_output_types(const pf_test_server *srv) {
    long status;
    json_t *doc = pf_http_json(srv, "GET", "/api/output-types", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_INT(json_array_size(json_object_get(doc, "output_types")), 5); /* the demo four renders and the GLB */
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/output-types/studio_still", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_STR(pf_json_str(json_object_get(doc, "legacy_mapping"), "artifact_kind"), "still_image");
    json_decref(doc);

    /* the schema with the catalog's values, and a workflow's overrides */
    doc = pf_http_json(srv, "GET", "/api/output-types/schema", NULL, &status);
    CHECK_INT(status, 200);
    const json_t *props = json_object_get(doc, "properties");
    CHECK_STR(json_string_value(json_array_get(json_object_get(json_object_get(props, "pricing_tier"), "enum"), 0)),
              "standard");
    CHECK_STR(pf_json_str(json_object_get(props, "rollout"), "default"), "legacy");
    json_decref(doc);
    doc =
        pf_http_json(srv, "GET", "/api/output-types/schema?workflow=starter-order-turntable&version=1", NULL, &status);
    CHECK_INT(status, 200);
    CHECK(
        json_object_get(json_object_get(json_object_get(json_object_get(doc, "properties"), "overrides"), "properties"),
                        "frames") != NULL);
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/output-types/schema?workflow=nope", NULL, &status);
    CHECK_INT(status, 404);
    json_decref(doc);

    /* the wizard, step by step */
    doc = pf_http_json(srv, "POST", "/api/output-types/draft/validate",
                       "{\"step\":\"family\",\"draft\":{\"family\":\"order_line\"}}", &status);
    CHECK_INT(status, 200);
    CHECK(json_is_true(json_object_get(doc, "valid")));
    CHECK(json_array_size(json_object_get(json_object_get(doc, "options"), "workflows")) >= 3);
    json_decref(doc);
    doc = pf_http_json(srv, "POST", "/api/output-types/draft/validate",
                       "{\"step\":\"workflow\",\"draft\":{\"family\":\"order_line\",\"rollout\":\"graph\","
                       "\"workflow\":{\"id\":\"starter-cad-intake\",\"version\":1}}}",
                       &status);
    CHECK_INT(status, 200);
    CHECK(json_is_false(json_object_get(doc, "valid")));
    CHECK(pf_problems_have(json_object_get(doc, "errors"), "/draft/workflow/id"));
    json_decref(doc);
    expect_problem(srv, "POST", "/api/output-types/draft/validate", "{\"step\":\"pricing\",\"draft\":{}}", 422,
                   "/step");

    /* create, read, replace, delete */
    const char *spin = "{\"key\":\"spin\",\"name\":\"Spin\",\"family\":\"order_line\",\"workflow\":{\"id\":"
                       "\"starter-order-turntable\",\"version\":1},\"rollout\":\"graph\",\"artifact_kind\":"
                       "\"turntable_video\",\"overrides\":{\"frames\":12},\"pricing_tier\":\"standard\"}";
    doc = pf_http_json(srv, "POST", "/api/output-types", spin, &status);
    CHECK_INT(status, 201);
    CHECK_STR(pf_json_str(doc, "visibility"), "public"); /* the schema's default, stored */
    json_decref(doc);
    expect_problem(srv, "POST", "/api/output-types", spin, 409, "/key");
    expect_problem(srv, "PUT", "/api/output-types/spin",
                   "{\"name\":\"Spin\",\"family\":\"order_line\",\"workflow\":{\"id\":\"starter-order-turntable\","
                   "\"version\":1},\"rollout\":\"graph\",\"artifact_kind\":\"turntable_video\",\"overrides\":"
                   "{\"frames\":1},\"pricing_tier\":\"standard\"}",
                   422, "/overrides/frames");
    doc = pf_http_json(srv, "DELETE", "/api/output-types/spin", NULL, &status);
    CHECK_INT(status, 204);
    json_decref(doc);

    /* legacy import: kept valid, and the mapping reported */
    doc = pf_http_json(srv, "POST", "/api/output-types/import-legacy",
                       "[{\"name\":\"Old turntable 2019\",\"legacy_render_settings\":{\"turntable\":{\"enabled\":true,"
                       "\"frames\":24,\"fps\":12},\"thumbnail\":true,\"engine\":\"eevee\",\"denoise\":true}}]",
                       &status);
    CHECK_INT(status, 201);
    /* kept and reported, not refused; EEVEE mapped to Cycles with a warning;
     * the tier chosen is one that prices a turntable, and said so */
    const json_t *first = json_array_get(json_object_get(doc, "imported"), 0);
    CHECK_STR(pf_json_str(first, "key"), "old_turntable_2019");
    CHECK_STR(pf_json_str(json_object_get(first, "mapping"), "artifact_kind"), "turntable_video");
    CHECK_INT(
        json_integer_value(json_object_get(json_object_get(json_object_get(first, "mapping"), "overrides"), "frames")),
        24);
    CHECK_INT(json_array_size(json_object_get(json_object_get(first, "mapping"), "warnings")), 3);
    CHECK_STR(json_string_value(json_array_get(json_object_get(json_object_get(first, "mapping"), "unmapped"), 0)),
              "denoise");
    CHECK_STR(pf_json_str(json_object_get(json_object_get(first, "mapping"), "overrides"), "engine"), "cycles");
    CHECK_STR(pf_json_str(json_object_get(first, "pricing_tier"), "key"), "standard");
    CHECK(pf_json_str(json_object_get(first, "pricing_tier"), "chosen") != NULL);
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/output-types/old_turntable_2019", NULL, &status);
    CHECK_INT(status, 200);
    CHECK(json_is_true(json_object_get(json_object_get(doc, "legacy_render_settings"), "denoise")));
    CHECK_STR(pf_json_str(json_object_get(doc, "legacy_render_settings"), "engine"), "eevee"); /* its old shape */
    CHECK_STR(pf_json_str(doc, "rollout"), "legacy");
    CHECK_STR(pf_json_str(doc, "artifact_kind"), "turntable_video");
    json_decref(doc);
    expect_problem(srv, "POST", "/api/output-types/import-legacy",
                   "[{\"name\":\"Fine\",\"legacy_render_settings\":{}},{\"name\":\"Broken\",\"legacy_render_settings\":"
                   "{\"engine\":\"workbench\"}}]",
                   422, "/1/legacy_render_settings/engine");
    /* a tier without a price for the kind is never picked, nor accepted */
    doc = pf_http_json(srv, "POST", "/api/pricing-tiers",
                       "{\"key\":\"basic\",\"name\":\"Basic\",\"currency\":\"EUR\",\"prices\":{\"still_image\":10}}",
                       &status);
    CHECK_INT(status, 201);
    json_decref(doc);
    expect_problem(srv, "POST", "/api/output-types/import-legacy",
                   "[{\"name\":\"Basic spin\",\"pricing_tier\":\"basic\",\"legacy_render_settings\":{\"turntable\":"
                   "{\"enabled\":true}}}]",
                   422, "/0/pricing_tier");
    doc = pf_http_json(srv, "POST", "/api/output-types/import-legacy",
                       "[{\"name\":\"Tierless spin\",\"legacy_render_settings\":{\"turntable\":{\"enabled\":true}}}]",
                       &status);
    CHECK_INT(status, 201);
    CHECK_STR(pf_json_str(json_object_get(json_array_get(json_object_get(doc, "imported"), 0), "pricing_tier"), "key"),
              "standard");
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/output-types/fine", NULL, &status);
    CHECK_INT(status, 404); /* all or nothing */
    json_decref(doc);
    /* keys that clash, with what exists and within the batch, on their items */
    expect_problem(srv, "POST", "/api/output-types/import-legacy",
                   "[{\"name\":\"Old turntable 2019\",\"legacy_render_settings\":{}}]", 409, "/0/key");
    expect_problem(
        srv, "POST", "/api/output-types/import-legacy",
        "[{\"name\":\"Twin\",\"legacy_render_settings\":{}},{\"name\":\"twin\",\"legacy_render_settings\":{}}]", 409,
        "/1/key");
}

/* Orders that cannot be placed, each at its exact pointer. */
static void test_bad_orders(const pf_test_server *srv) {
    static const struct {
        const char *body, *pointer;
    } cases[] = {
        {"[]", ""},
        {"{}", "/lines"},
        {"{\"lines\":[]}", "/lines"},
        {"{\"lines\":[7]}", "/lines/0"},
        {"{\"lines\":[{\"output_type\":\"studio_still\"}]}", "/lines/0/product"},
        {"{\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"studio_still\"}]}", "/lines/0/product"},
        {"{\"lines\":[{\"product\":\"prd_none\"}]}", "/lines/0/output_type"},
        {"{\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"nope\"}]}", "/lines/0/output_type"},
        {"{\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"studio_still\",\"quantity\":0}]}",
         "/lines/0/quantity"},
        {"{\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"studio_still\",\"quantity\":\"two\"}]}",
         "/lines/0/quantity"},
        {"{\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"studio_still\",\"overrides\":[]}]}",
         "/lines/0/overrides"},
        {"{\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"studio_still\",\"overrides\":{\"width\":64}}]}",
         "/lines/0/overrides"},
        {"{\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"turntable_360\",\"overrides\":{\"frames\":1}}]}",
         "/lines/0/overrides/frames"},
        {"{\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"turntable_360\",\"overrides\":{\"spin\":1}}]}",
         "/lines/0/overrides/spin"},
        {"{\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"studio_still\",\"gift\":true}]}", "/lines/0/gift"},
        {"{\"customer\":7,\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"studio_still\"}]}", "/customer"},
        {"{\"rush\":true,\"lines\":[{\"product\":\"prd_none\",\"output_type\":\"studio_still\"}]}", "/rush"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_problem(srv, "POST", "/api/orders", cases[i].body, 422, cases[i].pointer);
}

/* Shipped files are edited as data-directory copies; deleting one brings
 * the shipped one back. */
static void test_libraries(const pf_test_server *srv) {
    long status;
    json_t *doc = pf_http_json(srv, "GET", "/api/material-libraries", NULL, &status);
    CHECK_INT(status, 200);
    const json_t *first = json_array_get(json_object_get(doc, "material_libraries"), 0);
    CHECK_STR(pf_json_str(first, "library"), "default");
    CHECK_STR(pf_json_str(first, "source"), "share");
    CHECK(json_integer_value(json_object_get(first, "materials")) >= 12);
    json_decref(doc);
    const char *lib = "{\"label\":\"Studio\",\"materials\":[{\"key\":\"matte_black\",\"label\":\"Matte black\","
                      "\"principled_bsdf\":{\"base_color\":[0.02,0.02,0.02],\"roughness\":0.9}}]}";
    doc = pf_http_json(srv, "PUT", "/api/material-libraries/studio", lib, &status);
    CHECK_INT(status, 200);
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/material-libraries/studio", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_STR(pf_json_str(json_array_get(json_object_get(doc, "materials"), 0), "key"), "matte_black");
    json_decref(doc);
    expect_problem(srv, "PUT", "/api/material-libraries/studio",
                   "{\"label\":\"S\",\"materials\":[{\"key\":\"a\",\"label\":\"A\",\"principled_bsdf\":{}},"
                   "{\"key\":\"a\",\"label\":\"A\",\"principled_bsdf\":{}}]}",
                   422, "/materials/1/key");
    expect_problem(srv, "PUT", "/api/material-libraries/studio",
                   "{\"label\":\"S\",\"materials\":[{\"key\":\"a\",\"label\":\"A\",\"principled_bsdf\":"
                   "{\"base_color\":[2,0,0]}}]}",
                   422, "/materials/0/principled_bsdf/base_color/0");
    expect_problem(srv, "PUT", "/api/material-libraries/studio",
                   "{\"label\":\"S\",\"materials\":[{\"key\":\"a\",\"label\":\"A\",\"principled_bsdf\":"
                   "{\"glow\":1}}]}",
                   422, "/materials/0/principled_bsdf/glow");
    expect_problem(srv, "PUT", "/api/material-libraries/studio",
                   "{\"library\":\"other\",\"label\":\"S\",\"materials\":[]}", 422, "/library");
    doc = pf_http_json(srv, "DELETE", "/api/material-libraries/studio", NULL, &status);
    CHECK_INT(status, 204);
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/material-libraries/studio", NULL, &status);
    CHECK_INT(status, 404);
    json_decref(doc);
    doc = pf_http_json(srv, "DELETE", "/api/material-libraries/default", NULL, &status);
    CHECK_INT(status, 404); /* the shipped library has no edited copy */
    json_decref(doc);

    doc = pf_http_json(srv, "GET", "/api/templates", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_INT(json_array_size(json_object_get(doc, "templates")), 5);
    json_decref(doc);
    /* the schemas a PUT is checked with, served for the editor's choices */
    doc = pf_http_json(srv, "GET", "/api/templates/schema", NULL, &status);
    CHECK_INT(status, 200);
    CHECK(json_array_size(json_object_get(json_object_get(json_object_get(doc, "properties"), "kind"), "enum")) >= 2);
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/material-libraries/schema", NULL, &status);
    CHECK_INT(status, 200);
    CHECK(json_object_get(json_object_get(doc, "properties"), "materials") != NULL);
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/templates/studio_white", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_STR(pf_json_str(doc, "source"), "share"); /* shipped; no server paths */
    json_object_set_new(doc, "label", json_string("Studio warm"));
    json_object_set_new(doc, "key", json_string("studio_warm"));
    char *warm = json_dumps(doc, 0);
    json_decref(doc);
    doc = pf_http_json(srv, "PUT", "/api/templates/studio_warm", warm, &status);
    CHECK_INT(status, 200);
    json_decref(doc);
    free(warm);
    doc = pf_http_json(srv, "GET", "/api/templates/studio_warm", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_STR(pf_json_str(doc, "source"), "data");
    /* A save made from an older read is refused at /revision; one from the latest goes through. */
    CHECK(pf_json_str(doc, "revision") && strlen(pf_json_str(doc, "revision")) == 64);
    json_object_set_new(doc, "label", json_string("Studio warmer"));
    char *latest = json_dumps(doc, 0);
    json_object_set_new(doc, "revision", json_string("0000"));
    char *stale = json_dumps(doc, 0);
    json_decref(doc);
    expect_problem(srv, "PUT", "/api/templates/studio_warm", stale, 409, "/revision");
    doc = pf_http_json(srv, "PUT", "/api/templates/studio_warm", latest, &status);
    CHECK_INT(status, 200);
    json_decref(doc);
    expect_problem(srv, "PUT", "/api/templates/studio_warm", latest, 409, "/revision"); /* now stale itself */
    free(latest);
    free(stale);
    doc = pf_http_json(srv, "GET", "/api/material-libraries/default", NULL, &status);
    json_object_set_new(doc, "revision", json_string("0000"));
    char *old_library = json_dumps(doc, 0);
    json_decref(doc);
    expect_problem(srv, "PUT", "/api/material-libraries/default", old_library, 409, "/revision");
    free(old_library);
    expect_problem(
        srv, "PUT", "/api/templates/bare",
        "{\"label\":\"Bare\",\"kind\":\"studio\",\"categories\":[\"*\"],\"artifact_kinds\":[\"still_image\"],"
        "\"lights\":{\"preset\":\"three_point\"},\"backdrop\":{\"type\":\"cyclorama\"}}",
        422, "/camera");
    doc = pf_http_json(srv, "DELETE", "/api/templates/studio_warm", NULL, &status);
    CHECK_INT(status, 204);
    json_decref(doc);
    doc = pf_http_json(srv, "GET", "/api/templates/studio_warm", NULL, &status);
    CHECK_INT(status, 404);
    json_decref(doc);
}

int main(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, NULL) != 0) {
        CHECK_MSG(false, "the server did not start");
        return pf_check_done("api_catalog");
    }
    test_reference_data(&srv);
    test_libraries(&srv);
    test_output_types(&srv);
    test_bad_orders(&srv);
    pf_test_server_stop(&srv);
    return pf_check_done("api_catalog");
}
