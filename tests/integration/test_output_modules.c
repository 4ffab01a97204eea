/* output.publish_asset and output.notify through the module layer: the same
 * (run, node) publishes to the same place; every param of a module that
 * becomes a path is confined (a table of escapes, each refused at its
 * pointer with nothing written anywhere); published files keep the
 * extension of their media type; {order_line} is the order line; notify
 * only posts to allowed URLs, succeeds without sending when no webhook is
 * configured, and shadow mode does neither. test_webhooks.c has the
 * deliveries themselves. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "modules/invoke.h"
#include "support/shell.h"
#include "support/tmpdir.h"
#include "support/webhook.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pf_error *invoke(const pf_registry *reg, const char *key, pf_module_ctx *ctx, json_t *inputs, json_t *params,
                        json_t **out) {
    *out = NULL;
    pf_error *err = pf_module_invoke(reg, key, ctx, inputs, params, out);
    json_decref(inputs);
    json_decref(params);
    return err;
}

/* Every file and directory below dir, one per line: what a refused call
 * must leave unchanged. */
static char *tree_of(const char *dir) {
    char *cmd = pf_asprintf("cd '%s' && find . | sort", dir), *out = NULL;
    CHECK_INT(pf_test_sh(cmd, &out), 0);
    free(cmd);
    return out;
}

typedef struct {
    const char *module, *name; /* module key, param (or context field) */
    const char *pointer;
    bool in_context;
    const char *link; /* where, under the data root, a symlink leading out is made */
    const char *through_link;
} path_param;

/* A module call with one path-like value set to value (len bytes). */
static pf_error *call_with(const pf_registry *reg, pf_module_ctx *ctx, const path_param *p, const json_t *artifact,
                           const char *value, size_t len) {
    json_t *v = json_stringn(value, len), *out = NULL;
    json_t *params = json_object(), *context = json_object();
    json_object_set_new(p->in_context ? context : params, p->name, v);
    const json_t *saved = ctx->context;
    if (p->in_context) ctx->context = context;
    json_t *inputs = strcmp(p->module, "output.publish_asset") == 0 ? json_pack("{s:O}", "artifact", artifact) : NULL;
    pf_error *err = invoke(reg, p->module, ctx, inputs, params, &out);
    ctx->context = saved;
    json_decref(context);
    json_decref(out);
    return err;
}

/* For each param of src/modules/ that names a file or directory, each
 * escape is refused at that param's pointer, and nothing changes on disk. */
static void test_path_params(const pf_registry *reg, pf_module_ctx *ctx, const char *base, const json_t *artifact) {
    static const path_param params[] = {
        {"output.publish_asset", "channel", "/params/channel", false, "assets/out", "out"},
        {"output.publish_asset", "path_template", "/params/path_template", false, "assets/default/out",
         "out/{role}.{ext}"},
        {"cad.resolve_step_path", "path", "/params/path", false, "out", "out/part.step"},
        {"cad.resolve_step_path", "step_path", "/context/step_path", true, "out", "out/part.step"},
    };
    static const struct {
        const char *value;
        size_t len; /* 0: strlen */
    } escapes[] = {{"..", 0},       {"../../etc", 0}, {"/etc/passwd", 0}, {"a/../../b", 0},
                   {"%2e%2e/x", 0}, {"a\\..\\b", 0},  {"a\0b", 3},        {NULL, 0} /* the symlink */};
    char *outside = pf_asprintf("%s/outside", base);
    for (size_t p = 0; p < sizeof params / sizeof *params; p++) {
        char *link = pf_asprintf("%s/%s", ctx->data_root, params[p].link), *dir = pf_strdup(link);
        *strrchr(dir, '/') = '\0';
        pf_error_free(pf_mkdirs(dir, 0755));
        unlink(link);
        CHECK(symlink(outside, link) == 0);
        char *before = tree_of(base);
        for (size_t e = 0; e < sizeof escapes / sizeof *escapes; e++) {
            const char *value = escapes[e].value ? escapes[e].value : params[p].through_link;
            size_t len = escapes[e].len ? escapes[e].len : strlen(value);
            pf_error *err = call_with(reg, ctx, &params[p], artifact, value, len);
            CHECK_MSG(err && err->code == PF_EINVAL && strcmp(err->pointer, params[p].pointer) == 0,
                      "%s %s = \"%s\": %s at %s", params[p].module, params[p].name, value,
                      err ? err->message : "accepted", err ? err->pointer : "");
            pf_error_free(err);
        }
        char *after = tree_of(base);
        CHECK_MSG(before && after && strcmp(before, after) == 0, "%s %s: the files changed:\n%s\n---\n%s",
                  params[p].module, params[p].name, before, after);
        free(before);
        free(after);
        unlink(link);
        free(dir);
        free(link);
    }
    free(outside);
}

/* An artifact as the runtime hands it on: a file in the content store,
 * with no extension, and its media type. */
