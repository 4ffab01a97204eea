/* Shadow pairs through the HTTP API of a real `prodflow serve` with real
 * Blender and ffmpeg: both sides execute the compared nodes (no cache hit
 * on them, upstream reuse listed), and each artifact kind gets a verdict
 * that means something: stills by pixels, PSNR and SSIM, a drifted still
 * with its diff image and the param that caused it, a production .blend by
 * Blender's digest (its bytes differ run to run), a turntable frame by
 * frame. Then the output types' parity history and the ready rule. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "core/path.h"
#include "runtime/parity_history.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/upload.h"

#include <stdlib.h>
#include <string.h>

#define STILLS PF_PARITY_READY_STREAK /* enough identical pairs to be ready */

static json_t *report_of(const pf_test_server *srv, const char *run_id) {
    char *path = pf_asprintf("/api/runs/%s/parity", run_id);
    json_t *r = pf_http_expect(srv, "GET", path, NULL, 200);
    free(path);
    return r;
}

static char *dump(const json_t *j) {
    char *s = json_dumps(j, JSON_COMPACT);
    return s ? s : pf_strdup("");
}

/* Both sides executed every compared node: none was a cache hit. */
static void check_executed(const json_t *report, const char *what) {
    const json_t *ex = json_object_get(report, "execution");
    CHECK_MSG(json_is_true(json_object_get(ex, "both_executed")), "%s: both sides executed", what);
    CHECK_MSG(json_array_size(json_object_get(ex, "compared")) == 2, "%s: one compared node a side", what);
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(ex, "compared"), i, c) {
        const json_t *cache = json_object_get(c, "cache");
        CHECK_MSG(json_is_false(json_object_get(cache, "hit")), "%s: %s node %s was a cache hit", what,
                  pf_json_str(c, "run"), pf_json_str(c, "node"));
        CHECK_MSG(pf_json_str(cache, "reason") && strstr(pf_json_str(cache, "reason"), "parity"),
                  "%s: the cache verdict says why: %s", what, pf_json_str(cache, "reason"));
    }
    json_array_foreach(json_object_get(ex, "reused_from_cache"), i, c) CHECK_MSG(
        json_is_false(json_object_get(c, "compared")), "%s: compared node %s reused", what, pf_json_str(c, "node"));
}

static const json_t *artifact(const json_t *report) { return json_array_get(json_object_get(report, "artifacts"), 0); }

static void check_identical(const json_t *report, const char *what, const char *comparison) {
    char *d = dump(json_object_get(report, "differences"));
    CHECK_MSG(json_is_true(json_object_get(report, "identical")), "%s: %s", what, d);
    CHECK_STR(pf_json_str(report, "verdict"), "identical");
    CHECK_STR(pf_json_str(artifact(report), "comparison"), comparison);
    CHECK_STR(pf_json_str(artifact(report), "verdict"), "identical");
    free(d);
    check_executed(report, what);
}

