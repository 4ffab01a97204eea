/* A cad_file output type ordered and delivered through the HTTP API of a
 * real `prodflow serve` with its demo data: the demo `glb_model` ("GLB model
 * for web and AR") ordered for the demo product, preflight (the cad_file
 * family's checks, no render template or intake needed), dispatch (a graph
 * run with the family's context: the product's STEP file as step_path),
 * the line delivered with exactly one published .glb served as
 * model/gltf-binary, a valid GLB downloaded, and one webhook notification.
 * Preflight refuses, with pointers, a product without a CAD file, a
 * missing STEP file, a workflow that publishes nothing, and a legacy
 * rollout the family does not have. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "core/path.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/upload.h"
#include "support/webhook.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The line's one published asset: a .glb served as model/gltf-binary with
 * a valid GLB header (magic glTF, version 2, the file's length). */
static void check_delivered_glb(const pf_test_server *srv, const char *run_id, const char *line_id) {
    long status;
    char *path = pf_asprintf("/api/assets?run=%s", run_id);
    json_t *list = pf_http_json(srv, "GET", path, NULL, &status);
    free(path);
    const json_t *assets = json_object_get(list, "assets");
    CHECK_INT(json_array_size(assets), 1);
    const json_t *asset = json_array_get(assets, 0);
    const char *url = pf_json_str(asset, "url");
    CHECK_STR(pf_json_str(asset, "media_type"), "model/gltf-binary");
    CHECK_MSG(url && strlen(url) > 4 && strcmp(url + strlen(url) - 4, ".glb") == 0, "published as %s",
              url ? url : "(no url)");
    CHECK_MSG(url && strstr(url, line_id), "published at %s, not under the order line %s", url ? url : "(no url)",
              line_id);
    pf_http_reply r;
    if (url && pf_http(srv, "GET", url, NULL, 0, NULL, &r) == 0) {
        CHECK_INT(r.status, 200);
        CHECK_STR(r.content_type ? r.content_type : "", "model/gltf-binary");
        const unsigned char *b = (const unsigned char *)r.body;
        CHECK_MSG(r.len > 20 && memcmp(b, "glTF", 4) == 0, "not a GLB: %zu bytes", r.len);
        if (r.len > 20) {
            CHECK_INT(le32(b + 4), 2);
            CHECK_INT(le32(b + 8), r.len);
            CHECK(memcmp(b + 16, "JSON", 4) == 0);
        }
        pf_http_reply_free(&r);
    }
    json_decref(list);
}

/* A product with its own uploaded STEP file (the pump fixture). */
static char *upload_product(const pf_test_server *srv, const char *dir, const char *sku, char **sha_out) {
    *sha_out = pf_test_upload_pump(srv, dir, sku);
    char *body = pf_asprintf("{\"name\":\"Pump %s\",\"sku\":\"%s\",\"category\":\"machinery\",\"cad_file\":\"%s\"}",
                             sku, sku, *sha_out);
    json_t *product = pf_http_expect(srv, "POST", "/api/products", body, 201);
    char *id = pf_strdup(pf_json_str(product, "id") ? pf_json_str(product, "id") : "");
    json_decref(product);
    free(body);
    return id;
}

/* Preflight of the line refuses at pointer, and dispatch with it. */
static void expect_refused(const pf_test_server *srv, const char *line_id, const char *pointer) {
    char *path = pf_asprintf("/api/order-lines/%s/preflight", line_id);
    json_t *pre = pf_http_expect(srv, "POST", path, NULL, 200);
    CHECK(json_is_false(json_object_get(pre, "ok")));
    char *text = json_dumps(json_object_get(pre, "problems"), JSON_COMPACT);
    CHECK_MSG(pf_problems_have(json_object_get(pre, "problems"), pointer), "no problem at %s: %s", pointer,
              text ? text : "");
    CHECK_MSG(text && !strstr(text, "/work/") && !strstr(text, "/tmp/"), "a server path in %s", text);
    free(text);
    json_decref(pre);
    free(path);
    path = pf_asprintf("/api/order-lines/%s/dispatch", line_id);
    json_t *refused = pf_http_expect(srv, "POST", path, NULL, 422);
    CHECK(pf_problems_have(json_object_get(refused, "errors"), pointer));
    json_decref(refused);
    free(path);
}

