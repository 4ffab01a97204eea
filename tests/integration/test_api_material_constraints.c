/* An output type's material constraints through the HTTP API of a real
 * `prodflow serve`: refused when saved if its library or materials do not
 * exist (422 with pointers, no server path in any message); enforced in the
 * run, not only warned about: the demo gearbox ordered as an output type
 * that allows chrome only is rendered (Blender, tiny) with every part re-mapped
 * to chrome, the map node's recorded params showing the constraint and its
 * source; under on_disallowed: fail preflight blocks and names the rule. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "support/server.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Saving is refused with a problem at pointer, and no message shows a path. */
static void refused(const pf_test_server *srv, const char *constraints, const char *pointer) {
    char *body = pf_asprintf("{\"key\":\"bad_constraints\",\"name\":\"Bad\",\"family\":\"order_line\",\"workflow\":"
                             "{\"id\":\"starter-order-still\",\"version\":1},\"rollout\":\"graph\",\"artifact_kind\":"
                             "\"still_image\",\"pricing_tier\":\"standard\",\"material_constraints\":%s}",
                             constraints);
    json_t *doc = pf_http_post_expect(srv, "/api/output-types", body, 422);
    const json_t *errors = json_object_get(doc, "errors");
    CHECK_MSG(pf_problems_have(errors, pointer), "%s: no problem at %s", constraints, pointer);
    char *text = json_dumps(doc, JSON_COMPACT);
    CHECK_MSG(text && !strstr(text, "/materials/") && !strstr(text, PF_SOURCE_DIR) && !strstr(text, srv->data_dir),
              "a server path in %s", text ? text : "");
    free(text);
    json_decref(doc);
    free(body);
}

static const json_t *node_state(const json_t *run, const char *node, const char *field) {
    return json_object_get(json_object_get(json_object_get(json_object_get(run, "nodes"), node), "state"), field);
}