int main(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, NULL) != 0) return pf_check_done("api_parity");
    char *dir = pf_test_tmpdir("parity-e2e");
    char *cad_id = pf_test_upload_pump(&srv, dir, "pump");
    char *cad_path = pf_asprintf("/api/cad-files/%s", cad_id);
    char *body =
        pf_asprintf("{\"name\":\"Pump\",\"sku\":\"P-9\",\"category\":\"machinery\",\"cad_file\":\"%s\"}", cad_id);
    free(cad_id);
    json_t *cad = pf_test_intake_wait(&srv, cad_path);
    CHECK_STR(pf_test_intake_status(cad), "succeeded");
    json_decref(cad);
    json_t *product = pf_http_post_expect(&srv, "/api/products", body, 201);
    free(body);

    const char *types[] = {
        /* both roads to the same tiny still */
        "{\"key\":\"p_still\",\"name\":\"Parity still\",\"family\":\"order_line\",\"rollout\":\"shadow\","
        "\"workflow\":{\"id\":\"starter-order-still\",\"version\":1},\"artifact_kind\":\"still_image\","
        "\"pricing_tier\":\"standard\",\"overrides\":{\"width\":48,\"height\":36,\"samples\":1,\"template\":"
        "\"studio_white\"},\"legacy_render_settings\":{\"width\":48,\"height\":36,\"samples\":1,\"template\":"
        "\"studio_white\"}}",
        /* the graph renders with fewer samples than legacy */
        "{\"key\":\"p_drift\",\"name\":\"Parity drift\",\"family\":\"order_line\",\"rollout\":\"shadow\","
        "\"workflow\":{\"id\":\"starter-order-still\",\"version\":1},\"artifact_kind\":\"still_image\","
        "\"pricing_tier\":\"standard\",\"overrides\":{\"width\":96,\"height\":72,\"samples\":1,\"template\":"
        "\"studio_white\"},\"legacy_render_settings\":{\"width\":96,\"height\":72,\"samples\":8,\"template\":"
        "\"studio_white\"}}",
        "{\"key\":\"p_blend\",\"name\":\"Parity blend\",\"family\":\"order_line\",\"rollout\":\"shadow\","
        "\"workflow\":{\"id\":\"starter-order-production-blend\",\"version\":1},\"artifact_kind\":"
        "\"production_blend\",\"pricing_tier\":\"standard\",\"overrides\":{\"template\":\"studio_white\"},"
        "\"legacy_render_settings\":{\"export_blend\":true,\"template\":\"studio_white\"}}",
        "{\"key\":\"p_turntable\",\"name\":\"Parity turntable\",\"family\":\"order_line\",\"rollout\":\"shadow\","
        "\"workflow\":{\"id\":\"starter-order-turntable\",\"version\":1},\"artifact_kind\":\"turntable_video\","
        "\"pricing_tier\":\"standard\",\"overrides\":{\"width\":48,\"height\":36,\"samples\":1,\"frames\":3,"
        "\"fps\":3,\"template\":\"studio_white\"},\"legacy_render_settings\":{\"width\":48,\"height\":36,"
        "\"samples\":1,\"template\":\"studio_white\",\"turntable\":{\"enabled\":true,\"frames\":3,\"fps\":3}}}",
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        json_decref(pf_http_post_expect(&srv, "/api/output-types", types[i], 201));

    /* STILLS still lines, then drift, blend and turntable */
    const char *pid = pf_json_str(product, "id");
    const char *line_types[STILLS + 3];
    for (size_t i = 0; i < STILLS; i++)
        line_types[i] = "p_still";
    line_types[STILLS] = "p_drift", line_types[STILLS + 1] = "p_blend", line_types[STILLS + 2] = "p_turntable";
    size_t n_lines = STILLS + 3;
    json_t *lines = json_array();
    for (size_t i = 0; i < n_lines; i++)
        json_array_append_new(lines, json_pack("{s:s, s:s}", "product", pid, "output_type", line_types[i]));
    json_t *order_req = json_pack("{s:s, s:o}", "customer", "ACME", "lines", lines);
    char *order_text = dump(order_req);
    json_t *order = pf_http_post_expect(&srv, "/api/orders", order_text, 201);
    free(order_text);
    json_decref(order_req);
    char *legacy[STILLS + 3] = {0}, *graph[STILLS + 3] = {0};
    for (size_t i = 0; i < n_lines; i++) {
        const char *line_id = pf_json_str(json_array_get(json_object_get(order, "lines"), i), "id");
        char *path = pf_asprintf("/api/order-lines/%s/dispatch", line_id ? line_id : "");
        json_t *d = pf_http_post_expect(&srv, path, NULL, 202);
        legacy[i] = pf_strdup(pf_json_str(d, "run_id") ? pf_json_str(d, "run_id") : "");
        graph[i] = pf_strdup(pf_json_str(d, "shadow_run_id") ? pf_json_str(d, "shadow_run_id") : "");
        json_decref(d);
        free(path);
        /* one pair at a time: a later pair can reuse what an earlier one cached */
        json_decref(pf_test_run_wait(&srv, legacy[i]));
        json_decref(pf_test_run_wait(&srv, graph[i]));
    }

    /* identical stills: both sides executed */
    for (size_t i = 0; i < STILLS; i++) {
        json_t *r = report_of(&srv, graph[i]);
        check_identical(r, "still", "pixels");
        CHECK(json_integer_value(json_object_get(artifact(r), "differing_pixels")) == 0);
        CHECK(json_is_null(json_object_get(artifact(r), "psnr_db")));
        CHECK(json_object_get(artifact(r), "diff_image") == NULL);
        CHECK_INT(json_array_size(json_object_get(r, "modules")), 6);
        /* order nodes upstream of the render (materials, template) are
         * cheap and uncached by policy, and the GLB comes from the intake:
         * nothing here is a cache hit, and the list says so */
        CHECK(json_is_array(json_object_get(json_object_get(r, "execution"), "reused_from_cache")));
        /* the legacy run names the same, kept, report */
        json_t *again = report_of(&srv, legacy[i]);
        CHECK_STR(pf_json_str(again, "computed_at"), pf_json_str(r, "computed_at"));
        json_decref(again);
        json_decref(r);
    }

    /* drift: different pixels, a diff image, and the param that caused it */
    json_t *drift = report_of(&srv, legacy[STILLS]);
    CHECK(json_is_false(json_object_get(drift, "identical")));
    CHECK_STR(pf_json_str(drift, "verdict"), "different");
    check_executed(drift, "drift");
    const json_t *px = artifact(drift);
    CHECK_MSG(json_integer_value(json_object_get(px, "differing_pixels")) > 0, "drift: differing pixels");
    CHECK(json_is_number(json_object_get(px, "psnr_db")) && json_is_number(json_object_get(px, "ssim")));
    bool samples_why = false;
    size_t i;
    const json_t *m;
    json_array_foreach(json_object_get(drift, "modules"), i, m) {
        size_t k;
        const json_t *d;
        json_array_foreach(json_object_get(m, "differences"), k, d) if (strcmp(pf_json_str(d, "param"), "samples") == 0)
            samples_why = pf_json_str(d, "why") && strstr(pf_json_str(d, "why"), "output type's override");
    }
    CHECK_MSG(samples_why, "drift: samples differ, and why: %s", dump(json_object_get(drift, "modules")));
    const char *diff_sha = pf_json_str(json_object_get(px, "diff_image"), "sha256");
    CHECK_MSG(diff_sha != NULL, "drift: a diff image");
    if (diff_sha) {
        char *path = pf_asprintf("/api/runs/%s/parity/diffs/%s", graph[STILLS], diff_sha);
        pf_http_reply r;
        CHECK(pf_http(&srv, "GET", path, NULL, 0, NULL, &r) == 0);
        CHECK_INT(r.status, 200);
        CHECK(r.len > 8 && memcmp(r.body, "\x89PNG", 4) == 0);
        char *keep = pf_asprintf("%s/drift-diff.png", dir);
        pf_error_free(pf_write_file_atomic(keep, r.body, r.len));
        printf("drift diff image: %s (psnr %.2f dB, ssim %.4f, %lld differing pixels)\n", keep,
               json_number_value(json_object_get(px, "psnr_db")), json_number_value(json_object_get(px, "ssim")),
               (long long)json_integer_value(json_object_get(px, "differing_pixels")));
        free(keep);
        pf_http_reply_free(&r);
        free(path);
        path = pf_asprintf("/api/runs/%s/parity/diffs/%064d", graph[STILLS], 0);
        json_decref(pf_http_expect(&srv, "GET", path, NULL, 404));
        free(path);
    }

    /* a production .blend: its bytes differ run to run, its digest does not */
    json_t *blend = report_of(&srv, graph[STILLS + 1]);
    check_identical(blend, "blend", "blend_digest");
    CHECK(json_array_size(json_object_get(json_object_get(artifact(blend), "digest"), "scenes")) == 1);
    json_decref(blend);
    const char *blend_sha[2] = {NULL, NULL};
    json_t *blend_runs[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        char *path = pf_asprintf("/api/runs/%s", k ? graph[STILLS + 1] : legacy[STILLS + 1]);
        blend_runs[k] = pf_http_expect(&srv, "GET", path, NULL, 200);
        blend_sha[k] = pf_json_str(
            json_object_get(
                json_object_get(
                    json_object_get(json_object_get(json_object_get(blend_runs[k], "nodes"), "blend"), "state"),
                    "outputs"),
                "blend"),
            "sha256");
        free(path);
    }
    CHECK_MSG(blend_sha[0] && blend_sha[1] && strcmp(blend_sha[0], blend_sha[1]) != 0,
              "the two .blend files differ byte for byte (%s, %s): comparing bytes would have cried wolf", blend_sha[0],
              blend_sha[1]);
    json_decref(blend_runs[0]);
    json_decref(blend_runs[1]);

    json_t *turntable = report_of(&srv, graph[STILLS + 2]);
    check_identical(turntable, "turntable", "frames");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(artifact(turntable), "frames"), "legacy")), 3);
    json_decref(turntable);

    /* the history: five identical still pairs make p_still ready */
    json_t *h = pf_http_expect(&srv, "GET", "/api/output-types/p_still/parity", NULL, 200);
    CHECK_INT(json_integer_value(json_object_get(h, "shadow_runs")), STILLS);
    CHECK_INT(json_integer_value(json_object_get(h, "identical")), STILLS);
    CHECK_INT(json_integer_value(json_object_get(h, "different")), 0);
    CHECK(json_is_true(json_object_get(h, "ready")));
    CHECK_STR(pf_json_str(h, "rollout"), "shadow");
    CHECK(pf_json_str(h, "rule") != NULL);
    json_decref(h);
    h = pf_http_expect(&srv, "GET", "/api/output-types/p_drift/parity", NULL, 200);
    CHECK_INT(json_integer_value(json_object_get(h, "different")), 1);
    CHECK(json_is_false(json_object_get(h, "ready")));
    CHECK(json_array_size(json_object_get(json_object_get(h, "last_differences"), "differences")) > 0);
    json_decref(h);
    h = pf_http_expect(&srv, "GET", "/api/output-types/p_blend/parity", NULL, 200);
    CHECK_INT(json_integer_value(json_object_get(h, "identical")), 1);
    CHECK(json_is_false(json_object_get(h, "ready"))); /* one pair is not enough */
    json_decref(h);
    json_decref(pf_http_expect(&srv, "GET", "/api/output-types/no_such_type/parity", NULL, 404));

    json_decref(drift);
    for (size_t k = 0; k < n_lines; k++) {
        free(legacy[k]);
        free(graph[k]);
    }
    json_decref(order);
    json_decref(product);
    free(cad_path);
    free(dir);
    pf_test_server_stop(&srv);
    return pf_check_done("api_parity");
}
