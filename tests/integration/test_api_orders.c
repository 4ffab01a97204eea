/* From a STEP upload to delivered artifacts through the HTTP API of a real
 * `prodflow serve` with its demo data: upload, intake, a product, an order
 * with a still line (legacy pipeline), a turntable line (graph) and a still
 * in shadow (legacy delivers, the graph runs beside it), preflight,
 * dispatch, the published PNG and MP4 downloaded, the shadow's parity
 * report, and exactly one webhook notification per line on 127.0.0.1.
 * Preflight's blocking problems are checked on lines that cannot render;
 * the editor's trials (with overrides) and test orders on the side. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "core/path.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/upload.h"
#include "support/webhook.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Both lines finished, one way or another. */
/* The published asset of a run, fetched at its stable URL: its first bytes. */
static char *published(const pf_test_server *srv, const char *run_id, size_t *len) {
    long status;
    char *path = pf_asprintf("/api/assets?run=%s", run_id);
    json_t *list = pf_http_json(srv, "GET", path, NULL, &status);
    free(path);
    CHECK_INT(json_array_size(json_object_get(list, "assets")), 1);
    const char *url = pf_json_str(json_array_get(json_object_get(list, "assets"), 0), "url");
    const char *file = pf_json_str(json_array_get(json_object_get(list, "assets"), 0), "published_path");
    CHECK_MSG(file && !strncmp(file, "assets/", 7), "published at %s, relative to the data directory", file);
    pf_http_reply r;
    char *body = NULL;
    *len = 0;
    if (url && pf_http(srv, "GET", url, NULL, 0, NULL, &r) == 0) {
        CHECK_MSG(r.status == 200, "GET %s: %ld", url, r.status);
        body = r.body;
        *len = r.len;
        r.body = NULL;
        pf_http_reply_free(&r);
    }
    json_decref(list);
    return body;
}

/* Lines that cannot render: each problem at its pointer, found at once. */
static void test_preflight_problems(const pf_test_server *srv, const char *product_id) {
    json_t *bare = pf_http_post_expect(srv, "/api/products",
                                       "{\"name\":\"No CAD\",\"sku\":\"NOCAD-1\",\"category\":\"machinery\"}", 201);
    json_decref(pf_http_post_expect(
        srv, "/api/output-types",
        "{\"key\":\"picky\",\"name\":\"Picky\",\"family\":\"order_line\",\"workflow\":{\"id\":\"starter-order-still\","
        "\"version\":1},\"rollout\":\"graph\",\"artifact_kind\":\"still_image\",\"pricing_tier\":\"standard\","
        "\"overrides\":{\"template\":\"no_such_template\"},\"material_constraints\":{\"allowed_materials\":[\"glass_"
        "clear\"],"
        "\"on_disallowed\":\"fail\",\"require_complete\":true}}",
        201));
    char *body = pf_asprintf("{\"lines\":[{\"product\":\"%s\",\"output_type\":\"studio_still\"},"
                             "{\"product\":\"%s\",\"output_type\":\"picky\"}]}",
                             pf_json_str(bare, "id"), product_id);
    json_t *order = pf_http_post_expect(srv, "/api/orders", body, 201);
    free(body);
    const json_t *lines = json_object_get(order, "lines");
    char *path = pf_asprintf("/api/order-lines/%s/preflight", pf_json_str(json_array_get(lines, 0), "id"));
    json_t *pre = pf_http_post_expect(srv, path, NULL, 200);
    CHECK(json_is_false(json_object_get(pre, "ok")));
    CHECK(pf_problems_have(json_object_get(pre, "problems"), "/product/cad_file"));
    json_decref(pre);
    free(path);
    path = pf_asprintf("/api/order-lines/%s/preflight", pf_json_str(json_array_get(lines, 1), "id"));
    pre = pf_http_post_expect(srv, path, NULL, 200);
    CHECK(json_is_false(json_object_get(pre, "ok")));
    CHECK(pf_problems_have(json_object_get(pre, "problems"), "/output_type/material_constraints/allowed_materials"));
    CHECK(pf_problems_have(json_object_get(pre, "problems"), "/output_type/overrides/template"));
    json_decref(pre);
    free(path);
    /* dispatch runs the same preflight and starts nothing */
    path = pf_asprintf("/api/order-lines/%s/dispatch", pf_json_str(json_array_get(lines, 1), "id"));
    json_t *refused = pf_http_post_expect(srv, path, NULL, 422);
    CHECK(pf_problems_have(json_object_get(refused, "errors"), "/output_type/overrides/template"));
    json_decref(refused);
    free(path);
    json_decref(order);
    json_decref(bare);
}