static json_t *stored_artifact(const char *data, const char *media_type) {
    char *path = pf_asprintf("%s/artifacts/sha256/00/%s", data, media_type), digest[65];
    for (char *c = strrchr(path, '/') + 1; *c; c++)
        if (*c == '/') *c = '_';
    char *dir = pf_strdup(path);
    *strrchr(dir, '/') = '\0';
    pf_error_free(pf_mkdirs(dir, 0755));
    pf_error_free(pf_write_file_atomic(path, media_type, strlen(media_type)));
    pf_sha256_hex(media_type, strlen(media_type), digest);
    json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:i}", "path", path, "sha256", digest, "media_type", media_type, "role",
                          "render.still", "size", (int)strlen(media_type));
    free(dir);
    free(path);
    return a;
}

/* Deliverables keep the extension of their media type, which is what the
 * server serves them as; a template without {ext} still ends in it. */
static void test_extensions(const pf_registry *reg, pf_module_ctx *ctx) {
    static const char *const kinds[][2] = {{"image/png", "png"},         {"image/webp", "webp"},
                                           {"video/mp4", "mp4"},         {"application/x-blender", "blend"},
                                           {"model/gltf-binary", "glb"}, {"model/step", "step"}};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        json_t *artifact = stored_artifact(ctx->data_root, kinds[i][0]), *out = NULL;
        char node[16];
        snprintf(node, sizeof node, "pub%zu", i);
        ctx->node_id = node;
        pf_error *err = invoke(reg, "output.publish_asset", ctx, json_pack("{s:O}", "artifact", artifact), NULL, &out);
        CHECK_MSG(err == NULL, "%s", err ? err->message : "");
        const json_t *asset = json_object_get(out, "asset");
        char *url = pf_asprintf("/published/default/run_x/render-still.%s", kinds[i][1]);
        char *file = pf_asprintf("%s/assets/default/run_x/render-still.%s", ctx->data_root, kinds[i][1]);
        CHECK_STR(pf_json_str(asset, "url"), url);
        CHECK_STR(pf_json_str(asset, "media_type"), kinds[i][0]);
        CHECK_STR(pf_json_str(asset, "published_path"), file);
        CHECK(access(file, R_OK) == 0);
        json_decref(out);
        free(file);
        free(url);
        err = invoke(reg, "output.publish_asset", ctx, json_pack("{s:O}", "artifact", artifact),
                     json_pack("{s:s}", "path_template", "{order_line}/still"), &out);
        CHECK(err == NULL);
        url = pf_asprintf("/published/default/run_x/still.%s", kinds[i][1]);
        CHECK_STR(pf_json_str(json_object_get(out, "asset"), "url"), url);
        free(url);
        json_decref(out);
        json_decref(artifact);
    }
    ctx->node_id = "pub";
}

