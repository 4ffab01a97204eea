/* What a customer receives, end to end, as a new user gets it: the demo
 * gearbox ordered once as every public output type on a fresh install,
 * each line dispatched, rendered by real Blender and OCCT, and delivered.
 * Every line ends delivered with exactly one published file that is what
 * its kind promises (extension, media type, the file's own signature),
 * fetched by the customer's signed link without a token; every run ends
 * all green, its notify saying "not sent" plainly where no webhook is
 * configured. Renders are kept small by line overrides where the rollout
 * takes them (a legacy or shadow line renders as its settings say): the point is
 * the deliverable, not the picture. */
#include "check.h"

#include "core/json.h"
#include "core/mem.h"
#include "support/server.h"

#include <stdlib.h>
#include <string.h>

/* What each kind delivers: media type, extension, and the file's opening
 * bytes at offset (or, for a .blend, Zstandard's: Blender saves production
 * files compressed, which Blender opens as they are). */
static const struct {
    const char *kind, *media_type, *ext, *magic;
    size_t magic_at, magic_len;
    const char *overrides; /* small renders, for the test's time */
    const char *zstd;
} kinds[] = {
    {"still_image", "image/png", ".png", "\x89PNG\r\n\x1a\n", 0, 8, "{\"width\":96,\"height\":72,\"samples\":2}", NULL},
    {"turntable_video", "video/mp4", ".mp4", "ftyp", 4, 4,
     "{\"frames\":4,\"fps\":4,\"width\":64,\"height\":48,\"samples\":1}", NULL},
    {"production_blend", "application/x-blender", ".blend", "BLENDER", 0, 7, NULL, "\x28\xb5\x2f\xfd"},
    {"glb_model", "model/gltf-binary", ".glb", "glTF", 0, 4, NULL, NULL},
};

static int kind_of(const char *artifact_kind) {
    for (size_t i = 0; artifact_kind && i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(kinds[i].kind, artifact_kind) == 0) return (int)i;
    return -1;
}

static bool ends_with(const char *s, const char *tail) {
    size_t n = s ? strlen(s) : 0, t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* The demo product, once its CAD intake is over. */
static json_t *demo_product(const pf_test_server *srv) {
    json_t *list = pf_http_expect(srv, "GET", "/api/products", NULL, 200);
    json_t *demo = NULL;
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(list, "products"), i, p) if (!demo && pf_json_str(p, "cad_file")) demo =
        json_incref((json_t *)p);
    json_decref(list);
    CHECK_MSG(demo != NULL, "a fresh install has a demo product with a STEP file");
    if (!demo) return NULL;
    char *cad = pf_asprintf("/api/cad-files/%s", pf_json_str(demo, "cad_file"));
    json_t *file = pf_test_intake_wait(srv, cad);
    CHECK_STR(pf_test_intake_status(file), "succeeded");
    json_decref(file);
    free(cad);
    return demo;
}

/* Every node succeeded or was skipped by design; notify sent nothing and
 * says so. */
static void check_all_green(const json_t *run, const char *output_type) {
    CHECK_MSG(strcmp(pf_test_run_status(run) ? pf_test_run_status(run) : "", "succeeded") == 0, "%s: run %s",
              output_type, pf_test_run_status(run));
    const char *id;
    const json_t *node;
    json_object_foreach((json_t *)json_object_get(run, "nodes"), id, node) {
        const char *status = pf_json_str(node, "status");
        CHECK_MSG(status && (strcmp(status, "succeeded") == 0 || strcmp(status, "skipped") == 0), "%s: node %s is %s",
                  output_type, id, status ? status : "(none)");
        const json_t *outputs = json_object_get(json_object_get(node, "state"), "outputs");
        const json_t *sent = json_object_get(outputs, "sent");
        if (json_is_boolean(sent) && pf_json_str(node, "step") &&
            strcmp(pf_json_str(node, "step"), "output.notify") == 0)
            CHECK_MSG(json_is_false(sent), "%s: notify says it sent without a webhook", output_type);
    }
}

/* The line's one published file, fetched as the customer does: by its
 * signed link, without a token. */