/* A trial of an order workflow against a delivered line, as the editor
 * starts it: the line as the subject and no context. The server puts the
 * line into the context as dispatch would, and the line stays delivered. */
static void test_trial_run(const pf_test_server *srv, const char *line_id, const char *order_path) {
    char *body = pf_asprintf(
        "{\"workflow\":{\"schema\":\"prodflow.workflow/v1\",\"id\":\"trial\",\"name\":\"Trial\","
        "\"family\":\"order_line\",\"nodes\":[{\"id\":\"line\",\"step\":\"order.resolve_line\","
        "\"params\":{}}],\"edges\":[]},\"subject\":{\"order_line\":\"%s\",\"mode\":\"shadow\",\"from\":\"editor\"},"
        "\"shadow\":true}",
        line_id);
    json_t *accepted = pf_http_post_expect(srv, "/api/runs", body, 202);
    free(body);
    json_t *run = pf_test_run_wait(srv, pf_json_str(accepted, "id") ? pf_json_str(accepted, "id") : "");
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    const json_t *context = json_object_get(json_object_get(run, "doc"), "context");
    CHECK_STR(pf_json_str(context, "order_line_id"), line_id);
    CHECK_STR(pf_json_str(json_object_get(context, "line"), "id"), line_id);
    json_decref(run);
    json_decref(accepted);
    long status;
    json_t *order = pf_http_json(srv, "GET", order_path, NULL, &status);
    CHECK_STR(pf_json_str(json_array_get(json_object_get(order, "lines"), 0), "status"), "delivered");
    json_decref(order);
    /* a line that does not exist is named where the request names it; a
     * trial that would publish is refused */
    json_t *refused = pf_http_post_expect(srv, "/api/runs",
                                          "{\"workflow\":{\"id\":\"starter-order-still\",\"version\":1},\"subject\":"
                                          "{\"order_line\":\"oli_nope\",\"mode\":\"shadow\"},\"shadow\":true}",
                                          422);
    CHECK(pf_problems_have(json_object_get(refused, "errors"), "/subject/order_line"));
    json_decref(refused);
    body = pf_asprintf(
        "{\"workflow\":{\"id\":\"starter-order-still\",\"version\":1},\"subject\":{\"order_line\":\"%s\"}}", line_id);
    refused = pf_http_post_expect(srv, "/api/runs", body, 422);
    free(body);
    CHECK(pf_problems_have(json_object_get(refused, "errors"), "/shadow"));
    json_decref(refused);
}

/* A trial with the editor's invocation overrides: they reach the node
 * they target, recorded as the invocation's. */
static void test_trial_overrides(const pf_test_server *srv, const char *line_id) {
    char *body = pf_asprintf(
        "{\"workflow\":{\"schema\":\"prodflow.workflow/v1\",\"id\":\"trial-map\",\"name\":\"Trial map\","
        "\"family\":\"order_line\",\"nodes\":[{\"id\":\"line\",\"step\":\"order.resolve_line\",\"params\":{}},"
        "{\"id\":\"map\",\"step\":\"materials.resolve_map\",\"params\":{}}],\"edges\":["
        "{\"from\":{\"node\":\"line\",\"port\":\"objects\"},\"to\":{\"node\":\"map\",\"port\":\"objects\"}},"
        "{\"from\":{\"node\":\"line\",\"port\":\"material_map\"},\"to\":{\"node\":\"map\",\"port\":\"auto_map\"}}],"
        "\"invocation\":{\"params\":{\"material_override\":{\"schema\":{\"type\":\"string\",\"default\":\"\"},"
        "\"targets\":[\"map.material_override\"]}},\"artifacts\":{}}},"
        "\"subject\":{\"order_line\":\"%s\",\"mode\":\"shadow\",\"from\":\"editor\"},\"shadow\":true,"
        "\"overrides\":{\"material_override\":\"chrome\"}}",
        line_id);
    json_t *accepted = pf_http_post_expect(srv, "/api/runs", body, 202);
    free(body);
    json_t *run = pf_test_run_wait(srv, pf_json_str(accepted, "id") ? pf_json_str(accepted, "id") : "");
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    const json_t *map = json_object_get(json_object_get(json_object_get(run, "nodes"), "map"), "state");
    CHECK_STR(pf_json_str(json_object_get(map, "params"), "material_override"), "chrome");
    CHECK_STR(pf_json_str(json_object_get(json_object_get(map, "param_sources"), "material_override"), "source"),
              "invocation");
    json_decref(run);
    json_decref(accepted);
    /* an override the workflow has no parameter for is named where it is */
    body = pf_asprintf("{\"workflow\":{\"id\":\"starter-order-still\",\"version\":1},\"subject\":{\"order_line\":"
                       "\"%s\",\"mode\":\"shadow\"},\"shadow\":true,\"overrides\":{\"no_such\":1}}",
                       line_id);
    json_t *refused = pf_http_post_expect(srv, "/api/runs", body, 422);
    free(body);
    CHECK(pf_problems_have(json_object_get(refused, "errors"), "/overrides/no_such"));
    json_decref(refused);
}