/* {order_line} is the order line a run is about; the URL is escaped. */
static void test_order_line(const pf_registry *reg, pf_module_ctx *ctx) {
    json_t *artifact = stored_artifact(ctx->data_root, "image/png"), *out = NULL;
    json_t *context = json_pack("{s:s, s:{s:s}}", "order_line_id", "line_7", "line", "id", "line_7");
    ctx->context = context;
    pf_error *err =
        invoke(reg, "output.publish_asset", ctx, json_pack("{s:O}", "artifact", artifact),
               json_pack("{s:s, s:s}", "channel", "shop/de", "path_template", "{order_line}/a b#{role}"), &out);
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    CHECK_STR(pf_json_str(json_object_get(out, "asset"), "url"), "/published/shop/de/line_7/a%20b%23render-still.png");
    char *file = pf_asprintf("%s/assets/shop/de/line_7/a b#render-still.png", ctx->data_root);
    CHECK(access(file, R_OK) == 0);
    free(file);
    json_decref(out);
    ctx->context = NULL;
    json_decref(context);
    json_decref(artifact);
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    char *base = pf_test_tmpdir("output-modules"), *data = pf_asprintf("%s/data", base);
    char *outside = pf_asprintf("%s/outside", base);
    pf_error_free(pf_mkdirs(data, 0755));
    pf_error_free(pf_mkdirs(outside, 0755));
    char *file = pf_asprintf("%s/still.png", data), *step = pf_asprintf("%s/part.step", outside);
    pf_error_free(pf_write_file_atomic(file, "not really a png", 16));
    char *cp = pf_asprintf("cp '%s/tests/fixtures/minimal.step' '%s'", PF_SOURCE_DIR, step);
    CHECK_INT(system(cp), 0);
    free(cp);
    atomic_bool cancel = false;
    pf_test_webhook *hook = pf_test_webhook_start();
    char *allow = pf_asprintf("http://127.0.0.1:%u/", pf_test_webhook_port(hook));
    json_t *settings = json_pack("{s:{s:[s]}}", "webhooks", "allow", allow);
    pf_module_ctx ctx = {.data_root = data,
                         .work_dir = data,
                         .cancel = &cancel,
                         .run_id = "run_x",
                         .node_id = "pub",
                         .settings = settings};
    json_t *artifact = json_pack("{s:s, s:s, s:s, s:i}", "path", file, "sha256",
                                 "0000000000000000000000000000000000000000000000000000000000000000", "role",
                                 "render.still", "size", 16);

    json_t *out = NULL;
    pf_error *err = invoke(reg, "output.publish_asset", &ctx, json_pack("{s:O}", "artifact", artifact), NULL, &out);
    CHECK(err == NULL);
    const json_t *asset = json_object_get(out, "asset");
    char *expected = pf_asprintf("%s/assets/default/run_x/render-still.png", data);
    CHECK_STR(pf_json_str(asset, "published_path"), expected);
    CHECK_STR(pf_json_str(asset, "url"), "/published/default/run_x/render-still.png");
    CHECK(access(expected, R_OK) == 0);
    json_t *again = NULL;
    pf_error_free(invoke(reg, "output.publish_asset", &ctx, json_pack("{s:O}", "artifact", artifact), NULL, &again));
    CHECK_STR(pf_json_str(json_object_get(again, "asset"), "id"),
              pf_json_str(asset, "id")); /* same run and node, same asset */
    json_decref(again);
    /* Performed again (a takeover of a publish claimed and never recorded
     * done): the file in place, holding the artifact's digest, is left as
     * it is; a different file there is replaced. */
    char sha[65];
    pf_error_free(pf_sha256_file(file, sha, NULL));
    json_t *real = json_deep_copy(artifact);
    json_object_set_new(real, "sha256", json_string(sha));
    struct stat before, after;
    CHECK(stat(expected, &before) == 0);
    CHECK(invoke(reg, "output.publish_asset", &ctx, json_pack("{s:O}", "artifact", real), NULL, &again) == NULL);
    json_decref(again);
    CHECK(stat(expected, &after) == 0 && after.st_ino == before.st_ino); /* not written again */
    pf_error_free(pf_write_file_atomic(expected, "stale", 5));
    CHECK(invoke(reg, "output.publish_asset", &ctx, json_pack("{s:O}", "artifact", real), NULL, &again) == NULL);
    json_decref(again);
    char same[65];
    pf_error_free(pf_sha256_file(expected, same, NULL));
    CHECK_STR(same, sha);
    json_decref(real);

    test_path_params(reg, &ctx, base, artifact);
    test_extensions(reg, &ctx);
    test_order_line(reg, &ctx);

    /* notify: allowed, refused, and none configured (a success that sends
     * nothing) */
    json_t *ok = NULL;
    char *url = pf_asprintf("%shook", allow);
    err = invoke(reg, "output.notify", &ctx, json_pack("{s:O}", "asset", asset), json_pack("{s:s}", "url", url), &ok);
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    pf_error_free(err);
    CHECK(json_is_true(json_object_get(json_object_get(ok, "delivery"), "sent")));
    json_t *got = pf_test_webhook_received(hook);
    CHECK_INT(json_array_size(got), 1);
    CHECK(json_is_null(json_object_get(json_array_get(got, 0), "signature"))); /* no secret, no signature */
    json_decref(got);
    json_decref(ok);
    err = invoke(reg, "output.notify", &ctx, json_pack("{s:O}", "asset", asset),
                 json_pack("{s:s}", "url", "http://example.org/hook"), &ok);
    CHECK(err && err->code == PF_EINVAL && strcmp(err->pointer, "/params/url") == 0 &&
          strstr(err->message, "allow-list"));
    pf_error_free(err);
    err = invoke(reg, "output.notify", &ctx, json_pack("{s:O}", "asset", asset), NULL, &ok);
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    pf_error_free(err);
    const json_t *delivery = json_object_get(ok, "delivery");
    CHECK(json_is_false(json_object_get(delivery, "sent")));
    CHECK_STR(pf_json_str(delivery, "reason"), "no webhook configured");
    CHECK_INT(json_string_length(json_object_get(delivery, "idempotency_key")), 64);
    json_decref(ok);
    got = pf_test_webhook_received(hook);
    CHECK_INT(json_array_size(got), 1);
    json_decref(got);

    /* shadow: nothing written, nothing sent */
    ctx.shadow = true;
    ctx.run_id = "run_shadow";
    err = invoke(reg, "output.publish_asset", &ctx, json_pack("{s:O}", "artifact", artifact), NULL, &again);
    CHECK(err == NULL && json_is_true(json_object_get(json_object_get(again, "asset"), "shadow")));
    CHECK(access(pf_json_str(json_object_get(again, "asset"), "published_path"), F_OK) != 0);
    json_decref(again);
    err = invoke(reg, "output.notify", &ctx, json_pack("{s:O}", "asset", asset), json_pack("{s:s}", "url", url), &ok);
    CHECK(err == NULL && json_is_true(json_object_get(json_object_get(ok, "delivery"), "shadow")));
    CHECK(json_is_false(json_object_get(json_object_get(ok, "delivery"), "sent")));
    json_decref(ok);
    got = pf_test_webhook_received(hook);
    CHECK_INT(json_array_size(got), 1);
    json_decref(got);

    json_decref(out);
    json_decref(artifact);
    json_decref(settings);
    free(url);
    free(expected);
    free(allow);
    pf_test_webhook_stop(hook);
    free(step);
    free(file);
    free(outside);
    free(data);
    free(base);
    pf_registry_free(reg);
    return pf_check_done("output_modules");
}