static void check_delivered(const pf_test_server *srv, const char *run_id, int k, const char *output_type) {
    char *path = pf_asprintf("/api/assets?run=%s", run_id);
    json_t *list = pf_http_expect(srv, "GET", path, NULL, 200);
    free(path);
    const json_t *assets = json_object_get(list, "assets");
    CHECK_MSG(json_array_size(assets) == 1, "%s: %zu published files", output_type, json_array_size(assets));
    const json_t *a = json_array_get(assets, 0);
    CHECK_MSG(strcmp(pf_json_str(a, "media_type") ? pf_json_str(a, "media_type") : "", kinds[k].media_type) == 0,
              "%s: published as %s", output_type, pf_json_str(a, "media_type"));
    CHECK_MSG(ends_with(pf_json_str(a, "url"), kinds[k].ext), "%s: published at %s", output_type,
              pf_json_str(a, "url"));
    const char *link = pf_json_str(a, "url_signed");
    const char *rel = link ? strstr(link, "/api/shared/") : NULL;
    CHECK_MSG(rel != NULL, "%s: no signed link in %s", output_type, link ? link : "(none)");
    pf_http_reply r;
    if (rel && pf_http_as(srv, NULL, NULL, "GET", rel, NULL, 0, NULL, &r) == 0) {
        CHECK_MSG(r.status == 200, "%s: the signed link answered %ld", output_type, r.status);
        CHECK_MSG(r.content_type && strncmp(r.content_type, kinds[k].media_type, strlen(kinds[k].media_type)) == 0,
                  "%s: served as %s", output_type, r.content_type ? r.content_type : "(none)");
        bool plain = r.len > kinds[k].magic_at + kinds[k].magic_len &&
                     memcmp(r.body + kinds[k].magic_at, kinds[k].magic, kinds[k].magic_len) == 0;
        bool zstd = kinds[k].zstd && r.len > 4 && memcmp(r.body, kinds[k].zstd, 4) == 0;
        CHECK_MSG(plain || zstd, "%s: the file is not a %s (%zu bytes)", output_type, kinds[k].ext, r.len);
        pf_http_reply_free(&r);
    }
    json_decref(list);
}

int main(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, NULL) != 0) return pf_check_done("deliverables");
    json_t *product = demo_product(&srv);
    json_t *types = pf_http_expect(&srv, "GET", "/api/output-types", NULL, 200);
    json_t *lines = json_array();
    json_t *ordered = json_array(); /* the output types, in line order */
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(types, "output_types"), i, t) {
        if (strcmp(pf_json_str(t, "visibility") ? pf_json_str(t, "visibility") : "", "public") != 0) continue;
        int k = kind_of(pf_json_str(t, "artifact_kind"));
        CHECK_MSG(k >= 0, "public output type %s delivers %s, a kind this test does not know", pf_json_str(t, "key"),
                  pf_json_str(t, "artifact_kind"));
        if (k < 0) continue;
        json_t *line =
            json_pack("{s:s, s:s}", "product", pf_json_str(product, "id"), "output_type", pf_json_str(t, "key"));
        bool fixed = strcmp(pf_json_str(t, "rollout") ? pf_json_str(t, "rollout") : "", "graph") != 0;
        if (kinds[k].overrides && !fixed) /* a legacy or shadow line renders as its settings say */
            json_object_set_new(line, "overrides", json_loads(kinds[k].overrides, 0, NULL));
        json_array_append_new(lines, line);
        json_array_append(ordered, (json_t *)t);
    }
    CHECK_MSG(json_array_size(lines) >= 4, "%zu public output types", json_array_size(lines));
    json_t *request = json_pack("{s:s, s:o}", "customer", "ACME", "lines", lines);
    char *body = json_dumps(request, JSON_COMPACT);
    json_decref(request);
    long status;
    json_t *order = pf_http_json(&srv, "POST", "/api/orders", body, &status);
    char *answer = json_dumps(order, JSON_COMPACT);
    CHECK_MSG(status == 201, "the order: %ld %s", status, answer ? answer : "");
    free(answer);
    free(body);

    size_t n = json_array_size(json_object_get(order, "lines"));
    char **runs = pf_xcalloc(n ? n : 1, sizeof *runs);
    for (i = 0; i < n; i++) {
        char *path = pf_asprintf("/api/order-lines/%s/dispatch",
                                 pf_json_str(json_array_get(json_object_get(order, "lines"), i), "id"));
        json_t *d = pf_http_post_expect(&srv, path, NULL, 202);
        runs[i] = pf_json_str(d, "run_id") ? pf_strdup(pf_json_str(d, "run_id")) : NULL;
        json_decref(d);
        free(path);
    }
    for (i = 0; i < n; i++) {
        const char *key = pf_json_str(json_array_get(ordered, i), "key");
        if (!runs[i]) continue;
        json_t *run = pf_test_run_wait(&srv, runs[i]);
        check_all_green(run, key);
        json_decref(run);
        check_delivered(&srv, runs[i], kind_of(pf_json_str(json_array_get(ordered, i), "artifact_kind")), key);
    }
    char *order_path = pf_asprintf("/api/orders/%s", pf_json_str(order, "id"));
    json_t *after = pf_http_expect(&srv, "GET", order_path, NULL, 200);
    const json_t *line;
    json_array_foreach(json_object_get(after, "lines"), i, line)
        CHECK_MSG(strcmp(pf_json_str(line, "status") ? pf_json_str(line, "status") : "", "delivered") == 0,
                  "line %zu (%s): %s", i, pf_json_str(json_array_get(ordered, i), "key"), pf_json_str(line, "status"));
    json_decref(after);
    free(order_path);

    for (i = 0; i < n; i++)
        free(runs[i]);
    free(runs);
    json_decref(order);
    json_decref(ordered);
    json_decref(types);
    json_decref(product);
    pf_test_server_stop(&srv);
    return pf_check_done("deliverables");
}