/* The template a trial of the line resolves, and where the value came
 * from, with the request's overrides (a JSON object's text, or ""). */
static void trial_template(const pf_test_server *srv, const char *line_id, const char *overrides, const char *want,
                           const char *want_source) {
    char *body = pf_asprintf(
        "{\"workflow\":{\"schema\":\"prodflow.workflow/v1\",\"id\":\"trial-tpl\",\"name\":\"Trial template\","
        "\"family\":\"order_line\",\"nodes\":[{\"id\":\"line\",\"step\":\"order.resolve_line\",\"params\":{}},"
        "{\"id\":\"tpl\",\"step\":\"render.resolve_template\",\"params\":{}}],\"edges\":["
        "{\"from\":{\"node\":\"line\",\"port\":\"bbox\"},\"to\":{\"node\":\"tpl\",\"port\":\"bbox\"}}],"
        "\"invocation\":{\"params\":{\"template\":{\"schema\":{\"type\":\"string\",\"default\":\"\"},"
        "\"targets\":[\"tpl.template\"]}},\"artifacts\":{}}},"
        "\"subject\":{\"order_line\":\"%s\",\"mode\":\"shadow\",\"from\":\"editor\"},\"shadow\":true%s%s}",
        line_id, *overrides ? ",\"overrides\":" : "", overrides);
    json_t *accepted = pf_http_post_expect(srv, "/api/runs", body, 202);
    free(body);
    json_t *run = pf_test_run_wait(srv, pf_json_str(accepted, "id") ? pf_json_str(accepted, "id") : "");
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    const json_t *tpl = json_object_get(json_object_get(json_object_get(run, "nodes"), "tpl"), "state");
    CHECK_STR(pf_json_str(json_object_get(tpl, "params"), "template"), want);
    CHECK_STR(pf_json_str(json_object_get(json_object_get(tpl, "param_sources"), "template"), "source"), want_source);
    json_decref(run);
    json_decref(accepted);
}

/* A trial runs with what the line's dispatch would send, for the
 * parameters the trial's workflow has: the output type's overrides (the
 * small_shadow line's template), and the request's on top. */
static void test_trial_line_overrides(const pf_test_server *srv, const char *line_id) {
    trial_template(srv, line_id, "", "studio_white", "invocation");
    trial_template(srv, line_id, "{\"template\":\"studio_dark\"}", "studio_dark", "invocation");
}

/* Whether a listing of orders (GET path) has the order id. */
static bool lists_order(const pf_test_server *srv, const char *path, const char *id) {
    long status;
    json_t *list = pf_http_json(srv, "GET", path, NULL, &status);
    CHECK_INT(status, 200);
    bool found = false;
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(list, "orders"), i, o) found = found || !strcmp(pf_json_str(o, "id"), id);
    json_decref(list);
    return found;
}

/* A test order (the editor's trial places one) is priced and stored like
 * any other, but real orders are what GET /api/orders lists unless asked. */
static void test_test_orders(const pf_test_server *srv, const char *product_id, const char *real_id) {
    char *body = pf_asprintf("{\"customer\":\"Editor trial\",\"test\":true,\"lines\":[{\"product\":\"%s\","
                             "\"output_type\":\"studio_still\"}]}",
                             product_id);
    json_t *order = pf_http_post_expect(srv, "/api/orders", body, 201);
    free(body);
    CHECK(json_is_true(json_object_get(order, "test")));
    CHECK(json_number_value(json_object_get(order, "total")) == 25);
    const char *id = pf_json_str(order, "id") ? pf_json_str(order, "id") : "";
    CHECK(!lists_order(srv, "/api/orders", id));
    CHECK(lists_order(srv, "/api/orders", real_id));
    CHECK(lists_order(srv, "/api/orders?test=include", id));
    CHECK(lists_order(srv, "/api/orders?test=include", real_id));
    CHECK(lists_order(srv, "/api/orders?test=only", id));
    CHECK(!lists_order(srv, "/api/orders?test=only", real_id));
    char *path = pf_asprintf("/api/orders/%s", id);
    long status;
    json_t *again = pf_http_json(srv, "GET", path, NULL, &status);
    CHECK(json_is_true(json_object_get(again, "test")));
    json_decref(again);
    free(path);
    json_decref(order);
    /* the flag and the filter are named where they are wrong */
    json_t *refused = pf_http_json(srv, "GET", "/api/orders?test=maybe", NULL, &status);
    CHECK_INT(status, 400);
    CHECK(pf_problems_have(json_object_get(refused, "errors"), "/query/test"));
    json_decref(refused);
    body =
        pf_asprintf("{\"test\":\"yes\",\"lines\":[{\"product\":\"%s\",\"output_type\":\"studio_still\"}]}", product_id);
    refused = pf_http_post_expect(srv, "/api/orders", body, 422);
    free(body);
    CHECK(pf_problems_have(json_object_get(refused, "errors"), "/test"));
    json_decref(refused);
}