static void test_refusals(const pf_test_server *srv, const char *dir) {
    /* a cad_file output type cannot take the legacy rollout */
    json_t *legacy =
        pf_http_expect(srv, "POST", "/api/output-types",
                       "{\"key\":\"glb_legacy\",\"name\":\"GLB\",\"family\":\"cad_file\",\"artifact_kind\":"
                       "\"glb_model\",\"pricing_tier\":\"standard\",\"legacy_render_settings\":{\"width\":64}}",
                       422);
    CHECK(pf_problems_have(json_object_get(legacy, "errors"), "/rollout"));
    json_decref(legacy);
    /* the intake workflow makes a GLB but publishes nothing */
    json_decref(pf_http_expect(
        srv, "POST", "/api/output-types",
        "{\"key\":\"glb_unpublished\",\"name\":\"GLB, unpublished\",\"family\":\"cad_file\",\"workflow\":"
        "{\"id\":\"starter-cad-intake\",\"version\":1},\"rollout\":\"graph\",\"artifact_kind\":"
        "\"glb_model\",\"pricing_tier\":\"standard\"}",
        201));
    json_t *bare = pf_http_expect(srv, "POST", "/api/products",
                                  "{\"name\":\"No CAD\",\"sku\":\"NOCAD-1\",\"category\":\"machinery\"}", 201);
    char *sha = NULL, *gone = upload_product(srv, dir, "GONE-1", &sha);
    char *body = pf_asprintf("{\"lines\":[{\"product\":\"%s\",\"output_type\":\"glb_model\"},"
                             "{\"product\":\"%s\",\"output_type\":\"glb_model\"},"
                             "{\"product\":\"%s\",\"output_type\":\"glb_unpublished\"}]}",
                             pf_json_str(bare, "id"), gone, gone);
    json_t *order = pf_http_expect(srv, "POST", "/api/orders", body, 201);
    free(body);
    const json_t *lines = json_object_get(order, "lines");
    expect_refused(srv, pf_json_str(json_array_get(lines, 0), "id"), "/product/cad_file");
    expect_refused(srv, pf_json_str(json_array_get(lines, 2), "id"), "/output_type/workflow");
    /* the STEP file went missing from the data directory */
    char *file = pf_asprintf("%s/data/cad/%s.step", srv->data_dir, sha);
    CHECK_MSG(unlink(file) == 0, "cannot remove the uploaded STEP file");
    expect_refused(srv, pf_json_str(json_array_get(lines, 1), "id"), "/cad_file/path");
    free(file);
    json_decref(order);
    json_decref(bare);
    free(gone);
    free(sha);
}

int main(void) {
    pf_test_webhook *hook = pf_test_webhook_start();
    CHECK(hook != NULL);
    if (!hook) return pf_check_done("api_orders_glb");
    char *allow = pf_asprintf("http://127.0.0.1:%u/", pf_test_webhook_port(hook));
    char *hook_url = pf_asprintf("http://127.0.0.1:%u/hooks/orders", pf_test_webhook_port(hook));
    const char *serve_args[] = {"--webhook-allow", allow, "--webhook-url", hook_url, NULL};
    pf_test_server srv;
    if (pf_test_server_start(&srv, serve_args) != 0) return pf_check_done("api_orders_glb");
    long status;
    char *dir = pf_test_tmpdir("orders-glb");

    /* the demo catalog offers the GLB, priced */
    json_t *type = pf_http_expect(&srv, "GET", "/api/output-types/glb_model", NULL, 200);
    CHECK_STR(pf_json_str(type, "family"), "cad_file");
    CHECK_STR(pf_json_str(type, "name"), "GLB model for web and AR");
    json_decref(type);
    json_t *products = pf_http_json(&srv, "GET", "/api/products", NULL, &status);
    char *product = pf_strdup(pf_json_str(json_array_get(json_object_get(products, "products"), 0), "id")
                                  ? pf_json_str(json_array_get(json_object_get(products, "products"), 0), "id")
                                  : "");
    json_decref(products);

    char *body =
        pf_asprintf("{\"customer\":\"ACME\",\"lines\":[{\"product\":\"%s\",\"output_type\":\"glb_model\"}]}", product);
    json_t *order = pf_http_expect(&srv, "POST", "/api/orders", body, 201);
    free(body);
    const json_t *line = json_array_get(json_object_get(order, "lines"), 0);
    const char *line_id = pf_json_str(line, "id") ? pf_json_str(line, "id") : "";
    CHECK(json_number_value(json_object_get(line, "unit_price")) == 40);
    char *path = pf_asprintf("/api/order-lines/%s/preflight", line_id);
    json_t *pre = pf_http_expect(&srv, "POST", path, NULL, 200);
    CHECK_MSG(json_is_true(json_object_get(pre, "ok")), "preflight: %s",
              pf_json_str(json_array_get(json_object_get(pre, "problems"), 0), "message"));
    json_decref(pre);
    free(path);
    path = pf_asprintf("/api/order-lines/%s/dispatch", line_id);
    json_t *d = pf_http_expect(&srv, "POST", path, NULL, 202);
    CHECK_STR(pf_json_str(d, "rollout"), "graph");
    char *run_id = pf_strdup(pf_json_str(d, "run_id") ? pf_json_str(d, "run_id") : "");
    json_decref(d);
    json_decref(pf_http_expect(&srv, "POST", path, NULL, 409)); /* not twice */
    free(path);

    /* the run started from the family's context: the product's STEP file */
    path = pf_asprintf("/api/runs/%s", run_id);
    json_t *run = pf_http_expect(&srv, "GET", path, NULL, 200);
    free(path);
    char *run_text = json_dumps(run, JSON_COMPACT);
    CHECK_MSG(run_text && strstr(run_text, "\"step_path\":\"cad/"), "the run has no step_path: %.800s",
              run_text ? run_text : "");
    free(run_text);
    json_decref(run);

    json_decref(pf_test_run_wait(&srv, run_id)); /* the line's status follows its run's */
    path = pf_asprintf("/api/order-lines/%s", line_id);
    json_t *done = pf_http_expect(&srv, "GET", path, NULL, 200);
    free(path);
    CHECK_STR(pf_json_str(done, "status"), "delivered");
    json_decref(done);
    check_delivered_glb(&srv, run_id, line_id);
    CHECK_INT(pf_test_webhook_count_for_run(hook, run_id), 1);

    test_refusals(&srv, dir);

    free(run_id);
    json_decref(order);
    free(product);
    free(dir);
    pf_test_server_stop(&srv);
    pf_test_webhook_stop(hook);
    free(allow);
    free(hook_url);
    return pf_check_done("api_orders_glb");
}