int main(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, NULL) != 0) return pf_check_done("api_material_constraints");
    long status;

    refused(&srv, "{\"library\":\"no_such_library\"}", "/material_constraints/library");
    refused(&srv, "{\"allowed_materials\":[\"chrome\",\"unobtainium\"]}", "/material_constraints/allowed_materials/1");
    refused(&srv, "{\"allowed_materials\":[\"chrome\"],\"on_disallowed\":\"default\"}",
            "/material_constraints/default_material");
    refused(&srv, "{\"allowed_materials\":[\"chrome\"],\"default_material\":\"brass\"}",
            "/material_constraints/default_material");
    refused(&srv, "{\"on_disallowed\":\"shrug\"}", "/material_constraints/on_disallowed");

    /* the demo product, once its intake is done */
    json_t *products = pf_http_json(&srv, "GET", "/api/products", NULL, &status);
    const json_t *product = json_array_get(json_object_get(products, "products"), 0);
    char *cad_path = pf_asprintf("/api/cad-files/%s", pf_json_str(product, "cad_file"));
    json_t *cad = pf_test_intake_wait(&srv, cad_path);
    CHECK_STR(pf_test_intake_status(cad), "succeeded");
    json_decref(cad);

    json_decref(pf_http_post_expect(
        &srv, "/api/output-types",
        "{\"key\":\"chrome_only\",\"name\":\"Chrome only\",\"family\":\"order_line\",\"workflow\":"
        "{\"id\":\"starter-order-still\",\"version\":1},\"rollout\":\"graph\",\"artifact_kind\":"
        "\"still_image\",\"pricing_tier\":\"standard\",\"overrides\":{\"width\":64,\"height\":48,"
        "\"samples\":1,\"template\":\"studio_white\"},\"material_constraints\":{\"allowed_materials\":"
        "[\"chrome\"]}}",
        201));
    json_decref(
        pf_http_post_expect(&srv, "/api/output-types",
                            "{\"key\":\"chrome_strict\",\"name\":\"Chrome or nothing\",\"family\":\"order_line\","
                            "\"rollout\":\"legacy\",\"artifact_kind\":\"still_image\",\"pricing_tier\":\"standard\","
                            "\"legacy_render_settings\":{\"width\":64,\"height\":48,\"samples\":1,\"template\":"
                            "\"studio_white\"},\"material_constraints\":{\"allowed_materials\":[\"chrome\"],"
                            "\"on_disallowed\":\"fail\"}}",
                            201));
    char *body = pf_asprintf("{\"lines\":[{\"product\":\"%s\",\"output_type\":\"chrome_only\"},"
                             "{\"product\":\"%s\",\"output_type\":\"chrome_strict\"}]}",
                             pf_json_str(product, "id"), pf_json_str(product, "id"));
    json_t *order = pf_http_post_expect(&srv, "/api/orders", body, 201);
    free(body);
    const json_t *lines = json_object_get(order, "lines");

    /* fail: preflight blocks, naming the constraint */
    char *path = pf_asprintf("/api/order-lines/%s/preflight", pf_json_str(json_array_get(lines, 1), "id"));
    json_t *pre = pf_http_post_expect(&srv, path, NULL, 200);
    CHECK(json_is_false(json_object_get(pre, "ok")));
    CHECK(pf_problems_have(json_object_get(pre, "problems"), "/output_type/material_constraints/allowed_materials"));
    json_decref(pre);
    free(path);

    /* nearest: preflight warns, the run re-maps every part to chrome */
    const char *line_id = pf_json_str(json_array_get(lines, 0), "id");
    path = pf_asprintf("/api/order-lines/%s/preflight", line_id);
    pre = pf_http_post_expect(&srv, path, NULL, 200);
    CHECK_MSG(json_is_true(json_object_get(pre, "ok")), "%s",
              pf_json_str(json_array_get(json_object_get(pre, "problems"), 0), "message"));
    CHECK(pf_problems_have(json_object_get(pre, "warnings"), "/output_type/material_constraints/allowed_materials"));
    json_decref(pre);
    free(path);
    path = pf_asprintf("/api/order-lines/%s/dispatch", line_id);
    json_t *d = pf_http_post_expect(&srv, path, NULL, 202);
    free(path);
    json_t *run = pf_test_run_wait(&srv, pf_json_str(d, "run_id") ? pf_json_str(d, "run_id") : "-");
    json_decref(d);
    CHECK_STR(pf_test_run_status(run), "succeeded");
    const json_t *allowed = json_object_get(node_state(run, "map", "param_sources"), "allowed_materials");
    CHECK_STR(pf_json_str(allowed, "source"), "constraint");
    CHECK_MSG(pf_json_str(allowed, "via") && strstr(pf_json_str(allowed, "via"), "chrome_only"), "via %s",
              pf_json_str(allowed, "via") ? pf_json_str(allowed, "via") : "?");
    CHECK_STR(
        json_string_value(json_array_get(json_object_get(node_state(run, "map", "params"), "allowed_materials"), 0)),
        "chrome");
    /* the map the render got, read from the data directory */
    const char *map_file = pf_json_str(json_object_get(node_state(run, "map", "outputs"), "material_map"), "path");
    char *full = pf_asprintf("%s/data/%s", srv.data_dir, map_file ? map_file : "");
    json_t *map = json_load_file(full, 0, NULL);
    CHECK_MSG(map && json_object_size(json_object_get(map, "parts")) > 0, "no map at %s", full);
    const char *part;
    json_t *entry;
    size_t remapped = 0;
    json_object_foreach(json_object_get(map, "parts"), part, entry) {
        CHECK_STR(pf_json_str(entry, "material"), "chrome");
        if (pf_json_str(entry, "remapped_from")) remapped++;
    }
    CHECK(remapped > 0);
    CHECK_INT(json_object_size(json_object_get(map, "materials")), 1);
    json_decref(map);
    free(full);
    json_decref(run);

    json_decref(order);
    free(cad_path);
    json_decref(products);
    pf_test_server_stop(&srv);
    return pf_check_done("api_material_constraints");
}