int main(void) {
    pf_test_webhook *hook = pf_test_webhook_start();
    CHECK(hook != NULL);
    if (!hook) return pf_check_done("api_orders");
    char *allow = pf_asprintf("http://127.0.0.1:%u/", pf_test_webhook_port(hook));
    char *hook_url = pf_asprintf("http://127.0.0.1:%u/hooks/orders", pf_test_webhook_port(hook));
    const char *serve_args[] = {"--webhook-allow", allow, "--webhook-url", hook_url, NULL};
    pf_test_server srv;
    if (pf_test_server_start(&srv, serve_args) != 0) return pf_check_done("api_orders");
    long status;

    /* the demo data: a sample product whose intake started by itself */
    json_t *products = pf_http_json(&srv, "GET", "/api/products", NULL, &status);
    CHECK_INT(json_array_size(json_object_get(products, "products")), 1);
    CHECK_STR(pf_json_str(json_array_get(json_object_get(products, "products"), 0), "sku"), "GB-100");
    json_decref(products);

    /* upload a STEP file and wait for its intake */
    char *dir = pf_test_tmpdir("orders");
    char *cad_id = pf_test_upload_pump(&srv, dir, "pump");
    char *cad_path = pf_asprintf("/api/cad-files/%s", cad_id);
    json_t *cad = pf_test_intake_wait(&srv, cad_path);
    CHECK_STR(pf_test_intake_status(cad), "succeeded");
    json_decref(cad);

    char *body =
        pf_asprintf("{\"name\":\"Pump P-7\",\"sku\":\"P-7\",\"category\":\"machinery\",\"cad_file\":\"%s\"}", cad_id);
    json_t *product = pf_http_post_expect(&srv, "/api/products", body, 201);
    free(body);
    test_preflight_problems(&srv, pf_json_str(product, "id"));

    /* a small legacy still, and the demo turntable with small line overrides */
    json_decref(pf_http_post_expect(
        &srv, "/api/output-types",
        "{\"key\":\"small_still\",\"name\":\"Small still\",\"family\":\"order_line\",\"rollout\":\"legacy\","
        "\"artifact_kind\":\"still_image\",\"pricing_tier\":\"standard\",\"categories\":[\"machinery\"],"
        "\"legacy_render_settings\":{\"width\":160,\"height\":120,\"samples\":4,\"template\":\"studio_white\"}}",
        201));
    json_decref(pf_http_post_expect(
        &srv, "/api/output-types",
        "{\"key\":\"small_shadow\",\"name\":\"Small still, graph in shadow\",\"family\":\"order_line\","
        "\"rollout\":\"shadow\",\"workflow\":{\"id\":\"starter-order-still\",\"version\":1},"
        "\"artifact_kind\":\"still_image\",\"pricing_tier\":\"standard\",\"overrides\":{\"width\":96,"
        "\"height\":72,\"samples\":2,\"template\":\"studio_white\"},\"legacy_render_settings\":"
        "{\"width\":96,\"height\":72,\"samples\":2,\"template\":\"studio_white\"}}",
        201));
    body = pf_asprintf("{\"customer\":\"ACME\",\"lines\":[{\"product\":\"%s\",\"output_type\":\"small_still\"},"
                       "{\"product\":\"%s\",\"output_type\":\"turntable_360\",\"quantity\":2,\"overrides\":"
                       "{\"frames\":4,\"fps\":4,\"width\":64,\"height\":48,\"samples\":1}},"
                       "{\"product\":\"%s\",\"output_type\":\"small_shadow\"}]}",
                       pf_json_str(product, "id"), pf_json_str(product, "id"), pf_json_str(product, "id"));
    json_t *order = pf_http_post_expect(&srv, "/api/orders", body, 201);
    free(body);
    const json_t *lines = json_object_get(order, "lines");
    CHECK_INT(json_array_size(lines), 3);
    CHECK(json_number_value(json_object_get(json_array_get(lines, 0), "unit_price")) == 25);
    CHECK(json_number_value(json_object_get(json_array_get(lines, 1), "total")) == 180);
    CHECK(json_number_value(json_object_get(order, "total")) == 230);
    CHECK_STR(pf_json_str(order, "currency"), "EUR");
    char *run_ids[3] = {NULL, NULL, NULL}, *shadow_id = NULL;
    const char *rollouts[] = {"legacy", "graph", "shadow"};
    for (size_t i = 0; i < 3; i++) {
        const char *line_id = pf_json_str(json_array_get(lines, i), "id");
        char *path = pf_asprintf("/api/order-lines/%s/preflight", line_id);
        json_t *pre = pf_http_post_expect(&srv, path, NULL, 200);
        CHECK_MSG(json_is_true(json_object_get(pre, "ok")), "line %zu: %s", i,
                  pf_json_str(json_array_get(json_object_get(pre, "problems"), 0), "message"));
        json_decref(pre);
        free(path);
        path = pf_asprintf("/api/order-lines/%s/dispatch", line_id);
        json_t *d = pf_http_post_expect(&srv, path, NULL, 202);
        run_ids[i] = pf_strdup(pf_json_str(d, "run_id") ? pf_json_str(d, "run_id") : "");
        CHECK_STR(pf_json_str(d, "rollout"), rollouts[i]);
        if (i == 2) shadow_id = pf_strdup(pf_json_str(d, "shadow_run_id") ? pf_json_str(d, "shadow_run_id") : "");
        json_decref(d);
        json_decref(pf_http_post_expect(&srv, path, NULL, 409)); /* in production: not twice */
        free(path);
    }
    char *order_path = pf_asprintf("/api/orders/%s", pf_json_str(order, "id"));
    for (size_t k = 0; k < 3; k++) /* a line's status follows its run's */
        json_decref(pf_test_run_wait(&srv, run_ids[k]));
    json_t *after = pf_http_json(&srv, "GET", order_path, NULL, &status);
    size_t i;
    const json_t *line;
    json_array_foreach(json_object_get(after, "lines"), i, line) CHECK_STR(pf_json_str(line, "status"), "delivered");
    json_decref(after);
    test_trial_run(&srv, pf_json_str(json_array_get(lines, 0), "id"), order_path);
    test_trial_overrides(&srv, pf_json_str(json_array_get(lines, 0), "id"));
    test_trial_line_overrides(&srv, pf_json_str(json_array_get(lines, 2), "id"));
    test_test_orders(&srv, pf_json_str(product, "id"), pf_json_str(order, "id"));

    size_t len = 0;
    char *png = published(&srv, run_ids[0], &len);
    CHECK(png && len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    free(png);
    char *mp4 = published(&srv, run_ids[1], &len);
    CHECK(mp4 && len > 12 && memcmp(mp4 + 4, "ftyp", 4) == 0);
    free(mp4);
    for (size_t k = 0; k < 3; k++)
        CHECK_MSG(pf_test_webhook_count_for_run(hook, run_ids[k]) == 1, "line %zu: %zu notifications", k,
                  pf_test_webhook_count_for_run(hook, run_ids[k]));
    /* the shadow run (the line follows the legacy run alone) published and
     * notified nothing, and matches */
    json_decref(pf_test_run_wait(&srv, shadow_id));
    CHECK_INT(pf_test_webhook_count_for_run(hook, shadow_id), 0);
    char *parity_path = pf_asprintf("/api/runs/%s/parity", run_ids[2]);
    json_t *parity = pf_http_json(&srv, "GET", parity_path, NULL, &status);
    CHECK_INT(status, 200);
    char *diffs = json_dumps(json_object_get(parity, "differences"), JSON_COMPACT);
    CHECK_MSG(json_is_true(json_object_get(parity, "identical")), "parity: %zu differences: %.1500s",
              json_array_size(json_object_get(parity, "differences")), diffs ? diffs : "");
    free(diffs);
    json_decref(parity);
    free(parity_path);
    json_t *all = pf_test_webhook_received(hook);
    CHECK_INT(json_array_size(all), 3); /* one per line, none from the intakes */
    json_decref(all);

    for (size_t k = 0; k < 3; k++)
        free(run_ids[k]);
    free(shadow_id);
    free(order_path);
    json_decref(order);
    json_decref(product);
    free(cad_path);
    free(cad_id);
    free(dir);
    pf_test_server_stop(&srv);
    pf_test_webhook_stop(hook);
    free(allow);
    free(hook_url);
    return pf_check_done("api_orders");
}
